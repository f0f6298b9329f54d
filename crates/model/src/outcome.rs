use serde::{Deserialize, Serialize};

/// The outcome of evaluating one rule against one resource.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The resource meets the rule.
    Passed,
    /// The resource breaks the rule.
    Failed,
    /// A human must judge; shown with guidance, never scored.
    Manual,
    /// The rule could not be evaluated (unreadable data, rule error). Never a silent pass.
    Error,
    /// The rule does not apply to the resource. Not stored.
    NotApplicable,
}

impl Outcome {
    /// Every outcome, in display order.
    pub const ALL: [Outcome; 5] = [
        Outcome::Failed,
        Outcome::Passed,
        Outcome::Manual,
        Outcome::Error,
        Outcome::NotApplicable,
    ];

    /// The lower-case name used in documents and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Failed => "failed",
            Outcome::Manual => "manual",
            Outcome::Error => "error",
            Outcome::NotApplicable => "not_applicable",
        }
    }

    /// Parses the lower-case name.
    pub fn parse(s: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == s)
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcome_names_round_trip_through_parse_and_serde() {
        for o in Outcome::ALL {
            assert_eq!(Outcome::parse(o.as_str()), Some(o));
            let json = serde_json::to_string(&o).unwrap();
            assert_eq!(json, format!("\"{}\"", o.as_str()));
        }
        assert_eq!(Outcome::parse("pass"), None);
    }
}
