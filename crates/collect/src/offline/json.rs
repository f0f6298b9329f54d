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
        while let Some(key) = access.next_key::<String>()? {
            // Checked before the value is read, so the error's line is the key's.
            if map.contains_key(&key) {
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

/// A top-level document: a map whose `items` array is streamed element by element. With
/// `PARALLEL`, the items are first split as raw text and then parsed on all cores; errors are
/// then reported without their exact line, so a document that fails is parsed again serially
/// (see [`parse_stream`]).
struct TopDoc<const PARALLEL: bool> {
    value: Value,
    items: Option<Vec<Item>>,
}

impl<'de, const PARALLEL: bool> Deserialize<'de> for TopDoc<PARALLEL> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TopVisitor::<PARALLEL>)
    }
}

struct TopVisitor<const PARALLEL: bool>;

impl<'de, const PARALLEL: bool> Visitor<'de> for TopVisitor<PARALLEL> {
    type Value = TopDoc<PARALLEL>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON document")
    }
    fn visit_bool<E>(self, v: bool) -> Result<TopDoc<PARALLEL>, E> {
        Ok(whole(Value::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<TopDoc<PARALLEL>, E> {
        Ok(whole(Value::from(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<TopDoc<PARALLEL>, E> {
        Ok(whole(Value::from(v)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<TopDoc<PARALLEL>, E> {
        StrictVisitor.visit_f64(v).map(whole::<PARALLEL>)
    }
    fn visit_str<E>(self, v: &str) -> Result<TopDoc<PARALLEL>, E> {
        Ok(whole(Value::String(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<TopDoc<PARALLEL>, E> {
        Ok(whole(Value::String(v)))
    }
    fn visit_unit<E>(self) -> Result<TopDoc<PARALLEL>, E> {
        Ok(whole(Value::Null))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<TopDoc<PARALLEL>, A::Error> {
        StrictVisitor.visit_seq(seq).map(whole::<PARALLEL>)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<TopDoc<PARALLEL>, A::Error> {
        let mut map = Map::new();
        let mut seen = HashSet::new();
        let mut items = None;
        while let Some(key) = access.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(de::Error::custom(format_args!("duplicate key `{key}`")));
            }
            if key == "items" {
                match access.next_value_seed(ItemsSeed::<PARALLEL>)? {
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

fn whole<const PARALLEL: bool>(value: Value) -> TopDoc<PARALLEL> {
    TopDoc { value, items: None }
}

enum Items {
    Streamed(Vec<Item>),
    Other(Value),
}

struct ItemsSeed<const PARALLEL: bool>;

impl<'de, const PARALLEL: bool> DeserializeSeed<'de> for ItemsSeed<PARALLEL> {
    type Value = Items;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Items, D::Error> {
        d.deserialize_any(ItemsVisitor::<PARALLEL>)
    }
}

struct ItemsVisitor<const PARALLEL: bool>;

impl<'de, const PARALLEL: bool> Visitor<'de> for ItemsVisitor<PARALLEL> {
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
        if PARALLEL {
            // Split first (syntax is checked here, with exact lines), then parse, sanitise and
            // compact the items on all cores.
            let mut raws: Vec<&'de serde_json::value::RawValue> = Vec::new();
            while let Some(raw) = seq.next_element()? {
                raws.push(raw);
            }
            use rayon::prelude::*;
            let parsed: Vec<serde_json::Result<Item>> = raws
                .par_iter()
                .map(|raw| serde_json::from_str::<Strict>(raw.get()).map(|Strict(v)| item(v)))
                .collect();
            for result in parsed {
                items.push(result.map_err(de::Error::custom)?);
            }
        } else {
            while let Some(Strict(v)) = seq.next_element()? {
                items.push(item(v));
            }
        }
        Ok(Items::Streamed(items))
    }
}

/// A list element: a Kubernetes object (it has `kind` and `apiVersion`) is sanitised and kept
/// as identity plus compact text; anything else stays whole.
fn item(mut v: Value) -> Item {
    let is_object = |v: &Value, k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .is_some_and(|s| !s.is_empty())
    };
    let kind = v.get("kind").and_then(Value::as_str).unwrap_or_default();
    if is_object(&v, "kind") && is_object(&v, "apiVersion") && !kind.ends_with("List") {
        crate::sanitize::sanitize(&mut v);
        Item::Compact(kspm_model::k8s_identity(&v), Arc::new(RawJson::new(&v)))
    } else {
        Item::Whole(v)
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
    match parse_stream_as::<true>(text) {
        // The parallel pass reports an error inside a list item at the end of the list; the
        // serial pass finds its exact line (errors are rare, so reading twice costs little).
        (_, Some(_)) => parse_stream_as::<false>(text),
        ok => ok,
    }
}

fn parse_stream_as<const PARALLEL: bool>(text: &str) -> (Vec<JsonDoc>, Option<JsonError>) {
    let mut docs = Vec::new();
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<TopDoc<PARALLEL>>();
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
    fn duplicate_key_inside_a_list_item_names_the_line_of_the_key() {
        let text = "{\"kind\": \"List\", \"apiVersion\": \"v1\", \"items\": [\n {\"kind\": \"Pod\", \"apiVersion\": \"v1\", \"metadata\": {\"name\": \"a\"}},\n {\"kind\": \"Pod\", \"apiVersion\": \"v1\",\n  \"kind\": \"Pod\"}\n]}";
        let (docs, err) = parse_stream(text);
        assert!(docs.is_empty());
        let err = err.unwrap();
        assert_eq!((err.document, err.line), (0, 4));
        assert!(
            err.message.contains("duplicate key `kind`"),
            "{}",
            err.message
        );
    }

    #[test]
    fn list_items_read_in_parallel_equal_the_serial_reading() {
        let pod = |i: usize| {
            format!(
                "{{\"kind\": \"Pod\", \"apiVersion\": \"v1\", \"metadata\": {{\"name\": \"p{i}\", \"annotations\": null}}, \"spec\": {{\"containers\": [{{\"name\": \"c\", \"env\": [{{\"name\": \"PASSWORD\", \"value\": \"x\"}}]}}]}}}}"
            )
        };
        let items: Vec<String> = (0..50)
            .map(pod)
            .chain(["[1, 2]".to_owned(), "{\"a\": 1}".to_owned()])
            .collect();
        let text = format!(
            "{{\"kind\": \"PodList\", \"apiVersion\": \"v1\", \"items\": [{}]}}",
            items.join(",\n")
        );
        let summary = |docs: Vec<JsonDoc>| -> Vec<String> {
            docs.into_iter()
                .flat_map(|d| d.items.unwrap_or_default())
                .map(|item| match item {
                    Item::Compact(identity, raw) => format!("{identity} {}", raw.as_str()),
                    Item::Whole(v) => v.to_string(),
                })
                .collect()
        };
        let (parallel, e1) = parse_stream_as::<true>(&text);
        let (serial, e2) = parse_stream_as::<false>(&text);
        assert!(e1.is_none() && e2.is_none());
        let (parallel, serial) = (summary(parallel), summary(serial));
        assert_eq!(parallel.len(), 52);
        assert_eq!(parallel, serial);
    }

    #[test]
    fn deep_nesting_inside_list_items_is_an_error_not_a_stack_overflow() {
        let nested = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let text = format!("{{\"kind\": \"List\", \"apiVersion\": \"v1\", \"items\": [{nested}]}}");
        let (docs, err) = parse_stream(&text);
        assert!(docs.is_empty());
        assert!(err.unwrap().message.contains("recursion limit"));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let text = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let (_, err) = parse_stream(&text);
        assert!(err.unwrap().message.contains("recursion limit"));
    }
}
