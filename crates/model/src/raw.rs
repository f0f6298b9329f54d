use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

/// A JSON value kept as its compact text. Findings hold evidence this way: a few hundred bytes
/// each instead of a tree of maps, which matters at a hundred thousand findings.
///
/// It serialises as the value it holds, verbatim (serde_json only), and deserialises from any
/// JSON value, stored compact.
#[derive(Clone)]
pub struct RawJson(Box<RawValue>);

impl Serialize for RawJson {
    /// Written as stored: serde_json (and its `to_value`) copy the text verbatim, with no
    /// re-parsing, which is what keeps NDJSON output of a hundred thousand findings cheap.
    /// Pretty output shows these values on one line.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for RawJson {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<RawJson, D::Error> {
        Value::deserialize(deserializer).map(|v| RawJson::new(&v))
    }
}

impl RawJson {
    /// Serialises any value (falls back to `null` for values JSON cannot hold).
    pub fn new<T: Serialize + ?Sized>(value: &T) -> RawJson {
        let raw = serde_json::value::to_raw_value(value)
            .unwrap_or_else(|_| RawValue::from_string("null".into()).expect("null is JSON"));
        RawJson(raw)
    }

    /// The compact JSON text.
    pub fn as_str(&self) -> &str {
        self.0.get()
    }

    /// Parses the text back into a value.
    pub fn to_value(&self) -> Value {
        serde_json::from_str(self.0.get()).unwrap_or(Value::Null)
    }

    /// True for `null`, `{}` and `[]`.
    pub fn is_empty(&self) -> bool {
        matches!(self.as_str(), "null" | "{}" | "[]")
    }
}

impl From<&Value> for RawJson {
    fn from(value: &Value) -> RawJson {
        RawJson::new(value)
    }
}

impl From<Value> for RawJson {
    fn from(value: Value) -> RawJson {
        RawJson::new(&value)
    }
}

impl PartialEq for RawJson {
    fn eq(&self, other: &RawJson) -> bool {
        self.as_str() == other.as_str()
    }
}

impl fmt::Debug for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl schemars::JsonSchema for RawJson {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "AnyValue".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::Schema::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn raw_json_round_trips_and_serialises_verbatim() {
        let v = json!({"containers": [{"name": "a", "privileged": true}]});
        let raw = RawJson::from(&v);
        assert_eq!(raw.to_value(), v);
        assert_eq!(
            raw.as_str(),
            r#"{"containers":[{"name":"a","privileged":true}]}"#
        );
        let doc = serde_json::to_string(&json!({"evidence": serde_json::to_value(&raw).unwrap()}))
            .unwrap();
        assert_eq!(
            doc,
            r#"{"evidence":{"containers":[{"name":"a","privileged":true}]}}"#
        );
        assert!(RawJson::from(json!({})).is_empty());
        assert!(!raw.is_empty());
    }
}
