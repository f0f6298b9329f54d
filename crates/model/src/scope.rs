//! What one evaluation cycle covers: the cluster's objects, one node, or one cloud account and
//! region. The store, the server's ingest, the push to a server and the engine's output all use
//! this one type, written as `cluster`, `node:<name>` or `cloud:<account>/<region>`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The part of a cluster one cycle evaluates. Findings of a scope that a newer cycle of the same
/// scope no longer reports are resolved; other scopes are untouched.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// Cluster-wide: Kubernetes objects (and control-plane flags read from mirror pods).
    #[default]
    Cluster,
    /// One node's own files and processes, read through its host root.
    Node(String),
    /// One cloud account in one region (EKS cluster configuration, registries, …).
    Cloud {
        /// Account id (AWS: 12 digits).
        account: String,
        /// Region (`eu-west-1`).
        region: String,
    },
}

/// Why a scope could not be read from text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid scope `{text}`: {reason} (expected `cluster`, `node:<name>` or `cloud:<account>/<region>`)"
)]
pub struct ScopeError {
    /// The text as given.
    pub text: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

/// Longest node name Kubernetes accepts (a DNS subdomain).
const MAX_NAME: usize = 253;

fn valid_part(part: &str) -> Result<(), &'static str> {
    if part.is_empty() {
        return Err("a name is empty");
    }
    if part.len() > MAX_NAME {
        return Err("a name is longer than 253 characters");
    }
    if part.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err("a name contains whitespace or a control character");
    }
    Ok(())
}

impl FromStr for Scope {
    type Err = ScopeError;

    fn from_str(text: &str) -> Result<Scope, ScopeError> {
        let bad = |reason| ScopeError {
            text: text.to_owned(),
            reason,
        };
        if text == "cluster" {
            return Ok(Scope::Cluster);
        }
        if let Some(name) = text.strip_prefix("node:") {
            valid_part(name).map_err(bad)?;
            return Ok(Scope::Node(name.to_owned()));
        }
        if let Some(rest) = text.strip_prefix("cloud:") {
            let (account, region) = rest
                .split_once('/')
                .ok_or_else(|| bad("a cloud scope needs `<account>/<region>`"))?;
            valid_part(account).map_err(bad)?;
            valid_part(region).map_err(bad)?;
            if region.contains('/') {
                return Err(bad("a region cannot contain `/`"));
            }
            return Ok(Scope::Cloud {
                account: account.to_owned(),
                region: region.to_owned(),
            });
        }
        Err(bad("unknown kind of scope"))
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Cluster => f.write_str("cluster"),
            Scope::Node(name) => write!(f, "node:{name}"),
            Scope::Cloud { account, region } => write!(f, "cloud:{account}/{region}"),
        }
    }
}

impl Serialize for Scope {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Scope {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Scope, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_round_trip_through_their_text() {
        for text in ["cluster", "node:cp-1", "cloud:123456789012/eu-west-1"] {
            let scope: Scope = text.parse().unwrap();
            assert_eq!(scope.to_string(), text);
        }
        assert_eq!(
            "node:worker-1".parse::<Scope>().unwrap(),
            Scope::Node("worker-1".into())
        );
    }

    #[test]
    fn malformed_scopes_are_refused_with_the_reason() {
        for (text, reason) in [
            ("", "unknown kind of scope"),
            ("Cluster", "unknown kind of scope"),
            ("node:", "a name is empty"),
            ("node:a b", "whitespace"),
            ("node:a\nb", "control character"),
            ("cloud:123", "`<account>/<region>`"),
            ("cloud:123/eu/west", "cannot contain `/`"),
            ("cloud:/eu-west-1", "a name is empty"),
        ] {
            let err = text.parse::<Scope>().unwrap_err().to_string();
            assert!(err.contains(reason), "{text:?}: {err}");
        }
        let long = format!("node:{}", "a".repeat(254));
        assert!(long.parse::<Scope>().is_err());
    }

    #[test]
    fn scopes_serialise_as_their_text() {
        let json = serde_json::to_string(&Scope::Node("cp-1".into())).unwrap();
        assert_eq!(json, "\"node:cp-1\"");
        let back: Scope = serde_json::from_str(&json).unwrap();
        assert_eq!(back, Scope::Node("cp-1".into()));
        assert!(serde_json::from_str::<Scope>("\"node:\"").is_err());
    }
}
