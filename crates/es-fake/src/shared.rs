//! What the handlers share with the handle: settings, the cluster's contents, the faults in
//! force and the request log. It outlives a stop, so a restarted server keeps its data.

use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::auth::Principal;
use crate::fault::Faults;
use crate::state::Cluster;

/// One request the server answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The answer's status.
    pub status: u16,
}

/// Settings fixed when the server is built.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) version: String,
    pub(crate) distribution: Option<String>,
    pub(crate) product_header: bool,
    pub(crate) principals: Vec<Principal>,
    pub(crate) store_sources: bool,
    /// `http.max_content_length`: larger request bodies are answered 413.
    pub(crate) max_content_length: Option<usize>,
}

impl Config {
    /// The major version served.
    pub(crate) fn major_minor(&self) -> (u64, u64) {
        let mut parts = self
            .version
            .split('.')
            .map(|p| p.parse::<u64>().unwrap_or(0));
        (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
    }

    pub(crate) fn opensearch(&self) -> bool {
        self.distribution.as_deref() == Some("opensearch")
    }

    /// The exception name of a document that does not fit its mapping: Elasticsearch 8.8
    /// renamed it.
    pub(crate) fn parsing_exception(&self) -> &'static str {
        if !self.opensearch() && self.major_minor() >= (8, 8) {
            "document_parsing_exception"
        } else {
            "mapper_parsing_exception"
        }
    }
}

/// What the handlers share; it outlives a stop, so a restarted server keeps its data.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: Config,
    pub(crate) cluster: Mutex<Cluster>,
    pub(crate) faults: Mutex<Faults>,
    pub(crate) requests: Mutex<Vec<RecordedRequest>>,
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    pub(crate) fn cluster(&self) -> MutexGuard<'_, Cluster> {
        lock(&self.cluster)
    }

    pub(crate) fn faults(&self) -> MutexGuard<'_, Faults> {
        lock(&self.faults)
    }

    pub(crate) fn record(&self, request: RecordedRequest) {
        lock(&self.requests).push(request);
    }
}
