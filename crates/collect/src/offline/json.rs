//! JSON documents (one or several concatenated), refusing duplicate keys.

use std::collections::HashSet;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// A JSON value whose objects had no duplicate keys.
struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(Strict(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        let mut seen = HashSet::new();
        while let Some(key) = access.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(de::Error::custom(format_args!("duplicate key `{key}`")));
            }
            let Strict(v) = access.next_value()?;
            map.insert(key, v);
        }
        Ok(Value::Object(map))
    }
}

/// One parsed JSON document and its one-based start line.
pub struct JsonDoc {
    /// The value.
    pub value: Value,
    /// Line where the document starts.
    pub line: usize,
}

/// A JSON error with its one-based line.
pub struct JsonError {
    /// Zero-based index of the document that failed.
    pub document: usize,
    /// One-based line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Parses a stream of JSON documents. Stops at the first error (a JSON stream cannot be
/// re-synchronised), returning the documents read before it.
pub fn parse_stream(text: &str) -> (Vec<JsonDoc>, Option<JsonError>) {
    let mut docs = Vec::new();
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Strict>();
    let mut offset = 0;
    loop {
        let start = offset + text[offset..].len() - text[offset..].trim_start().len();
        let line = 1 + text[..start].matches('\n').count();
        match stream.next() {
            None => return (docs, None),
            Some(Ok(Strict(value))) => {
                docs.push(JsonDoc { value, line });
                offset = stream.byte_offset();
            }
            Some(Err(e)) => {
                let message = e.to_string();
                let message = message
                    .split(" at line ")
                    .next()
                    .unwrap_or(&message)
                    .to_owned();
                let document = docs.len();
                return (
                    docs,
                    Some(JsonError {
                        document,
                        line: e.line().max(1),
                        message,
                    }),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concatenated_documents_are_all_read_with_lines() {
        let (docs, err) = parse_stream("{\"a\": 1}\n\n{\"b\": 2}\n[1]");
        assert!(err.is_none());
        assert_eq!(
            docs.iter().map(|d| d.line).collect::<Vec<_>>(),
            vec![1, 3, 4]
        );
    }

    #[test]
    fn duplicate_keys_are_refused_with_line() {
        let (docs, err) = parse_stream("{\"a\": 1}\n{\"x\": 1,\n \"x\": 2}");
        assert_eq!(docs.len(), 1);
        let err = err.unwrap();
        assert_eq!(err.document, 1);
        assert_eq!(err.line, 3);
        assert!(err.message.contains("duplicate key `x`"), "{}", err.message);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let text = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let (_, err) = parse_stream(&text);
        assert!(err.unwrap().message.contains("recursion limit"));
    }
}
