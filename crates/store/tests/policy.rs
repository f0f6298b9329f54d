//! Rule enablement and exceptions, with an explicit clock.

mod common;

use common::*;
use kspm_model::Outcome::*;
use kspm_store::{Error, ExceptionScope, NewException, SearchRequest, Store};

const T0: i64 = 1_795_000_000;
const DAY: i64 = 86_400;

fn total(store: &Store, q: &str) -> u64 {
    store.search(&SearchRequest::new(q)).unwrap().total
}

fn exception(rule: &str, scope: ExceptionScope, expires_at: Option<i64>) -> NewException {
    NewException {
        rule_id: rule.into(),
        scope,
        cluster_id: None,
        reason: "accepted until the migration".into(),
        expires_at,
        author: "alice".into(),
    }
}

/// Three failing pods in two namespaces, one labelled app=db.
fn seeded() -> (tempfile::TempDir, Store, kspm_model::ClusterInfo) {
    let (d, store) = store(T0);
    let c = cluster("prod");
    cycle(
        &store,
        "c1",
        &c,
        "cluster",
        T0,
        &[
            pod(&c, "web", "a", &[("app", "web")], &PRIVILEGED, Failed, T0),
            pod(
                &c,
                "web",
                "b",
                &[("app", "db"), ("tier", "data")],
                &PRIVILEGED,
                Failed,
                T0,
            ),
            pod(&c, "ops", "c", &[("app", "db")], &PRIVILEGED, Failed, T0),
            pod(&c, "ops", "c", &[("app", "db")], &HOST_NETWORK, Passed, T0),
        ],
    );
    (d, store, c)
}

#[test]
fn expired_exception_no_longer_hides_failure() {
    let (_d, store, c) = seeded();
    let target = pod(&c, "web", "a", &[], &PRIVILEGED, Failed, T0);
    let id = store
        .add_exception(&exception(
            PRIVILEGED.id,
            ExceptionScope::Resource(target.resource.id.clone()),
            Some(T0 + DAY),
        ))
        .unwrap();
    let f = store.finding(&target.event.id).unwrap().unwrap();
    assert_eq!(
        f.row.outcome, Failed,
        "an exception never changes the outcome"
    );
    assert_eq!(f.row.exception_id, Some(id));
    assert_eq!(
        f.exception.as_ref().map(|e| e.reason.as_str()),
        Some("accepted until the migration")
    );
    assert_eq!(total(&store, "excepted : true"), 1);
    let d = store.dashboard(None).unwrap();
    assert_eq!((d.overall.counts.failed, d.overall.counts.excepted), (2, 1));

    // The clock passes the expiry: no write, yet the exception stops applying.
    store.clock().set(T0 + DAY + 1);
    assert_eq!(total(&store, "excepted : true"), 0);
    let f = store.finding(&target.event.id).unwrap().unwrap();
    assert_eq!((f.row.exception_id, f.exception), (None, None));
    let d = store.dashboard(None).unwrap();
    assert_eq!((d.overall.counts.failed, d.overall.counts.excepted), (3, 0));
    assert!(!store.list_exceptions().unwrap()[0].active);
}

#[test]
fn namespace_exception_covers_every_resource_of_the_namespace_and_only_its_rule() {
    let (_d, store, _c) = seeded();
    store
        .add_exception(&exception(
            PRIVILEGED.id,
            ExceptionScope::Namespace("ops".into()),
            None,
        ))
        .unwrap();
    assert_eq!(total(&store, "excepted : true"), 1);
    assert_eq!(
        total(
            &store,
            "excepted : true and orchestrator.resource.namespace : ops"
        ),
        1
    );
    assert_eq!(
        total(&store, "rule.id : pod_host_network and excepted : true"),
        0
    );
}

#[test]
fn label_selector_exception_needs_every_label() {
    let (_d, store, _c) = seeded();
    store
        .add_exception(&exception(
            PRIVILEGED.id,
            ExceptionScope::Labels("app=db".into()),
            None,
        ))
        .unwrap();
    assert_eq!(total(&store, "excepted : true"), 2);
    let id = store
        .add_exception(&exception(
            HOST_NETWORK.id,
            ExceptionScope::Labels("app=db,tier=data".into()),
            None,
        ))
        .unwrap();
    // Pod ops/c has app=db but no tier label: not covered for host_network.
    assert_eq!(
        total(&store, "excepted : true and rule.id : pod_host_network"),
        0
    );
    assert!(store.remove_exception(id).unwrap());
    assert!(!store.remove_exception(id).unwrap());
}

