//! The push to a kspm server: one cycle per scope, NDJSON batches sent to its ingest API
//! (`POST /api/v1/ingest`), the last one marked `final` so the server completes the cycle and
//! resolves what this run no longer saw. The protocol is in crates/server/README.md.
//!
//! Requests that fail in a way that may pass (no connection, a timeout, HTTP 429 or 5xx) are
//! tried again with backoff; the server treats a resent (cycle, batch) as a duplicate, so a
//! batch is stored once however often it is sent.
//!
//! With a spool (the agent's case), every batch is written to disk before it is sent and
//! removed once the server took it. While the server cannot take batches (unreachable, or it
//! refuses the token) the sink keeps spooling instead of failing, says why in its
//! [`Delivery`], and the next sink on the same spool (the next cycle, or the next process)
//! sends what waits there first, oldest cycle first. A batch the server refuses for good (a
//! malformed request, a resent batch with other content) is dropped from the spool and
//! reported, so one bad batch never blocks the others.

use std::time::Duration;

use kspm_model::{ClusterInfo, ResourceFindings, cluster_id_from_name};

use crate::cycles::{Cycles, Ready};
use crate::retry::{Attempt, Backoff, retry_after};
use crate::spool::{Spool, SpoolLoss};
use crate::{Delivery, Error, RunInfo, RunSummary, Sink, SinkError};

/// How to reach the server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// `http://host:8080` or `https://…`.
    pub url: String,
    /// The server's write token.
    pub token: String,
    /// Findings per request.
    pub batch_size: usize,
    /// Longest a request may take.
    pub timeout: Duration,
    /// Retries of requests that fail in a way that may pass.
    pub backoff: Backoff,
    /// A disk spool (directory, most bytes) that keeps batches until the server takes them.
    pub spool: Option<(std::path::PathBuf, u64)>,
}

impl ServerConfig {
    /// Defaults for `url` and `token`: 5,000 findings per request, 2 minutes per request, five
    /// attempts.
    pub fn new(url: impl Into<String>, token: impl Into<String>) -> ServerConfig {
        ServerConfig {
            url: url.into(),
            token: token.into(),
            batch_size: 5_000,
            timeout: Duration::from_secs(120),
            backoff: Backoff::default(),
            spool: None,
        }
    }
}

/// Pushes findings to a kspm server as they arrive.
pub struct ServerSink {
    config: ServerConfig,
    base: String,
    client: reqwest::blocking::Client,
    cluster: ClusterInfo,
    started_at: i64,
    nonce: String,
    cycles: Cycles,
    delivered: Delivery,
    spool: Option<Spool>,
    /// Batches the server refused for good (dropped from the spool), with the reason.
    rejected: Vec<String>,
}

