//! Authentication (basic and `ApiKey`) and the privileges of each principal, with the
//! implications Elasticsearch applies (`all` ⊇ everything, `write` ⊇ `index` ⊇ `create_doc`,
//! `manage` ⊇ `monitor`, `manage_index_templates`, `create_index`, `auto_configure`).

use base64::Engine as _;

use crate::state::{EsError, matches};

/// What a principal may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Privileges {
    /// Cluster privileges (`monitor`, `manage_index_templates`, `manage`, `all`).
    pub cluster: Vec<String>,
    /// Index privileges: patterns and what they grant there (`create_doc`, `index`,
    /// `auto_configure`, `create_index`, `read`, `write`, `manage`, `all`).
    pub indices: Vec<(Vec<String>, Vec<String>)>,
}

impl Privileges {
    /// Every privilege on every index (the `superuser` role).
    pub fn all() -> Privileges {
        Privileges {
            cluster: vec!["all".into()],
            indices: vec![(vec!["*".into()], vec!["all".into()])],
        }
    }

    /// `cluster` privileges and `index` privileges on `pattern`.
    pub fn new(cluster: &[&str], pattern: &str, index: &[&str]) -> Privileges {
        Privileges {
            cluster: cluster.iter().map(|s| s.to_string()).collect(),
            indices: vec![(
                vec![pattern.to_string()],
                index.iter().map(|s| s.to_string()).collect(),
            )],
        }
    }

    /// Whether the cluster privilege `wanted` is held.
    pub fn cluster_allows(&self, wanted: &str) -> bool {
        self.cluster.iter().any(|g| {
            g == wanted
                || g == "all"
                || (g == "manage" && matches!(wanted, "monitor" | "manage_index_templates"))
        })
    }

    /// Whether the index privilege `wanted` is held on `index`.
    pub fn index_allows(&self, index: &str, wanted: &str) -> bool {
        self.indices.iter().any(|(patterns, granted)| {
            patterns.iter().any(|p| matches(p, index))
                && granted.iter().any(|g| {
                    g == wanted
                        || g == "all"
                        || (g == "write"
                            && matches!(wanted, "create_doc" | "create" | "index" | "delete"))
                        || (g == "index" && matches!(wanted, "create_doc" | "create"))
                        || (g == "create" && wanted == "create_doc")
                        || (g == "manage"
                            && matches!(
                                wanted,
                                "create_index" | "auto_configure" | "view_index_metadata"
                            ))
                })
        })
    }
}

/// A user or API key the server accepts.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The user name (an API key's owner name).
    pub name: String,
    secret: Credential,
    /// What it may do.
    pub privileges: Privileges,
}

#[derive(Debug, Clone)]
enum Credential {
    Basic(String),
    ApiKey(String),
}

impl Principal {
    /// A user with a password (HTTP basic authentication).
    pub fn basic(name: &str, password: &str, privileges: Privileges) -> Principal {
        Principal {
            name: name.into(),
            secret: Credential::Basic(password.into()),
            privileges,
        }
    }

    /// An API key, given in the encoded form clients send in `Authorization: ApiKey …`.
    pub fn api_key(name: &str, encoded: &str, privileges: Privileges) -> Principal {
        Principal {
            name: name.into(),
            secret: Credential::ApiKey(encoded.into()),
            privileges,
        }
    }
}

/// The principal an `Authorization` header names, or the 401 answer.
pub(crate) fn authenticate<'a>(
    principals: &'a [Principal],
    header: Option<&str>,
    path: &str,
) -> Result<&'a Principal, EsError> {
    let Some(header) = header else {
        return Err(EsError::new(
            401,
            "security_exception",
            format!("missing authentication credentials for REST request [{path}]"),
        ));
    };
    let (scheme, value) = header.split_once(' ').unwrap_or((header, ""));
    let value = value.trim();
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(value)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .unwrap_or_default();
        let (user, password) = decoded.split_once(':').unwrap_or((&decoded, ""));
        return principals
            .iter()
            .find(|p| {
                p.name == user && matches!(&p.secret, Credential::Basic(pw) if pw == password)
            })
            .ok_or_else(|| {
                EsError::new(
                    401,
                    "security_exception",
                    format!("unable to authenticate user [{user}] for REST request [{path}]"),
                )
            });
    }
    if scheme.eq_ignore_ascii_case("apikey") {
        return principals
            .iter()
            .find(|p| matches!(&p.secret, Credential::ApiKey(k) if k == value))
            .ok_or_else(|| {
                EsError::new(
                    401,
                    "security_exception",
                    "unable to authenticate with provided credentials and anonymous access is not allowed for this request",
                )
            });
    }
    Err(EsError::new(
        401,
        "security_exception",
        format!("missing authentication credentials for REST request [{path}]"),
    ))
}

/// The 403 of an action the principal may not run.
pub(crate) fn unauthorized(
    principal: &Principal,
    action: &str,
    grants: &str,
    on: Option<&str>,
) -> EsError {
    let what = match on {
        Some(index) => format!(
            "action [{action}] is unauthorized for user [{}] with effective roles [kspm_writer] on indices [{index}], this action is granted by the index privileges [{grants}]",
            principal.name
        ),
        None => format!(
            "action [{action}] is unauthorized for user [{}] with effective roles [kspm_writer], this action is granted by the cluster privileges [{grants}]",
            principal.name
        ),
    };
    EsError::new(403, "security_exception", what)
}
