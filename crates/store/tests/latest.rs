//! Latest-finding semantics across cycles.

mod common;

use common::*;
use kspm_model::Outcome::{self, *};
use kspm_store::{CycleStart, Error, SearchRequest, Store};

const T0: i64 = 1_795_000_000;

fn outcome_of(store: &Store, id: &str) -> Option<(Outcome, i64, i64, Option<i64>)> {
    store.finding(id).unwrap().map(|f| {
        (
            f.row.outcome,
            f.row.first_seen,
            f.row.last_seen,
            f.row.resolved_at,
        )
    })
}

fn current_count(store: &Store, q: &str) -> u64 {
    store.search(&SearchRequest::new(q)).unwrap().total
}

#[test]
fn outcome_change_keeps_first_seen_and_updates_last_seen() {
    let (_d, store) = store(T0);
    let c = cluster("prod");
    let f1 = pod(&c, "web", "a", &[], &PRIVILEGED, Failed, T0);
    let id = f1.event.id.clone();
    cycle(&store, "c1", &c, "cluster", T0, &[f1]);
    assert_eq!(outcome_of(&store, &id), Some((Failed, T0, T0, None)));

    let f2 = pod(&c, "web", "a", &[], &PRIVILEGED, Passed, T0 + 3600);
    let s = cycle(&store, "c2", &c, "cluster", T0 + 3600, &[f2]);
    assert_eq!((s.findings, s.new_or_reopened, s.resolved), (1, 0, 0));
    assert_eq!(outcome_of(&store, &id), Some((Passed, T0, T0 + 3600, None)));
    let doc = store.finding(&id).unwrap().unwrap().document;
    assert_eq!(doc.result.evaluation, Passed);
    assert_eq!(doc.resource.raw.to_value()["metadata"]["name"], "a");
    assert_eq!(doc.rule.remediation, "Fix web/a now.");
    assert_eq!(&*doc.rule.name, PRIVILEGED.title);
}

#[test]
fn finding_ids_are_the_model_ids_and_documents_round_trip() {
    let (_d, store) = store(T0);
    let c = cluster("prod");
    let f = pod(&c, "web", "a", &[("app", "web")], &PRIVILEGED, Failed, T0);
    let expected_id = kspm_model::finding_id(&c.id, &f.resource.id, PRIVILEGED.id);
    cycle(&store, "c1", &c, "cluster", T0, std::slice::from_ref(&f));
    let stored = store
        .finding(&expected_id)
        .unwrap()
        .expect("stored under finding_id");
    assert_eq!(stored.document, f);
}

#[test]
fn resource_no_longer_seen_is_resolved_and_reappearance_keeps_first_seen() {
    let (_d, store) = store(T0);
    let c = cluster("prod");
    let a = pod(&c, "web", "a", &[], &PRIVILEGED, Failed, T0);
    let b = pod(&c, "web", "b", &[], &PRIVILEGED, Failed, T0);
    let (ida, idb) = (a.event.id.clone(), b.event.id.clone());
    cycle(&store, "c1", &c, "cluster", T0, &[a, b]);
    assert_eq!(current_count(&store, ""), 2);

    // Second cycle no longer sees pod b.
    let a2 = pod(&c, "web", "a", &[], &PRIVILEGED, Failed, T0 + 100);
    let s = cycle(&store, "c2", &c, "cluster", T0 + 100, &[a2]);
    assert_eq!(s.resolved, 1);
    assert_eq!(
        outcome_of(&store, &idb),
        Some((Failed, T0, T0, Some(T0 + 160)))
    );
    assert_eq!(current_count(&store, ""), 1);
    let mut all = SearchRequest::new("");
    all.include_resolved = true;
    assert_eq!(store.search(&all).unwrap().total, 2);

    // Third cycle sees b again: current, first_seen kept.
    let a3 = pod(&c, "web", "a", &[], &PRIVILEGED, Failed, T0 + 200);
    let b3 = pod(&c, "web", "b", &[], &PRIVILEGED, Passed, T0 + 200);
    let s = cycle(&store, "c3", &c, "cluster", T0 + 200, &[a3, b3]);
    assert_eq!((s.new_or_reopened, s.resolved), (1, 0));
    assert_eq!(outcome_of(&store, &idb), Some((Passed, T0, T0 + 200, None)));
    assert_eq!(outcome_of(&store, &ida).map(|o| o.1), Some(T0));
}

