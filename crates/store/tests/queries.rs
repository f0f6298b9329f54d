//! Search, groups, dashboard, rules and metrics over generated findings; expected values are
//! computed from the generated findings themselves.

mod common;

use std::collections::HashMap;

use common::*;
use kspm_model::{Finding, Outcome};
use kspm_store::{GroupBy, GroupRequest, SearchRequest, SortDir, Store};

const T0: i64 = 1_795_000_000;
const RULES: [RuleSpec; 4] = [PRIVILEGED, HOST_NETWORK, ANON_AUTH, EKS_LOGGING];

/// Deterministic outcome mix.
fn outcome(i: usize) -> Outcome {
    match i % 7 {
        0 | 3 | 5 => Outcome::Failed,
        6 => Outcome::Manual,
        _ => Outcome::Passed,
    }
}

/// Two clusters; pods in three namespaces under every rule, plus node files.
fn generated() -> (tempfile::TempDir, Store, Vec<Finding>) {
    let (d, store) = store(T0);
    let mut all = Vec::new();
    for (ci, name) in ["prod", "staging"].into_iter().enumerate() {
        let c = cluster(name);
        let mut findings = Vec::new();
        let mut i = ci;
        for ns in ["web", "kube-system", "ops"] {
            for p in 0..6 {
                for rule in &RULES {
                    i += 1;
                    findings.push(pod(
                        &c,
                        ns,
                        &format!("pod-{p}"),
                        &[],
                        rule,
                        outcome(i),
                        T0 + ci as i64,
                    ));
                }
            }
        }
        cycle(
            &store,
            &format!("{name}-k"),
            &c,
            "cluster",
            T0 + ci as i64,
            &findings,
        );
        for node in ["n1", "n2"] {
            let nf: Vec<Finding> = (0..3)
                .map(|k| {
                    i += 1;
                    file(
                        &c,
                        node,
                        &format!("/etc/kubernetes/f{k}"),
                        &KUBELET_CONF_MODE,
                        outcome(i),
                        T0 + 50,
                    )
                })
                .collect();
            cycle(
                &store,
                &format!("{name}-{node}"),
                &c,
                &format!("node:{node}"),
                T0 + 50,
                &nf,
            );
            findings.extend(nf);
        }
        all.extend(findings);
    }
    (d, store, all)
}

fn count(all: &[Finding], pred: impl Fn(&Finding) -> bool) -> u64 {
    all.iter().filter(|f| pred(f)).count() as u64
}

#[test]
fn search_counts_and_filters_match_the_generated_findings() {
    let (_d, store, all) = generated();
    let cases: Vec<(&str, u64)> = vec![
        ("", all.len() as u64),
        (
            "result.evaluation : failed",
            count(&all, |f| f.result.evaluation == Outcome::Failed),
        ),
        (
            "result.evaluation : manual or result.evaluation : error",
            count(&all, |f| {
                matches!(f.result.evaluation, Outcome::Manual | Outcome::Error)
            }),
        ),
        (
            r#"rule.section : "API Server""#,
            count(&all, |f| &*f.rule.section == "API Server"),
        ),
        (
            r#"rule.section : "API Server" and result.evaluation : failed"#,
            count(&all, |f| {
                &*f.rule.section == "API Server" && f.result.evaluation == Outcome::Failed
            }),
        ),
        (
            "orchestrator.resource.namespace : kube-*",
            count(&all, |f| {
                f.orchestrator
                    .resource
                    .as_ref()
                    .and_then(|r| r.namespace.as_deref())
                    == Some("kube-system")
            }),
        ),
        (
            "not orchestrator.resource.namespace : *",
            count(&all, |f| f.host.is_some()),
        ),
        (
            "host.name : n1 or host.name : n2",
            count(&all, |f| f.host.is_some()),
        ),
        (
            "rule.benchmark.id : (cis_eks)",
            count(&all, |f| f.rule.benchmark.id == "cis_eks"),
        ),
        ("pod-3", count(&all, |f| f.resource.name.contains("pod-3"))),
        (
            "orchestrator.cluster.name : staging and rule.benchmark.rule_number : 5.2.*",
            count(&all, |f| {
                f.orchestrator.cluster.name == "staging"
                    && f.rule.benchmark.rule_number.starts_with("5.2.")
            }),
        ),
        ("last_seen >= \"2026-11-26T00:00:00Z\"", 0),
        ("first_seen < 2030-01-01", all.len() as u64),
        (
            "event.sequence > 1795000001",
            count(&all, |f| f.host.is_some()),
        ),
    ];
    let after = format!("@timestamp > \"{}\"", kspm_model::rfc3339(T0 + 1));
    let cases = cases
        .into_iter()
        .chain([(after.as_str(), count(&all, |f| f.host.is_some()))]);
    for (q, want) in cases {
        assert_eq!(
            store.search(&SearchRequest::new(q)).unwrap().total,
            want,
            "{q}"
        );
        // The same query forced over the findings (outcome-only queries count from tallies).
        let forced = format!("resource.id : * and ({q})");
        let forced = if q.is_empty() {
            "resource.id : *"
        } else {
            forced.as_str()
        };
        assert_eq!(
            store.search(&SearchRequest::new(forced)).unwrap().total,
            want,
            "{forced}"
        );
    }
}

