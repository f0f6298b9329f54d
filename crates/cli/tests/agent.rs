//! `kspm agent` end to end: the real binary against the loopback Kubernetes API server
//! (kspm-kube-fake, Leases with optimistic concurrency) and a real `kspm server` process with
//! a real SQLite file. What the store ends up holding is the evidence.

mod common;
#[path = "common/server.rs"]
mod test_server;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kspm_fixtures::cluster::{Shape, cluster};
use kspm_kube_fake::FakeApiServer;
use test_server::{TOKEN, start_server, start_server_on};

fn api_server() -> FakeApiServer {
    let items = cluster(20, 3, Shape::Complete)["items"]
        .as_array()
        .unwrap()
        .clone();
    FakeApiServer::builder()
        .version("v1.34.2")
        .objects(items)
        .start()
        .unwrap()
}

fn node(dir: &Path, kind: &str, name: &str) -> PathBuf {
    let root = dir.join(name);
    let status = common::kspm()
        .args(["synth-node", "--kind", kind])
        .arg(&root)
        .status()
        .unwrap();
    assert!(status.success());
    root
}

fn agent(
    kubeconfig: &Path,
    root: &Path,
    node: &str,
    identity: &str,
    server: &str,
    token: &str,
) -> Command {
    let mut c = common::kspm();
    c.env_remove("KUBERNETES_SERVICE_HOST")
        .env_remove("POD_NAMESPACE")
        .env_remove("NODE_NAME")
        .args(["agent", "--lease-namespace", "kspm"])
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .arg("--host-root")
        .arg(root)
        .args(["--node-name", node, "--identity", identity])
        .args(["--server", server, "--token", token]);
    c
}

