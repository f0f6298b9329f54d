//! Store benchmark: ingest 1,000,000 generated findings the way agents send them (batches of
//! 1,000 per cycle: one cluster cycle, 100 node cycles), then time the dashboard and typical
//! findings queries at that size. Prints rows/s and median milliseconds.
//!
//! `cargo bench -p kspm-store` (set `KSPM_BENCH_FINDINGS` for another size).

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::*;
use kspm_model::{Finding, Outcome};
use kspm_store::{CycleStart, GroupBy, GroupRequest, SearchRequest, SortDir, Store};

const T0: i64 = 1_795_000_000;
const BATCH: usize = 1_000;
const NODES: usize = 100;
const SECTIONS: [&str; 8] = [
    "API Server",
    "Controller Manager",
    "Scheduler",
    "etcd",
    "RBAC and Service Accounts",
    "Pod Security Standards",
    "Network Policies and CNI",
    "General Policies",
];

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn rules(n: usize, prefix: &str, section0: usize) -> Vec<RuleSpec> {
    (0..n)
        .map(|i| RuleSpec {
            id: leak(format!("{prefix}_rule_{i}")),
            benchmark: if i % 10 == 9 { "cis_eks" } else { "cis_k8s" },
            number: leak(format!("{}.{}.{}", section0 + i % 4 + 1, i % 3 + 1, i + 1)),
            title: leak(format!("Generated {prefix} rule number {i}")),
            section: SECTIONS[(section0 + i) % SECTIONS.len()],
        })
        .collect()
}

fn outcome(i: usize) -> Outcome {
    match i % 10 {
        0..=2 => Outcome::Failed,
        3 => Outcome::Manual,
        4 if i % 1000 == 4 => Outcome::Error,
        _ => Outcome::Passed,
    }
}

fn run_cycle(
    store: &Store,
    id: &str,
    scope: &str,
    findings: impl Iterator<Item = Finding>,
) -> (usize, Duration) {
    let c = cluster("bench");
    store
        .begin_cycle(&CycleStart {
            cycle_id: id.into(),
            cluster: c,
            scope: scope.parse().expect("a valid scope"),
            started_at: T0,
        })
        .expect("begin");
    let mut batch = Vec::with_capacity(BATCH);
    let mut n = 0;
    let mut stage = Duration::ZERO;
    let mut seq = 0;
    let mut flush = |batch: &mut Vec<Finding>, seq: &mut u64| {
        let t = Instant::now();
        store.ingest_batch(id, *seq, batch).expect("ingest");
        stage += t.elapsed();
        *seq += 1;
        batch.clear();
    };
    for f in findings {
        batch.push(f);
        n += 1;
        if batch.len() == BATCH {
            flush(&mut batch, &mut seq);
        }
    }
    if !batch.is_empty() {
        flush(&mut batch, &mut seq);
    }
    let t = Instant::now();
    store.complete_cycle(id, T0 + 600).expect("complete");
    if std::env::var_os("KSPM_BENCH_VERBOSE").is_some() {
        eprintln!(
            "{id}: {n} staged in {:?}, completed in {:?}",
            stage,
            t.elapsed()
        );
    }
    (n, stage + t.elapsed())
}

