//! What the user sets: the cluster's URL, where documents go, credentials, TLS, batching,
//! retries and the spool.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::retry::Backoff;
use crate::{Error, Result};

/// The data stream findings go to by default: the one Kibana's cloud security posture pages
/// read.
pub const DEFAULT_DATA_STREAM: &str = "logs-cloud_security_posture.findings-default";

/// Where documents are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A data stream (Elasticsearch 8, OpenSearch): `create` operations, every cycle's
    /// documents kept.
    DataStream(String),
    /// A plain index (OpenSearch and older clusters): `index` operations.
    Index(String),
}

impl Target {
    /// The data stream or index name.
    pub fn name(&self) -> &str {
        match self {
            Target::DataStream(name) | Target::Index(name) => name,
        }
    }

    /// The bulk operation this target takes.
    pub(crate) fn op(&self) -> &'static str {
        match self {
            Target::DataStream(_) => "create",
            Target::Index(_) => "index",
        }
    }
}

/// A secret: kept in memory, never printed (`Debug` shows `***`).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value, for the one place that sends it.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

/// How kspm authenticates to the cluster.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Credentials {
    /// No `Authorization` header (a cluster with security off, or a proxy that adds it).
    #[default]
    None,
    /// HTTP basic authentication.
    Basic {
        /// The user.
        username: String,
        /// The password.
        password: Secret,
    },
    /// An API key in its encoded form (base64 of `id:api_key`, as Kibana shows it and as
    /// `POST /_security/api_key` returns it in `encoded`).
    ApiKey(Secret),
}

impl Credentials {
    /// Credentials from an API key file (the whole file, trimmed), else from the environment
    /// as read by `env`: `KSPM_ES_API_KEY`, else `KSPM_ES_USERNAME` with `KSPM_ES_PASSWORD`.
    pub fn resolve(
        api_key_file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Credentials> {
        if let Some(path) = api_key_file {
            let key = std::fs::read_to_string(path).map_err(|e| {
                Error::Config(format!(
                    "cannot read the API key file {}: {e}",
                    path.display()
                ))
            })?;
            let key = key.trim();
            if key.is_empty() {
                return Err(Error::Config(format!(
                    "the API key file {} is empty",
                    path.display()
                )));
            }
            return Ok(Credentials::ApiKey(Secret::new(key)));
        }
        let present = |name: &str| env(name).filter(|v| !v.is_empty());
        if let Some(key) = present("KSPM_ES_API_KEY") {
            return Ok(Credentials::ApiKey(Secret::new(key.trim())));
        }
        match (present("KSPM_ES_USERNAME"), present("KSPM_ES_PASSWORD")) {
            (Some(username), Some(password)) => Ok(Credentials::Basic {
                username,
                password: Secret::new(password),
            }),
            (Some(_), None) => Err(Error::Config(
                "KSPM_ES_USERNAME is set but KSPM_ES_PASSWORD is not".into(),
            )),
            (None, Some(_)) => Err(Error::Config(
                "KSPM_ES_PASSWORD is set but KSPM_ES_USERNAME is not".into(),
            )),
            (None, None) => Ok(Credentials::None),
        }
    }
}

/// A spool directory and its bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpoolConfig {
    /// The directory (created if missing).
    pub dir: PathBuf,
    /// Largest size in bytes before the oldest batches are dropped.
    pub max_bytes: u64,
}

/// How to reach the cluster and ship documents to it.
#[derive(Debug, Clone)]
pub struct ElasticsearchConfig {
    /// `https://host:9200` (`http://` too).
    pub url: String,
    /// Data stream or index.
    pub target: Target,
    /// Basic auth or API key.
    pub credentials: Credentials,
    /// A CA certificate (PEM) to trust besides the system's.
    pub ca_pem: Option<Vec<u8>>,
    /// Documents per bulk request at most.
    pub batch_docs: usize,
    /// Bytes per bulk request at most (a single larger document is still sent alone).
    pub batch_bytes: usize,
    /// Longest a request may take.
    pub timeout: Duration,
    /// Retries of requests and items that fail in a way that may pass.
    pub backoff: Backoff,
    /// Persist batches before sending (survives outages and restarts); `None` keeps them in
    /// memory only while they are sent.
    pub spool: Option<SpoolConfig>,
    /// Install the index template when it is missing.
    pub install_template: bool,
}

impl ElasticsearchConfig {
    /// Defaults for `url`: the default data stream, no credentials, 1,000 documents or
    /// 5 MiB per request, 2 minutes per request, five attempts, no spool, template installed.
    pub fn new(url: impl Into<String>) -> ElasticsearchConfig {
        ElasticsearchConfig {
            url: url.into(),
            target: Target::DataStream(DEFAULT_DATA_STREAM.into()),
            credentials: Credentials::None,
            ca_pem: None,
            batch_docs: 1_000,
            batch_bytes: 5 * 1024 * 1024,
            timeout: Duration::from_secs(120),
            backoff: Backoff::default(),
            spool: None,
            install_template: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_show_in_debug_output() {
        let credentials = Credentials::Basic {
            username: "kspm".into(),
            password: Secret::new("hunter2"),
        };
        let config = ElasticsearchConfig {
            credentials,
            ..ElasticsearchConfig::new("https://es:9200")
        };
        let printed = format!("{config:?}");
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(printed.contains("***"));
        let key = format!("{:?}", Credentials::ApiKey(Secret::new("c2VjcmV0")));
        assert!(!key.contains("c2VjcmV0"));
    }

    #[test]
    fn credentials_come_from_the_key_file_first_then_the_environment() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                vars.iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("key");
        std::fs::write(&file, "ZmlsZTprZXk=\n").unwrap();
        assert_eq!(
            Credentials::resolve(Some(&file), env(&[("KSPM_ES_API_KEY", "env")])).unwrap(),
            Credentials::ApiKey(Secret::new("ZmlsZTprZXk="))
        );
        assert_eq!(
            Credentials::resolve(None, env(&[("KSPM_ES_API_KEY", "env")])).unwrap(),
            Credentials::ApiKey(Secret::new("env"))
        );
        assert_eq!(
            Credentials::resolve(
                None,
                env(&[("KSPM_ES_USERNAME", "u"), ("KSPM_ES_PASSWORD", "p")])
            )
            .unwrap(),
            Credentials::Basic {
                username: "u".into(),
                password: Secret::new("p")
            }
        );
        assert!(Credentials::resolve(None, env(&[("KSPM_ES_USERNAME", "u")])).is_err());
        assert_eq!(
            Credentials::resolve(None, env(&[])).unwrap(),
            Credentials::None
        );
    }
}