/// `kspm_cycles_completed_total` on the server's /metrics: cycles completed in its store.
fn stored_cycles(base: &str) -> u64 {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let text = reqwest::blocking::get(format!("{base}/metrics"))
        .unwrap()
        .text()
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("kspm_cycles_completed_total "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no kspm_cycles_completed_total in {text}"))
}

fn get_json(url: &str) -> serde_json::Value {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let text = reqwest::blocking::get(url).unwrap().text().unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{url}: {e}: {text}"))
}

fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn holder(api: &FakeApiServer) -> Option<String> {
    api.get("Lease", "kspm", "kspm-leader")
        .unwrap()
        .and_then(|l| l["spec"]["holderIdentity"].as_str().map(str::to_owned))
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn one_agent_cycle_stores_its_node_and_as_leader_the_cluster_then_releases_the_lease() {
    let api = api_server();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("config");
    api.write_kubeconfig(&kubeconfig, "fake").unwrap();
    let root = node(dir.path(), "kubeadm-control-plane", "cp-1");
    let server = start_server(&dir.path().join("kspm.db"));

    let out = agent(
        &kubeconfig,
        &root,
        "cp-1",
        "agent-cp-1",
        &server.base,
        TOKEN,
    )
    .arg("--once")
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Failed findings: the scan's exit code 1.
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("kspm agent: benchmarks cis_k8s, pss; node cp-1 from")
            && stderr.contains("while holding lease kspm/kspm-leader as agent-cp-1"),
        "the start-up summary says what it evaluates and why: {stderr}"
    );
    assert_eq!(stored_cycles(&server.base), 2, "a node and a cluster cycle");

    let kube_system = api.get("Namespace", "", "kube-system").unwrap().unwrap();
    let dashboard = get_json(&format!("{}/api/v1/dashboard", server.base));
    assert_eq!(
        dashboard["clusters"][0]["cluster_id"], kube_system["metadata"]["uid"],
        "node findings are filed under the cluster's id: {dashboard}"
    );
    let search = |q: &str| -> u64 {
        let url = format!(
            "{}/api/v1/findings?q={}",
            server.base,
            form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>()
        );
        let v = get_json(&url);
        v["total"].as_u64().unwrap()
    };
    assert!(
        search("rule.section : \"API Server\"") > 10,
        "node processes"
    );
    let objects = search("resource.type : k8s_object");
    assert!(objects > 20, "cluster objects: {objects}; {dashboard}");

    // Released on the way out, so that another agent need not wait.
    let lease = api.get("Lease", "kspm", "kspm-leader").unwrap().unwrap();
    assert!(lease["spec"]["holderIdentity"].is_null(), "{lease}");
    // Read-only, never a Secret; the Lease is the only thing written.
    let requests = api.requests();
    assert!(requests.iter().all(|r| !r.path.contains("secrets")));
    assert!(
        requests
            .iter()
            .filter(|r| r.method != "GET")
            .all(|r| r.path.contains("/leases")),
        "{requests:?}"
    );
}

#[test]
fn only_the_leader_assesses_the_cluster_and_another_agent_takes_over_when_it_is_killed() {
    let api = api_server();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("config");
    api.write_kubeconfig(&kubeconfig, "fake").unwrap();
    let cp = node(dir.path(), "kubeadm-control-plane", "cp-1");
    let worker = node(dir.path(), "worker", "worker-1");
    let server = start_server(&dir.path().join("kspm.db"));
    let start = |root: &Path, name: &str| {
        agent(&kubeconfig, root, name, name, &server.base, TOKEN)
            .args([
                "--interval",
                "1h",
                "--lease-duration",
                "2s",
                "--listen",
                "none",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };

    let mut a = Killed(start(&cp, "cp-1"));
    wait_for(
        "cp-1's node and cluster cycles",
        Duration::from_secs(60),
        || stored_cycles(&server.base) >= 2,
    );
    assert_eq!(holder(&api).as_deref(), Some("cp-1"));
    let _b = Killed(start(&worker, "worker-1"));
    wait_for("worker-1's node cycle", Duration::from_secs(60), || {
        stored_cycles(&server.base) >= 3
    });
    // Several lease periods later, worker-1 still has not assessed the cluster.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(stored_cycles(&server.base), 3);
    assert_eq!(holder(&api).as_deref(), Some("cp-1"));

    // The leader dies without releasing; worker-1 takes over within the lease duration (plus
    // its own observation of the record) and assesses the cluster at once.
    let killed_at = Instant::now();
    let _ = a.0.kill();
    let _ = a.0.wait();
    wait_for(
        "worker-1 to take the lease",
        Duration::from_secs(30),
        || holder(&api).as_deref() == Some("worker-1"),
    );
    wait_for("worker-1's cluster cycle", Duration::from_secs(60), || {
        stored_cycles(&server.base) >= 4
    });
    assert!(killed_at.elapsed() < Duration::from_secs(30));
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(
        stored_cycles(&server.base),
        4,
        "the takeover assesses the cluster only, once"
    );
    let lease = api.get("Lease", "kspm", "kspm-leader").unwrap().unwrap();
    assert_eq!(lease["spec"]["leaseTransitions"], 1);
}

#[test]
fn a_refused_token_is_logged_every_cycle_and_counted_without_a_crash() {
    let api = api_server();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("config");
    api.write_kubeconfig(&kubeconfig, "fake").unwrap();
    let root = node(dir.path(), "worker", "worker-1");
    let server = start_server(&dir.path().join("kspm.db"));
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let log = dir.path().join("agent.log");
    let mut command = agent(
        &kubeconfig,
        &root,
        "worker-1",
        "worker-1",
        &server.base,
        "not-the-write-token-at-all",
    );
    command
        .args(["--interval", "1s", "--jitter", "0", "--no-cluster"])
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap());
    let mut child = Killed(command.spawn().unwrap());
    let _ = rustls::crypto::ring::default_provider().install_default();
    let metrics = |name: &str| -> u64 {
        reqwest::blocking::get(format!("http://127.0.0.1:{port}/metrics"))
            .ok()
            .and_then(|r| r.text().ok())
            .and_then(|t| {
                t.lines()
                    .find_map(|l| l.strip_prefix(name))
                    .and_then(|n| n.trim().parse().ok())
            })
            .unwrap_or(0)
    };
    let start = Instant::now();
    while metrics("kspm_agent_errors_total{stage=\"deliver\"} ") < 3 {
        assert!(
            child.0.try_wait().unwrap().is_none(),
            "the agent exited; its log:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "timed out waiting for three failed deliveries; agent log:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(child.0.try_wait().unwrap().is_none(), "still running");
    assert!(metrics("kspm_agent_cycles_total{result=\"failed\"} ") >= 3);
    let text = std::fs::read_to_string(&log).unwrap();
    let refusals = text
        .lines()
        .filter(|l| {
            l.contains("checking the write token failed")
                && (l.contains("HTTP 401") || l.contains("HTTP 403"))
        })
        .count();
    assert!(refusals >= 3, "a clear line per cycle: {text}");
    assert!(
        !text.contains("not-the-write-token-at-all"),
        "the token is never printed"
    );
    assert_eq!(stored_cycles(&server.base), 0);
    let ready = reqwest::blocking::get(format!("http://127.0.0.1:{port}/readyz")).unwrap();
    assert_eq!(ready.status().as_u16(), 200);
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A metric of an agent's /metrics (0 when absent or unreachable).
fn agent_metric(port: u16, name: &str) -> u64 {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::blocking::get(format!("http://127.0.0.1:{port}/metrics"))
        .ok()
        .and_then(|r| r.text().ok())
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix(&format!("{name} ")))
                .and_then(|n| n.trim().parse::<f64>().ok())
        })
        .map_or(0, |v| v as u64)
}

#[test]
fn findings_spooled_through_an_outage_and_a_restart_arrive_once_when_the_server_is_back() {
    let api = api_server();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("config");
    api.write_kubeconfig(&kubeconfig, "fake").unwrap();
    let root = node(dir.path(), "worker", "worker-1");
    let server_port = free_port();
    let server_url = format!("http://127.0.0.1:{server_port}");
    let spool = dir.path().join("spool");
    let start = |log: &Path, metrics_port: u16| {
        let mut c = agent(
            &kubeconfig,
            &root,
            "worker-1",
            "worker-1",
            &server_url,
            TOKEN,
        );
        c.args(["--interval", "2s", "--jitter", "0", "--no-cluster"])
            .args(["--listen", &format!("127.0.0.1:{metrics_port}")])
            .arg("--spool-dir")
            .arg(&spool)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log).unwrap());
        Killed(c.spawn().unwrap())
    };
    let cycles_done = |log: &Path| {
        std::fs::read_to_string(log)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("cycle done"))
            .count() as u64
    };

    // The server is away for two cycles; the agent is killed without warning and restarted.
    let first_log = dir.path().join("first.log");
    let first_port = free_port();
    let mut first = start(&first_log, first_port);
    wait_for("two spooled cycles", Duration::from_secs(60), || {
        agent_metric(first_port, "kspm_agent_spool_batches") >= 2
    });
    let _ = first.0.kill();
    let _ = first.0.wait();
    let spooled_files = std::fs::read_dir(&spool).unwrap().count();
    assert!(spooled_files >= 2, "{spooled_files} batches on disk");

    let second_log = dir.path().join("second.log");
    let second_port = free_port();
    let mut second = start(&second_log, second_port);
    wait_for(
        "a cycle of the restarted agent",
        Duration::from_secs(60),
        || cycles_done(&second_log) >= 1,
    );

    // The server comes back: everything spooled, before and after the restart, arrives.
    let server = start_server_on(
        &dir.path().join("kspm.db"),
        &format!("127.0.0.1:{server_port}"),
    );
    wait_for("the spool to empty", Duration::from_secs(60), || {
        stored_cycles(&server.base) > 0
            && agent_metric(second_port, "kspm_agent_spool_batches") == 0
    });
    // What one cycle of this node produces, from an offline scan of the same root.
    let per_cycle = {
        let out = common::kspm()
            .args([
                "scan",
                "-o",
                "json",
                "--fail-on",
                "none",
                "--node-name",
                "worker-1",
            ])
            .arg("--host-root")
            .arg(&root)
            .output()
            .unwrap();
        serde_json::from_slice::<Vec<serde_json::Value>>(&out.stdout)
            .unwrap()
            .len() as u64
    };
    // A graceful stop: the cycle under way finishes and is delivered.
    let pid = second.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = second.0.wait().unwrap();
    assert!(status.success() || status.code() == Some(1), "{status:?}");
    wait_for(
        "the last cycle to be stored",
        Duration::from_secs(30),
        || stored_cycles(&server.base) >= cycles_done(&first_log) + cycles_done(&second_log),
    );
    let ran = cycles_done(&first_log) + cycles_done(&second_log);
    assert_eq!(
        stored_cycles(&server.base),
        ran,
        "every cycle the agents ran is stored, once"
    );
    let all = get_json(&format!("{}/api/v1/findings?q=", server.base));
    assert_eq!(
        all["total"].as_u64().unwrap(),
        per_cycle,
        "no finding is stored twice: {all}"
    );
    assert_eq!(std::fs::read_dir(&spool).unwrap().count(), 0);
}