#[test]
fn pages_are_disjoint_sorted_and_cover_the_total() {
    let (_d, store, all) = generated();
    let mut req = SearchRequest::new("result.evaluation : failed");
    req.per_page = 7;
    req.sort = Some(("resource.name".into(), SortDir::Asc));
    let mut seen = Vec::new();
    loop {
        let page = store.search(&req).unwrap();
        if page.rows.is_empty() {
            break;
        }
        seen.extend(page.rows);
        req.page += 1;
    }
    assert_eq!(
        seen.len() as u64,
        count(&all, |f| f.result.evaluation == Outcome::Failed)
    );
    let names: Vec<&str> = seen.iter().map(|r| r.resource_name.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    let mut ids: Vec<&str> = seen.iter().map(|r| r.id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), seen.len(), "no row on two pages");
    assert!(seen.iter().all(|r| r.outcome == Outcome::Failed));

    let mut by_last_seen = SearchRequest::new("");
    by_last_seen.sort = Some(("last_seen".into(), SortDir::Desc));
    let rows = store.search(&by_last_seen).unwrap().rows;
    assert!(rows.windows(2).all(|w| w[0].last_seen >= w[1].last_seen));

    let mut bad = SearchRequest::new("");
    bad.sort = Some(("resource.id; DROP TABLE findings".into(), SortDir::Asc));
    assert!(store.search(&bad).is_err());
}

#[test]
fn query_errors_surface_with_their_position() {
    let (_d, store, _all) = generated();
    match store.search(&SearchRequest::new("rule.section : \"API")) {
        Err(kspm_store::Error::Query(e)) => assert_eq!(e.position, 15),
        other => panic!("{other:?}"),
    }
}

#[test]
fn groups_are_sorted_by_failed_count_and_their_queries_select_them() {
    let (_d, store, all) = generated();
    for by in [
        GroupBy::Resource,
        GroupBy::Rule,
        GroupBy::Section,
        GroupBy::Cluster,
        GroupBy::Namespace,
    ] {
        let groups = store
            .groups(&GroupRequest {
                query: String::new(),
                by,
                limit: 1000,
            })
            .unwrap();
        assert!(
            groups
                .windows(2)
                .all(|w| w[0].counts.failed >= w[1].counts.failed),
            "{by:?}"
        );
        let total: u64 = groups
            .iter()
            .map(|g| g.counts.passed + g.counts.failed + g.counts.manual + g.counts.error)
            .sum();
        assert_eq!(total, all.len() as u64, "{by:?}");
        for g in groups.iter().take(3) {
            let page = store.search(&SearchRequest::new(g.query.clone())).unwrap();
            let failed = page
                .rows
                .iter()
                .filter(|r| r.outcome == Outcome::Failed)
                .count() as u64;
            assert_eq!(
                page.total,
                g.counts.passed + g.counts.failed + g.counts.manual,
                "{by:?} {}",
                g.query
            );
            if page.total <= 50 {
                assert_eq!(failed, g.counts.failed, "{by:?} {}", g.query);
            }
        }
    }
    // Per-resource failed counts agree with the data.
    let mut expected: HashMap<String, u64> = HashMap::new();
    for f in all
        .iter()
        .filter(|f| f.result.evaluation == Outcome::Failed)
    {
        *expected.entry(f.resource.id.clone()).or_default() += 1;
    }
    let groups = store
        .groups(&GroupRequest {
            query: "result.evaluation : failed".into(),
            by: GroupBy::Resource,
            limit: 5,
        })
        .unwrap();
    assert_eq!(groups.len(), 5);
    let max = expected.values().copied().max().unwrap();
    assert_eq!(groups[0].counts.failed, max);
    for g in &groups {
        assert_eq!(
            Some(&g.counts.failed),
            expected.get(g.key.as_deref().unwrap())
        );
    }
}