impl ServerSink {
    /// A sink for the server at `config.url`. Fails on a URL that is not `http://` or
    /// `https://`, or when no HTTP client can be built.
    pub fn new(config: ServerConfig) -> crate::Result<ServerSink> {
        let base = config.url.trim_end_matches('/').to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(Error::Config(format!(
                "the server URL must start with http:// or https://, not `{}`",
                config.url
            )));
        }
        let client = crate::http::client(config.timeout)?;
        let spool = match &config.spool {
            Some((dir, max_bytes)) => Some(Spool::open(dir, *max_bytes)?),
            None => None,
        };
        Ok(ServerSink {
            spool,
            rejected: Vec::new(),
            cycles: Cycles::new(config.batch_size, &[]),
            config,
            base,
            client,
            cluster: ClusterInfo::default(),
            started_at: 0,
            nonce: String::new(),
            delivered: Delivery::default(),
        })
    }

    fn error(&self, what: impl Into<String>, retryable: bool, source: Error) -> SinkError {
        SinkError::new(self.name(), what, retryable, source).after(self.delivered.clone())
    }

    /// One POST, classified for [`Backoff::run`].
    fn post(&self, url: &str, body: &[u8]) -> Attempt<serde_json::Value, Error> {
        let response = self
            .client
            .post(url)
            .bearer_auth(&self.config.token)
            .header(reqwest::header::CONTENT_TYPE, "application/x-ndjson")
            .body(body.to_vec())
            .send();
        let response = match response {
            Ok(r) => r,
            // No answer (refused, reset, timed out): it may come back.
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
        let text = response.text().unwrap_or_default();
        if (200..300).contains(&status) {
            return Attempt::Done(serde_json::from_str(&text).unwrap_or_default());
        }
        let error = Error::Status {
            status,
            body: crate::http::excerpt(&text),
        };
        if status == 429 || status >= 500 {
            Attempt::Retry { error, after }
        } else {
            Attempt::Fail(error)
        }
    }

    /// The ingest query and NDJSON body of a ready batch.
    fn encode(&self, ready: &Ready) -> Result<(String, Vec<u8>), SinkError> {
        let cycle = self.cycle_id(&ready.scope.to_string());
        let mut body = Vec::with_capacity(ready.findings.len() * 2048);
        for f in &ready.findings {
            f.write_json(&mut body)
                .map_err(|e| self.error("encoding a finding", false, e.into()))?;
            body.push(b'\n');
        }
        let mut query = form_urlencoded::Serializer::new(String::new());
        query
            .append_pair("cycle", &cycle)
            .append_pair("batch", &ready.batch.to_string())
            .append_pair("final", if ready.last { "true" } else { "false" })
            .append_pair("cluster", &self.cluster.id)
            .append_pair("cluster_name", &self.cluster.name)
            .append_pair("scope", &ready.scope.to_string())
            .append_pair("started_at", &self.started_at.to_string());
        if let Some(version) = &self.cluster.version {
            query.append_pair("cluster_version", version);
        }
        if let Some(platform) = &self.cluster.platform {
            query.append_pair("platform", platform);
        }
        Ok((query.finish(), body))
    }

    fn cycle_id(&self, scope: &str) -> String {
        cluster_id_from_name(&format!("{}/{scope}/{}", self.cluster.id, self.nonce))
    }

    /// Sends one batch (retrying what may pass); `Ok(final)` when it completed a cycle.
    fn post_batch(&self, query: &str, body: &[u8]) -> Result<bool, (bool, Error)> {
        let url = format!("{}/api/v1/ingest?{query}", self.base);
        let backoff = self.config.backoff;
        let answer = backoff
            .run(|_| self.post(&url, body), std::thread::sleep)
            .map_err(|gave_up| (gave_up.retryable, gave_up.error))?;
        let last =
            form_urlencoded::parse(query.as_bytes()).any(|(k, v)| k == "final" && v == "true");
        Ok(last && !answer["completed"].is_null())
    }

    fn send(&mut self, ready: Ready) -> Result<(), SinkError> {
        let (query, body) = self.encode(&ready)?;
        let what = format!("batch {} of cycle {}", ready.batch, ready.scope);
        if self.spool.is_some() {
            // Spool first: the batch survives whatever happens to the request or the process.
            let name = format!(
                "{:012}-{}",
                self.started_at.max(0),
                self.cycle_id(&ready.scope.to_string())
            );
            let mut bytes = Vec::with_capacity(query.len() + 1 + body.len());
            bytes.extend_from_slice(query.as_bytes());
            bytes.push(b'\n');
            bytes.extend_from_slice(&body);
            let items = ready.findings.len() as u64;
            let spool = self.spool.as_mut().expect("checked above");
            spool.push(&name, ready.batch, items, &bytes).map_err(|e| {
                SinkError::new(
                    format!("kspm server {}", self.base),
                    format!("spooling {what}"),
                    false,
                    e,
                )
                .after(self.delivered.clone())
            })?;
            self.drain();
            return Ok(());
        }
        let completed = self
            .post_batch(&query, &body)
            .map_err(|(retryable, e)| self.error(&what, retryable, e))?;
        self.delivered.batches += 1;
        self.delivered.findings += ready.findings.len() as u64;
        if completed {
            self.delivered.cycles += 1;
        }
        Ok(())
    }

    /// Sends what waits in the spool, oldest first, until the server cannot take more for now.
    /// Never fails: what could not be sent stays spooled and `delivered.deferred` says why.
    pub fn drain(&mut self) {
        if self.delivered.deferred.is_some() {
            return;
        }
        let Some(spool) = &self.spool else {
            return;
        };
        let pending = match spool.pending() {
            Ok(p) => p,
            Err(e) => {
                self.delivered.deferred = Some(format!("the spool cannot be read: {e}"));
                return;
            }
        };
        for batch in pending {
            let Some(spool) = &self.spool else {
                return;
            };
            let bytes = match spool.read(&batch) {
                Ok(b) => b,
                Err(e) => {
                    self.delivered.deferred = Some(format!("a spooled batch cannot be read: {e}"));
                    return;
                }
            };
            let split = bytes
                .iter()
                .position(|b| *b == b'\n')
                .unwrap_or(bytes.len());
            let query = String::from_utf8_lossy(&bytes[..split]).into_owned();
            let body = bytes.get(split + 1..).unwrap_or_default();
            let outcome = self.post_batch(&query, body);
            let refused_for_good = match &outcome {
                Ok(_) => false,
                Err((_, Error::Status { status, .. })) => matches!(status, 400 | 409 | 413 | 422),
                Err(_) => false,
            };
            match outcome {
                Ok(completed) => {
                    self.delivered.batches += 1;
                    self.delivered.findings += batch.items;
                    if completed {
                        self.delivered.cycles += 1;
                    }
                }
                Err((_, e)) if refused_for_good => {
                    let reason = format!(
                        "the server refused spooled batch {} of cycle {} for good, dropped: {e}",
                        batch.seq, batch.cycle
                    );
                    tracing::error!("{reason}");
                    self.rejected.push(reason);
                }
                Err((_, e)) => {
                    self.delivered.deferred = Some(error_text(&e));
                    break;
                }
            }
            if let Some(spool) = self.spool.as_mut()
                && let Err(e) = spool.ack(&batch)
            {
                self.delivered.deferred = Some(format!("the spool cannot be written: {e}"));
                return;
            }
        }
    }

    /// Batches waiting in the spool and their bytes.
    pub fn spooled(&self) -> (u64, u64) {
        self.spool
            .as_ref()
            .and_then(|s| s.pending().ok().map(|p| (p.len() as u64, s.used())))
            .unwrap_or_default()
    }

    /// What the spool dropped to stay within its bound.
    pub fn spool_loss(&self) -> SpoolLoss {
        self.spool.as_ref().map(Spool::lost).unwrap_or_default()
    }

    /// Why batches could not be delivered yet, if they could not.
    pub fn deferred(&self) -> Option<&str> {
        self.delivered.deferred.as_deref()
    }

    /// Batches the server refused for good and that were dropped, with the reasons.
    pub fn rejected(&self) -> &[String] {
        &self.rejected
    }
}

