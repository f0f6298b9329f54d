//! The HTTP calls: the start-up check (`GET /`, `_has_privileges`), the index template, and
//! `_bulk`. Each call says exactly what is wrong when it fails.

use serde_json::{Value, json};

use super::config::{Credentials, ElasticsearchConfig, Target};
use crate::retry::{Attempt, retry_after};
use crate::{Error, Result};

/// What the start-up check found wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// No answer: refused, reset, name not resolved, timed out.
    Unreachable,
    /// The TLS handshake failed (an unknown CA, a name mismatch, plain HTTP on an HTTPS port).
    Tls,
    /// 401: the credentials were refused (or none were given).
    Authentication,
    /// 403, or `_has_privileges` says a needed privilege is missing.
    Privileges,
    /// A version kspm does not support for this target.
    Version,
    /// Something other than Elasticsearch or OpenSearch answered.
    Product,
    /// The cluster refused kspm's index template.
    Template,
    /// The cluster answered with an error kspm did not expect.
    Server,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Problem::Unreachable => "unreachable",
            Problem::Tls => "TLS failure",
            Problem::Authentication => "authentication failed",
            Problem::Privileges => "missing privileges",
            Problem::Version => "unsupported version",
            Problem::Product => "not Elasticsearch",
            Problem::Template => "index template refused",
            Problem::Server => "server error",
        })
    }
}

fn startup(problem: Problem, detail: impl Into<String>) -> Error {
    Error::Startup {
        problem,
        detail: detail.into(),
    }
}

/// What `GET /` told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterFacts {
    /// `version.number`.
    pub version: String,
    /// True for OpenSearch (`version.distribution: opensearch`).
    pub opensearch: bool,
}

/// The reason in an Elasticsearch error body, or the start of the body.
fn reason(body: &str) -> String {
    let parsed: Value = serde_json::from_str(body).unwrap_or_default();
    match parsed["error"]["reason"].as_str() {
        Some(reason) => format!(
            "{}: {reason}",
            parsed["error"]["type"].as_str().unwrap_or("error")
        ),
        None => match parsed["error"].as_str() {
            Some(text) => text.to_string(),
            None => crate::http::excerpt(body),
        },
    }
}

/// The client and the cluster's address.
pub(crate) struct Service {
    pub(crate) base: String,
    client: reqwest::blocking::Client,
    credentials: Credentials,
}

impl Service {
    pub(crate) fn new(config: &ElasticsearchConfig) -> Result<Service> {
        let base = config.url.trim_end_matches('/').to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(Error::Config(format!(
                "the Elasticsearch URL must start with http:// or https://, not `{}`",
                config.url
            )));
        }
        let client = crate::http::client_with_ca(config.timeout, config.ca_pem.as_deref())?;
        Ok(Service {
            base,
            client,
            credentials: config.credentials.clone(),
        })
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::blocking::RequestBuilder {
        let builder = self.client.request(method, format!("{}{path}", self.base));
        match &self.credentials {
            Credentials::None => builder,
            Credentials::Basic { username, password } => {
                builder.basic_auth(username, Some(password.expose()))
            }
            Credentials::ApiKey(key) => builder.header(
                reqwest::header::AUTHORIZATION,
                format!("ApiKey {}", key.expose()),
            ),
        }
    }

