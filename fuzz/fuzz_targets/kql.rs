//! Arbitrary text as a findings search (KQL): parsing never panics, and what parses translates
//! to SQL whose placeholders match its parameters.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(query) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(expr) = kspm_store::kql::parse(query) {
        let filter = kspm_store::kql::translate(&expr, 1_700_000_000);
        let placeholders = filter.sql.matches('?').count();
        assert_eq!(placeholders, filter.params.len(), "{}", filter.sql);
    }
});