#[test]
fn node_and_cluster_scopes_resolve_independently() {
    let (_d, store) = store(T0);
    let c = cluster("prod");
    let p = pod(&c, "web", "a", &[], &PRIVILEGED, Failed, T0);
    let n1 = file(
        &c,
        "node-1",
        "/etc/kubernetes/kubelet.conf",
        &KUBELET_CONF_MODE,
        Failed,
        T0,
    );
    let n2 = file(
        &c,
        "node-2",
        "/etc/kubernetes/kubelet.conf",
        &KUBELET_CONF_MODE,
        Passed,
        T0,
    );
    cycle(&store, "k1", &c, "cluster", T0, &[p]);
    cycle(&store, "n1", &c, "node:node-1", T0, &[n1]);
    cycle(&store, "n2", &c, "node:node-2", T0, &[n2]);
    assert_eq!(current_count(&store, ""), 3);

    // node-1 completes an empty cycle: only its finding is resolved.
    let s = cycle(&store, "n1b", &c, "node:node-1", T0 + 10, &[]);
    assert_eq!(s.resolved, 1);
    assert_eq!(current_count(&store, ""), 2);
    assert_eq!(current_count(&store, "host.name : node-2"), 1);
    assert_eq!(current_count(&store, "resource.type : k8s_object"), 1);

    // An empty cluster cycle resolves the pod, not the node files.
    let s = cycle(&store, "k2", &c, "cluster", T0 + 20, &[]);
    assert_eq!(s.resolved, 1);
    assert_eq!(current_count(&store, ""), 1);
    assert_eq!(current_count(&store, "host.name : node-2"), 1);
}

#[test]
fn clusters_are_independent() {
    let (_d, store) = store(T0);
    let (a, b) = (cluster("a"), cluster("b"));
    cycle(
        &store,
        "a1",
        &a,
        "cluster",
        T0,
        &[pod(&a, "ns", "p", &[], &PRIVILEGED, Failed, T0)],
    );
    cycle(
        &store,
        "b1",
        &b,
        "cluster",
        T0,
        &[pod(&b, "ns", "p", &[], &PRIVILEGED, Failed, T0)],
    );
    cycle(&store, "a2", &a, "cluster", T0 + 5, &[]);
    assert_eq!(current_count(&store, "orchestrator.cluster.name : b"), 1);
    assert_eq!(current_count(&store, "orchestrator.cluster.name : a"), 0);
}

#[test]
fn resending_a_batch_or_completion_changes_nothing() {
    let (_d, store) = store(T0);
    let c = cluster("prod");
    store
        .begin_cycle(&CycleStart {
            cycle_id: "c1".into(),
            cluster: c.clone(),
            scope: kspm_model::Scope::Cluster,
            started_at: T0,
        })
        .unwrap();
    let batch0 = vec![
        pod(&c, "web", "a", &[], &PRIVILEGED, Failed, T0),
        pod(&c, "web", "a", &[], &HOST_NETWORK, NotApplicable, T0),
    ];
    let batch1 = vec![pod(&c, "web", "b", &[], &PRIVILEGED, Passed, T0)];
    let first = store.ingest_batch("c1", 0, &batch0).unwrap();
    assert_eq!((first.accepted, first.duplicate), (1, false));
    // The same batch number again, even with other content, is a duplicate.
    let again = store.ingest_batch("c1", 0, &batch1).unwrap();
    assert_eq!((again.accepted, again.duplicate), (1, true));
    store.ingest_batch("c1", 1, &batch1).unwrap();
    // Nothing is visible before completion.
    assert_eq!(current_count(&store, ""), 0);
    // Beginning again is a no-op.
    store
        .begin_cycle(&CycleStart {
            cycle_id: "c1".into(),
            cluster: c.clone(),
            scope: kspm_model::Scope::Cluster,
            started_at: T0,
        })
        .unwrap();
    let s1 = store.complete_cycle("c1", T0 + 60).unwrap();
    assert_eq!(s1.findings, 2);
    let s2 = store.complete_cycle("c1", T0 + 999).unwrap();
    assert_eq!(s1, s2);
    assert_eq!(current_count(&store, ""), 2);
    // A re-sent batch after completion is still recognised as a duplicate...
    assert!(store.ingest_batch("c1", 1, &batch1).unwrap().duplicate);
    // ...but a new batch is refused.
    assert!(matches!(
        store.ingest_batch("c1", 2, &batch1),
        Err(Error::CycleComplete(_))
    ));
    // not_applicable was never stored.
    assert_eq!(current_count(&store, "rule.id : pod_host_network"), 0);
}

