//! The kspm findings store: SQLite (bundled, WAL) holding the latest finding per
//! (cluster, resource, rule), evaluation cycles, posture-score history, rule settings and
//! exceptions, queried with a KQL subset ([`kql`]).
//!
//! # Semantics (DESIGN §5)
//!
//! - A cycle is one evaluation of one scope of a cluster: `cluster` (cluster-wide rules) or
//!   `node:<name>` (the rules of one node). It is begun, fed batches, then completed.
//! - Batches are **staged**: nothing a cycle sends is visible until the cycle completes.
//!   Completing applies the staged findings to the latest set in one transaction, resolves every
//!   current finding of the same (cluster, scope) that the cycle did not report, and records the
//!   score history. An abandoned cycle changes nothing visible.
//! - Re-sending a batch (same cycle, same batch number) changes nothing; completing twice
//!   returns the first summary.
//! - `not_applicable` findings are never stored.
//! - A finding that comes back after being resolved is current again and keeps `first_seen`.
//! - Exceptions never change an outcome: a finding covered by an unexpired exception is marked
//!   excepted. Expiry is checked at query time against the store's [`Clock`], so an expired
//!   exception stops applying without any write.
//! - Every current finding has one [`Status`]: `disabled` (its rule is disabled for its
//!   cluster), else `excepted` (an unexpired exception covers it), else its outcome. Every count
//!   the store reports ([`Counts`]) counts statuses, and the `status` query field selects
//!   them, so a count and the list it links to agree.
//! - **Score** = passed / (passed + failed) over statuses: excepted findings are reported
//!   beside the score, not in it (an accepted risk is neither a pass nor a failure). Findings
//!   of disabled rules are left out of scores and of default search results.

mod aggregate;
mod clock;
mod dashboard;
mod doc;
mod history;
mod ingest;
pub mod kql;
mod policy;
mod query;
pub use query::TEXT_COUNT_CAP;
mod schema;
mod status;
mod suggest;
mod types;

use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use rusqlite::Connection;

pub use clock::Clock;
pub use ingest::MAX_BATCH;
pub use status::{Counts, Status};
pub use types::*;

/// Errors of the store.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// SQLite failed.
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The database file or its directory could not be created.
    #[error("cannot create {path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The database was written by a newer kspm than this one.
    #[error(
        "database schema version {found} is newer than this kspm knows ({known}); upgrade kspm"
    )]
    SchemaTooNew {
        /// `PRAGMA user_version` of the file.
        found: i64,
        /// The newest version this build knows.
        known: i64,
    },
    /// A KQL query could not be parsed or names an unknown field.
    #[error("query: {0}")]
    Query(#[from] kql::QueryError),
    /// A request refers to a cycle that was never begun.
    #[error("unknown cycle `{0}`")]
    UnknownCycle(String),
    /// A new batch was sent for a cycle that already completed.
    #[error("cycle `{0}` is already complete")]
    CycleComplete(String),
    /// A batch number was sent again with other content, after the final batch, or a cycle
    /// was given two final batches.
    #[error("{0}")]
    BatchConflict(String),
    /// A cycle id was reused with a different cluster or scope.
    #[error("cycle `{0}` was begun with a different cluster or scope")]
    CycleMismatch(String),
    /// A request is malformed (bad scope, bad label selector, finding of another cluster, …).
    #[error("invalid request: {0}")]
    Invalid(String),
    /// A stored JSON document could not be read back.
    #[error("stored document is corrupt: {0}")]
    Corrupt(#[from] serde_json::Error),
    /// A lock was poisoned by a panic in another thread.
    #[error("store lock poisoned")]
    Poisoned,
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A findings store on one SQLite file. Cheap to clone; clones share connections.
///
/// Writes go through one connection (SQLite has one writer); reads use a small pool of
/// read connections, which WAL lets run beside the writer.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    path: std::path::PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<ReadPool>,
    /// Signalled when a read connection goes back to the pool.
    reader_free: Condvar,
    clock: Clock,
}

/// Read connections: at most [`MAX_READERS`] open, so that concurrent searches wait for one
/// instead of each opening a connection with its own page cache.
#[derive(Default)]
struct ReadPool {
    idle: Vec<Connection>,
    open: usize,
}

/// Read connections open at most.
const MAX_READERS: usize = 4;

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.inner.path)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (creating it and its parent directories if needed) the database at `path` and
    /// migrates it to the current schema. Uses the system clock.
    pub fn open(path: &Path) -> Result<Store> {
        Store::open_with_clock(path, Clock::system())
    }

    /// Like [`Store::open`], with a clock for "now" (exception expiry, rule settings times).
    /// Tests pass [`Clock::fixed`] so that results do not depend on the wall clock.
    pub fn open_with_clock(path: &Path, clock: Clock) -> Result<Store> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| Error::Io {
                path: dir.display().to_string(),
                source,
            })?;
        }
        let mut writer = schema::connect(path, schema::WRITER_CACHE_KIB)?;
        schema::migrate(&mut writer)?;
        Ok(Store {
            inner: Arc::new(Inner {
                path: path.to_owned(),
                writer: Mutex::new(writer),
                readers: Mutex::new(ReadPool::default()),
                reader_free: Condvar::new(),
                clock,
            }),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The clock the store reads "now" from.
    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    /// The schema version this build writes.
    pub fn schema_version() -> i64 {
        schema::VERSION
    }

    fn now(&self) -> i64 {
        self.inner.clock.now()
    }

    fn writer(&self) -> Result<MutexGuard<'_, Connection>> {
        self.inner.writer.lock().map_err(|_| Error::Poisoned)
    }

    /// Runs `f` on a read connection from the pool, waiting for one when
    /// [`MAX_READERS`] are busy.
    fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let idle = {
            let mut pool = self.inner.readers.lock().map_err(|_| Error::Poisoned)?;
            loop {
                if let Some(conn) = pool.idle.pop() {
                    break Some(conn);
                }
                if pool.open < MAX_READERS {
                    pool.open += 1;
                    break None;
                }
                pool = self
                    .inner
                    .reader_free
                    .wait(pool)
                    .map_err(|_| Error::Poisoned)?;
            }
        };
        let lease = ReadLease {
            inner: &self.inner,
            conn: match idle {
                Some(conn) => Some(conn),
                None => match schema::connect(&self.inner.path, schema::READER_CACHE_KIB) {
                    Ok(conn) => Some(conn),
                    // The lease gives the slot back.
                    Err(err) => {
                        drop(ReadLease {
                            inner: &self.inner,
                            conn: None,
                        });
                        return Err(err);
                    }
                },
            },
        };
        f(lease.conn.as_ref().expect("a leased connection"))
    }
}

