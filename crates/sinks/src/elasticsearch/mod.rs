//! Elasticsearch / OpenSearch: finding documents shipped with `_bulk` into a data stream
//! (default `logs-cloud_security_posture.findings-default`, the one Kibana's posture pages
//! read) or a plain index.
//!
//! - `config`: what the user sets (target, credentials never printed, CA, batching, spool);
//! - `encoder`: a finding as a bulk item, the document being the NDJSON finding document;
//! - `service`: the HTTP calls and the start-up check that names what is wrong;
//! - `retry`: a bulk answer read item by item;
//! - `template`: the index template installed when missing;
//! - this file: batching by count and bytes, the spool, and the retry loop.
//!
//! Every batch is written to the spool (when one is configured) before it is sent and removed
//! once every item is accounted for: stored (a `create` answered 409 was stored by an earlier
//! attempt), or rejected for good with its reason. Items answered 429 or 5xx, and whole
//! requests that fail that way or get no answer, are sent again with exponential backoff and
//! jitter, honouring `Retry-After`. When the attempts run out the batch stays in the spool,
//! later batches are only spooled, and a new sink (the next run) sends them first.

mod config;
mod encoder;
mod retry;
mod service;
mod template;

use kspm_model::ResourceFindings;

pub use config::{
    Credentials, DEFAULT_DATA_STREAM, ElasticsearchConfig, Secret, SpoolConfig, Target,
};
pub use encoder::document_id;
pub use retry::Rejection;
pub use service::{ClusterFacts, Problem};
pub use template::{body as template_body, mappings as template_mappings};

use crate::retry::Attempt;
use crate::spool::{Spool, SpoolLoss, SpooledBatch};
use crate::{Delivery, Error, RunInfo, RunSummary, Sink, SinkError};
use retry::ItemOutcome;
use service::Service;

/// How many rejections are kept with their reasons (the rest are counted).
const KEEP_REJECTIONS: usize = 1_000;

/// Ships findings to Elasticsearch or OpenSearch.
pub struct ElasticsearchSink {
    config: ElasticsearchConfig,
    service: Service,
    spool: Option<Spool>,
    cycle: String,
    next_seq: u64,
    buffer: Vec<u8>,
    buffer_items: u64,
    delivered: Delivery,
    rejected: Vec<Rejection>,
    rejected_count: u64,
    /// Set when sending gave up for now: later batches are only spooled.
    outage: Option<String>,
    facts: Option<ClusterFacts>,
}

impl std::fmt::Debug for ElasticsearchSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ElasticsearchSink")
            .field("config", &self.config)
            .field("delivered", &self.delivered)
            .finish_non_exhaustive()
    }
}

impl ElasticsearchSink {
    /// A sink for `config`. Fails on a URL that is not `http(s)://`, a CA that does not parse,
    /// or a spool directory that cannot be opened. Nothing is sent before [`Sink::begin`].
    pub fn new(config: ElasticsearchConfig) -> crate::Result<ElasticsearchSink> {
        let service = Service::new(&config)?;
        let spool = match &config.spool {
            Some(s) => Some(Spool::open(&s.dir, s.max_bytes)?),
            None => None,
        };
        Ok(ElasticsearchSink {
            config,
            service,
            spool,
            cycle: String::new(),
            next_seq: 0,
            buffer: Vec::new(),
            buffer_items: 0,
            delivered: Delivery::default(),
            rejected: Vec::new(),
            rejected_count: 0,
            outage: None,
            facts: None,
        })
    }

