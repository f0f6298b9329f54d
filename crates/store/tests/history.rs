//! The past: trend points per round, pooled across clusters and scopes; what changed between
//! two rounds; one resource's page.

mod common;

use common::*;
use kspm_model::Outcome::{self, Failed, Passed};
use kspm_store::Store;

const T0: i64 = 1_795_000_000;
const HOUR: i64 = 3600;

/// One cluster's round: a cluster cycle with `failed` failing pods out of 10, and a node
/// cycle with one file finding.
fn round(store: &Store, name: &str, r: i64, failed: usize, at: i64) {
    let c = cluster(name);
    let pods: Vec<_> = (0..10)
        .map(|i| {
            let o = if i < failed { Failed } else { Passed };
            pod(&c, "web", &format!("p{i}"), &[], &PRIVILEGED, o, at)
        })
        .collect();
    cycle(store, &format!("{name}-k-{r}"), &c, "cluster", at, &pods);
    let f = file(
        &c,
        "n1",
        "/etc/kubelet.conf",
        &KUBELET_CONF_MODE,
        Passed,
        at + 30,
    );
    cycle(
        store,
        &format!("{name}-n-{r}"),
        &c,
        "node:n1",
        at + 30,
        &[f],
    );
}

#[test]
fn trend_has_one_point_per_round_and_the_pooled_line_stays_between_its_clusters() {
    let (_d, store) = store(T0 + 100 * HOUR);
    // prod's whole history arrives first, then staging's (as `kspm demo` records them): the
    // pooled line must still use each cluster's state at each time.
    for (r, failed) in [(0, 8), (1, 5), (2, 2)] {
        round(&store, "prod", r, failed, T0 + r * 4 * HOUR);
    }
    for (r, failed) in [(0, 1), (1, 3), (2, 6)] {
        round(&store, "staging", r, failed, T0 + r * 4 * HOUR + 60);
    }
    let series = store.trends().unwrap();
    assert_eq!(series.len(), 3);
    for s in &series {
        assert_eq!(s.points.len(), 3, "{}: one point per round", s.label);
    }
    let (all, prod, staging) = (&series[0], &series[1], &series[2]);
    assert_eq!(
        (prod.label.as_str(), staging.label.as_str()),
        ("prod", "staging")
    );
    for i in 0..3 {
        let (a, p, s) = (
            all.points[i].score.unwrap(),
            prod.points[i].score.unwrap(),
            staging.points[i].score.unwrap(),
        );
        assert!(
            a >= p.min(s) && a <= p.max(s),
            "round {i}: {a} not between {p} and {s}"
        );
        let mut sum = prod.points[i].counts;
        sum.merge(&staging.points[i].counts);
        assert_eq!(all.points[i].counts, sum, "round {i} pools both clusters");
    }
    // prod: 2 of 10 pods failing now, plus one passing node file.
    assert_eq!(prod.points[2].counts.failed, 2);
    assert_eq!(prod.points[2].counts.passed, 9);
    // The dashboard's trend is the same series.
    assert_eq!(store.dashboard(None).unwrap().trend, all.points);
    assert_eq!(store.trend(Some(&cluster("prod").id)).unwrap(), prod.points);
    // The last point is the state now.
    let now = store.dashboard(None).unwrap().overall.counts;
    assert_eq!(all.points[2].counts, now);
}

