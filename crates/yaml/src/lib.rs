//! kspm-yaml: YAML documents to JSON values, resolving plain scalars the way the Kubernetes tool chain does.
//!
//! `kubectl` and the API server read YAML through a YAML 1.1 decoder: a plain `0600` is the
//! octal number 384, `on`/`no`/`y` are booleans and `1e3` is the number 1000. A YAML 1.2 reader
//! would see `0600` as 600 and `on` as a string, so `privileged: on` would quietly look
//! unprivileged to kspm while the cluster runs it privileged. This module applies the 1.1
//! resolution to plain (unquoted) scalars only; quoted scalars are always strings.
//!
//! Also enforced here: duplicate keys are an error (naming both lines), nesting depth and alias
//! expansion are bounded, and the start line of every item of a top-level `items` list is kept
//! so that objects unwrapped from a `kind: List` can be reported precisely.
//!
//! Alias expansion draws on an [`AliasBudget`] that the caller may share between documents: a
//! file of many documents that each stay just under a per-document limit still cannot expand
//! without end, because the budget belongs to the file (or the whole run), not to a document.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span, Tag};
use serde_json::{Map, Number, Value};

/// Deepest nesting accepted (Kubernetes objects stay far below).
pub const MAX_DEPTH: usize = 200;
/// Most values a document may expand to through aliases, when it has a budget of its own
/// ([`parse_document`]).
pub const MAX_ALIAS_NODES: usize = 1_000_000;

/// How many values aliases may still expand to, shared by every document parsed with it.
///
/// Each alias costs the number of values it stands for. The document whose alias would overdraw
/// the budget fails with an error; a budget is never refilled, so the documents after it can
/// only use what is left, and a file's expansion stays bounded however many documents it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AliasBudget {
    limit: usize,
    spent: usize,
    holder: &'static str,
}

impl AliasBudget {
    /// A budget of `limit` values for `holder`, named in errors ("this document", "this file",
    /// "this run").
    pub fn new(limit: usize, holder: &'static str) -> AliasBudget {
        AliasBudget {
            limit,
            spent: 0,
            holder,
        }
    }

    /// The values spent so far.
    pub fn spent(&self) -> usize {
        self.spent
    }

    /// The values still available.
    pub fn remaining(&self) -> usize {
        self.limit - self.spent
    }

    /// The budget this one started with.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Whose budget it is, as named in errors.
    pub fn holder(&self) -> &'static str {
        self.holder
    }

    /// Takes `values` from the budget, or nothing when fewer are left.
    pub fn spend(&mut self, values: usize) -> Result<(), AliasOverdraw> {
        if values > self.remaining() {
            return Err(AliasOverdraw {
                limit: self.limit,
                holder: self.holder,
            });
        }
        self.spent += values;
        Ok(())
    }
}

/// An alias would expand past its [`AliasBudget`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AliasOverdraw {
    /// The budget that was overdrawn.
    pub limit: usize,
    /// Whose budget it is.
    pub holder: &'static str,
}

impl std::fmt::Display for AliasOverdraw {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "alias expansion exceeds budget: aliases would expand to more than the {} values \
             allowed for {} (alias bomb?); document not read",
            self.limit, self.holder
        )
    }
}

/// A parsed YAML document.
#[derive(Debug)]
pub struct YamlDoc {
    /// The document's value; `None` for an empty or comment-only document.
    pub value: Option<Value>,
    /// One-based start lines of the items of a top-level `items` sequence.
    pub item_lines: Vec<usize>,
}

/// Why a document could not be read, with its one-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    /// One-based line in the text handed to [`parse_document`].
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl From<ScanError> for YamlError {
    fn from(e: ScanError) -> Self {
        YamlError {
            line: e.marker().line(),
            message: e.info().to_owned(),
        }
    }
}

enum Frame {
    Seq {
        items: Vec<Value>,
        anchor: usize,
    },
    Map {
        map: Map<String, Value>,
        lines: HashMap<String, usize>,
        key: Option<(String, usize)>,
        merges: Vec<Value>,
        anchor: usize,
        line: usize,
    },
}

