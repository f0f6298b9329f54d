//! A finding as a bulk item: the action line and the document, which is exactly the finding
//! document of `kspm scan -o ndjson` (the same serialisation), so what Elasticsearch holds
//! equals what the file formats write.

use kspm_model::Finding;

use super::config::Target;

/// The document id of a finding: its (cluster, resource, rule) slot and its cycle, so that
/// each cycle keeps its own document in a data stream and a retry of the same cycle never
/// makes a second one.
pub fn document_id(finding: &Finding) -> String {
    format!("{}-{}", finding.event.id, finding.event.sequence)
}

/// Appends the action line and the document of `finding`, each ending with a newline.
pub(crate) fn encode(
    finding: &Finding,
    target: &Target,
    buf: &mut Vec<u8>,
) -> serde_json::Result<()> {
    let action = serde_json::json!({ target.op(): {"_id": document_id(finding)} });
    serde_json::to_writer(&mut *buf, &action)?;
    buf.push(b'\n');
    finding.write_json(buf)?;
    buf.push(b'\n');
    Ok(())
}

/// One item of an encoded bulk body: its id, operation and the byte range of its two lines.
#[derive(Debug, Clone)]
pub(crate) struct Item {
    pub id: String,
    pub op: String,
    pub range: std::ops::Range<usize>,
}

/// Splits an encoded body (as [`encode`] writes it, possibly read back from the spool) into
/// items.
pub(crate) fn items(body: &[u8]) -> Vec<Item> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < body.len() {
        let Some(action_end) = memchr::memchr(b'\n', &body[start..]).map(|i| start + i) else {
            break;
        };
        let doc_end = memchr::memchr(b'\n', &body[action_end + 1..])
            .map(|i| action_end + 1 + i)
            .unwrap_or(body.len() - 1);
        let action: serde_json::Value =
            serde_json::from_slice(&body[start..action_end]).unwrap_or_default();
        let (op, id) = action
            .as_object()
            .and_then(|o| o.iter().next())
            .map(|(op, meta)| {
                (
                    op.clone(),
                    meta["_id"].as_str().unwrap_or_default().to_string(),
                )
            })
            .unwrap_or_default();
        out.push(Item {
            id,
            op,
            range: start..doc_end + 1,
        });
        start = doc_end + 1;
    }
    out
}
