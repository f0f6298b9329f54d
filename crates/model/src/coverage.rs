//! What a source could not read, so that the rules that needed it say so instead of judging
//! missing data as fine.

use serde::{Deserialize, Serialize};

use crate::{Outcome, ResourceType};

/// Data a source could not provide: one kind of resource (`k8s_object` `ClusterRole`, say).
///
/// Rules routed to that kind, and rules that read it from the inventory (`reads` in their
/// metadata), then report [`Gap::outcome`] with the reason, never `passed`: a cross-object rule
/// must not pass on missing data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gap {
    /// Resource type of the missing data.
    #[serde(rename = "type")]
    pub kind: ResourceType,
    /// Kind or sub type (`ClusterRole`); `*` when the whole type is missing.
    pub sub_type: String,
    /// What happened, for the finding (`list clusterroles.rbac.authorization.k8s.io: 403
    /// Forbidden`).
    pub reason: String,
    /// `error` when the data exists but could not be read (refused, unparsable, timed out);
    /// `not_applicable` when it does not exist here (a kind this cluster does not serve).
    pub outcome: Outcome,
}

impl Gap {
    /// Data that exists but could not be read.
    pub fn unreadable(kind: ResourceType, sub_type: &str, reason: impl Into<String>) -> Gap {
        Gap {
            kind,
            sub_type: sub_type.to_owned(),
            reason: reason.into(),
            outcome: Outcome::Error,
        }
    }

    /// Data that does not exist on this cluster.
    pub fn absent(kind: ResourceType, sub_type: &str, reason: impl Into<String>) -> Gap {
        Gap {
            kind,
            sub_type: sub_type.to_owned(),
            reason: reason.into(),
            outcome: Outcome::NotApplicable,
        }
    }

    /// Whether this gap covers resources of `kind` / `sub_type`.
    pub fn covers(&self, kind: ResourceType, sub_type: &str) -> bool {
        self.kind == kind && (self.sub_type == "*" || self.sub_type == sub_type)
    }
}