/// Parses one YAML document (the caller splits the stream on `---`), with an alias budget of
/// [`MAX_ALIAS_NODES`] of its own.
pub fn parse_document(text: &str) -> Result<YamlDoc, YamlError> {
    parse_document_within(
        text,
        &mut AliasBudget::new(MAX_ALIAS_NODES, "this document"),
    )
}

/// Parses one YAML document, its alias expansion drawn from `budget` (shared by the documents
/// of a file, say). A document that would overdraw the budget fails; what its earlier aliases
/// took stays spent.
pub fn parse_document_within(text: &str, budget: &mut AliasBudget) -> Result<YamlDoc, YamlError> {
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, (Value, usize)> = HashMap::new();
    let mut root: Option<Value> = None;
    let mut item_lines = Vec::new();
    let mut seen_document = false;

    while let Some(next) = parser.next_event() {
        let (event, span): (Event<'_>, Span) = next?;
        let line = span.start.line();
        let finished: Option<(Value, usize)> = match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing | Event::DocumentEnd => None,
            Event::DocumentStart(_) => {
                if seen_document {
                    return Err(YamlError {
                        line,
                        message: "unexpected second document (split on `---` first)".into(),
                    });
                }
                seen_document = true;
                None
            }
            Event::SequenceStart(anchor, _) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(YamlError {
                        line,
                        message: format!("nesting deeper than {MAX_DEPTH} levels"),
                    });
                }
                stack.push(Frame::Seq {
                    items: Vec::new(),
                    anchor,
                });
                None
            }
            Event::MappingStart(anchor, _) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(YamlError {
                        line,
                        message: format!("nesting deeper than {MAX_DEPTH} levels"),
                    });
                }
                if is_top_level_items(&stack) {
                    item_lines.push(line);
                }
                stack.push(Frame::Map {
                    map: Map::new(),
                    lines: HashMap::new(),
                    key: None,
                    merges: Vec::new(),
                    anchor,
                    line,
                });
                None
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq { items, anchor, .. }) => Some((Value::Array(items), anchor)),
                _ => {
                    return Err(YamlError {
                        line,
                        message: "unbalanced sequence end".into(),
                    });
                }
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map {
                    mut map,
                    merges,
                    anchor,
                    key,
                    line: start,
                    ..
                }) => {
                    if let Some((k, _)) = key {
                        return Err(YamlError {
                            line: start,
                            message: format!("key `{k}` has no value"),
                        });
                    }
                    apply_merges(&mut map, merges, line)?;
                    Some((Value::Object(map), anchor))
                }
                _ => {
                    return Err(YamlError {
                        line,
                        message: "unbalanced mapping end".into(),
                    });
                }
            },
            Event::Scalar(text, style, anchor, tag) => {
                Some((resolve_scalar(&text, style, tag.as_deref(), line)?, anchor))
            }
            Event::Alias(id) => {
                let (value, size) = anchors.get(&id).cloned().ok_or_else(|| YamlError {
                    line,
                    message: "alias to an unknown anchor".into(),
                })?;
                budget.spend(size).map_err(|overdraw| YamlError {
                    line,
                    message: overdraw.to_string(),
                })?;
                Some((value, 0))
            }
        };
        if let Some((value, anchor)) = finished {
            if anchor != 0 {
                let size = count_nodes(&value);
                anchors.insert(anchor, (value.clone(), size));
            }
            push_value(&mut stack, &mut root, value, line)?;
        }
    }
    Ok(YamlDoc {
        value: root,
        item_lines,
    })
}

/// True when the next mapping opened is an element of the root mapping's `items` sequence.
fn is_top_level_items(stack: &[Frame]) -> bool {
    matches!(stack, [Frame::Map { key: Some((k, _)), .. }, Frame::Seq { .. }] if k == "items")
}

