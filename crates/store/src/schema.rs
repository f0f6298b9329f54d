//! Connections and schema migrations (`PRAGMA user_version`, one transaction per upgrade).

use std::path::Path;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use crate::{Error, Result};

/// Migration `i` brings the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    include_str!("sql/v1.sql"),
    include_str!("sql/v2.sql"),
    include_str!("sql/v3.sql"),
];

/// The schema version this build writes.
pub(crate) const VERSION: i64 = MIGRATIONS.len() as i64;

/// Opens a connection with the store's pragmas.
pub(crate) fn connect(path: &Path) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    // WAL lets readers run beside the single writer; NORMAL sync is durable across process
    // crashes (a power loss may lose the last transactions, never corrupt the file).
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    // 64 MiB page cache per connection (negative = KiB).
    conn.pragma_update(None, "cache_size", -65_536)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

/// Brings the database to [`VERSION`], or refuses a newer one.
pub(crate) fn migrate(conn: &mut Connection) -> Result<()> {
    migrate_to(conn, VERSION)
}

/// Applies migrations up to `target` inside one immediate transaction.
pub(crate) fn migrate_to(conn: &mut Connection, target: i64) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > VERSION {
        return Err(Error::SchemaTooNew {
            found,
            known: VERSION,
        });
    }
    for (i, sql) in MIGRATIONS
        .iter()
        .enumerate()
        .take(target as usize)
        .skip(found.max(0) as usize)
    {
        tx.execute_batch(sql)?;
        // user_version takes no bound parameter; the value is our own integer.
        tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1))?;
    }
    tx.commit()?;
    Ok(())
}

/// Creates a database at an older schema version (for upgrade tests and tools).
#[doc(hidden)]
pub fn create_at_version(path: &Path, version: i64) -> Result<()> {
    let mut conn = connect(path)?;
    migrate_to(&mut conn, version.min(VERSION))?;
    if version > VERSION {
        conn.execute_batch(&format!("PRAGMA user_version = {version}"))?;
    }
    Ok(())
}

/// The `user_version` of a database file.
#[doc(hidden)]
pub fn user_version(path: &Path) -> Result<i64> {
    let conn = connect(path)?;
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}
