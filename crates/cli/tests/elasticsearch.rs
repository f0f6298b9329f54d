//! `kspm scan --output elasticsearch` end to end: the real binary shipping to the loopback
//! Elasticsearch of `kspm-es-fake` over HTTPS with a custom CA.

mod common;
#[path = "common/server.rs"]
mod test_server;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Output;

use kspm_es_fake::{DEFAULT_PASSWORD, FakeElasticsearch};
use serde_json::Value;

const DATA_STREAM: &str = "logs-cloud_security_posture.findings-default";

fn shop() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/shop")
}

/// A scan of the shop example and a fixture control-plane node (objects, files, processes).
fn scan(dir: &Path, extra: &[&str], password: &str) -> Output {
    let node = dir.join("cp-1");
    if !node.exists() {
        let made = common::kspm()
            .args(["synth-node", "--kind", "kubeadm-control-plane"])
            .arg(&node)
            .output()
            .unwrap();
        assert!(
            made.status.success(),
            "{}",
            String::from_utf8_lossy(&made.stderr)
        );
    }
    common::kspm()
        .arg("scan")
        .arg(shop())
        .arg("--host-root")
        .arg(&node)
        .args(extra)
        .env_remove("KSPM_ES_API_KEY")
        .env("KSPM_ES_USERNAME", "elastic")
        .env("KSPM_ES_PASSWORD", password)
        .output()
        .unwrap()
}

fn es_args(es: &FakeElasticsearch, dir: &Path) -> Vec<String> {
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, es.ca_pem().unwrap()).unwrap();
    vec![
        "--output".into(),
        "elasticsearch".into(),
        "--elasticsearch-url".into(),
        es.url(),
        "--elasticsearch-ca".into(),
        ca.display().to_string(),
        "--spool-dir".into(),
        dir.join("spool").display().to_string(),
    ]
}

fn ndjson_slots(dir: &Path) -> BTreeSet<String> {
    let out = scan(dir, &["--output", "ndjson"], "");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let doc: Value = serde_json::from_str(l).unwrap();
            doc["event"]["id"].as_str().unwrap().to_string()
        })
        .collect()
}

fn stored_slots(es: &FakeElasticsearch) -> Vec<String> {
    es.ids(DATA_STREAM)
        .iter()
        .map(|id| {
            let doc = es.document(DATA_STREAM, id).unwrap();
            doc["event"]["id"].as_str().unwrap().to_string()
        })
        .collect()
}

#[test]
fn scan_output_elasticsearch_ships_every_finding_once_into_the_data_stream() {
    let es = FakeElasticsearch::builder().tls().start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let args = es_args(&es, dir.path());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = scan(dir.path(), &args, DEFAULT_PASSWORD);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "failed findings; {stdout} {stderr}"
    );
    assert!(stdout.starts_with("sent "), "{stdout}");
    assert!(stdout.contains(DATA_STREAM), "{stdout}");
    let expected = ndjson_slots(dir.path());
    let stored = stored_slots(&es);
    assert_eq!(stored.len(), expected.len(), "one document per finding");
    assert_eq!(stored.into_iter().collect::<BTreeSet<_>>(), expected);
    let types: BTreeSet<String> = es
        .ids(DATA_STREAM)
        .iter()
        .map(|id| {
            es.document(DATA_STREAM, id).unwrap()["resource"]["type"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        types,
        BTreeSet::from(["file".into(), "k8s_object".into(), "process".into()])
    );
    assert_eq!(
        std::fs::read_dir(dir.path().join("spool")).unwrap().count(),
        0
    );
}

#[test]
fn scan_output_elasticsearch_names_refused_credentials_and_exits_3() {
    let es = FakeElasticsearch::builder().tls().start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let args = es_args(&es, dir.path());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = scan(dir.path(), &args, "not-the-password");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("authentication failed"), "{stderr}");
    assert!(
        stderr.contains("unable to authenticate user [elastic]"),
        "{stderr}"
    );
    assert!(!stderr.contains("not-the-password"), "{stderr}");
}

#[test]
fn scan_output_elasticsearch_spools_while_the_cluster_is_down_and_sends_it_next_time() {
    let mut es = FakeElasticsearch::builder().tls().start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let args = es_args(&es, dir.path());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    es.stop();
    let out = scan(dir.path(), &args, DEFAULT_PASSWORD);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("kept in the spool"), "{stderr}");
    assert!(std::fs::read_dir(dir.path().join("spool")).unwrap().count() > 0);
    es.start().unwrap();
    let out = scan(dir.path(), &args, DEFAULT_PASSWORD);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read_dir(dir.path().join("spool")).unwrap().count(),
        0
    );
    let expected = ndjson_slots(dir.path());
    let stored = stored_slots(&es);
    // Both runs' cycles are stored (one cycle when both started in the same second).
    assert!(stored.len() == expected.len() || stored.len() == 2 * expected.len());
    assert_eq!(stored.into_iter().collect::<BTreeSet<_>>(), expected);
}