fn median_ms(runs: usize, mut f: impl FnMut()) -> f64 {
    f(); // warm the page cache and statement cache
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn main() {
    let total: usize = std::env::var("KSPM_BENCH_FINDINGS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("temp dir");
    // KSPM_BENCH_DB keeps the database at that path for inspection.
    let db = std::env::var_os("KSPM_BENCH_DB")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| dir.path().join("bench.sqlite"));
    let store = Store::open(&db).expect("open");
    let c = cluster("bench");

    // 80% cluster findings (pods × 40 rules), 20% node findings (100 nodes × 20 rules × files).
    let pod_rules = rules(40, "pod", 4);
    let node_rules = rules(20, "node", 0);
    let pods = total * 8 / 10 / pod_rules.len();
    let files_per_node = (total - pods * pod_rules.len()) / NODES / node_rules.len();

    let t = Instant::now();
    let mut i = 0usize;
    let cluster_findings = (0..pods).flat_map(|p| {
        let c = c.clone();
        let pod_rules = pod_rules.clone();
        pod_rules.into_iter().map(move |r| (p, r, c.clone()))
    });
    let (n_cluster, busy_cluster) = run_cycle(
        &store,
        "cluster-cycle",
        "cluster",
        cluster_findings.map(|(p, r, c)| {
            i += 1;
            let ns = format!("ns-{}", p % 50);
            let app = format!("app-{}", p % 200);
            pod(
                &c,
                &ns,
                &format!("pod-{p}"),
                &[("app", &app)],
                &r,
                outcome(i),
                T0,
            )
        }),
    );
    let mut n_nodes = 0;
    let mut busy_nodes = Duration::ZERO;
    for node in 0..NODES {
        let node_name = format!("node-{node}");
        let mut j = node;
        let findings = (0..files_per_node).flat_map(|k| node_rules.iter().map(move |r| (k, *r)));
        let c2 = c.clone();
        let nn = node_name.clone();
        let (n, busy) = run_cycle(
            &store,
            &format!("node-cycle-{node}"),
            &format!("node:{node_name}"),
            findings.map(move |(k, r)| {
                j += 1;
                file(
                    &c2,
                    &nn,
                    &format!("/etc/kubernetes/file-{k}"),
                    &r,
                    outcome(j),
                    T0,
                )
            }),
        );
        n_nodes += n;
        busy_nodes += busy;
    }
    let wall = t.elapsed();
    let n = n_cluster + n_nodes;
    let busy = busy_cluster + busy_nodes;
    println!("ingest: {n} findings in batches of {BATCH} (1 cluster cycle, {NODES} node cycles)");
    println!(
        "  store time {:.1} s = {:.0} rows/s (wall incl. generating findings {:.1} s)",
        busy.as_secs_f64(),
        n as f64 / busy.as_secs_f64(),
        wall.as_secs_f64()
    );
    let size = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0);
    println!("  database file {:.0} MiB", size as f64 / 1_048_576.0);

    // Re-ingest of one node (the steady state: an agent's next cycle).
    let (n2, busy2) = run_cycle(
        &store,
        "node-cycle-0-again",
        "node:node-0",
        (0..files_per_node)
            .flat_map(|k| node_rules.iter().map(move |r| (k, *r)))
            .map(|(k, r)| {
                file(
                    &c,
                    "node-0",
                    &format!("/etc/kubernetes/file-{k}"),
                    &r,
                    Outcome::Passed,
                    T0,
                )
            }),
    );
    println!(
        "  next cycle of one node: {n2} findings in {:.0} ms",
        busy2.as_secs_f64() * 1000.0
    );

    let runs = 9;
    let search = |q: &str, sort: Option<(&str, SortDir)>| {
        let mut req = SearchRequest::new(q);
        req.sort = sort.map(|(f, d)| (f.to_owned(), d));
        let store = store.clone();
        move || {
            let page = store.search(&req).expect("search");
            assert!(page.total > 0 && !page.rows.is_empty());
        }
    };
    let group = |q: &str, by: GroupBy| {
        let req = GroupRequest {
            query: q.into(),
            by,
            limit: 50,
        };
        let store = store.clone();
        move || {
            assert!(!store.groups(&req).expect("groups").is_empty());
        }
    };
    let some_id = store.search(&SearchRequest::new("")).expect("search").rows[0]
        .id
        .clone();
    let cid = c.id.clone();
    let mut report: Vec<(&str, f64)> = vec![
        (
            "dashboard (all clusters)",
            median_ms(runs, || {
                store.dashboard(None).expect("dashboard");
            }),
        ),
        (
            "dashboard (one cluster)",
            median_ms(runs, || {
                store.dashboard(Some(&cid)).expect("dashboard");
            }),
        ),
        (
            "rules page",
            median_ms(runs, || {
                store.rules(None).expect("rules");
            }),
        ),
        (
            "metrics",
            median_ms(runs, || {
                store.metrics().expect("metrics");
            }),
        ),
    ];
    let searches: [(&str, Option<(&str, SortDir)>); 20] = [
        ("result.evaluation : failed", None),
        ("rule.section : \"API Server\"", None),
        // The same section unquoted, as Kibana reads it, and a value list.
        ("rule.section : API Server", None),
        ("rule.section : (API Server or etcd)", None),
        (
            "rule.section : \"API Server\" and result.evaluation : failed",
            None,
        ),
        ("", Some(("last_seen", SortDir::Desc))),
        ("", Some(("resource.name", SortDir::Asc))),
        (
            "orchestrator.resource.namespace : ns-7 and result.evaluation : failed",
            None,
        ),
        ("host.name : node-5", None),
        ("rule.id : pod_rule_3", None),
        // Keyword wildcards with a literal prefix: a range over the field's index.
        ("rule.id : pod_rule_1*", None),
        ("orchestrator.resource.namespace : ns-1*", None),
        (
            "orchestrator.resource.namespace : ns-1* and result.evaluation : failed",
            None,
        ),
        (
            "orchestrator.cluster.name : bench and not result.evaluation : passed",
            None,
        ),
        // Bare values: matched against the dictionary of text values, then merged from the
        // matching values' index ranges (counted up to 10,000). A rare one, one in a fifth of
        // the findings, one in every finding, one naming 1,111 pods; newest first and, as the
        // findings page sorts, failed first.
        ("pod-1234", None),
        ("kubernetes", None),
        ("Generated", None),
        ("Generated", Some(("result.evaluation", SortDir::Asc))),
        ("ns-7", Some(("result.evaluation", SortDir::Asc))),
        ("pod-13", None),
    ];
    let mut labels = Vec::new();
    for (q, sort) in searches {
        let label = match sort {
            Some((f, _)) => format!("search `{q}` sorted by {f} (count + page 1)"),
            None => format!("search `{q}` (count + page 1)"),
        };
        labels.push((label, median_ms(runs, search(q, sort))));
    }
    let groups: [(&str, GroupBy); 7] = [
        ("", GroupBy::Resource),
        ("result.evaluation : failed", GroupBy::Resource),
        ("orchestrator.resource.namespace : ns-7", GroupBy::Resource),
        ("", GroupBy::Rule),
        ("", GroupBy::Section),
        ("", GroupBy::Namespace),
        ("result.evaluation : failed", GroupBy::Namespace),
    ];
    for (q, by) in groups {
        labels.push((
            format!("group by {} `{q}`", by.as_str()),
            median_ms(runs, group(q, by)),
        ));
    }
    report.push((
        "one finding with document",
        median_ms(runs, || {
            store.finding(&some_id).expect("finding").expect("exists");
        }),
    ));
    println!("queries at {n} findings (median of {runs} runs):");
    for (name, ms) in report {
        println!("  {ms:8.2} ms  {name}");
    }
    for (name, ms) in labels {
        println!("  {ms:8.2} ms  {name}");
    }
}