#[test]
fn abandoned_cycle_changes_nothing_visible() {
    let (_d, store) = store(T0);
    let c = cluster("prod");
    cycle(
        &store,
        "c1",
        &c,
        "cluster",
        T0,
        &[pod(&c, "web", "a", &[], &PRIVILEGED, Failed, T0)],
    );
    store
        .begin_cycle(&CycleStart {
            cycle_id: "c2".into(),
            cluster: c.clone(),
            scope: kspm_model::Scope::Cluster,
            started_at: T0 + 10,
        })
        .unwrap();
    store
        .ingest_batch(
            "c2",
            0,
            &[pod(&c, "web", "a", &[], &PRIVILEGED, Passed, T0 + 10)],
        )
        .unwrap();
    assert_eq!(current_count(&store, "result.evaluation : failed"), 1);
    assert_eq!(store.dashboard(None).unwrap().overall.counts.failed, 1);
}

#[test]
fn older_cycle_completing_after_a_newer_one_is_stale() {
    let (_d, store) = store(T0);
    let c = cluster("prod");
    for (id, at) in [("old", T0), ("new", T0 + 100)] {
        store
            .begin_cycle(&CycleStart {
                cycle_id: id.into(),
                cluster: c.clone(),
                scope: kspm_model::Scope::Cluster,
                started_at: at,
            })
            .unwrap();
    }
    store
        .ingest_batch(
            "new",
            0,
            &[pod(&c, "web", "a", &[], &PRIVILEGED, Passed, T0 + 100)],
        )
        .unwrap();
    store
        .ingest_batch(
            "old",
            0,
            &[pod(&c, "web", "a", &[], &PRIVILEGED, Failed, T0)],
        )
        .unwrap();
    assert!(!store.complete_cycle("new", T0 + 160).unwrap().stale);
    assert!(store.complete_cycle("old", T0 + 170).unwrap().stale);
    assert_eq!(current_count(&store, "result.evaluation : passed"), 1);
    assert_eq!(current_count(&store, "result.evaluation : failed"), 0);
}

#[test]
fn bad_requests_are_refused() {
    let (_d, store) = store(T0);
    let c = cluster("prod");
    let start = |scope: &str| CycleStart {
        cycle_id: "x".into(),
        cluster: c.clone(),
        scope: scope.parse().expect("a valid scope"),
        started_at: T0,
    };
    // A malformed scope cannot even be built: it is refused where it is read.
    assert!("node:".parse::<kspm_model::Scope>().is_err());
    assert!("nodes".parse::<kspm_model::Scope>().is_err());
    store.begin_cycle(&start("cluster")).unwrap();
    assert!(matches!(
        store.begin_cycle(&start("node:a")),
        Err(Error::CycleMismatch(_))
    ));
    assert!(matches!(
        store.ingest_batch("nope", 0, &[]),
        Err(Error::UnknownCycle(_))
    ));
    assert!(matches!(
        store.complete_cycle("nope", T0),
        Err(Error::UnknownCycle(_))
    ));
    let other = cluster("other");
    let stray = pod(&other, "web", "a", &[], &PRIVILEGED, Failed, T0);
    assert!(matches!(
        store.ingest_batch("x", 0, &[stray]),
        Err(Error::Invalid(_))
    ));
    // The refused batch left nothing behind: it can be sent again correctly.
    let ok = store
        .ingest_batch("x", 0, &[pod(&c, "web", "a", &[], &PRIVILEGED, Failed, T0)])
        .unwrap();
    assert!(!ok.duplicate);
}

