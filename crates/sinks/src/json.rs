//! `json`: the finding documents as one pretty-printed JSON array.

use std::io::Write;

use crate::{Emitter, Report, Result};

/// Writes the findings as a pretty-printed JSON array, in report order, ending with a newline.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonEmitter;

impl Emitter for JsonEmitter {
    fn emit(&self, report: &Report, out: &mut dyn Write) -> Result<()> {
        serde_json::to_writer_pretty(&mut *out, &report.findings)?;
        out.write_all(b"\n")?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_report_is_an_empty_array() {
        let mut out = Vec::new();
        JsonEmitter.emit(&Report::default(), &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "[]\n");
    }
}