#[test]
fn dashboard_scores_match_the_generated_findings() {
    let (_d, store, all) = generated();
    let d = store.dashboard(None).unwrap();
    let passed = count(&all, |f| f.result.evaluation == Outcome::Passed);
    let failed = count(&all, |f| f.result.evaluation == Outcome::Failed);
    assert_eq!(
        (d.overall.counts.passed, d.overall.counts.failed),
        (passed, failed)
    );
    assert_eq!(
        d.overall.score,
        Some(passed as f64 * 100.0 / (passed + failed) as f64)
    );
    assert_eq!(d.clusters_evaluated, 2);
    let mut resources: Vec<&str> = all.iter().map(|f| f.resource.id.as_str()).collect();
    resources.sort();
    resources.dedup();
    assert_eq!(d.resources_evaluated, resources.len() as u64);
    assert_eq!(d.clusters.len(), 2);
    let eks = d
        .benchmarks
        .iter()
        .find(|b| b.benchmark_id == "cis_eks")
        .unwrap();
    assert_eq!(
        eks.score.counts.failed,
        count(&all, |f| f.rule.benchmark.id == "cis_eks"
            && f.result.evaluation == Outcome::Failed)
    );
    assert!(
        d.sections
            .windows(2)
            .all(|w| w[0].score.counts.failed >= w[1].score.counts.failed)
    );
    let api = d
        .sections
        .iter()
        .find(|s| s.section == "API Server")
        .unwrap();
    assert_eq!(api.benchmark_id, "cis_k8s");
    // The six cycles (2 clusters × 3 scopes) started within a minute: one round, one point,
    // which is the state now.
    assert_eq!(d.trend.len(), 1);
    let last = d.trend.last().unwrap();
    assert_eq!((last.counts.passed, last.counts.failed), (passed, failed));

    let prod = store.dashboard(Some(&cluster("prod").id)).unwrap();
    let prod_failed = count(&all, |f| {
        f.orchestrator.cluster.name == "prod" && f.result.evaluation == Outcome::Failed
    });
    assert_eq!(prod.overall.counts.failed, prod_failed);
    assert_eq!(prod.clusters.len(), 1);
    assert_eq!(prod.trend.len(), 1);
    assert_eq!(prod.trend.last().unwrap().counts.failed, prod_failed);
}

#[test]
fn rules_and_metrics_count_latest_findings() {
    let (_d, store, all) = generated();
    let rules = store.rules(None).unwrap();
    assert_eq!(rules.len(), 5);
    let numbers: Vec<&str> = rules.iter().map(|r| r.rule_number.as_str()).collect();
    assert_eq!(numbers, ["2.1.1", "1.2.1", "4.1.9", "5.2.2", "5.2.5"]);
    for r in &rules {
        assert_eq!(
            r.counts.failed,
            count(&all, |f| *f.rule.id == r.rule_id
                && f.result.evaluation == Outcome::Failed)
        );
        assert!(r.enabled);
    }
    let m = store.metrics().unwrap();
    assert_eq!(m.cycles_completed, 6);
    let failed: u64 = m
        .findings
        .iter()
        .filter(|c| c.status == kspm_store::Status::Failed)
        .map(|c| c.count)
        .sum();
    assert_eq!(
        failed,
        count(&all, |f| f.result.evaluation == Outcome::Failed)
    );
    assert!(
        m.sections
            .iter()
            .any(|s| s.section == "Logging" && s.benchmark_id == "cis_eks")
    );
    assert_eq!(m.benchmarks.len(), 4, "2 clusters × 2 benchmarks");
}

