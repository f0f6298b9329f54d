//! Remediation text with its placeholders filled for one finding, stored compactly.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// A rule's remediation as one finding shows it: the rule's text, shared by every finding of
/// the rule, plus this finding's values for its `{{placeholders}}`.
///
/// A hundred thousand findings then hold their placeholder values, not a hundred thousand
/// copies of the same instructions. It serialises as the filled-in text.
#[derive(Clone, Default)]
pub struct Remediation {
    template: Arc<str>,
    /// Byte ranges of `template` replaced by a value, in order, not overlapping.
    fills: Box<[(u32, u32, Box<str>)]>,
}

impl Remediation {
    /// Text without placeholder values (shared as it is).
    pub fn new(text: Arc<str>) -> Remediation {
        Remediation {
            template: text,
            fills: Box::default(),
        }
    }

    /// The shared text with `fills` (byte range of the template, value) applied. Ranges that
    /// are out of order, overlapping or not on character boundaries are ignored.
    pub fn filled(template: Arc<str>, fills: Vec<(usize, usize, String)>) -> Remediation {
        let mut kept = Vec::with_capacity(fills.len());
        let mut last_end = 0;
        for (start, end, value) in fills {
            let valid = start >= last_end
                && start <= end
                && end <= template.len()
                && template.is_char_boundary(start)
                && template.is_char_boundary(end)
                && u32::try_from(end).is_ok();
            if valid {
                kept.push((start as u32, end as u32, value.into_boxed_str()));
                last_end = end;
            }
        }
        Remediation {
            template,
            fills: kept.into_boxed_slice(),
        }
    }

    /// The text with every placeholder value in place.
    pub fn text(&self) -> Cow<'_, str> {
        if self.fills.is_empty() {
            return Cow::Borrowed(&self.template);
        }
        let mut out = String::with_capacity(self.template.len() + 64);
        let mut at = 0;
        for (start, end, value) in self.fills.iter() {
            out.push_str(&self.template[at..*start as usize]);
            out.push_str(value);
            at = *end as usize;
        }
        out.push_str(&self.template[at..]);
        Cow::Owned(out)
    }
}

impl From<&str> for Remediation {
    fn from(text: &str) -> Remediation {
        Remediation::new(text.into())
    }
}

impl From<String> for Remediation {
    fn from(text: String) -> Remediation {
        Remediation::new(text.into())
    }
}

impl fmt::Display for Remediation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

impl fmt::Debug for Remediation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.text(), f)
    }
}

impl PartialEq for Remediation {
    fn eq(&self, other: &Remediation) -> bool {
        self.text() == other.text()
    }
}

impl PartialEq<str> for Remediation {
    fn eq(&self, other: &str) -> bool {
        self.text() == other
    }
}

impl PartialEq<&str> for Remediation {
    fn eq(&self, other: &&str) -> bool {
        self.text() == *other
    }
}

impl Serialize for Remediation {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text())
    }
}

impl<'de> Deserialize<'de> for Remediation {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Remediation, D::Error> {
        String::deserialize(deserializer).map(Remediation::from)
    }
}

impl schemars::JsonSchema for Remediation {
    fn schema_name() -> Cow<'static, str> {
        "String".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        String::json_schema(generator)
    }

    fn inline_schema() -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_replace_their_ranges_and_serialise_as_the_filled_text() {
        let template: Arc<str> = "kubectl -n {{ns}} edit pod {{name}}".into();
        let r = Remediation::filled(
            template.clone(),
            vec![(11, 17, "shop".into()), (27, 35, "web".into())],
        );
        assert_eq!(r.text(), "kubectl -n shop edit pod web");
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            "\"kubectl -n shop edit pod web\""
        );
        let back: Remediation = serde_json::from_str("\"kubectl -n shop edit pod web\"").unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn invalid_ranges_are_ignored_rather_than_panicking() {
        let r = Remediation::filled(
            "héllo".into(),
            vec![(2, 3, "x".into()), (0, 99, "y".into()), (4, 1, "z".into())],
        );
        assert_eq!(r.text(), "héllo");
    }
}
