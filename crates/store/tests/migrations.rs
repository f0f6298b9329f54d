//! Schema migrations on real database files.

mod common;

use common::*;
use kspm_model::Outcome::Failed;
use kspm_store::{Error, SearchRequest, Store, testing};

#[test]
fn older_database_is_upgraded_in_place_and_keeps_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.sqlite");
    testing::create_at_version(&path, 1).unwrap();
    assert_eq!(testing::user_version(&path).unwrap(), 1);
    let store = Store::open(&path).unwrap();
    assert_eq!(
        testing::user_version(&path).unwrap(),
        Store::schema_version()
    );
    // The upgraded schema works end to end (tallies and indexes came with version 2).
    let c = cluster("prod");
    cycle(
        &store,
        "c1",
        &c,
        "cluster",
        1000,
        &[pod(&c, "ns", "p", &[], &PRIVILEGED, Failed, 1000)],
    );
    assert_eq!(
        store
            .search(&SearchRequest::new("result.evaluation : failed"))
            .unwrap()
            .total,
        1
    );
    assert_eq!(store.dashboard(None).unwrap().overall.counts.failed, 1);
}

#[test]
fn empty_file_is_created_at_the_current_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/dirs/kspm.sqlite");
    Store::open(&path).unwrap();
    assert_eq!(
        testing::user_version(&path).unwrap(),
        Store::schema_version()
    );
    // Opening again applies nothing twice.
    Store::open(&path).unwrap();
}

#[test]
fn newer_database_is_refused_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.sqlite");
    testing::create_at_version(&path, Store::schema_version() + 1).unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, Error::SchemaTooNew { found, known } if found == known + 1));
    assert!(
        err.to_string().contains("newer than this kspm knows"),
        "{err}"
    );
}

#[cfg(unix)]
#[test]
fn a_new_database_file_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kspm.db");
    let store = Store::open(&path).unwrap();
    store.clusters().unwrap();
    for file in ["kspm.db", "kspm.db-wal"] {
        let mode = std::fs::metadata(dir.path().join(file))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{file}: {mode:o}");
    }
}