#[test]
fn aggregate_groups_agree_with_groups_over_the_findings() {
    let (_d, store, all) = generated();
    // An exception and a disabled rule, so both paths must handle them.
    let target = all
        .iter()
        .find(|f| f.result.evaluation == Outcome::Failed)
        .unwrap();
    store
        .add_exception(&kspm_store::NewException {
            rule_id: target.rule.id.to_string(),
            scope: kspm_store::ExceptionScope::Namespace("web".into()),
            cluster_id: None,
            reason: "test".into(),
            expires_at: Some(T0 + 10),
            author: "t".into(),
        })
        .unwrap();
    store
        .set_rule_enabled(None, HOST_NETWORK.id, false, "t")
        .unwrap();
    for now in [T0, T0 + 11] {
        store.clock().set(now);
        for by in [
            GroupBy::Resource,
            GroupBy::Rule,
            GroupBy::Section,
            GroupBy::Cluster,
            GroupBy::Namespace,
        ] {
            for q in [
                "",
                "result.evaluation : failed",
                "result.evaluation : passed or result.evaluation : manual",
            ] {
                let fast = store
                    .groups(&GroupRequest {
                        query: q.into(),
                        by,
                        limit: 1000,
                    })
                    .unwrap();
                // `resource.id : *` matches everything and sends the query over the findings.
                let slow_q = if q.is_empty() {
                    "resource.id : *".to_owned()
                } else {
                    format!("resource.id : * and ({q})")
                };
                let slow = store
                    .groups(&GroupRequest {
                        query: slow_q,
                        by,
                        limit: 1000,
                    })
                    .unwrap();
                assert!(!fast.is_empty());
                assert_eq!(fast, slow, "{by:?} `{q}` at {now}");
            }
        }
    }
    let by_rule = store
        .groups(&GroupRequest {
            query: String::new(),
            by: GroupBy::Rule,
            limit: 1000,
        })
        .unwrap();
    assert!(
        by_rule
            .iter()
            .all(|g| g.key.as_deref() != Some(HOST_NETWORK.id))
    );
    let excepted_rule = by_rule
        .iter()
        .find(|g| g.key.as_deref() == Some(&*target.rule.id))
        .unwrap();
    assert_eq!(excepted_rule.counts.excepted, 0, "expired at T0 + 10");
    store.clock().set(T0);
    let by_rule = store
        .groups(&GroupRequest {
            query: String::new(),
            by: GroupBy::Rule,
            limit: 1000,
        })
        .unwrap();
    let excepted_rule = by_rule
        .iter()
        .find(|g| g.key.as_deref() == Some(&*target.rule.id))
        .unwrap();
    assert!(excepted_rule.counts.excepted > 0);
}

/// The text fields a bare value searches, as the store keeps them.
fn text_fields(f: &Finding) -> Vec<String> {
    let mut out = vec![
        f.rule.name.to_string(),
        f.rule.id.to_string(),
        f.rule.section.to_string(),
        f.rule.benchmark.rule_number.clone(),
        f.resource.name.clone(),
    ];
    if let Some(ns) = f
        .orchestrator
        .resource
        .as_ref()
        .and_then(|r| r.namespace.clone())
    {
        out.push(ns);
    }
    if let Some(h) = &f.host {
        out.push(h.name.clone());
    }
    out
}

#[test]
fn bare_values_read_the_trigram_index_and_match_exactly_what_a_substring_scan_matches() {
    let (_d, store, all) = generated();
    for value in [
        "kubelet",
        "KUBELET",
        "pod-3",
        "ube",
        "ku",
        "s",
        "f1",
        "Server",
        "net/",
        "conf_mode",
        "5.2",
        "%",
        "_",
        "nothing-like-this",
    ] {
        let needle = value.to_ascii_lowercase();
        let expected = count(&all, |f| {
            text_fields(f)
                .iter()
                .any(|t| t.to_ascii_lowercase().contains(&needle))
        });
        let quoted = kspm_store::kql::quote(value);
        assert_eq!(
            store.search(&SearchRequest::new(&quoted)).unwrap().total,
            expected,
            "value {value}"
        );
    }
    // A pattern: every literal part narrows through the index, the LIKE decides.
    let expected = count(&all, |f| {
        text_fields(f).iter().any(|t| {
            let t = t.to_ascii_lowercase();
            t.find("pod").is_some_and(|i| t[i + 3..].contains("-4"))
        })
    });
    assert_eq!(
        store.search(&SearchRequest::new("pod*-4")).unwrap().total,
        expected
    );
    let expected = count(&all, |f| {
        f.resource.name.to_ascii_lowercase().contains("pod-2")
    });
    assert_eq!(
        store
            .search(&SearchRequest::new("resource.name : pod-2"))
            .unwrap()
            .total,
        expected
    );

    let filter = kspm_store::kql::translate(&kspm_store::kql::parse("kubelet").unwrap(), T0);
    assert!(
        filter.sql.contains("text_values_fts MATCH"),
        "{}",
        filter.sql
    );
    let plan = kspm_store::testing::search_count_plan(&store, "kubelet").unwrap();
    assert!(plan.contains("INTEGER PRIMARY KEY"), "{plan}");
    assert!(plan.contains("VIRTUAL TABLE"), "{plan}");
    assert!(!plan.split("; ").any(|step| step == "SCAN f"), "{plan}");
}

