//! Connections and schema migrations (`PRAGMA user_version`, one transaction per upgrade).

use std::path::Path;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use crate::{Error, Result};

/// Migration `i` brings the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    include_str!("sql/v1.sql"),
    include_str!("sql/v2.sql"),
    include_str!("sql/v3.sql"),
    include_str!("sql/v4.sql"),
    include_str!("sql/v5.sql"),
    include_str!("sql/v6.sql"),
    include_str!("sql/v7.sql"),
];

/// The schema version this build writes.
pub(crate) const VERSION: i64 = MIGRATIONS.len() as i64;

/// Page cache of the writer connection, in KiB (completing a large cycle touches many pages).
pub(crate) const WRITER_CACHE_KIB: i64 = 65_536;
/// Page cache of each read connection, in KiB: with at most four readers, reads cost at most
/// 64 MiB of cache together, however many searches run at once.
pub(crate) const READER_CACHE_KIB: i64 = 16_384;

/// Opens a connection with the store's pragmas and a page cache of `cache_kib` KiB. A new
/// database file is created readable and writable by its owner only.
pub(crate) fn connect(path: &Path, cache_kib: i64) -> Result<Connection> {
    create_private(path)?;
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
    // Negative = KiB.
    conn.pragma_update(None, "cache_size", -cache_kib)?;
    conn.set_prepared_statement_cache_capacity(64);
    // Plans never depend on bound values. Without this, SQLite marks a statement for a new
    // prepare each time a parameter is rebound that a plan might weigh (a bound LIKE/GLOB
    // pattern, values compared against partial indexes' conditions), and a bare-text search
    // rebinds one statement per matching value. What that would buy, a bound pattern's prefix
    // sought in an index, KQL states as an explicit range (`kql::translate`).
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )?;
    Ok(conn)
}

/// Creates the database file with mode 0600 when it does not exist yet (SQLite would create
/// it with the process's umask, typically 0644: findings describe weaknesses). SQLite creates
/// its `-wal` and `-shm` files with the database file's permissions.
fn create_private(path: &Path) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(source) => Err(Error::Io {
            path: path.display().to_string(),
            source,
        }),
    }
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
    let mut conn = connect(path, WRITER_CACHE_KIB)?;
    migrate_to(&mut conn, version.min(VERSION))?;
    if version > VERSION {
        conn.execute_batch(&format!("PRAGMA user_version = {version}"))?;
    }
    Ok(())
}

/// The `user_version` of a database file.
#[doc(hidden)]
pub fn user_version(path: &Path) -> Result<i64> {
    let conn = connect(path, WRITER_CACHE_KIB)?;
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}
