//! The push to a kspm server: one cycle per scope, NDJSON batches sent to its ingest API
//! (`POST /api/v1/ingest`), the last one marked `final` so the server completes the cycle and
//! resolves what this run no longer saw. The protocol is in crates/server/README.md.
//!
//! Requests that fail in a way that may pass (no connection, a timeout, HTTP 429 or 5xx) are
//! tried again with backoff; the server treats a resent (cycle, batch) as a duplicate, so a
//! batch is stored once however often it is sent.

use std::time::Duration;

use kspm_model::{ClusterInfo, ResourceFindings, cluster_id_from_name};

use crate::cycles::{Cycles, Ready};
use crate::retry::{Attempt, Backoff, retry_after};
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
        Ok(ServerSink {
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

    fn send(&mut self, ready: Ready) -> Result<(), SinkError> {
        let cycle = cluster_id_from_name(&format!(
            "{}/{}/{}",
            self.cluster.id, ready.scope, self.nonce
        ));
        let mut body = Vec::with_capacity(ready.findings.len() * 2048);
        for f in &ready.findings {
            serde_json::to_writer(&mut body, f)
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
        let url = format!("{}/api/v1/ingest?{}", self.base, query.finish());
        let what = format!("batch {} of cycle {}", ready.batch, ready.scope);
        let backoff = self.config.backoff;
        let answer = backoff
            .run(|_| self.post(&url, &body), std::thread::sleep)
            .map_err(|gave_up| self.error(&what, gave_up.retryable, gave_up.error))?;
        self.delivered.batches += 1;
        self.delivered.findings += ready.findings.len() as u64;
        if ready.last && !answer["completed"].is_null() {
            self.delivered.cycles += 1;
        }
        Ok(())
    }
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
            .send()
            .map_err(|e| self.error(format!("connecting to {}", self.base), true, e.into()))?;
        let status = probe.status().as_u16();
        if matches!(status, 401 | 403) {
            let body = crate::http::excerpt(&probe.text().unwrap_or_default());
            return Err(self.error(
                "checking the write token",
                false,
                Error::Status { status, body },
            ));
        }
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
        Ok(self.delivered.clone())
    }
}