/// The orders a bare value is merged in: the default, and by outcome either way.
const TEXT_ORDERS: [Option<(&str, SortDir)>; 3] = [
    None,
    Some(("result.evaluation", SortDir::Asc)),
    Some(("result.evaluation", SortDir::Desc)),
];

/// Every page of `query`, as finding ids.
fn pages(
    store: &Store,
    query: &str,
    sort: Option<(&str, SortDir)>,
    per_page: u32,
    include_disabled: bool,
) -> (u64, Vec<String>) {
    let mut ids = Vec::new();
    let mut total = None;
    for page in 0.. {
        let mut req = SearchRequest::new(query);
        req.sort = sort.map(|(f, d)| (f.to_owned(), d));
        req.page = page;
        req.per_page = per_page;
        req.include_disabled = include_disabled;
        let found = store.search(&req).unwrap();
        total.get_or_insert(found.total);
        if found.rows.is_empty() {
            break;
        }
        ids.extend(found.rows.into_iter().map(|r| r.id));
    }
    (total.unwrap_or(0), ids)
}

/// A bare value alone is answered from the dictionary's index ranges; the same value in a
/// larger query goes the general way, row by row. Both must list the same findings in the
/// same order, on every page, counted the same.
#[test]
fn bare_value_pages_from_the_dictionary_equal_the_general_search_row_for_row() {
    let (_d, store, _all) = generated();
    store
        .set_rule_enabled(None, "pod_privileged", false, "test")
        .unwrap();
    for value in [
        "kubelet",
        "pod-3",
        "ube",
        "ku",
        "s",
        "f1",
        "Server",
        "web",
        "n1",
        "5.2",
        "pod*-4",
        "nothing-like-this",
    ] {
        for include_disabled in [false, true] {
            for sort in TEXT_ORDERS {
                for per_page in [1, 7, 50] {
                    let fast = pages(&store, value, sort, per_page, include_disabled);
                    let general = pages(
                        &store,
                        &format!("{value} and not rule.id : __none__"),
                        sort,
                        per_page,
                        include_disabled,
                    );
                    assert_eq!(
                        fast, general,
                        "{value} {sort:?} per_page {per_page} disabled {include_disabled}"
                    );
                    assert_eq!(fast.0 as usize, fast.1.len(), "{value}");
                }
            }
        }
    }
}

/// The dictionary path takes the outcomes best first and skips those whose best row anywhere
/// cannot reach the page: here each outcome lives in its own cycle time (failed oldest, passed
/// newest) and one outcome has no row at all. Pages still equal the general search's.
#[test]
fn bare_value_pages_skip_outcomes_that_cannot_reach_the_page_and_stay_exact() {
    let (_d, store) = store(T0 + 1_000);
    for (k, (name, outcome, at)) in [
        ("old", Outcome::Failed, T0),
        ("mid", Outcome::Manual, T0 + 100),
        ("new", Outcome::Passed, T0 + 200),
    ]
    .into_iter()
    .enumerate()
    {
        let c = cluster(name);
        let findings: Vec<Finding> = (0..12)
            .flat_map(|p| {
                let c = &c;
                RULES.iter().map(move |rule| {
                    pod(
                        c,
                        "shop",
                        &format!("pod-{}", p * 3 + k),
                        &[],
                        rule,
                        outcome,
                        at,
                    )
                })
            })
            .collect();
        cycle(&store, &format!("{name}-k"), &c, "cluster", at, &findings);
    }
    for value in ["pod", "pod-1", "shop", "Privileged"] {
        for sort in TEXT_ORDERS {
            for per_page in [1, 7, 50] {
                let fast = pages(&store, value, sort, per_page, false);
                let general = pages(
                    &store,
                    &format!("{value} and not rule.id : __none__"),
                    sort,
                    per_page,
                    false,
                );
                assert_eq!(fast, general, "{value} {sort:?} per_page {per_page}");
                assert!(fast.0 > 0, "{value} matches");
            }
        }
    }
}

