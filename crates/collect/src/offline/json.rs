//! JSON documents (one or several concatenated), refusing duplicate keys.

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use kspm_model::RawJson;
use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
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
    /// The value. For a `*List` document whose items were streamed, without `items`.
    pub value: Value,
    /// The items of a `*List` document, each kept compact as soon as it was read, so that a
    /// snapshot of ten thousand pods never exists as one tree.
    pub items: Option<Vec<Item>>,
    /// Line where the document starts.
    pub line: usize,
}

/// One element of a streamed `items` array.
pub enum Item {
    /// A sanitised Kubernetes object (it has `kind` and `apiVersion`): identity and text.
    Compact(Value, Arc<RawJson>),
    /// Anything else, left whole (raw API list items without `kind`, nested lists, scalars).
    Whole(Value),
}

impl Item {
    fn into_value(self) -> Value {
        match self {
            Item::Compact(_, raw) => raw.to_value(),
            Item::Whole(v) => v,
        }
    }
}

/// A top-level document: a map whose `items` array is streamed element by element.
struct TopDoc {
    value: Value,
    items: Option<Vec<Item>>,
}

impl<'de> Deserialize<'de> for TopDoc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TopVisitor)
    }
}

struct TopVisitor;

impl<'de> Visitor<'de> for TopVisitor {
    type Value = TopDoc;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON document")
    }
    fn visit_bool<E>(self, v: bool) -> Result<TopDoc, E> {
        Ok(whole(Value::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<TopDoc, E> {
        Ok(whole(Value::from(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<TopDoc, E> {
        Ok(whole(Value::from(v)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<TopDoc, E> {
        StrictVisitor.visit_f64(v).map(whole)
    }
    fn visit_str<E>(self, v: &str) -> Result<TopDoc, E> {
        Ok(whole(Value::String(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<TopDoc, E> {
        Ok(whole(Value::String(v)))
    }
    fn visit_unit<E>(self) -> Result<TopDoc, E> {
        Ok(whole(Value::Null))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<TopDoc, A::Error> {
        StrictVisitor.visit_seq(seq).map(whole)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<TopDoc, A::Error> {
        let mut map = Map::new();
        let mut seen = HashSet::new();
        let mut items = None;
        while let Some(key) = access.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(de::Error::custom(format_args!("duplicate key `{key}`")));
            }
            if key == "items" {
                match access.next_value_seed(ItemsSeed)? {
                    Items::Streamed(list) => items = Some(list),
                    Items::Other(v) => {
                        map.insert(key, v);
                    }
                }
            } else {
                let Strict(v) = access.next_value()?;
                map.insert(key, v);
            }
        }
        let is_list = map
            .get("kind")
            .and_then(Value::as_str)
            .is_some_and(|k| k.ends_with("List"));
        if !is_list && let Some(list) = items.take() {
            // Not a list after all: give the object its `items` back as they were read.
            let values = list.into_iter().map(Item::into_value).collect();
            map.insert("items".into(), Value::Array(values));
        }
        Ok(TopDoc {
            value: Value::Object(map),
            items,
        })
    }
}

fn whole(value: Value) -> TopDoc {
    TopDoc { value, items: None }
}

enum Items {
    Streamed(Vec<Item>),
    Other(Value),
}

struct ItemsSeed;

impl<'de> DeserializeSeed<'de> for ItemsSeed {
    type Value = Items;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Items, D::Error> {
        d.deserialize_any(ItemsVisitor)
    }
}

struct ItemsVisitor;

impl<'de> Visitor<'de> for ItemsVisitor {
    type Value = Items;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Items, E> {
        Ok(Items::Other(Value::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Items, E> {
        Ok(Items::Other(Value::from(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Items, E> {
        Ok(Items::Other(Value::from(v)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Items, E> {
        StrictVisitor.visit_f64(v).map(Items::Other)
    }
    fn visit_str<E>(self, v: &str) -> Result<Items, E> {
        Ok(Items::Other(Value::String(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Items, E> {
        Ok(Items::Other(Value::String(v)))
    }
    fn visit_unit<E>(self) -> Result<Items, E> {
        Ok(Items::Other(Value::Null))
    }
    fn visit_map<A: MapAccess<'de>>(self, access: A) -> Result<Items, A::Error> {
        StrictVisitor.visit_map(access).map(Items::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Items, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(Strict(mut v)) = seq.next_element()? {
            let is_object = |v: &Value, k: &str| {
                v.get(k)
                    .and_then(Value::as_str)
                    .is_some_and(|s| !s.is_empty())
            };
            let kind = v.get("kind").and_then(Value::as_str).unwrap_or_default();
            if is_object(&v, "kind") && is_object(&v, "apiVersion") && !kind.ends_with("List") {
                crate::sanitize::sanitize(&mut v);
                items.push(Item::Compact(
                    kspm_model::k8s_identity(&v),
                    Arc::new(RawJson::new(&v)),
                ));
            } else {
                items.push(Item::Whole(v));
            }
        }
        Ok(Items::Streamed(items))
    }
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
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<TopDoc>();
    let mut offset = 0;
    loop {
        let start = offset + text[offset..].len() - text[offset..].trim_start().len();
        let line = 1 + text[..start].matches('\n').count();
        match stream.next() {
            None => return (docs, None),
            Some(Ok(TopDoc { value, items })) => {
                docs.push(JsonDoc { value, items, line });
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