fn push_value(
    stack: &mut [Frame],
    root: &mut Option<Value>,
    value: Value,
    line: usize,
) -> Result<(), YamlError> {
    match stack.last_mut() {
        None => *root = Some(value),
        Some(Frame::Seq { items, .. }) => items.push(value),
        Some(Frame::Map {
            map,
            lines,
            key,
            merges,
            ..
        }) => match key.take() {
            None => {
                let k = match value {
                    Value::String(s) => s,
                    Value::Bool(_) | Value::Number(_) | Value::Null => value.to_string(),
                    _ => {
                        return Err(YamlError {
                            line,
                            message: "mapping keys must be scalars".into(),
                        });
                    }
                };
                *key = Some((k, line));
            }
            Some((k, key_line)) => {
                if k == "<<" {
                    merges.push(value);
                } else {
                    if let Some(first) = lines.get(&k) {
                        return Err(YamlError {
                            line: key_line,
                            message: format!("duplicate key `{k}` (first defined on line {first})"),
                        });
                    }
                    lines.insert(k.clone(), key_line);
                    map.insert(k, value);
                }
            }
        },
    }
    Ok(())
}

/// `<<: *base` merge keys (YAML 1.1): keys written in the mapping itself win.
fn apply_merges(
    map: &mut Map<String, Value>,
    merges: Vec<Value>,
    line: usize,
) -> Result<(), YamlError> {
    for merge in merges {
        let sources = match merge {
            Value::Array(items) => items,
            other => vec![other],
        };
        for source in sources {
            let Value::Object(entries) = source else {
                return Err(YamlError {
                    line,
                    message: "merge key `<<` needs a mapping or a list of mappings".into(),
                });
            };
            for (k, v) in entries {
                map.entry(k).or_insert(v);
            }
        }
    }
    Ok(())
}

fn count_nodes(value: &Value) -> usize {
    match value {
        Value::Array(a) => 1 + a.iter().map(count_nodes).sum::<usize>(),
        Value::Object(m) => 1 + m.values().map(count_nodes).sum::<usize>(),
        _ => 1,
    }
}

fn resolve_scalar(
    text: &str,
    style: ScalarStyle,
    tag: Option<&Tag>,
    line: usize,
) -> Result<Value, YamlError> {
    if let Some(tag) = tag.filter(|t| t.handle == "tag:yaml.org,2002:" || t.handle == "!!") {
        let bad = |what: &str| YamlError {
            line,
            message: format!("`{text}` is not a valid {what}"),
        };
        return match tag.suffix.as_str() {
            "str" | "binary" | "timestamp" => Ok(Value::String(text.to_string())),
            "null" => Ok(Value::Null),
            "bool" => plain_bool(text)
                .map(Value::Bool)
                .ok_or_else(|| bad("boolean")),
            "int" => plain_int(text).ok_or_else(|| bad("integer")),
            "float" => plain_int(text)
                .or_else(|| plain_float(text))
                .ok_or_else(|| bad("float")),
            _ => Ok(resolve_plain(text)),
        };
    }
    Ok(match style {
        ScalarStyle::Plain => resolve_plain(text),
        _ => Value::String(text.to_string()),
    })
}

/// YAML 1.1 resolution of a plain scalar, as Kubernetes' YAML decoder applies it.
pub fn resolve_plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        _ => {}
    }
    if let Some(b) = plain_bool(text) {
        return Value::Bool(b);
    }
    if let Some(n) = plain_int(text) {
        return n;
    }
    if let Some(f) = plain_float(text) {
        return f;
    }
    Value::String(text.to_owned())
}

fn plain_bool(text: &str) -> Option<bool> {
    match text {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            Some(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            Some(false)
        }
        _ => None,
    }
}