    /// The start-up check: reachable, TLS, credentials, product and version, privileges, and
    /// the index template (installed when missing). Says exactly what is wrong.
    pub fn check(&mut self) -> crate::Result<ClusterFacts> {
        let target = &self.config.target;
        let facts = self.service.facts(target)?;
        let mut may_manage_templates = true;
        if !facts.opensearch
            && let Some(missing) = self.service.missing_privileges(target)?
        {
            let write_missing: Vec<&String> = missing
                .iter()
                .filter(|m| {
                    m.ends_with(":create_doc") || m.ends_with(":index") || m.ends_with(":monitor")
                })
                .collect();
            if !write_missing.is_empty() {
                return Err(Error::Startup {
                    problem: Problem::Privileges,
                    detail: format!(
                        "the credentials lack {} (kspm needs cluster `monitor`, index `{}` on {}, and `auto_configure` and cluster `manage_index_templates` unless the {} and template already exist)",
                        missing.join(", "),
                        if matches!(target, Target::DataStream(_)) {
                            "create_doc"
                        } else {
                            "index"
                        },
                        target.name(),
                        if matches!(target, Target::DataStream(_)) {
                            "data stream"
                        } else {
                            "index"
                        },
                    ),
                });
            }
            if missing
                .iter()
                .any(|m| m.ends_with("manage_index_templates"))
            {
                may_manage_templates = false;
                tracing::warn!(
                    "the Elasticsearch credentials lack `manage_index_templates`: kspm cannot check or install its index template and assumes {} is set up",
                    target.name()
                );
            }
        }
        // A data stream or index that exists already has its mappings (Fleet's, or an
        // earlier kspm's): leave them and any template alone.
        if self.config.install_template
            && may_manage_templates
            && !self.service.target_exists(target)?
        {
            let name = template::name(target);
            if self
                .service
                .ensure_template(&name, &template::body(target))?
            {
                tracing::info!("installed the index template {name}");
            }
        }
        self.facts = Some(facts.clone());
        Ok(facts)
    }

    /// The documents rejected for good so far (the first thousand, with their reasons).
    pub fn rejected(&self) -> &[Rejection] {
        &self.rejected
    }

    /// What the spool dropped to stay within its bound.
    pub fn spool_loss(&self) -> SpoolLoss {
        self.spool.as_ref().map(Spool::lost).unwrap_or_default()
    }

    /// Sends what the spool holds, oldest first, between runs (the agent calls it every minute
    /// while it waits for its next cycle): checks the cluster first, once per sink, and stops
    /// at the first batch that cannot be sent for now (`outage` then says why).
    pub fn drain_spool(&mut self) -> Result<(), SinkError> {
        if self.spool.is_none() || self.spooled() == 0 {
            return Ok(());
        }
        if self.facts.is_none() {
            match self.check() {
                Ok(_) => {}
                Err(Error::Startup {
                    problem: Problem::Unreachable,
                    detail,
                }) => {
                    self.outage = Some(detail);
                    return Ok(());
                }
                Err(e) => return Err(self.error("the start-up check", true, e)),
            }
        }
        self.outage = None;
        self.drain()
    }

    /// Why the last attempt gave up for now, when it did (the cluster was unreachable).
    pub fn outage(&self) -> Option<&str> {
        self.outage.as_deref()
    }

    /// Batches waiting in the spool.
    pub fn spooled(&self) -> u64 {
        self.spool
            .as_ref()
            .and_then(|s| s.pending().ok())
            .map_or(0, |p| p.len() as u64)
    }

    fn error(&self, what: impl Into<String>, retryable: bool, source: Error) -> SinkError {
        SinkError::new(self.name(), what, retryable, source).after(self.delivered.clone())
    }

    /// Sends one encoded batch until every item is accounted for, or gives up (`Err` with
    /// whether the failure may pass). A batch larger than the cluster takes in one request
    /// (413, its `http.max_content_length`) is sent in halves; a single document that is too
    /// large is rejected with that reason.
    fn send(&mut self, body: &[u8]) -> Result<(), (Error, bool)> {
        match self.send_whole(body) {
            Err((Error::Status { status: 413, .. }, _)) => {
                let items = encoder::items(body);
                if let [item] = &items[..] {
                    let rejection = Rejection {
                        id: item.id.clone(),
                        status: 413,
                        kind: "request_entity_too_large".into(),
                        reason: format!(
                            "the document alone ({} bytes) is larger than the cluster takes in one request (http.max_content_length)",
                            item.range.len()
                        ),
                    };
                    self.reject(rejection);
                    return Ok(());
                }
                let (first, second) = items.split_at(items.len() / 2);
                tracing::info!(
                    "Elasticsearch refused a bulk request of {} bytes as too large; sending it as two of {} and {} documents",
                    body.len(),
                    first.len(),
                    second.len()
                );
                for half in [first, second] {
                    let mut part = Vec::with_capacity(body.len() / 2 + 1);
                    for item in half {
                        part.extend_from_slice(&body[item.range.clone()]);
                    }
                    self.send(&part)?;
                }
                Ok(())
            }
            other => other,
        }
    }

    fn reject(&mut self, r: Rejection) {
        tracing::warn!("Elasticsearch rejected {r}");
        self.rejected_count += 1;
        if self.rejected.len() < KEEP_REJECTIONS {
            self.rejected.push(r);
        }
    }