#[test]
fn what_changed_lists_new_failures_resolved_ones_and_section_moves() {
    let (_d, store) = store(T0 + 100 * HOUR);
    let c = cluster("prod");
    let at0 = T0;
    let at1 = T0 + 4 * HOUR;
    // Round 0: p0 fails, p1 fails, p2 passes, p3 fails.
    let r0 = vec![
        pod(&c, "web", "p0", &[], &PRIVILEGED, Failed, at0),
        pod(&c, "web", "p1", &[], &PRIVILEGED, Failed, at0),
        pod(&c, "web", "p2", &[], &PRIVILEGED, Passed, at0),
        pod(&c, "web", "p3", &[], &PRIVILEGED, Failed, at0),
    ];
    cycle(&store, "k0", &c, "cluster", at0, &r0);
    // Round 1: p0 still fails, p1 passes now, p2 fails now, p3 is gone, p4 is new and fails.
    let r1 = vec![
        pod(&c, "web", "p0", &[], &PRIVILEGED, Failed, at1),
        pod(&c, "web", "p1", &[], &PRIVILEGED, Passed, at1),
        pod(&c, "web", "p2", &[], &PRIVILEGED, Failed, at1),
        pod(&c, "web", "p4", &[], &PRIVILEGED, Failed, at1),
    ];
    cycle(&store, "k1", &c, "cluster", at1, &r1);

    let rounds = store.rounds(&c.id).unwrap();
    assert_eq!(rounds.iter().map(|r| r.at).collect::<Vec<_>>(), [at1, at0]);
    let changes = store.changes(&c.id, at0, at1, 100).unwrap();
    let names =
        |list: &[kspm_store::ChangedFinding]| -> Vec<(String, Option<Outcome>, Option<Outcome>)> {
            list.iter()
                .map(|c| (c.row.resource_name.clone(), c.before, c.after))
                .collect()
        };
    assert_eq!(
        names(&changes.new_failures),
        [
            ("web/p2".to_owned(), Some(Passed), Some(Failed)),
            ("web/p4".to_owned(), None, Some(Failed)),
        ]
    );
    assert_eq!(
        names(&changes.resolved),
        [
            ("web/p1".to_owned(), Some(Failed), Some(Passed)),
            ("web/p3".to_owned(), Some(Failed), None),
        ]
    );
    assert_eq!((changes.new_failures_total, changes.resolved_total), (2, 2));
    let section = &changes.sections[0];
    assert_eq!(section.section, PRIVILEGED.section);
    assert_eq!(
        (section.before.counts.failed, section.after.counts.failed),
        (3, 3)
    );
    assert_eq!(
        (section.before.counts.passed, section.after.counts.passed),
        (1, 1)
    );
    // Order of the two rounds does not matter; an unknown round is refused.
    assert_eq!(store.changes(&c.id, at1, at0, 100).unwrap(), changes);
    assert!(store.changes(&c.id, at0 + 1, at1, 100).is_err());
    // The limit keeps the totals.
    let one = store.changes(&c.id, at0, at1, 1).unwrap();
    assert_eq!((one.new_failures.len(), one.new_failures_total), (1, 2));
}

#[test]
fn resource_page_has_its_findings_facts_and_history() {
    let (_d, store) = store(T0 + 100 * HOUR);
    let c = cluster("prod");
    let p = |spec, o, at| pod(&c, "web", "api", &[("app", "api")], spec, o, at);
    cycle(
        &store,
        "k0",
        &c,
        "cluster",
        T0,
        &[p(&PRIVILEGED, Failed, T0), p(&HOST_NETWORK, Passed, T0)],
    );
    cycle(
        &store,
        "k1",
        &c,
        "cluster",
        T0 + HOUR,
        &[
            p(&PRIVILEGED, Passed, T0 + HOUR),
            p(&HOST_NETWORK, Failed, T0 + HOUR),
        ],
    );
    let id = p(&PRIVILEGED, Passed, T0).resource.id.clone();
    let r = store.resource(&c.id, &id).unwrap().expect("known resource");
    assert_eq!(r.name, "web/api");
    assert_eq!(r.cluster_name, "prod");
    assert_eq!(r.namespace.as_deref(), Some("web"));
    assert_eq!((r.counts.failed, r.counts.passed), (1, 1));
    assert_eq!(r.findings[0].rule_id, HOST_NETWORK.id, "failed first");
    assert_eq!(r.facts["raw"]["metadata"]["labels"]["app"], "api");
    let changes: Vec<(i64, &str, Option<Outcome>, Option<Outcome>)> = r
        .history
        .iter()
        .map(|h| (h.at, h.rule_id.as_str(), h.before, h.after))
        .collect();
    assert_eq!(changes.len(), 4);
    assert!(changes.contains(&(T0 + HOUR, HOST_NETWORK.id, Some(Passed), Some(Failed))));
    assert!(changes.contains(&(T0 + HOUR, PRIVILEGED.id, Some(Failed), Some(Passed))));
    assert!(changes.contains(&(T0, PRIVILEGED.id, None, Some(Failed))));
    assert!(store.resource(&c.id, "no-such-resource").unwrap().is_none());
}

#[test]
fn suggestions_come_from_what_the_store_holds() {
    let (_d, store) = store(T0);
    round(&store, "prod", 0, 3, T0);
    assert_eq!(
        store.suggest("rule.section", "pod", 10).unwrap(),
        [PRIVILEGED.section]
    );
    assert_eq!(
        store.suggest("orchestrator.cluster.name", "", 10).unwrap(),
        ["prod"]
    );
    assert_eq!(
        store.suggest("resource.sub_type", "", 10).unwrap(),
        ["Pod", "file"]
    );
    assert_eq!(store.suggest("status", "ex", 10).unwrap(), ["excepted"]);
    assert_eq!(store.suggest("host.name", "", 10).unwrap(), ["n1"]);
    assert!(store.suggest("resource.name", "", 10).unwrap().is_empty());
}
