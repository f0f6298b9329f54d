//! Load bench: concurrent searches against the real server on a loopback socket, at 16 and
//! 64 connections, over a large store. Prints requests per second, p50 / p99 latency and the
//! process's peak RSS during each phase.
//!
//! ```sh
//! # 1M findings: build the database once with the store bench, then load it here.
//! KSPM_BENCH_DB=/tmp/kspm-1m.sqlite cargo bench -p kspm-store --bench store
//! KSPM_BENCH_DB=/tmp/kspm-1m.sqlite cargo bench -p kspm-server --bench load
//! # Or let this bench fill a store of its own (KSPM_BENCH_FINDINGS, default 100,000).
//! cargo bench -p kspm-server --bench load
//! ```
//!
//! `KSPM_BENCH_PHASES=rare` or `common` runs one kind of value only.
//!
//! Each phase runs for `KSPM_BENCH_SECONDS` (default 10) or 20,000 requests, whichever
//! comes first. Server and clients share this process, so the RSS includes the clients
//! (a few hundred KiB).

#[path = "../../store/tests/common/mod.rs"]
mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::*;
use kspm_model::Outcome;
use kspm_server::{AppState, AuthConfig, Limits, serve};
use kspm_store::{CycleStart, Store};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const T0: i64 = 1_795_000_000;
const MAX_REQUESTS: usize = 20_000;

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// Fills `store` with about `total` findings: pods × 40 rules in one cluster cycle and 20
/// node cycles of files × 20 rules, sent in batches of 1,000.
fn fill(store: &Store, total: usize) {
    let c = cluster("bench");
    let pod_rules: Vec<RuleSpec> = (0..40)
        .map(|i| RuleSpec {
            id: leak(format!("pod_rule_{i}")),
            benchmark: "cis_k8s",
            number: leak(format!("5.{}.{}", i % 7 + 1, i + 1)),
            title: leak(format!("Generated pod rule number {i}")),
            section: "Pod Security Standards",
        })
        .collect();
    let node_rules: Vec<RuleSpec> = (0..20)
        .map(|i| RuleSpec {
            id: leak(format!("kubelet_rule_{i}")),
            benchmark: "cis_k8s",
            number: leak(format!("4.{}.{}", i % 2 + 1, i + 1)),
            title: leak(format!("The kubelet setting number {i} is hardened")),
            section: "Worker Nodes",
        })
        .collect();
    let outcome = |i: usize| match i % 10 {
        0..=2 => Outcome::Failed,
        3 => Outcome::Manual,
        _ => Outcome::Passed,
    };
    let run = |id: &str, scope: &str, findings: Vec<kspm_model::Finding>| {
        store
            .begin_cycle(&CycleStart {
                cycle_id: id.into(),
                cluster: c.clone(),
                scope: scope.parse().expect("scope"),
                started_at: T0,
            })
            .expect("begin");
        for (n, batch) in findings.chunks(1000).enumerate() {
            store.ingest_batch(id, n as u64, batch).expect("ingest");
        }
        store.complete_cycle(id, T0 + 60).expect("complete");
    };
    let pods = total * 8 / 10 / pod_rules.len();
    let mut findings = Vec::new();
    let mut i = 0;
    // One cluster cycle of every pod, generated in slices to keep memory flat.
    store
        .begin_cycle(&CycleStart {
            cycle_id: "cluster".into(),
            cluster: c.clone(),
            scope: kspm_model::Scope::Cluster,
            started_at: T0,
        })
        .expect("begin");
    let mut batch_no = 0u64;
    let mut p = 0;
    while p < pods {
        for r in &pod_rules {
            i += 1;
            let ns = format!("ns-{}", p % 50);
            findings.push(pod(&c, &ns, &format!("pod-{p}"), &[], r, outcome(i), T0));
        }
        p += 1;
        if findings.len() >= 1000 || p == pods {
            store
                .ingest_batch("cluster", batch_no, &findings)
                .expect("ingest");
            batch_no += 1;
            findings.clear();
        }
    }
    store.complete_cycle("cluster", T0 + 60).expect("complete");
    let nodes = 20;
    let files = (total - pods * pod_rules.len()) / nodes / node_rules.len();
    for node in 0..nodes {
        let name = format!("node-{node}");
        let mut nf = Vec::new();
        for k in 0..files {
            for r in &node_rules {
                i += 1;
                nf.push(file(
                    &c,
                    &name,
                    &format!("/var/lib/kubelet/file-{k}"),
                    r,
                    outcome(i),
                    T0,
                ));
            }
        }
        run(&format!("node-{node}"), &format!("node:{name}"), nf);
    }
}

/// Peak RSS of this process in KiB since the last reset.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).map(str::to_owned))
        })
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).map(str::to_owned))
        })
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Resets the peak RSS to the current RSS (Linux: `echo 5 > /proc/self/clear_refs`).
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// One keep-alive connection: sends `GET path` and reads the whole answer; returns the status.
/// The head is looked for in the new bytes only, so that the client's own work stays small
/// next to the server's (it shares the two cores).
async fn get(stream: &mut TcpStream, buf: &mut Vec<u8>, path: &str) -> u16 {
    let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    buf.clear();
    let mut chunk = [0u8; 64 * 1024];
    // (where the body starts, its length, the status) once the head has arrived.
    let mut head: Option<(usize, usize, u16)> = None;
    loop {
        let n = stream.read(&mut chunk).await.expect("read");
        assert!(n > 0, "the server closed the connection");
        let from = buf.len().saturating_sub(3);
        buf.extend_from_slice(&chunk[..n]);
        if head.is_none()
            && let Some(at) = buf[from..].windows(4).position(|w| w == b"\r\n\r\n")
        {
            let end = from + at;
            let text = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let length: usize = text
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .expect("answers with a content-length");
            let status = text
                .split(' ')
                .nth(1)
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            head = Some((end + 4, length, status));
        }
        if let Some((start, length, status)) = head
            && buf.len() >= start + length
        {
            return status;
        }
    }
}