    fn send_whole(&mut self, body: &[u8]) -> Result<(), (Error, bool)> {
        let items = encoder::items(body);
        let mut remaining: Vec<usize> = (0..items.len()).collect();
        let mut done = 0u64;
        let mut rejected = Vec::new();
        let backoff = self.config.backoff;
        let target = self.config.target.clone();
        let service = &self.service;
        let result = backoff.run(
            |_| {
                let mut request = Vec::with_capacity(body.len());
                for &i in &remaining {
                    request.extend_from_slice(&body[items[i].range.clone()]);
                }
                let answer = match service.bulk(&target, request) {
                    Attempt::Done(answer) => answer,
                    Attempt::Retry { error, after } => return Attempt::Retry { error, after },
                    Attempt::Fail(error) => return Attempt::Fail(error),
                };
                let ids: Vec<(&str, &str)> = remaining
                    .iter()
                    .map(|&i| (items[i].id.as_str(), items[i].op.as_str()))
                    .collect();
                let Some(outcomes) = retry::read(&answer, &ids) else {
                    return Attempt::Retry {
                        error: Error::Status {
                            status: 200,
                            body: "a bulk answer without one item per document".into(),
                        },
                        after: None,
                    };
                };
                let mut again = Vec::new();
                let mut last_retry = None;
                for (&i, outcome) in remaining.iter().zip(outcomes) {
                    match outcome {
                        ItemOutcome::Stored | ItemOutcome::AlreadyStored => done += 1,
                        ItemOutcome::Retry => {
                            again.push(i);
                            last_retry = Some(i);
                        }
                        // A write the credentials may not make is no fault of the document:
                        // the batch stays (in the spool) until the rights are fixed.
                        ItemOutcome::Rejected(r) if r.status == 401 || r.status == 403 => {
                            return Attempt::Fail(Error::Startup {
                                problem: Problem::Privileges,
                                detail: format!(
                                    "writing to {} was refused; the credentials need `{}` on it \
                                     (OpenSearch: the index permission indices:data/write/bulk*): {}",
                                    target.name(),
                                    match target {
                                        Target::DataStream(_) => "create_doc",
                                        Target::Index(_) => "index",
                                    },
                                    r.reason
                                ),
                            });
                        }
                        ItemOutcome::Rejected(r) => rejected.push(r),
                    }
                }
                remaining = again;
                match last_retry {
                    None => Attempt::Done(()),
                    Some(i) => Attempt::Retry {
                        error: Error::Status {
                            status: 429,
                            body: format!(
                                "{} documents (such as {}) not stored yet: the cluster is busy or a shard is unavailable",
                                remaining.len(),
                                items[i].id
                            ),
                        },
                        after: None,
                    },
                }
            },
            std::thread::sleep,
        );
        match result {
            Ok(()) => {
                self.delivered.batches += 1;
                self.delivered.findings += done;
                for r in rejected {
                    self.reject(r);
                }
                Ok(())
            }
            Err(gave_up) => Err((gave_up.error, gave_up.retryable)),
        }
    }

    /// Sends every spooled batch in order; stops at the first that cannot be sent for now.
    fn drain(&mut self) -> Result<(), SinkError> {
        let Some(spool) = &self.spool else {
            return Ok(());
        };
        let pending = spool
            .pending()
            .map_err(|e| self.error("reading the spool", false, e))?;
        for batch in pending {
            self.send_spooled(&batch)?;
            if self.outage.is_some() {
                break;
            }
        }
        Ok(())
    }

    fn send_spooled(&mut self, batch: &SpooledBatch) -> Result<(), SinkError> {
        let Some(spool) = &self.spool else {
            return Ok(());
        };
        let body = spool
            .read(batch)
            .map_err(|e| self.error("reading the spool", false, e))?;
        match self.send(&body) {
            Ok(()) => {
                if let Some(spool) = &mut self.spool {
                    spool
                        .ack(batch)
                        .map_err(|e| SinkError::new("spool", "removing a sent batch", false, e))?;
                }
                Ok(())
            }
            Err((error, true)) => {
                tracing::warn!(
                    "Elasticsearch at {} is not taking documents ({error}); batches are kept in the spool at {}",
                    self.service.base,
                    self.spool
                        .as_ref()
                        .map(|s| s.dir().display().to_string())
                        .unwrap_or_default()
                );
                self.outage = Some(error.to_string());
                Ok(())
            }
            Err((error, false)) => Err(self.error(
                format!("batch {} of cycle {}", batch.seq, batch.cycle),
                false,
                error,
            )),
        }
    }

