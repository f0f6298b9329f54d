//! One definition of every count: whatever exceptions and rule settings exist, every count
//! the dashboard, groups and rules page report equals the number of findings the matching
//! `status : …` search returns.

mod common;

use common::*;
use kspm_model::Outcome;
use kspm_store::{
    ExceptionScope, GroupBy, GroupRequest, NewException, SearchRequest, Status, Store,
};
use proptest::prelude::*;

const T0: i64 = 1_795_000_000;
const RULES: [RuleSpec; 4] = [PRIVILEGED, HOST_NETWORK, ANON_AUTH, EKS_LOGGING];
const NAMESPACES: [&str; 3] = ["web", "ops", "kube-system"];
const CLUSTERS: [&str; 2] = ["prod", "staging"];

fn outcome(i: usize) -> Outcome {
    match i % 9 {
        0 | 3 | 5 | 8 => Outcome::Failed,
        6 => Outcome::Manual,
        7 => Outcome::Error,
        _ => Outcome::Passed,
    }
}

fn filled() -> (tempfile::TempDir, Store) {
    let (d, store) = store(T0 + 1000);
    let mut i = 0;
    for name in CLUSTERS {
        let c = cluster(name);
        let mut findings = Vec::new();
        for ns in NAMESPACES {
            for p in 0..3 {
                for rule in &RULES {
                    i += 1;
                    findings.push(pod(
                        &c,
                        ns,
                        &format!("p{p}"),
                        &[("app", "a")],
                        rule,
                        outcome(i),
                        T0,
                    ));
                }
            }
        }
        cycle(&store, &format!("{name}-k"), &c, "cluster", T0, &findings);
    }
    (d, store)
}

/// One change to exceptions or rule settings.
#[derive(Debug, Clone)]
enum Change {
    Except {
        rule: usize,
        namespace: Option<usize>,
        cluster: Option<usize>,
        expiry: Option<i64>,
    },
    Disable {
        rule: usize,
        cluster: Option<usize>,
        enabled: bool,
    },
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        (
            0..RULES.len(),
            proptest::option::of(0..NAMESPACES.len()),
            proptest::option::of(0..CLUSTERS.len()),
            proptest::option::of(prop_oneof![Just(T0 + 10), Just(T0 + 5000)]),
        )
            .prop_map(|(rule, namespace, cluster, expiry)| Change::Except {
                rule,
                namespace,
                cluster,
                expiry,
            }),
        (
            0..RULES.len(),
            proptest::option::of(0..CLUSTERS.len()),
            any::<bool>()
        )
            .prop_map(|(rule, cluster, enabled)| Change::Disable {
                rule,
                cluster,
                enabled
            }),
    ]
}

fn apply(store: &Store, change: &Change) {
    let cluster_id = |c: &Option<usize>| c.map(|i| cluster(CLUSTERS[i]).id);
    match change {
        Change::Except {
            rule,
            namespace,
            cluster,
            expiry,
        } => {
            let scope = match namespace {
                Some(ns) => ExceptionScope::Namespace(NAMESPACES[*ns].into()),
                None => ExceptionScope::Labels("app=a".into()),
            };
            store
                .add_exception(&NewException {
                    rule_id: RULES[*rule].id.into(),
                    scope,
                    cluster_id: cluster_id(cluster),
                    reason: "accepted".into(),
                    expires_at: *expiry,
                    author: "test".into(),
                })
                .unwrap();
        }
        Change::Disable {
            rule,
            cluster,
            enabled,
        } => store
            .set_rule_enabled(
                cluster_id(cluster).as_deref(),
                RULES[*rule].id,
                *enabled,
                "t",
            )
            .unwrap(),
    }
}

/// Findings a `status : …` search narrowed by `query` returns.
fn listed(store: &Store, query: &str, status: Status) -> u64 {
    let q = if query.is_empty() {
        format!("status : {}", status.as_str())
    } else {
        format!("{query} and status : {}", status.as_str())
    };
    let mut req = SearchRequest::new(q);
    req.include_disabled = status == Status::Disabled;
    store.search(&req).unwrap().total
}