/// Integers with Go's base prefixes: `0x1F`, `0o17`, `0b101`, and a leading `0` for octal.
fn plain_int(text: &str) -> Option<Value> {
    let cleaned: String = text.chars().filter(|&c| c != '_').collect();
    let (negative, digits) = match cleaned.as_bytes().first()? {
        b'-' => (true, &cleaned[1..]),
        b'+' => (false, &cleaned[1..]),
        _ => (false, cleaned.as_str()),
    };
    if digits.is_empty() {
        return None;
    }
    let lower = digits.to_ascii_lowercase();
    let (radix, body) = if let Some(rest) = lower.strip_prefix("0x") {
        (16, rest)
    } else if let Some(rest) = lower.strip_prefix("0o") {
        (8, rest)
    } else if let Some(rest) = lower.strip_prefix("0b") {
        (2, rest)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    if body.is_empty() || !body.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = u64::from_str_radix(body, radix).ok()?;
    if negative {
        let v = i64::try_from(magnitude)
            .ok()
            .map(|m| -m)
            .or_else(|| (magnitude == 1u64 << 63).then_some(i64::MIN))?;
        Some(Value::Number(Number::from(v)))
    } else {
        Some(Value::Number(Number::from(magnitude)))
    }
}

/// Floats shaped like `1.5`, `.5`, `1e3`, `-2.5E-3` (no inf/nan: JSON cannot carry them).
fn plain_float(text: &str) -> Option<Value> {
    let s = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => {
            (int.is_empty() && !frac.is_empty() && frac.bytes().all(|b| b.is_ascii_digit()))
                || (!int.is_empty()
                    && int.bytes().all(|b| b.is_ascii_digit())
                    && frac.bytes().all(|b| b.is_ascii_digit()))
        }
        None => !mantissa.is_empty() && mantissa.bytes().all(|b| b.is_ascii_digit()),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
    });
    if !(mantissa_ok && exponent_ok) {
        return None;
    }
    let f: f64 = text.parse().ok()?;
    // Whole numbers written without a dot stay integers in JSON (1e3 -> 1000), as Kubernetes'
    // decoder turns them into integer fields.
    if !mantissa.contains('.') && f.fract() == 0.0 && f.abs() < 9.0e15 {
        return Some(Value::Number(Number::from(f as i64)));
    }
    Number::from_f64(f).map(Value::Number)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(text: &str) -> Value {
        parse_document(text).unwrap().value.unwrap()
    }

    #[test]
    fn yaml_1_1_traps_resolve_as_kubernetes_reads_them() {
        let v = parse(
            "mode: 0600\nprivileged: on\nenabled: no\nyes_short: y\nreplicas: 1e3\nhex: 0x1F\nname: nginx\n",
        );
        assert_eq!(v["mode"], json!(384), "a plain 0600 is octal in YAML 1.1");
        assert_eq!(v["privileged"], json!(true), "`on` is a boolean");
        assert_eq!(v["enabled"], json!(false), "`no` is a boolean");
        assert_eq!(v["yes_short"], json!(true));
        assert_eq!(v["replicas"], json!(1000), "1e3 is a number");
        assert_eq!(v["hex"], json!(31));
        assert_eq!(v["name"], json!("nginx"));
    }

    #[test]
    fn quoted_scalars_stay_strings() {
        let v = parse("a: '0600'\nb: \"on\"\nc: 'no'\nd: \"1e3\"\ne: |\n  yes\n");
        assert_eq!(
            v,
            json!({"a": "0600", "b": "on", "c": "no", "d": "1e3", "e": "yes\n"})
        );
    }

    #[test]
    fn explicit_tags_win_over_resolution() {
        let v = parse("a: !!str 0600\nb: !!int \"12\"\nc: !!bool \"true\"\n");
        assert_eq!(v, json!({"a": "0600", "b": 12, "c": true}));
    }

    #[test]
    fn numbers_that_are_not_valid_octal_fall_back_to_decimal() {
        assert_eq!(resolve_plain("08"), json!(8));
        assert_eq!(resolve_plain("0"), json!(0));
        assert_eq!(resolve_plain("-0755"), json!(-493));
        assert_eq!(resolve_plain("1.5"), json!(1.5));
        assert_eq!(resolve_plain("1.2.3"), json!("1.2.3"));
        assert_eq!(resolve_plain("v1"), json!("v1"));
        assert_eq!(resolve_plain(".inf"), json!(".inf"));
    }

    #[test]
    fn duplicate_keys_are_an_error_naming_both_lines() {
        let err = parse_document("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!(err.line, 3);
        assert!(err.message.contains("duplicate key `a`"), "{}", err.message);
        assert!(err.message.contains("line 1"), "{}", err.message);
    }

    #[test]
    fn merge_keys_fill_missing_keys_only() {
        let v = parse("base: &b {x: 1, z: 2}\nuse:\n  <<: *b\n  z: 3\n");
        assert_eq!(v["use"], json!({"x": 1, "z": 3}));
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let prev = format!("*a{}", i - 1);
            text.push_str(&format!("a{i}: &a{i} [{}]\n", vec![prev; 10].join(", ")));
        }
        let err = parse_document(&text).unwrap_err();
        assert!(err.message.contains("alias"), "{}", err.message);
    }

    /// A document well under [`MAX_ALIAS_NODES`] on its own: five levels of ten aliases each,
    /// about 123,000 values once expanded.
    fn amplifying_document() -> String {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..5 {
            let prev = format!("*a{}", i - 1);
            text.push_str(&format!("a{i}: &a{i} [{}]\n", vec![prev; 10].join(", ")));
        }
        text
    }

    #[test]
    fn a_shared_budget_fails_the_documents_that_overdraw_it() {
        let doc = amplifying_document();
        let one = {
            let mut b = AliasBudget::new(usize::MAX / 2, "probe");
            parse_document_within(&doc, &mut b).unwrap();
            b.spent()
        };
        assert!(one > 10_000, "{one}");
        // Room for two documents and a half: the third fails, and so does every later one.
        let mut budget = AliasBudget::new(one * 5 / 2, "this file");
        let results: Vec<_> = (0..5)
            .map(|_| parse_document_within(&doc, &mut budget))
            .collect();
        assert!(results[0].is_ok() && results[1].is_ok());
        for r in &results[2..] {
            let err = r.as_ref().unwrap_err();
            assert!(
                err.message.contains("alias expansion exceeds budget")
                    && err.message.contains("this file"),
                "{}",
                err.message
            );
        }
        assert!(budget.remaining() < one);
        // A document without aliases still reads once the budget is spent.
        assert!(parse_document_within("a: 1\n", &mut budget).is_ok());
    }

    #[test]
    fn deep_nesting_is_refused() {
        let text = format!(
            "{}1{}",
            "[".repeat(MAX_DEPTH + 5),
            "]".repeat(MAX_DEPTH + 5)
        );
        let err = parse_document(&text).unwrap_err();
        assert!(err.message.contains("nesting"), "{}", err.message);
    }

    #[test]
    fn plain_keys_resolve_too_as_in_kubernetes() {
        // Kubernetes turns the key `on` into "true"; kspm sees what the API server would.
        let v = parse("on: 1\n'off': 2\n");
        assert_eq!(v, json!({"true": 1, "off": 2}));
    }

    #[test]
    fn comment_only_document_is_empty() {
        let doc = parse_document("# Source: chart/templates/empty.yaml\n\n").unwrap();
        assert!(doc.value.is_none());
    }

    #[test]
    fn list_items_keep_their_lines() {
        let doc = parse_document("kind: List\nitems:\n- kind: Pod\n  metadata: {name: a}\n- kind: Pod\n  metadata: {name: b}\n").unwrap();
        assert_eq!(doc.item_lines, vec![3, 5]);
    }

    #[test]
    fn syntax_errors_report_their_line() {
        let err = parse_document("a: 1\nb: [1, 2\nc: 3\n").unwrap_err();
        assert!(err.line >= 2, "{err:?}");
    }
}
