//! `json`: the finding documents as one pretty-printed JSON array, written as findings arrive.

use std::io::Write;

use kspm_model::{Finding, ResourceFindings};

use crate::{Delivery, RunInfo, RunSummary, Sink, SinkError};

/// Writes the findings as a pretty-printed JSON array, in arrival order, ending with a newline.
pub struct JsonSink<W: Write> {
    out: W,
    first: bool,
    delivered: Delivery,
}

impl<W: Write> JsonSink<W> {
    /// JSON on `out` (pass a buffered writer).
    pub fn new(out: W) -> JsonSink<W> {
        JsonSink {
            out,
            first: true,
            delivered: Delivery::default(),
        }
    }
}

impl<W: Write> Sink for JsonSink<W> {
    fn name(&self) -> String {
        "JSON output".into()
    }

    fn begin(&mut self, _run: &RunInfo<'_>) -> Result<(), SinkError> {
        self.out
            .write_all(b"[")
            .map_err(|e| crate::file_error(self, e.into(), &self.delivered))
    }

    fn write(&mut self, batch: &[ResourceFindings]) -> Result<(), SinkError> {
        let findings: Vec<&Finding> = batch.iter().flat_map(|r| &r.findings).collect();
        if findings.is_empty() {
            return Ok(());
        }
        if self.first {
            self.out
                .write_all(b"\n")
                .map_err(|e| crate::file_error(self, e.into(), &self.delivered))?;
        }
        crate::windowed::write_items(
            &findings,
            b",\n",
            &mut self.first,
            &mut self.out,
            |f, buf| element(f, buf),
        )
        .map_err(|e| crate::file_error(self, e, &self.delivered))?;
        self.delivered.findings += findings.len() as u64;
        Ok(())
    }

    fn finish(&mut self, _summary: &RunSummary) -> Result<Delivery, SinkError> {
        let end: &[u8] = if self.first { b"]\n" } else { b"\n]\n" };
        self.out
            .write_all(end)
            .and_then(|()| self.out.flush())
            .map_err(|e| crate::file_error(self, e.into(), &self.delivered))?;
        Ok(self.delivered.clone())
    }
}

/// One finding as an element of the pretty array, indented as serde_json indents array items.
fn element(finding: &Finding, buf: &mut Vec<u8>) -> serde_json::Result<()> {
    // Findings keep evidence and raw objects as compact text, which serde_json copies
    // verbatim; re-indenting the compact document indents them too, in field order.
    let mut compact = Vec::with_capacity(8192);
    finding.write_json(&mut compact)?;
    crate::json::pretty(&compact, b"  ", buf);
    Ok(())
}

/// Appends compact JSON text `compact` pretty-printed as serde_json's pretty printer writes it
/// (two spaces per level, `": "` after keys, empty arrays and objects as `[]` and `{}`), with
/// every line starting with `indent`. Works on the bytes: strings are copied as they are, so
/// it is exact for any valid compact JSON, and several times faster than parsing and writing
/// the document again.
pub(crate) fn pretty(compact: &[u8], indent: &[u8], buf: &mut Vec<u8>) {
    buf.reserve(compact.len() * 2);
    buf.extend_from_slice(indent);
    let mut depth = 0usize;
    let newline = |buf: &mut Vec<u8>, depth: usize| {
        buf.push(b'\n');
        buf.extend_from_slice(indent);
        for _ in 0..depth {
            buf.extend_from_slice(b"  ");
        }
    };
    let mut i = 0;
    while i < compact.len() {
        let b = compact[i];
        match b {
            b'"' => {
                // Copy the string up to its closing quote, skipping escaped characters.
                // A quote ends the string unless an odd number of backslashes precedes it.
                // Searching for quotes alone keeps long texts full of `\n` at memchr speed.
                let start = i;
                i += 1;
                loop {
                    let rest = compact.get(i..).unwrap_or_default();
                    match memchr::memchr(b'"', rest) {
                        Some(at) => {
                            let quote = i + at;
                            let escapes = compact[start + 1..quote]
                                .iter()
                                .rev()
                                .take_while(|&&b| b == b'\\')
                                .count();
                            if escapes % 2 == 0 {
                                i = quote;
                                break;
                            }
                            i = quote + 1;
                        }
                        None => {
                            i = compact.len();
                            break;
                        }
                    }
                }
                let end = (i + 1).min(compact.len());
                buf.extend_from_slice(&compact[start..end]);
            }
            b'{' | b'[' => {
                let close = if b == b'{' { b'}' } else { b']' };
                if compact.get(i + 1) == Some(&close) {
                    buf.push(b);
                    buf.push(close);
                    i += 1;
                } else {
                    buf.push(b);
                    depth += 1;
                    newline(buf, depth);
                }
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                newline(buf, depth);
                buf.push(b);
            }
            b',' => {
                buf.push(b',');
                newline(buf, depth);
            }
            b':' => buf.extend_from_slice(b": "),
            _ => buf.push(b),
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::{Value, json};

    use crate::{Format, Report, emit};

    #[test]
    fn empty_report_is_an_empty_array() {
        let mut out = Vec::new();
        emit(Format::Json, &Report::default(), &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "[]\n");
    }

    #[test]
    fn streamed_output_equals_serde_json_pretty_printing_of_the_whole_array() {
        // More findings than one window, and a window that ends inside a chunk.
        let report = Report {
            findings: crate::fixtures::scored("cis_k8s", 700, 601),
            ..Report::default()
        };
        let mut out = Vec::new();
        emit(Format::Json, &report, &mut out).unwrap();
        // The whole array transcoded at once (field order kept).
        let compact = serde_json::to_vec(&report.findings).unwrap();
        let mut de = serde_json::Deserializer::from_slice(&compact);
        let mut whole = Vec::new();
        serde_transcode::transcode(&mut de, &mut serde_json::Serializer::pretty(&mut whole))
            .unwrap();
        let expected = format!("{}\n", String::from_utf8(whole).unwrap());
        assert_eq!(String::from_utf8(out).unwrap(), expected);
    }

    fn serde_pretty(value: &Value) -> String {
        serde_json::to_string_pretty(value).unwrap()
    }

    fn ours(value: &Value) -> String {
        let mut buf = Vec::new();
        super::pretty(
            serde_json::to_string(value).unwrap().as_bytes(),
            b"",
            &mut buf,
        );
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn byte_level_pretty_printing_matches_serde_json_on_tricky_strings() {
        for value in [
            json!({"a": "x:y,{z}[w]\"q\\", "b": [], "c": {}, "d": [1, [2, {}], {"e": null}]}),
            json!("\\\\\"\u{1}\u{2028}é"),
            json!([[], [[]], {"": ""}]),
            json!(-1.5e300),
        ] {
            assert_eq!(ours(&value), serde_pretty(&value), "{value}");
        }
    }

    fn arbitrary_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            "[ -~\\\\\"\u{0}-\u{1f}é€]{0,8}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::btree_map("[a-z:,\"{}]{0,4}", inner, 0..5)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn byte_level_pretty_printing_matches_serde_json(value in arbitrary_json()) {
            prop_assert_eq!(ours(&value), serde_pretty(&value));
        }
    }
}