/// An error and its causes on one line.
fn error_text(e: &Error) -> String {
    let mut text = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

impl Sink for ServerSink {
    fn name(&self) -> String {
        format!("kspm server {}", self.base)
    }

    fn begin(&mut self, run: &RunInfo<'_>) -> Result<(), SinkError> {
        self.cluster = run.cluster.clone();
        self.started_at = run.started_at;
        self.nonce = format!("{}/{}", run.started_at, std::process::id());
        self.cycles = Cycles::new(self.config.batch_size, run.scopes);
        // The server refuses a wrong token before reading the body, which a client sending a
        // large body sees as a broken connection: ask with an empty request first, for a
        // clear answer.
        let url = format!("{}/api/v1/ingest", self.base);
        let probe = self
            .client
            .post(&url)
            .bearer_auth(&self.config.token)
            .send();
        let refused = match probe {
            Ok(probe) => {
                let status = probe.status().as_u16();
                matches!(status, 401 | 403).then(|| Error::Status {
                    status,
                    body: crate::http::excerpt(&probe.text().unwrap_or_default()),
                })
            }
            Err(e) if self.spool.is_some() => {
                // Unreachable: spool this cycle; the next sink sends it.
                self.delivered.deferred = Some(error_text(&Error::Http(e)));
                None
            }
            Err(e) => {
                return Err(self.error(format!("connecting to {}", self.base), true, e.into()));
            }
        };
        if let Some(refusal) = refused {
            if self.spool.is_none() {
                return Err(self.error("checking the write token", false, refusal));
            }
            self.delivered.deferred = Some(format!(
                "checking the write token failed: {}",
                error_text(&refusal)
            ));
        }
        // What earlier cycles left in the spool goes first.
        self.drain();
        Ok(())
    }

    fn write(&mut self, batch: &[ResourceFindings]) -> Result<(), SinkError> {
        for ready in self.cycles.push(batch) {
            self.send(ready)?;
        }
        Ok(())
    }

    fn finish(&mut self, _summary: &RunSummary) -> Result<Delivery, SinkError> {
        for ready in self.cycles.finish() {
            self.send(ready)?;
        }
        self.drain();
        let mut delivered = self.delivered.clone();
        delivered.spooled = self.spooled().0;
        Ok(delivered)
    }
}
