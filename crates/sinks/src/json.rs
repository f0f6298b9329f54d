//! `json`: the finding documents as one pretty-printed JSON array.

use std::io::Write;

use crate::{Emitter, Report, Result};

/// Writes the findings as a pretty-printed JSON array, in report order, ending with a newline.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonEmitter;

/// Findings formatted together: in parallel across a window, written in order, so that memory
/// stays bounded by the window whatever the number of findings.
const WINDOW: usize = 512;

impl Emitter for JsonEmitter {
    fn emit(&self, report: &Report, out: &mut dyn Write) -> Result<()> {
        use rayon::prelude::*;
        if report.findings.is_empty() {
            out.write_all(b"[]\n")?;
            return Ok(());
        }
        out.write_all(b"[\n")?;
        let mut first = true;
        for window in report.findings.chunks(WINDOW) {
            let formatted: Vec<Vec<u8>> = window
                .par_chunks(128)
                .map(|chunk| {
                    let mut buf = Vec::with_capacity(chunk.len() * 8192);
                    for finding in chunk {
                        element(finding, &mut buf)?;
                    }
                    Ok(buf)
                })
                .collect::<std::result::Result<_, serde_json::Error>>()?;
            for buf in formatted {
                // Each element ends with ",\n"; the very first has no separator before it.
                if first {
                    first = false;
                } else {
                    out.write_all(b",\n")?;
                }
                let body = buf.strip_suffix(b",\n").unwrap_or(&buf);
                out.write_all(body)?;
            }
        }
        out.write_all(b"\n]\n")?;
        Ok(())
    }
}

/// One finding as an element of the pretty array: indented as serde_json indents array items,
/// each followed by ",\n".
fn element(finding: &kspm_model::Finding, buf: &mut Vec<u8>) -> serde_json::Result<()> {
    // Findings keep evidence and raw objects as compact text, which serde_json copies
    // verbatim; transcoding the compact document indents them too, in field order.
    let compact = serde_json::to_vec(finding)?;
    let mut de = serde_json::Deserializer::from_slice(&compact);
    let mut pretty = Vec::with_capacity(compact.len() * 2);
    serde_transcode::transcode(&mut de, &mut serde_json::Serializer::pretty(&mut pretty))?;
    // JSON text has no raw newline inside strings, so indenting by lines is exact.
    for line in pretty.split(|&b| b == b'\n') {
        buf.extend_from_slice(b"  ");
        buf.extend_from_slice(line);
        buf.push(b'\n');
    }
    buf.pop();
    buf.extend_from_slice(b",\n");
    Ok(())
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

    #[test]
    fn windowed_output_equals_serde_json_pretty_printing_of_the_whole_array() {
        // More findings than one window, and a window that ends inside a chunk.
        let report = Report {
            findings: crate::fixtures::scored("cis_k8s", 700, 601),
            ..Report::default()
        };
        let mut out = Vec::new();
        JsonEmitter.emit(&report, &mut out).unwrap();
        // The whole array transcoded at once (field order kept).
        let compact = serde_json::to_vec(&report.findings).unwrap();
        let mut de = serde_json::Deserializer::from_slice(&compact);
        let mut whole = Vec::new();
        serde_transcode::transcode(&mut de, &mut serde_json::Serializer::pretty(&mut whole))
            .unwrap();
        let expected = format!("{}\n", String::from_utf8(whole).unwrap());
        assert_eq!(String::from_utf8(out).unwrap(), expected);
    }
}
