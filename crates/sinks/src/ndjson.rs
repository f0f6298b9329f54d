//! `ndjson`: one compact finding document per line, for log shippers and `jq -c`.

use std::io::Write;

use crate::{Emitter, Report, Result};

/// Writes each finding as compact JSON followed by a newline, in report order.
#[derive(Debug, Clone, Copy, Default)]
pub struct NdjsonEmitter;

/// Findings encoded together: in parallel across a window, written in order, so that memory
/// stays bounded by the window (a finding is a few kilobytes of text).
const WINDOW: usize = 512;

impl Emitter for NdjsonEmitter {
    fn emit(&self, report: &Report, out: &mut dyn Write) -> Result<()> {
        use rayon::prelude::*;
        for window in report.findings.chunks(WINDOW) {
            let encoded: Vec<Vec<u8>> = window
                .par_chunks(128)
                .map(|chunk| {
                    let mut buf = Vec::with_capacity(chunk.len() * 4096);
                    for finding in chunk {
                        serde_json::to_writer(&mut buf, finding)?;
                        buf.push(b'\n');
                    }
                    Ok(buf)
                })
                .collect::<std::result::Result<_, serde_json::Error>>()?;
            for buf in encoded {
                out.write_all(&buf)?;
            }
        }
        Ok(())
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
