//! `ndjson`: one compact finding document per line, for log shippers and `jq -c`.

use std::io::Write;

use crate::{Emitter, Report, Result};

/// Writes each finding as compact JSON followed by a newline, in report order.
#[derive(Debug, Clone, Copy, Default)]
pub struct NdjsonEmitter;

impl Emitter for NdjsonEmitter {
    fn emit(&self, report: &Report, out: &mut dyn Write) -> Result<()> {
        crate::windowed::write_items(&report.findings, b"", out, |finding, buf| {
            serde_json::to_writer(&mut *buf, finding)?;
            buf.push(b'\n');
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_report_writes_nothing() {
        let mut out = Vec::new();
        NdjsonEmitter.emit(&Report::default(), &mut out).unwrap();
        assert!(out.is_empty());
    }
}