#[test]
fn store_reopens_with_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kspm.sqlite");
    let c = cluster("prod");
    {
        let store = Store::open(&path).unwrap();
        cycle(
            &store,
            "c1",
            &c,
            "cluster",
            T0,
            &[pod(&c, "web", "a", &[], &PRIVILEGED, Failed, T0)],
        );
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(current_count(&store, ""), 1);
    assert_eq!(store.clusters().unwrap()[0].name, "prod");
}

#[test]
fn abandoned_cycles_can_be_pruned_without_touching_completed_ones() {
    let (_d, store) = store(T0);
    let c = cluster("prod");
    cycle(
        &store,
        "done",
        &c,
        "cluster",
        T0,
        &[pod(&c, "web", "a", &[], &PRIVILEGED, Failed, T0)],
    );
    store
        .begin_cycle(&CycleStart {
            cycle_id: "dead".into(),
            cluster: c.clone(),
            scope: kspm_model::Scope::Cluster,
            started_at: T0 + 10,
        })
        .unwrap();
    store
        .ingest_batch(
            "dead",
            0,
            &[pod(&c, "web", "b", &[], &PRIVILEGED, Failed, T0 + 10)],
        )
        .unwrap();
    assert_eq!(
        store.prune_abandoned_cycles(T0 + 10).unwrap(),
        0,
        "not older than the cut-off"
    );
    assert_eq!(store.prune_abandoned_cycles(T0 + 11).unwrap(), 1);
    assert!(matches!(
        store.complete_cycle("dead", T0 + 20),
        Err(Error::UnknownCycle(_))
    ));
    assert_eq!(current_count(&store, ""), 1);
    assert_eq!(store.complete_cycle("done", T0 + 999).unwrap().findings, 1);
}

#[test]
fn finding_reported_by_another_scope_moves_and_is_counted_once() {
    let (_d, store) = store(T0);
    let c = cluster("prod");
    let on_node = file(
        &c,
        "node-1",
        "/etc/kubernetes/admin.conf",
        &KUBELET_CONF_MODE,
        Failed,
        T0,
    );
    cycle(
        &store,
        "n1",
        &c,
        "node:node-1",
        T0,
        std::slice::from_ref(&on_node),
    );
    // The same (resource, rule) now arrives through the cluster scope.
    cycle(&store, "k1", &c, "cluster", T0 + 10, &[on_node]);
    assert_eq!(store.dashboard(None).unwrap().overall.counts.failed, 1);
    assert_eq!(current_count(&store, "result.evaluation : failed"), 1);
    assert_eq!(current_count(&store, "scope : cluster"), 1);
    // The node's next (empty) cycle no longer owns it: nothing to resolve.
    assert_eq!(
        cycle(&store, "n2", &c, "node:node-1", T0 + 20, &[]).resolved,
        0
    );
    assert_eq!(current_count(&store, ""), 1);
}

