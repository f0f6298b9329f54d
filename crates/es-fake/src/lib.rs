//! A loopback Elasticsearch for kspm's tests and benchmarks.
//!
//! It implements the semantics a shipper of documents depends on — the bulk API with real
//! per-item answers, composable index templates with a mapping check, data streams created on
//! first write, dynamic mapping and mapping conflicts, authentication and privileges — and
//! fails the ways a busy cluster fails (whole-request 429 with `Retry-After`, 5xx, per-item
//! 429/5xx, a connection cut in the middle of a request, slow answers, a node that stops and
//! comes back with its data). It is a dev-dependency only: no shipped crate may depend on it.
//! What it implements and what it does not is listed in the crate's README.
//!
//! ```no_run
//! use kspm_es_fake::{DEFAULT_PASSWORD, FakeElasticsearch, Fault};
//!
//! let mut es = FakeElasticsearch::builder().start().expect("starts");
//! es.add_fault(Fault::ItemFailures { count: 3, status: 429 });
//! // … point the client at es.url() with user `elastic` and DEFAULT_PASSWORD …
//! es.stop(); // refused connections from now on; the data is kept
//! es.start().unwrap(); // same port, same data
//! let ids = es.ids("logs-cloud_security_posture.findings-default");
//! # let _ = (ids, DEFAULT_PASSWORD);
//! ```

mod auth;
mod bulk;
mod fault;
mod handler;
mod mapping;
mod net;
mod server;
mod shared;
mod state;

pub use auth::{Principal, Privileges};
pub use fault::Fault;
pub use server::{DEFAULT_API_KEY, DEFAULT_PASSWORD, FakeElasticsearch, FakeElasticsearchBuilder};
pub use shared::RecordedRequest;

/// What can go wrong setting up the server.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The listener, its thread or its TLS material could not be set up.
    #[error("could not start the fake Elasticsearch")]
    Start(#[source] std::io::Error),
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