async fn phase(addr: SocketAddr, connections: usize, queries: &[String], seconds: u64) {
    reset_peak_rss();
    let rss_before = rss_kib();
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let budget = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(MAX_REQUESTS));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..connections {
        let queries = queries.to_vec();
        let budget = budget.clone();
        tasks.push(tokio::spawn(async move {
            let mut stream = TcpStream::connect(addr).await.expect("connect");
            let mut buf = Vec::new();
            let mut times = Vec::new();
            let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
            let mut k = c;
            while Instant::now() < deadline
                && budget
                    .fetch_update(
                        std::sync::atomic::Ordering::Relaxed,
                        std::sync::atomic::Ordering::Relaxed,
                        |b| b.checked_sub(1),
                    )
                    .is_ok()
            {
                let path = &queries[k % queries.len()];
                k += 7;
                let t = Instant::now();
                let status = get(&mut stream, &mut buf, path).await;
                times.push(t.elapsed());
                *statuses.entry(status).or_default() += 1;
            }
            (times, statuses)
        }));
    }
    let mut times = Vec::new();
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for t in tasks {
        let (t, s) = t.await.expect("client");
        times.extend(t);
        for (k, v) in s {
            *statuses.entry(k).or_default() += v;
        }
    }
    let wall = started.elapsed();
    times.sort();
    let pct = |p: f64| {
        times
            .get(((times.len() as f64 * p) as usize).min(times.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    println!(
        "  {connections:>3} connections: {} requests in {:.1} s = {:.0} req/s; p50 {:.1} ms, \
         p99 {:.1} ms; statuses {statuses:?}; RSS {} MiB before, peak {} MiB",
        times.len(),
        wall.as_secs_f64(),
        times.len() as f64 / wall.as_secs_f64(),
        pct(0.50),
        pct(0.99),
        rss_before / 1024,
        peak_rss_kib() / 1024,
    );
}

fn main() {
    let seconds: u64 = std::env::var("KSPM_BENCH_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let dir = tempfile::tempdir().expect("temp dir");
    let db = std::env::var_os("KSPM_BENCH_DB")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| dir.path().join("load.sqlite"));
    let existed = db.exists();
    let store = Store::open(&db).expect("open the store");
    if !existed {
        let total: usize = std::env::var("KSPM_BENCH_FINDINGS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(100_000);
        let t = Instant::now();
        fill(&store, total);
        println!("filled in {:.1} s", t.elapsed().as_secs_f64());
    }
    let total = store
        .search(&kspm_store::SearchRequest::new(""))
        .expect("count")
        .total;
    println!("store: {total} current findings ({})", db.display());
    let state = AppState::new(
        store,
        AuthConfig {
            write_token: "bench-write-token-0123456789".into(),
            read_token: None,
        },
        Limits::default(),
    );
    // The server runs on a runtime of its own, as it would in its own process; the clients on
    // one thread of theirs, so that a client task never waits behind a server task to be polled.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = runtime.spawn(serve(listener, state, async {
        let _ = stopped.await;
    }));
    let clients = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("client runtime");
    clients.block_on(async move {
        // Bare values: a rare one (a pod name, tens of matches) and a common one (a word in
        // the title of many rules), as the findings page asks (count + first page of 50), half
        // in the API's default order (newest first), half in the page's (failed first).
        let order = |i: usize| {
            if i.is_multiple_of(2) {
                ""
            } else {
                "&sort=result.evaluation"
            }
        };
        let rare: Vec<String> = (0..200)
            .map(|i| {
                format!(
                    "/api/v1/findings?q=pod-{}&per_page=50{}",
                    i * 97 + 13,
                    order(i)
                )
            })
            .collect();
        let common: Vec<String> = ["kubelet", "Generated", "ns-7", "file-3"]
            .iter()
            .flat_map(|q| (0..2).map(move |i| (q, i)))
            .map(|(q, i)| format!("/api/v1/findings?q={q}&per_page=50{}", order(i)))
            .collect();
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        let mut buf = Vec::new();
        for q in rare.iter().take(3).chain(&common) {
            assert_eq!(get(&mut stream, &mut buf, q).await, 200, "{q}");
        }
        // KSPM_BENCH_PHASES=common (or rare) runs one of them.
        let phases = std::env::var("KSPM_BENCH_PHASES").unwrap_or_default();
        for (label, queries) in [
            ("rare bare value (pod-N)", &rare),
            ("common bare value", &common),
        ] {
            if !phases.is_empty() && !label.starts_with(phases.as_str()) {
                continue;
            }
            println!("{label}:");
            for connections in [16, 64] {
                phase(addr, connections, queries, seconds).await;
            }
        }
    });
    stop.send(()).expect("stop");
    runtime.block_on(server).expect("server").expect("serve");
}
