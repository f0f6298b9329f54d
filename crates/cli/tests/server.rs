//! `kspm server`, `kspm scan --output server` and `kspm demo`, end to end with the real binary:
//! a real server process on loopback, a real SQLite file, real HTTP.

use std::path::PathBuf;
use std::process::Command;

#[path = "common/server.rs"]
mod test_server;

use test_server::{TOKEN, start_server};

fn kspm() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kspm"));
    c.env("RUST_BACKTRACE", "0").env_remove("KSPM_WRITE_TOKEN");
    c
}

fn temp_dir(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("kspm-server-test-{name}-"))
        .tempdir()
        .expect("temp dir")
}

fn get_json(url: &str) -> serde_json::Value {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let text = reqwest::blocking::get(url)
        .expect("GET")
        .text()
        .expect("body");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{url}: {e}: {text}"))
}

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

#[test]
fn scan_output_server_stores_cluster_and_node_cycles_that_the_api_then_serves() {
    let tmp = temp_dir("push");
    let dir = tmp.path();
    let node = dir.join("cp-1");
    let status = kspm()
        .args(["synth-node", "--kind", "kubeadm-control-plane"])
        .arg(&node)
        .status()
        .expect("synth-node");
    assert!(status.success());
    let server = start_server(&dir.join("kspm.db"));

    let out = kspm()
        .args([
            "scan",
            "--output",
            "server",
            "--cluster-name",
            "pushed",
            "--token",
            TOKEN,
        ])
        .args(["--server", &server.base, "--host-root"])
        .arg(&node)
        .arg(repo("examples/shop"))
        .output()
        .expect("scan");
    let stdout = String::from_utf8_lossy(&out.stdout);
    // Failed findings keep exit code 1 under the default --fail-on failed.
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("(2 cycles)"),
        "one cluster and one node cycle: {stdout}"
    );
    let failed: u64 = stdout
        .rsplit("; ")
        .next()
        .and_then(|s| s.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("failed count in {stdout}"));

    let dashboard = get_json(&format!("{}/api/v1/dashboard", server.base));
    assert_eq!(dashboard["clusters"][0]["cluster_name"], "pushed");
    assert_eq!(dashboard["overall"]["counts"]["failed"], failed);
    let q = "result.evaluation : failed and rule.section : \"API Server\"";
    let url = format!(
        "{}/api/v1/findings?q={}",
        server.base,
        form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>()
    );
    let api_server_failures = get_json(&url);
    assert!(
        api_server_failures["total"].as_u64().unwrap_or(0) > 5,
        "the node's API server flags are stored and searchable: {api_server_failures}"
    );
}

#[test]
fn scan_output_server_with_a_wrong_token_says_so_and_exits_3() {
    let tmp = temp_dir("token");
    let dir = tmp.path();
    let server = start_server(&dir.join("kspm.db"));
    let out = kspm()
        .args([
            "scan",
            "--output",
            "server",
            "--token",
            "not-the-right-token-000",
        ])
        .args(["--server", &server.base])
        .arg(repo("examples/shop"))
        .output()
        .expect("scan");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("checking the write token failed: HTTP 403"),
        "{stderr}"
    );
}

#[test]
fn demo_records_two_clusters_with_four_cycles_and_resolved_drift() {
    let tmp = temp_dir("demo");
    let dir = tmp.path();
    let out = kspm()
        .args(["demo", "--no-serve", "--data-dir"])
        .arg(dir)
        .output()
        .expect("demo");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let db = dir.join("kspm.db");
    assert!(db.is_file());
    let store = kspm_store::Store::open(&db).expect("open the demo store");
    let dashboard = store.dashboard(None).expect("dashboard");
    let names: Vec<&str> = dashboard
        .clusters
        .iter()
        .map(|c| c.cluster_name.as_str())
        .collect();
    assert_eq!(names, ["analytics-staging", "shop-prod"]);
    assert!(dashboard.resources_evaluated > 50);
    // The drift objects of the first two cycles are resolved, not current…
    let mut request = kspm_store::SearchRequest::new("resource.name : \"default/debug-shell\"");
    request.per_page = 10;
    assert_eq!(store.search(&request).expect("search").total, 0);
    request.include_resolved = true;
    assert!(
        store.search(&request).expect("search").total > 0,
        "debug-shell's findings are kept as resolved"
    );
    // …and shop-prod's trend climbs when its control plane is hardened in the last cycle.
    let shop = dashboard
        .clusters
        .iter()
        .find(|c| c.cluster_name == "shop-prod")
        .expect("shop-prod")
        .cluster_id
        .clone();
    let scores: Vec<f64> = store
        .dashboard(Some(&shop))
        .expect("shop-prod dashboard")
        .trend
        .iter()
        .filter_map(|p| p.score)
        .collect();
    assert!(scores.len() >= 4, "a point per cycle: {scores:?}");
    assert!(
        scores.last() > scores.first(),
        "the score improves over the demo's history: {scores:?}"
    );
}

#[test]
fn write_token_from_a_mounted_file_is_the_one_the_server_enforces() {
    let tmp = temp_dir("token-file");
    let dir = tmp.path();
    // As a Secret volume holds it: the token, maybe with a trailing newline.
    let token_file = dir.join("token");
    std::fs::write(&token_file, format!("{TOKEN}\n")).unwrap();
    let mut command = kspm();
    command
        .args(["server", "--listen", "127.0.0.1:0", "--write-token-file"])
        .arg(&token_file)
        .arg("--db")
        .arg(dir.join("kspm.db"))
        .stderr(std::process::Stdio::piped());
    let mut server = test_server::start_server_command(command);
    let base = server.base.clone();
    let push = |token: &str| {
        kspm()
            .args(["scan", "--output", "server", "--fail-on", "none"])
            .args(["--token", token, "--server", &base])
            .arg(repo("examples/shop"))
            .output()
            .expect("scan")
    };
    let accepted = push(TOKEN);
    assert_eq!(
        accepted.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&accepted.stderr)
    );
    assert_eq!(push("not-the-right-token-000").status.code(), Some(3));
    let _ = server.child.kill();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut server.child.stderr.take().unwrap(), &mut stderr).unwrap();
    // The token the server was given is never printed.
    assert!(!stderr.contains(TOKEN));

    // An empty or missing file is a usage error naming the file.
    std::fs::write(&token_file, "\n").unwrap();
    for file in [token_file.clone(), dir.join("missing")] {
        let out = kspm()
            .args(["server", "--listen", "127.0.0.1:0", "--write-token-file"])
            .arg(&file)
            .arg("--db")
            .arg(dir.join("kspm.db"))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(&file.display().to_string()), "{stderr}");
    }
}
