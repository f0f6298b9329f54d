//! Arbitrary bytes as a multi-document YAML manifest, read the way the offline collector reads
//! one: UTF-8 or nothing, split on `---` lines, every document parsed against one shared alias
//! budget. Nothing may panic, and the budget may never be overdrawn.
#![no_main]

use libfuzzer_sys::fuzz_target;

/// Small enough that alias chains reach it quickly, so the budget's edges get exercised.
const BUDGET: usize = 10_000;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut budget = kspm_yaml::AliasBudget::new(BUDGET, "this file");
    let mut document = String::new();
    let mut documents = Vec::new();
    for line in text.split_inclusive('\n') {
        if line.trim_end() == "---" && !document.is_empty() {
            documents.push(std::mem::take(&mut document));
        }
        document.push_str(line);
    }
    documents.push(document);
    for doc in &documents {
        let _ = kspm_yaml::parse_document_within(doc, &mut budget);
        assert!(budget.spent() <= BUDGET);
    }
    // Each plain scalar resolution on its own, as keys and values are resolved.
    for word in text.split_whitespace().take(64) {
        let _ = kspm_yaml::resolve_plain(word);
    }
});