#[test]
fn readers_see_a_cycle_all_or_nothing() {
    let (_d, store) = store(T0);
    let c = cluster("prod");
    let first: Vec<_> = (0..300)
        .map(|i| pod(&c, "web", &format!("p{i}"), &[], &PRIVILEGED, Failed, T0))
        .collect();
    cycle(&store, "c1", &c, "cluster", T0, &first);
    // The second cycle passes everything; readers run while it completes.
    let second: Vec<_> = (0..300)
        .map(|i| {
            pod(
                &c,
                "web",
                &format!("p{i}"),
                &[],
                &PRIVILEGED,
                Passed,
                T0 + 10,
            )
        })
        .collect();
    let reader = {
        let store = store.clone();
        std::thread::spawn(move || {
            let mut seen = Vec::new();
            for _ in 0..200 {
                seen.push(current_count(
                    &store,
                    "rule.id : pod_privileged and result.evaluation : failed",
                ));
            }
            seen
        })
    };
    cycle(&store, "c2", &c, "cluster", T0 + 10, &second);
    for n in reader.join().unwrap() {
        assert!(n == 300 || n == 0, "a reader saw half a cycle: {n}");
    }
    assert_eq!(current_count(&store, "result.evaluation : passed"), 300);
}

#[test]
fn a_cluster_is_listed_only_once_a_cycle_completes_and_pruning_forgets_one_that_never_did() {
    let (_d, store) = store(T0);
    let ghost = cluster("ghost");
    store
        .begin_cycle(&CycleStart {
            cycle_id: "half".into(),
            cluster: ghost.clone(),
            scope: kspm_model::Scope::Cluster,
            started_at: T0,
        })
        .unwrap();
    store
        .ingest_batch(
            "half",
            0,
            &[pod(&ghost, "web", "a", &[], &PRIVILEGED, Failed, T0)],
        )
        .unwrap();
    assert!(store.clusters().unwrap().is_empty(), "not listed yet");
    assert_eq!(
        kspm_store::testing::staged_rows(&store).unwrap(),
        3,
        "a finding, its resource and its rule"
    );
    assert_eq!(store.prune_abandoned_cycles(T0 + 1).unwrap(), 1);
    assert_eq!(kspm_store::testing::staged_rows(&store).unwrap(), 0);
    assert_eq!(kspm_store::testing::cluster_rows(&store).unwrap(), 0);

    let prod = cluster("prod");
    cycle(&store, "done", &prod, "cluster", T0, &[]);
    assert_eq!(
        store.clusters().unwrap().len(),
        1,
        "an empty completed cycle lists it"
    );
}

#[test]
fn numbered_batches_complete_only_when_all_arrived_and_a_changed_batch_is_a_conflict() {
    let (_d, store) = store(T0);
    let c = cluster("prod");
    let start = CycleStart {
        cycle_id: "c1".into(),
        cluster: c.clone(),
        scope: kspm_model::Scope::Cluster,
        started_at: T0,
    };
    let times = store
        .begin_reported_cycle(&start, Some(T0 + 86_400))
        .unwrap();
    assert!(times.reported_in_future);
    assert_eq!(times.reported_started_at, Some(T0));
    let receipt = |number: u64, is_final: bool, digest: &'static str| kspm_store::BatchReceipt {
        number,
        is_final,
        digest,
    };
    let a = [pod(&c, "web", "a", &[], &PRIVILEGED, Failed, T0)];
    let b = [pod(&c, "web", "b", &[], &PRIVILEGED, Failed, T0)];
    let last = store
        .receive_batch("c1", &receipt(1, true, "d1"), &b, T0 + 60)
        .unwrap();
    assert_eq!(last.completed, None);
    assert_eq!((last.batches_expected, last.batches_received), (Some(2), 1));
    assert!(matches!(
        store.receive_batch("c1", &receipt(1, false, "other"), &a, T0 + 60),
        Err(Error::BatchConflict(_))
    ));
    assert!(matches!(
        store.receive_batch("c1", &receipt(2, false, "d2"), &a, T0 + 60),
        Err(Error::BatchConflict(_))
    ));
    assert_eq!(current_count(&store, ""), 0);
    let first = store
        .receive_batch("c1", &receipt(0, false, "d0"), &a, T0 + 60)
        .unwrap();
    assert_eq!(first.completed.map(|s| s.findings), Some(2));
    assert_eq!(current_count(&store, ""), 2);
    // The same content again is a harmless duplicate.
    let again = store
        .receive_batch("c1", &receipt(0, false, "d0"), &a, T0 + 60)
        .unwrap();
    assert!(again.outcome.duplicate);
}