/// A read connection taken from the pool; dropping it (also on a panic) puts it back, or
/// frees its slot when there is no connection to return.
struct ReadLease<'a> {
    inner: &'a Inner,
    conn: Option<Connection>,
}

impl Drop for ReadLease<'_> {
    fn drop(&mut self) {
        if let Ok(mut pool) = self.inner.readers.lock() {
            match self.conn.take() {
                Some(conn) if !std::thread::panicking() => pool.idle.push(conn),
                _ => pool.open -= 1,
            }
        }
        self.inner.reader_free.notify_one();
    }
}

/// Helpers for tests and tools that need a database at an older schema version.
#[doc(hidden)]
pub mod testing {
    pub use crate::schema::{create_at_version, user_version};

    /// Rows staged by cycles that have not completed (findings, resources and rules).
    pub fn staged_rows(store: &crate::Store) -> crate::Result<u64> {
        store.read(|conn| {
            Ok(conn.query_row(
                "SELECT (SELECT COUNT(*) FROM staged_findings)
                     + (SELECT COUNT(*) FROM staged_resources)
                     + (SELECT COUNT(*) FROM staged_rules)",
                [],
                |r| r.get::<_, i64>(0),
            )? as u64)
        })
    }

    /// Rows of the clusters table, listed or not.
    pub fn cluster_rows(store: &crate::Store) -> crate::Result<u64> {
        store.read(|conn| {
            Ok(conn.query_row("SELECT COUNT(*) FROM clusters", [], |r| r.get::<_, i64>(0))? as u64)
        })
    }

    /// SQLite's plan for the count of current findings a search for `query` runs.
    pub fn search_count_plan(store: &crate::Store, query: &str) -> crate::Result<String> {
        let filter = crate::kql::translate(&crate::kql::parse(query)?, 0);
        let sql = crate::query::count_sql("f.resolved_at IS NULL AND f.disabled = 0", &filter);
        store.read(|conn| {
            let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
            let rows = stmt.query_map(rusqlite::params_from_iter(filter.params.iter()), |r| {
                r.get::<_, String>(3)
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?.join("; "))
        })
    }

    /// SQLite's plan for `sql` (details joined by `; `), to pin which index a query uses.
    pub fn plan(store: &crate::Store, sql: &str) -> crate::Result<String> {
        store.read(|conn| {
            let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(3))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?.join("; "))
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn store_can_be_shared_between_threads() {
        fn shareable<T: Clone + Send + Sync + 'static>() {}
        shareable::<super::Store>();
    }
}