    /// Sends (or spools) the buffered documents.
    fn flush(&mut self) -> Result<(), SinkError> {
        if self.buffer_items == 0 {
            return Ok(());
        }
        let body = std::mem::take(&mut self.buffer);
        let items = std::mem::take(&mut self.buffer_items);
        let seq = self.next_seq;
        self.next_seq += 1;
        let Some(spool) = &mut self.spool else {
            return self.send(&body).map_err(|(error, retryable)| {
                self.error(format!("batch {seq}"), retryable, error)
            });
        };
        let batch = spool
            .push(&self.cycle, seq, items, &body)
            .map_err(|e| SinkError::new("spool", "writing a batch", false, e))?;
        if self.outage.is_some() {
            return Ok(());
        }
        // Earlier batches (of this run after an outage, or of an earlier run) go first.
        let _ = batch;
        self.drain()
    }
}

impl Sink for ElasticsearchSink {
    fn name(&self) -> String {
        format!(
            "Elasticsearch {} ({})",
            self.service.base,
            self.config.target.name()
        )
    }

    fn begin(&mut self, run: &RunInfo<'_>) -> Result<(), SinkError> {
        // A name that sorts in time order, unique per process and per sink.
        static SINKS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = SINKS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.cycle = format!("{:012}-{}-{n}", run.started_at.max(0), std::process::id());
        // A sink that runs again (the server's forwarder) checks the cluster once, not per run.
        let checked = match &self.facts {
            Some(facts) => Ok(facts.clone()),
            None => self.check(),
        };
        match checked {
            // A new run tries again, whatever the last one ran into.
            Ok(_) => self.outage = None,
            Err(Error::Startup {
                problem: Problem::Unreachable,
                detail,
            }) if self.spool.is_some() => {
                tracing::warn!("{detail}; findings are kept in the spool until it answers");
                self.outage = Some(detail);
                return Ok(());
            }
            Err(e) => {
                let retryable = matches!(
                    e,
                    Error::Startup {
                        problem: Problem::Unreachable | Problem::Server,
                        ..
                    }
                );
                return Err(self.error("the start-up check", retryable, e));
            }
        }
        self.drain()
    }

    fn write(&mut self, batch: &[ResourceFindings]) -> Result<(), SinkError> {
        let target = self.config.target.clone();
        for finding in batch.iter().flat_map(|r| &r.findings) {
            let before = self.buffer.len();
            encoder::encode(finding, &target, &mut self.buffer)
                .map_err(|e| self.error("encoding a finding", false, e.into()))?;
            self.buffer_items += 1;
            let full_bytes = self.buffer.len() >= self.config.batch_bytes && self.buffer_items > 1;
            if full_bytes {
                // Send what was there before this document; it starts the next batch.
                let rest = self.buffer.split_off(before);
                self.buffer_items -= 1;
                self.flush()?;
                self.buffer = rest;
                self.buffer_items = 1;
            }
            if self.buffer_items as usize >= self.config.batch_docs.max(1) {
                self.flush()?;
            }
        }
        Ok(())
    }

    fn finish(&mut self, _summary: &RunSummary) -> Result<Delivery, SinkError> {
        self.flush()?;
        if self.outage.is_some() {
            // One more try: the cluster may be back.
            self.outage = None;
            if self.facts.is_none() {
                match self.check() {
                    Ok(_) => {}
                    Err(e) => {
                        self.outage = Some(e.to_string());
                    }
                }
            }
            if self.outage.is_none() {
                self.drain()?;
            }
        }
        if let Some(reason) = &self.outage {
            let left = self.spooled();
            let dir = self
                .spool
                .as_ref()
                .map(|s| s.dir().display().to_string())
                .unwrap_or_default();
            return Err(self.error(
                format!("delivering {left} batches (kept in the spool at {dir} for the next run)"),
                true,
                Error::Config(reason.clone()),
            ));
        }
        let loss = self.spool_loss();
        if loss.batches > 0 {
            return Err(self.error(
                "spooling",
                false,
                Error::Config(format!(
                    "the spool was full: {} batches ({} documents) were dropped",
                    loss.batches, loss.items
                )),
            ));
        }
        if self.rejected_count > 0 {
            let first = self
                .rejected
                .first()
                .map(ToString::to_string)
                .unwrap_or_default();
            return Err(self.error(
                "indexing",
                false,
                Error::Rejected {
                    count: self.rejected_count,
                    first,
                },
            ));
        }
        self.delivered.cycles += 1;
        Ok(self.delivered.clone())
    }
}