#[test]
fn exceptions_follow_findings_of_later_cycles() {
    let (_d, store, c) = seeded();
    store
        .add_exception(&exception(
            PRIVILEGED.id,
            ExceptionScope::Labels("app=web".into()),
            None,
        ))
        .unwrap();
    assert_eq!(total(&store, "excepted : true"), 1);
    // A new pod with the label appears in the next cycle, and pod a loses its label.
    cycle(
        &store,
        "c2",
        &c,
        "cluster",
        T0 + 100,
        &[
            pod(&c, "web", "a", &[], &PRIVILEGED, Failed, T0 + 100),
            pod(
                &c,
                "web",
                "new",
                &[("app", "web")],
                &PRIVILEGED,
                Failed,
                T0 + 100,
            ),
        ],
    );
    let rows = store
        .search(&SearchRequest::new("excepted : true"))
        .unwrap()
        .rows;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].resource_name, "web/new");
}

#[test]
fn cluster_scoped_exception_does_not_apply_elsewhere() {
    let (_d, store, c) = seeded();
    let other = cluster("other");
    cycle(
        &store,
        "o1",
        &other,
        "cluster",
        T0,
        &[pod(&other, "ops", "c", &[], &PRIVILEGED, Failed, T0)],
    );
    let mut e = exception(PRIVILEGED.id, ExceptionScope::Namespace("ops".into()), None);
    e.cluster_id = Some(c.id.clone());
    store.add_exception(&e).unwrap();
    assert_eq!(total(&store, "excepted : true"), 1);
    assert_eq!(
        total(
            &store,
            "excepted : true and orchestrator.cluster.name : prod"
        ),
        1
    );
}

#[test]
fn malformed_exceptions_are_refused() {
    let (_d, store, _c) = seeded();
    for scope in [
        ExceptionScope::Labels("app".into()),
        ExceptionScope::Labels("".into()),
        ExceptionScope::Namespace(" ".into()),
    ] {
        assert!(matches!(
            store.add_exception(&exception(PRIVILEGED.id, scope, None)),
            Err(Error::Invalid(_))
        ));
    }
    let mut no_reason = exception(PRIVILEGED.id, ExceptionScope::Namespace("ops".into()), None);
    no_reason.reason = " ".into();
    assert!(store.add_exception(&no_reason).is_err());
    assert!(store.list_exceptions().unwrap().is_empty());
}

#[test]
fn disabled_rule_leaves_scores_and_default_search() {
    let (_d, store, c) = seeded();
    let before = store.dashboard(None).unwrap();
    assert_eq!(
        (before.overall.counts.passed, before.overall.counts.failed),
        (1, 3)
    );

    store
        .set_rule_enabled(Some(&c.id), PRIVILEGED.id, false, "bob")
        .unwrap();
    assert!(!store.rule_enabled(Some(&c.id), PRIVILEGED.id).unwrap());
    assert!(store.rule_enabled(None, PRIVILEGED.id).unwrap());
    let d = store.dashboard(None).unwrap();
    assert_eq!((d.overall.counts.passed, d.overall.counts.failed), (1, 0));
    assert_eq!(d.overall.score, Some(100.0));
    assert_eq!(total(&store, ""), 1);
    let mut all = SearchRequest::new("disabled : true");
    all.include_disabled = true;
    assert_eq!(store.search(&all).unwrap().total, 3);
    let rules = store.rules(Some(&c.id)).unwrap();
    let r = rules.iter().find(|r| r.rule_id == PRIVILEGED.id).unwrap();
    assert!(!r.enabled);
    assert_eq!(
        (r.counts.failed, r.counts.disabled),
        (0, 3),
        "the rules page counts a disabled rule's findings as disabled"
    );

    // Still disabled for findings of the next cycle.
    cycle(
        &store,
        "c2",
        &c,
        "cluster",
        T0 + 5,
        &[
            pod(&c, "web", "z", &[], &PRIVILEGED, Failed, T0 + 5),
            pod(
                &c,
                "ops",
                "c",
                &[("app", "db")],
                &HOST_NETWORK,
                Passed,
                T0 + 5,
            ),
        ],
    );
    assert_eq!(total(&store, "rule.id : pod_privileged"), 0);
    assert_eq!(total(&store, ""), 1);

    // A global disable is overridden by a cluster enable.
    store
        .set_rule_enabled(None, HOST_NETWORK.id, false, "bob")
        .unwrap();
    assert_eq!(total(&store, ""), 0);
    store
        .set_rule_enabled(Some(&c.id), HOST_NETWORK.id, true, "bob")
        .unwrap();
    assert_eq!(total(&store, ""), 1);
    store
        .set_rule_enabled(Some(&c.id), PRIVILEGED.id, true, "bob")
        .unwrap();
    assert_eq!(total(&store, "rule.id : pod_privileged"), 1);
}