/// Past `TEXT_COUNT_CAP` matches a bare value's total is a lower bound (`gte`), whether the
/// matches come from one kind of value or overlap across kinds (a namespace and the names
/// in it); below it the total is exact. The pages still list the findings the general path
/// lists, in its order.
#[test]
fn bare_value_totals_stop_at_the_cap_and_say_so() {
    use kspm_store::{TEXT_COUNT_CAP, TotalRelation};
    let (_d, store) = store(T0);
    let c = cluster("big");
    let pods = TEXT_COUNT_CAP as usize / RULES.len() + 200;
    let findings: Vec<Finding> = (0..pods)
        .flat_map(|p| {
            let c = &c;
            RULES.iter().enumerate().map(move |(i, rule)| {
                pod(
                    c,
                    "capns",
                    &format!("capns-pod-{p}"),
                    &[],
                    rule,
                    outcome(p + i),
                    T0,
                )
            })
        })
        .collect();
    cycle(&store, "big-k", &c, "cluster", T0, &findings);
    let all = findings.len() as u64;
    assert!(all > TEXT_COUNT_CAP);
    for (value, relation, total) in [
        // Resource names only.
        ("pod-", TotalRelation::Gte, TEXT_COUNT_CAP),
        // Namespace and resource names, the same rows twice.
        ("capns", TotalRelation::Gte, TEXT_COUNT_CAP),
        // 1, 10-19, 100-199, 1000-1999.
        ("capns-pod-1", TotalRelation::Eq, 1111 * RULES.len() as u64),
    ] {
        let page = store.search(&SearchRequest::new(value)).unwrap();
        assert_eq!(
            (page.total_relation, page.total),
            (relation, total),
            "{value}"
        );
        let general = store
            .search(&SearchRequest::new(format!(
                "{value} and not rule.id : __none__"
            )))
            .unwrap();
        assert_eq!(general.total_relation, TotalRelation::Eq);
        assert_eq!(
            general.total,
            if relation == TotalRelation::Gte {
                all
            } else {
                total
            },
            "{value}"
        );
        for sort in TEXT_ORDERS {
            for p in [0, 3, TEXT_COUNT_CAP as u32 / 50 - 1] {
                let mut fast = SearchRequest::new(value);
                fast.page = p;
                fast.sort = sort.map(|(f, d)| (f.to_owned(), d));
                let mut slow = SearchRequest::new(format!("{value} and not rule.id : __none__"));
                slow.page = p;
                slow.sort = fast.sort.clone();
                let ids = |r: &SearchRequest| -> Vec<String> {
                    store
                        .search(r)
                        .unwrap()
                        .rows
                        .into_iter()
                        .map(|r| r.id)
                        .collect()
                };
                assert_eq!(ids(&fast), ids(&slow), "{value} {sort:?} page {p}");
            }
        }
    }
}

/// The dictionary follows the rows: a rule retitled by a later cycle is found by its new
/// title, no longer by its old one (which stays in the dictionary but matches no row), and
/// a value first seen in that cycle is found too.
#[test]
fn bare_values_follow_rows_whose_text_changes() {
    let (_d, store) = store(T0);
    let c = cluster("prod");
    let old = RuleSpec {
        title: "Alpha wording of the check",
        ..PRIVILEGED
    };
    let new = RuleSpec {
        title: "Beta wording of the check",
        ..PRIVILEGED
    };
    let batch = |spec: &RuleSpec, at: i64, extra: bool| -> Vec<Finding> {
        let mut v: Vec<Finding> = (0..3)
            .map(|p| {
                pod(
                    &c,
                    "web",
                    &format!("pod-{p}"),
                    &[],
                    spec,
                    Outcome::Failed,
                    at,
                )
            })
            .collect();
        if extra {
            v.push(pod(&c, "web", "newcomer", &[], spec, Outcome::Failed, at));
        }
        v
    };
    cycle(&store, "k1", &c, "cluster", T0, &batch(&old, T0, false));
    let total = |q: &str| store.search(&SearchRequest::new(q)).unwrap().total;
    assert_eq!(total("alpha"), 3);
    assert_eq!(total("beta"), 0);
    cycle(
        &store,
        "k2",
        &c,
        "cluster",
        T0 + 60,
        &batch(&new, T0 + 60, true),
    );
    assert_eq!(total("beta"), 4);
    assert_eq!(total("alpha"), 0);
    assert_eq!(total("wording"), 4);
    assert_eq!(total("newcomer"), 1);
}