#[test]
fn agent_output_elasticsearch_ships_a_node_cycle_into_the_data_stream() {
    let es = FakeElasticsearch::builder().tls().start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let node = dir.path().join("cp-1");
    let made = common::kspm()
        .args(["synth-node", "--kind", "kubeadm-control-plane"])
        .arg(&node)
        .output()
        .unwrap();
    assert!(made.status.success());
    let args = es_args(&es, dir.path());
    let out = common::kspm()
        .args(["agent", "--once", "--no-cluster", "--listen", "none"])
        .args(["--node-name", "cp-1", "--host-root"])
        .arg(&node)
        .args(&args)
        .env_remove("KSPM_ES_API_KEY")
        .env_remove("KSPM_SERVER")
        .env("KSPM_ES_USERNAME", "elastic")
        .env("KSPM_ES_PASSWORD", DEFAULT_PASSWORD)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "failed findings; {stderr}");
    // The same node scanned offline: as many findings as documents shipped.
    let offline = common::kspm()
        .args([
            "scan",
            "-o",
            "ndjson",
            "--fail-on",
            "none",
            "--node-name",
            "cp-1",
        ])
        .arg("--host-root")
        .arg(&node)
        .output()
        .unwrap();
    let expected = String::from_utf8_lossy(&offline.stdout).lines().count();
    let ids = es.ids(DATA_STREAM);
    assert!(expected > 50, "{expected} findings");
    assert_eq!(ids.len(), expected, "{stderr}");
    for id in &ids {
        let doc = es.document(DATA_STREAM, id).unwrap();
        assert_eq!(doc["host"]["name"], "cp-1", "{doc}");
    }
    assert_eq!(
        std::fs::read_dir(dir.path().join("spool")).unwrap().count(),
        0
    );
}

