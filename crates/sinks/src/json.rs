//! `json`: the finding documents as one pretty-printed JSON array.

use std::io::Write;

use crate::{Emitter, Report, Result};

/// Writes the findings as a pretty-printed JSON array, in report order, ending with a newline.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonEmitter;

impl Emitter for JsonEmitter {
    fn emit(&self, report: &Report, out: &mut dyn Write) -> Result<()> {
        if report.findings.is_empty() {
            out.write_all(b"[]\n")?;
            return Ok(());
        }
        out.write_all(b"[\n")?;
        crate::windowed::write_items(&report.findings, b",\n", out, element)?;
        out.write_all(b"\n]\n")?;
        Ok(())
    }
}

/// One finding as an element of the pretty array, indented as serde_json indents array items.
fn element(finding: &kspm_model::Finding, buf: &mut Vec<u8>) -> serde_json::Result<()> {
    // Findings keep evidence and raw objects as compact text, which serde_json copies
    // verbatim; transcoding the compact document indents them too, in field order.
    let compact = serde_json::to_vec(finding)?;
    let mut de = serde_json::Deserializer::from_slice(&compact);
    let mut pretty = Vec::with_capacity(compact.len() * 2);
    serde_transcode::transcode(&mut de, &mut serde_json::Serializer::pretty(&mut pretty))?;
    crate::windowed::indented(&pretty, b"  ", buf);
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
