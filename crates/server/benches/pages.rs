//! Server-side time to answer the web pages (store queries + template rendering), through the
//! real router, over a real SQLite store filled by the real engine.
//!
//! `cargo bench -p kspm-server --bench pages [-- CLUSTERS COPIES]`: CLUSTERS clusters (default
//! 10), each with COPIES copies (default 20) of every namespaced object of `examples/shop`.
//! Prints the median and 95th percentile of each page over repeated requests.

use std::path::Path;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use kspm_collect::offline::{LoadOptions, load};
use kspm_engine::{Evaluator, RuleBundle, ScanContext};
use kspm_model::{ClusterInfo, Resource, cluster_id_from_name};
use kspm_server::{AppState, AuthConfig, Limits, router};
use kspm_store::{CycleStart, SearchRequest, Store};
use tower::ServiceExt;

const RUNS: usize = 40;

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let clusters = args.first().copied().unwrap_or(10);
    let copies = args.get(1).copied().unwrap_or(20);

    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("kspm.db")).expect("store");
    let started = Instant::now();
    let findings = fill(&store, clusters, copies);
    println!(
        "store: {findings} findings, {clusters} clusters, filled in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let state = AppState::new(
        store.clone(),
        AuthConfig {
            write_token: "bench-write-token".into(),
            read_token: None,
        },
        Limits::default(),
    );
    let app = router(state);
    let some_id = store
        .search(&SearchRequest::new("result.evaluation : failed"))
        .expect("search")
        .rows
        .first()
        .map(|r| r.id.clone())
        .expect("a failed finding");
    let pages = [
        ("dashboard", "/".to_owned()),
        ("findings", "/findings".to_owned()),
        (
            "findings, section query",
            "/findings?q=rule.section+%3A+%22General+Policies%22+and+result.evaluation+%3A+failed"
                .to_owned(),
        ),
        (
            "findings by resource",
            "/findings?group=resource".to_owned(),
        ),
        ("flyout", format!("/findings/{some_id}/flyout")),
        ("rules", "/rules".to_owned()),
    ];
    // The store's share of the two main pages, to tell query time from rendering time.
    let store_only: [(&str, &dyn Fn()); 2] = [
        ("store.dashboard(None)", &|| {
            store.dashboard(None).expect("dashboard");
        }),
        ("store.search(\"\")", &|| {
            store.search(&SearchRequest::new("")).expect("search");
        }),
    ];
    for (name, call) in store_only {
        let mut times: Vec<Duration> = (0..RUNS)
            .map(|_| {
                let t = Instant::now();
                call();
                t.elapsed()
            })
            .collect();
        times.sort_unstable();
        println!(
            "{name:<26} {:>10} {:>10}",
            ms(times[RUNS / 2]),
            ms(times[RUNS * 95 / 100])
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    println!(
        "{:<26} {:>10} {:>10} {:>10}",
        "page", "median", "p95", "bytes"
    );
    for (name, uri) in pages {
        let mut times = Vec::with_capacity(RUNS);
        let mut bytes = 0;
        for _ in 0..RUNS {
            let app = app.clone();
            let uri = uri.clone();
            let t = Instant::now();
            let body = runtime.block_on(async move {
                let response = app
                    .oneshot(Request::get(uri).body(Body::empty()).expect("request"))
                    .await
                    .expect("response");
                assert_eq!(response.status(), StatusCode::OK);
                axum::body::to_bytes(response.into_body(), usize::MAX)
                    .await
                    .expect("body")
            });
            times.push(t.elapsed());
            bytes = body.len();
        }
        times.sort_unstable();
        println!(
            "{name:<26} {:>10} {:>10} {bytes:>10}",
            ms(times[RUNS / 2]),
            ms(times[RUNS * 95 / 100])
        );
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// One completed cycle per cluster with `copies` copies of shop's namespaced objects.
fn fill(store: &Store, clusters: usize, copies: usize) -> usize {
    let evaluator =
        Evaluator::new(RuleBundle::embedded().expect("bundle")).expect("compile bundle");
    let shop = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/shop");
    let loaded = load(&[shop], LoadOptions::default());
    let mut total = 0;
    for c in 0..clusters {
        let name = format!("cluster-{c:02}");
        let cluster = ClusterInfo {
            id: cluster_id_from_name(&name),
            name,
            version: Some("v1.34.2".into()),
            platform: None,
        };
        let mut resources = Vec::new();
        for o in &loaded.objects {
            let whole = o.raw.to_value();
            let namespaced = whole["metadata"]["namespace"].is_string();
            let n = if namespaced { copies } else { 1 };
            for i in 0..n {
                let mut object = whole.clone();
                if namespaced && i > 0 {
                    let base = object["metadata"]["name"]
                        .as_str()
                        .unwrap_or("x")
                        .to_owned();
                    object["metadata"]["name"] = format!("{base}-{i}").into();
                }
                resources.push(Resource::k8s_object(object, cluster.clone()));
            }
        }
        let at = 1_788_220_800 + c as i64 * 60;
        let ctx = ScanContext::new(cluster.clone(), at);
        let findings = evaluator.evaluate(resources, &ctx).findings;
        total += findings.len();
        let cycle = format!("bench-{c}");
        store
            .begin_cycle(&CycleStart {
                cycle_id: cycle.clone(),
                cluster,
                scope: kspm_model::Scope::Cluster,
                started_at: at,
            })
            .expect("begin");
        for (b, chunk) in findings.chunks(5000).enumerate() {
            store.ingest_batch(&cycle, b as u64, chunk).expect("ingest");
        }
        store.complete_cycle(&cycle, at + 30).expect("complete");
    }
    total
}