#[test]
fn a_full_spool_drops_the_oldest_cycles_stays_bounded_and_says_so_every_time() {
    let api = api_server();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("config");
    api.write_kubeconfig(&kubeconfig, "fake").unwrap();
    // A control-plane node: each cycle's findings take a good part of a 1 MiB spool.
    let root = node(dir.path(), "kubeadm-control-plane", "cp-1");
    // No server ever answers.
    let server_url = format!("http://127.0.0.1:{}", free_port());
    let spool = dir.path().join("spool");
    let log = dir.path().join("agent.log");
    let metrics_port = free_port();
    let mut c = agent(&kubeconfig, &root, "cp-1", "cp-1", &server_url, TOKEN);
    c.args(["--interval", "1s", "--jitter", "0", "--no-cluster"])
        .args(["--listen", &format!("127.0.0.1:{metrics_port}")])
        .arg("--spool-dir")
        .arg(&spool)
        .args(["--spool-size", "1"])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap());
    let mut running = Killed(c.spawn().unwrap());
    let full_lines = || {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("spool full"))
            .count()
    };
    wait_for(
        "two rounds of dropped cycles",
        Duration::from_secs(90),
        || {
            full_lines() >= 2
                && agent_metric(metrics_port, "kspm_agent_spool_dropped_findings_total") > 0
        },
    );
    // Still running, not restarting: the loss is logged each time and counted.
    assert!(running.0.try_wait().unwrap().is_none(), "the agent exited");
    let on_disk: u64 = std::fs::read_dir(&spool)
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    assert!(on_disk <= 1 << 20, "the spool holds {on_disk} bytes");
    assert!(agent_metric(metrics_port, "kspm_agent_spool_batches") >= 1);
}
