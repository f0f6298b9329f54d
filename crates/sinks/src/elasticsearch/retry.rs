//! Reading a bulk answer item by item: a 200 can still hold per-document failures. Each item
//! is done (created, updated, or already there from an earlier attempt), to be tried again
//! (429, 5xx), or rejected for good (a mapping conflict, a validation error) with its reason.

use serde_json::Value;

/// A document the cluster refused for good.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The document id.
    pub id: String,
    /// The item's status.
    pub status: u16,
    /// `error.type` (`document_parsing_exception`, …).
    pub kind: String,
    /// `error.reason`.
    pub reason: String,
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "document {}: {} {}: {}",
            self.id, self.status, self.kind, self.reason
        )
    }
}

/// What became of one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ItemOutcome {
    /// Stored by this attempt.
    Stored,
    /// A `create` of an id that is already there: stored by an earlier attempt.
    AlreadyStored,
    /// May pass: send it again.
    Retry,
    /// Refused for good.
    Rejected(Rejection),
}

/// The outcome of every item of a bulk answer, in request order; `None` for an answer that
/// does not have one item per request item.
pub(crate) fn read(answer: &Value, ids: &[(&str, &str)]) -> Option<Vec<ItemOutcome>> {
    let items = answer["items"].as_array()?;
    if items.len() != ids.len() {
        return None;
    }
    let outcomes = items
        .iter()
        .zip(ids)
        .map(|(item, (id, op))| {
            let result = item
                .as_object()
                .and_then(|o| o.values().next())
                .cloned()
                .unwrap_or_default();
            let status = result["status"].as_u64().unwrap_or(0) as u16;
            match status {
                200..=299 => ItemOutcome::Stored,
                409 if *op == "create" => ItemOutcome::AlreadyStored,
                429 | 500..=599 => ItemOutcome::Retry,
                _ => ItemOutcome::Rejected(Rejection {
                    id: result["_id"].as_str().unwrap_or(id).to_string(),
                    status,
                    kind: result["error"]["type"]
                        .as_str()
                        .unwrap_or("unknown")
                        .to_string(),
                    reason: result["error"]["reason"]
                        .as_str()
                        .unwrap_or("no reason given")
                        .to_string(),
                }),
            }
        })
        .collect();
    Some(outcomes)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn items_are_classified_by_status_and_operation() {
        let answer = json!({"errors": true, "items": [
            {"create": {"_id": "a", "status": 201}},
            {"create": {"_id": "b", "status": 409, "error": {"type": "version_conflict_engine_exception", "reason": "exists"}}},
            {"create": {"_id": "c", "status": 429, "error": {"type": "es_rejected_execution_exception", "reason": "busy"}}},
            {"create": {"_id": "d", "status": 503, "error": {"type": "unavailable_shards_exception", "reason": "down"}}},
            {"create": {"_id": "e", "status": 400, "error": {"type": "document_parsing_exception", "reason": "bad field"}}},
            {"index": {"_id": "f", "status": 409, "error": {"type": "version_conflict_engine_exception", "reason": "seq_no"}}},
        ]});
        let ids = [
            ("a", "create"),
            ("b", "create"),
            ("c", "create"),
            ("d", "create"),
            ("e", "create"),
            ("f", "index"),
        ];
        let outcomes = read(&answer, &ids).unwrap();
        assert_eq!(outcomes[0], ItemOutcome::Stored);
        assert_eq!(outcomes[1], ItemOutcome::AlreadyStored);
        assert_eq!(outcomes[2], ItemOutcome::Retry);
        assert_eq!(outcomes[3], ItemOutcome::Retry);
        assert!(
            matches!(&outcomes[4], ItemOutcome::Rejected(r) if r.id == "e" && r.kind == "document_parsing_exception")
        );
        assert!(matches!(&outcomes[5], ItemOutcome::Rejected(r) if r.status == 409));
        assert!(read(&answer, &ids[..2]).is_none());
    }
}