fn check(store: &Store, what: &str, query: &str, counts: &kspm_store::Counts, with_disabled: bool) {
    for status in Status::ALL {
        if status == Status::Disabled && !with_disabled {
            continue;
        }
        assert_eq!(
            counts.get(status),
            listed(store, query, status),
            "{what}: {} for `{query}`",
            status.as_str()
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn every_count_equals_the_findings_its_status_search_lists(
        changes in proptest::collection::vec(change(), 0..6)
    ) {
        let (_d, store) = filled();
        for c in &changes {
            apply(&store, c);
        }
        let d = store.dashboard(None).unwrap();
        check(&store, "overall", "", &d.overall.counts, true);
        let all = store.search(&SearchRequest::new("")).unwrap().total;
        prop_assert_eq!(all, d.overall.counts.shown());
        for c in &d.clusters {
            let q = format!("orchestrator.cluster.id : \"{}\"", c.cluster_id);
            check(&store, "cluster", &q, &c.score.counts, true);
        }
        for b in &d.benchmarks {
            let q = format!("rule.benchmark.id : \"{}\"", b.benchmark_id);
            check(&store, "benchmark", &q, &b.score.counts, true);
        }
        for s in &d.sections {
            let q = format!(
                "rule.benchmark.id : \"{}\" and rule.section : \"{}\"",
                s.benchmark_id, s.section
            );
            check(&store, "section", &q, &s.score.counts, true);
        }
        for by in [GroupBy::Resource, GroupBy::Rule, GroupBy::Section, GroupBy::Cluster, GroupBy::Namespace] {
            for q in ["", "status : failed", "rule.id : pod_privileged"] {
                let groups = store
                    .groups(&GroupRequest { query: q.into(), by, limit: 1000 })
                    .unwrap();
                for g in &groups {
                    let narrowed = if q.is_empty() { g.query.clone() } else { format!("{q} and {}", g.query) };
                    check(&store, "group", &narrowed, &g.counts, false);
                }
            }
        }
        // Grouped by resource or namespace from the counts, the page lists what grouping the
        // findings themselves lists, in the same order, whatever the limit.
        for (by, q) in [GroupBy::Resource, GroupBy::Namespace]
            .into_iter()
            .flat_map(|by| ["", "status : failed", "status : excepted"].map(|q| (by, q)))
        {
            for limit in [1, 3, 1000] {
                let fast = store
                    .groups(&GroupRequest { query: q.into(), by, limit })
                    .unwrap();
                let general = if q.is_empty() {
                    "not rule.id : __none__".to_owned()
                } else {
                    format!("{q} and not rule.id : __none__")
                };
                let general = store
                    .groups(&GroupRequest { query: general, by, limit })
                    .unwrap();
                let strip = |g: Vec<kspm_store::GroupRow>| -> Vec<_> {
                    g.into_iter().map(|g| (g.key, g.label, g.context, g.counts, g.resource)).collect()
                };
                prop_assert_eq!(strip(fast), strip(general), "{:?} {} limit {}", by, q, limit);
            }
        }
        for cluster_id in [None, Some(cluster("prod").id)] {
            for r in store.rules(cluster_id.as_deref()).unwrap() {
                let mut q = format!("rule.id : \"{}\"", r.rule_id);
                if let Some(c) = &cluster_id {
                    q = format!("orchestrator.cluster.id : \"{c}\" and {q}");
                }
                check(&store, "rule", &q, &r.counts, true);
            }
        }
    }
}

#[test]
fn failed_first_order_walks_the_rank_index() {
    let (_d, store) = filled();
    let mut req = SearchRequest::new("");
    req.sort = Some(("result.evaluation".into(), kspm_store::SortDir::Asc));
    req.per_page = 1000;
    let rows = store.search(&req).unwrap().rows;
    let rank = |o: Outcome| match o {
        Outcome::Failed => 0,
        Outcome::Error => 1,
        Outcome::Manual => 2,
        _ => 3,
    };
    assert!(
        rows.windows(2)
            .all(|w| rank(w[0].outcome) <= rank(w[1].outcome))
    );
    assert_eq!(rows[0].outcome, Outcome::Failed);
    assert_eq!(
        kspm_store::testing::plan(
            &store,
            "SELECT f.rowid FROM findings f WHERE f.resolved_at IS NULL AND f.disabled = 0
             ORDER BY (CASE f.outcome WHEN 'failed' THEN 0 WHEN 'error' THEN 1 WHEN 'manual' THEN 2 ELSE 3 END) ASC,
                 f.last_seen DESC, f.rowid DESC LIMIT 50"
        )
        .unwrap(),
        "SEARCH f USING INDEX cur_rank (disabled=?)",
        "the index gives the order: no sort step"
    );
}