    /// A request whose failures are start-up problems.
    fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(u16, reqwest::header::HeaderMap, String)> {
        let mut request = self.request(method, path);
        if let Some(body) = body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.to_string());
        }
        let response = request
            .send()
            .map_err(|e| connection_problem(&self.base, &e))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().unwrap_or_default();
        if status == 401 {
            return Err(startup(
                Problem::Authentication,
                format!(
                    "{} refused the credentials ({}): {}",
                    self.base,
                    match &self.credentials {
                        Credentials::None =>
                            "none were given: set KSPM_ES_API_KEY, KSPM_ES_USERNAME/KSPM_ES_PASSWORD or --elasticsearch-api-key-file",
                        Credentials::Basic { .. } => "user and password",
                        Credentials::ApiKey(_) => "API key",
                    },
                    reason(&text)
                ),
            ));
        }
        Ok((status, headers, text))
    }

    /// `GET /`: reachable, TLS, credentials, product and version.
    pub(crate) fn facts(&self, target: &Target) -> Result<ClusterFacts> {
        let (status, headers, text) = self.call(reqwest::Method::GET, "/", None)?;
        if status == 403 {
            return Err(startup(
                Problem::Privileges,
                format!(
                    "GET / needs the cluster privilege `monitor`: {}",
                    reason(&text)
                ),
            ));
        }
        if status != 200 {
            return Err(startup(
                Problem::Server,
                format!("GET / answered {status}: {}", reason(&text)),
            ));
        }
        let info: Value = serde_json::from_str(&text).unwrap_or_default();
        let number = info["version"]["number"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let distribution = info["version"]["distribution"].as_str();
        let opensearch = distribution == Some("opensearch");
        let product = headers
            .get("x-elastic-product")
            .and_then(|v| v.to_str().ok());
        if !opensearch && product != Some("Elasticsearch") {
            return Err(startup(
                Problem::Product,
                format!(
                    "{} is neither Elasticsearch (no `X-elastic-product: Elasticsearch` header) nor OpenSearch (version.distribution is {}; tagline {})",
                    self.base,
                    distribution.map_or("absent".to_string(), |d| format!("`{d}`")),
                    info["tagline"]
                ),
            ));
        }
        let major: u64 = number
            .split('.')
            .next()
            .and_then(|m| m.parse().ok())
            .unwrap_or(0);
        if !opensearch {
            let plain_index = matches!(target, Target::Index(_));
            if major < 7 || (major == 7 && !plain_index) {
                return Err(startup(
                    Problem::Version,
                    format!(
                        "Elasticsearch {number} is not supported: kspm needs 8.0 or later for data streams{}",
                        if major == 7 {
                            " (7.x works with a plain index: --elasticsearch-index NAME)"
                        } else {
                            ""
                        }
                    ),
                ));
            }
        } else if major < 1 {
            return Err(startup(
                Problem::Version,
                format!("OpenSearch {number} is not supported: kspm needs 1.0 or later"),
            ));
        }
        Ok(ClusterFacts {
            version: number,
            opensearch,
        })
    }

    /// `_has_privileges`: the privileges kspm needs that the credentials lack. `Ok(None)`
    /// when the cluster has no security API (security off).
    pub(crate) fn missing_privileges(&self, target: &Target) -> Result<Option<Vec<String>>> {
        let write = match target {
            Target::DataStream(_) => "create_doc",
            Target::Index(_) => "index",
        };
        let request = json!({
            "cluster": ["monitor", "manage_index_templates"],
            "index": [{"names": [target.name()], "privileges": [write, "auto_configure"]}],
        });
        let (status, _, text) = self.call(
            reqwest::Method::POST,
            "/_security/user/_has_privileges",
            Some(&request),
        )?;
        if status != 200 {
            // Security off, or a distribution without this API.
            return Ok(None);
        }
        let answer: Value = serde_json::from_str(&text).unwrap_or_default();
        let mut missing = Vec::new();
        for privilege in ["monitor", "manage_index_templates"] {
            if answer["cluster"][privilege] == false {
                missing.push(format!("cluster:{privilege}"));
            }
        }
        for privilege in [write, "auto_configure"] {
            if answer["index"][target.name()][privilege] == false {
                missing.push(format!("index {}:{privilege}", target.name()));
            }
        }
        Ok(Some(missing))
    }

    /// Whether the data stream or index already exists (`false` when the credentials may not
    /// tell).
    pub(crate) fn target_exists(&self, target: &Target) -> Result<bool> {
        let path = match target {
            Target::DataStream(name) => format!("/_data_stream/{name}"),
            Target::Index(name) => format!("/{name}"),
        };
        let (status, _, _) = self.call(reqwest::Method::GET, &path, None)?;
        Ok(status == 200)
    }

    /// Installs `body` as template `name` unless it exists. Returns true when installed.
    pub(crate) fn ensure_template(&self, name: &str, body: &Value) -> Result<bool> {
        let path = format!("/_index_template/{name}");
        let (status, _, text) = self.call(reqwest::Method::GET, &path, None)?;
        match status {
            200 => return Ok(false),
            404 => {}
            403 => {
                return Err(startup(
                    Problem::Privileges,
                    format!(
                        "reading index template {name} needs `manage_index_templates`: {}",
                        reason(&text)
                    ),
                ));
            }
            other => {
                return Err(startup(
                    Problem::Server,
                    format!("GET {path} answered {other}: {}", reason(&text)),
                ));
            }
        }
        let (status, _, text) = self.call(reqwest::Method::PUT, &path, Some(body))?;
        match status {
            200..=299 => Ok(true),
            403 => Err(startup(
                Problem::Privileges,
                format!(
                    "installing index template {name} needs `manage_index_templates`: {}",
                    reason(&text)
                ),
            )),
            _ => Err(startup(
                Problem::Template,
                format!("PUT {path} answered {status}: {}", reason(&text)),
            )),
        }
    }

    /// One `_bulk` request, classified for the backoff loop: the parsed answer, or why not.
    pub(crate) fn bulk(&self, target: &Target, body: Vec<u8>) -> Attempt<Value, Error> {
        let response = self
            .request(reqwest::Method::POST, &format!("/{}/_bulk", target.name()))
            .header(reqwest::header::CONTENT_TYPE, "application/x-ndjson")
            .body(body)
            .send();
        let response = match response {
            Ok(r) => r,
            Err(e) => {
                return Attempt::Retry {
                    error: e.into(),
                    after: None,
                };
            }
        };
        let status = response.status().as_u16();
        let after = retry_after(
            response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok()),
        );
        let text = match response.text() {
            Ok(text) => text,
            // The answer was cut: whether the items were stored is unknown; sending them
            // again is safe (ids are deterministic).
            Err(e) => {
                return Attempt::Retry {
                    error: e.into(),
                    after: None,
                };
            }
        };
        if (200..300).contains(&status) {
            return match serde_json::from_str::<Value>(&text) {
                Ok(answer) => Attempt::Done(answer),
                Err(_) => Attempt::Retry {
                    error: Error::Status {
                        status,
                        body: format!("unreadable bulk answer: {}", crate::http::excerpt(&text)),
                    },
                    after: None,
                },
            };
        }
        if status == 403 {
            // OpenSearch has no privilege check to ask before writing: a refused write is
            // where missing rights show.
            let right = match target {
                Target::DataStream(_) => "create_doc",
                Target::Index(_) => "index",
            };
            return Attempt::Fail(startup(
                Problem::Privileges,
                format!(
                    "writing to {} was refused; the credentials need `{right}` on it (OpenSearch: \
                     the index permission indices:data/write/bulk*): {}",
                    target.name(),
                    reason(&text)
                ),
            ));
        }
        let error = Error::Status {
            status,
            body: reason(&text),
        };
        if status == 429 || status >= 500 {
            Attempt::Retry { error, after }
        } else {
            Attempt::Fail(error)
        }
    }
}

/// A request that got no answer: TLS or plain unreachability.
fn connection_problem(base: &str, error: &reqwest::Error) -> Error {
    let mut chain = String::new();
    let mut tls = false;
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if e.downcast_ref::<rustls::Error>().is_some() {
            tls = true;
        }
        let text = e.to_string();
        let lower = text.to_ascii_lowercase();
        if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake") {
            tls = true;
        }
        if !chain.is_empty() {
            chain.push_str(": ");
        }
        chain.push_str(&text);
        source = e.source();
    }
    if tls {
        startup(
            Problem::Tls,
            format!("TLS with {base} failed (trust its CA with --elasticsearch-ca FILE): {chain}"),
        )
    } else if error.is_timeout() {
        startup(
            Problem::Unreachable,
            format!("{base} did not answer in time: {chain}"),
        )
    } else {
        startup(
            Problem::Unreachable,
            format!("cannot connect to {base}: {chain}"),
        )
    }
}