/// A child process killed when the test ends, panicking or not.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn agent_sends_its_elasticsearch_spool_between_cycles_once_the_cluster_answers() {
    let mut es = FakeElasticsearch::builder().tls().start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let node = dir.path().join("cp-1");
    let made = common::kspm()
        .args(["synth-node", "--kind", "kubeadm-control-plane"])
        .arg(&node)
        .output()
        .unwrap();
    assert!(made.status.success());
    let args = es_args(&es, dir.path());
    es.stop();
    // One cycle now, the next in an hour: only the retries between cycles can deliver.
    let log = dir.path().join("agent.log");
    let agent = common::kspm()
        .args(["agent", "--no-cluster", "--listen", "none"])
        .args(["--interval", "1h", "--retry-interval", "1s"])
        .args(["--node-name", "cp-1", "--host-root"])
        .arg(&node)
        .args(&args)
        .env_remove("KSPM_ES_API_KEY")
        .env_remove("KSPM_SERVER")
        .env("KSPM_ES_USERNAME", "elastic")
        .env("KSPM_ES_PASSWORD", DEFAULT_PASSWORD)
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let agent = Killed(agent);
    let log = || std::fs::read_to_string(&log).unwrap_or_default();
    let spool = dir.path().join("spool");
    let spooled = |min: usize| {
        std::fs::read_dir(&spool)
            .map(|d| d.count() >= min)
            .unwrap_or(false)
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !spooled(1) {
        assert!(std::time::Instant::now() < deadline, "nothing spooled");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    // The cycle is over once its batches are all written; give it a moment, then come back.
    std::thread::sleep(std::time::Duration::from_secs(3));
    assert!(es.ids(DATA_STREAM).is_empty());
    es.start().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while spooled(1) {
        assert!(
            std::time::Instant::now() < deadline,
            "the spool was not sent between cycles: {}",
            log()
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    drop(agent);
    let offline = common::kspm()
        .args([
            "scan",
            "-o",
            "ndjson",
            "--fail-on",
            "none",
            "--node-name",
            "cp-1",
        ])
        .arg("--host-root")
        .arg(&node)
        .output()
        .unwrap();
    let expected = String::from_utf8_lossy(&offline.stdout).lines().count();
    assert_eq!(es.ids(DATA_STREAM).len(), expected);
}

#[test]
fn server_forwards_every_batch_it_ingests_to_elasticsearch() {
    let es = FakeElasticsearch::builder().tls().start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, es.ca_pem().unwrap()).unwrap();
    let server = test_server::start_server_with(
        &dir.path().join("kspm.db"),
        "127.0.0.1:0",
        &[
            "--elasticsearch-url".into(),
            es.url(),
            "--elasticsearch-ca".into(),
            ca.display().to_string(),
        ],
        &[
            ("KSPM_ES_USERNAME", "elastic"),
            ("KSPM_ES_PASSWORD", DEFAULT_PASSWORD),
        ],
    );
    // Small batches: several ingest requests, each forwarded on its own.
    let pushed = common::kspm()
        .args(["scan", "--output", "server", "--fail-on", "none"])
        .args(["--batch-size", "10", "--token", test_server::TOKEN])
        .args(["--server", &server.base])
        .arg(shop())
        .output()
        .unwrap();
    assert_eq!(
        pushed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&pushed.stderr)
    );
    let offline = common::kspm()
        .args(["scan", "-o", "ndjson", "--fail-on", "none"])
        .arg(shop())
        .output()
        .unwrap();
    let expected: BTreeSet<String> = String::from_utf8_lossy(&offline.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["event"]["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert!(expected.len() > 20);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while es.ids(DATA_STREAM).len() < expected.len() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let stored = stored_slots(&es);
    assert_eq!(stored.len(), expected.len(), "each finding forwarded once");
    assert_eq!(stored.into_iter().collect::<BTreeSet<_>>(), expected);
    let _ = rustls::crypto::ring::default_provider().install_default();
    let metrics = reqwest::blocking::get(format!("{}/metrics", server.base))
        .unwrap()
        .text()
        .unwrap();
    assert!(
        metrics.contains(&format!("kspm_forwarded_findings_total {}", expected.len())),
        "{metrics}"
    );
}

#[test]
fn server_forwarder_spools_through_an_elasticsearch_outage_and_sends_it_all_afterwards() {
    let mut es = FakeElasticsearch::builder().tls().start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, es.ca_pem().unwrap()).unwrap();
    let spool = dir.path().join("forward-spool");
    let server = test_server::start_server_with(
        &dir.path().join("kspm.db"),
        "127.0.0.1:0",
        &[
            "--elasticsearch-url".into(),
            es.url(),
            "--elasticsearch-ca".into(),
            ca.display().to_string(),
            "--forward-spool-dir".into(),
            spool.display().to_string(),
        ],
        &[
            ("KSPM_ES_USERNAME", "elastic"),
            ("KSPM_ES_PASSWORD", DEFAULT_PASSWORD),
        ],
    );
    let push = |cluster: &str| {
        let out = common::kspm()
            .args(["scan", "--output", "server", "--fail-on", "none"])
            .args(["--cluster-name", cluster, "--token", test_server::TOKEN])
            .args(["--server", &server.base])
            .arg(shop())
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "ingest does not wait on Elasticsearch: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let wait = |what: &str, done: &dyn Fn() -> bool| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while !done() {
            assert!(std::time::Instant::now() < deadline, "timed out: {what}");
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    };

    es.stop();
    push("during-the-outage");
    let spooled = || std::fs::read_dir(&spool).map(|d| d.count()).unwrap_or(0);
    wait("the forwarder spools what it cannot send", &|| {
        spooled() > 0
    });
    assert!(es.ids(DATA_STREAM).is_empty());

    es.start().unwrap();
    push("after-the-outage");
    let offline = common::kspm()
        .args(["scan", "-o", "ndjson", "--fail-on", "none"])
        .arg(shop())
        .output()
        .unwrap();
    let per_cluster = String::from_utf8_lossy(&offline.stdout).lines().count();
    assert!(per_cluster > 20);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while es.ids(DATA_STREAM).len() < 2 * per_cluster {
        assert!(
            std::time::Instant::now() < deadline,
            "both clusters' findings reach Elasticsearch: {} of {} stored, {} batches spooled",
            es.ids(DATA_STREAM).len(),
            2 * per_cluster,
            spooled()
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(
        es.ids(DATA_STREAM).len(),
        2 * per_cluster,
        "each finding once"
    );
    wait("the spool empties", &|| spooled() == 0);
    let clusters: BTreeSet<String> = es
        .ids(DATA_STREAM)
        .iter()
        .map(|id| {
            es.document(DATA_STREAM, id).unwrap()["orchestrator"]["cluster"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(
        clusters.into_iter().collect::<Vec<_>>(),
        ["after-the-outage", "during-the-outage"]
    );
}
