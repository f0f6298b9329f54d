//! `json`: the finding documents as one pretty-printed JSON array.

use std::io::Write;

use crate::{Emitter, Report, Result};

/// Writes the findings as a pretty-printed JSON array, in report order, ending with a newline.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonEmitter;

impl Emitter for JsonEmitter {
    fn emit(&self, report: &Report, out: &mut dyn Write) -> Result<()> {
        // Findings keep evidence and raw objects as compact text, which serde_json copies
        // verbatim; transcoding the compact document indents them too, in field order.
        let compact = serde_json::to_vec(&report.findings)?;
        let mut de = serde_json::Deserializer::from_slice(&compact);
        // Into memory first: transcoding reports a writer's failure as a data error, and a
        // closed pipe must stay an IO error.
        let mut pretty = Vec::with_capacity(compact.len() * 2);
        let mut ser = serde_json::Serializer::pretty(&mut pretty);
        serde_transcode::transcode(&mut de, &mut ser)?;
        pretty.push(b'\n');
        out.write_all(&pretty)?;
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
