//! Fidelity, proven with the real client: `kubectl` run against the fake through a kubeconfig
//! the fake wrote (`KUBECONFIG`), with a fresh home so no discovery cache or user
//! configuration interferes.
//!
//! The binary is `$KSPM_KUBECTL`, else `/usr/bin/kubectl`, else `kubectl` on `PATH`. Without
//! one each test prints `NOT RUN: kubectl missing` and passes, unless `KSPM_REQUIRE_KUBECTL=1`
//! (set by `scripts/test.sh`, which installs Debian's `kubernetes-client` when it is missing),
//! where a missing kubectl fails the test. Both kubectl generations are supported: ≥ 1.26 asks
//! for aggregated discovery, older ones (Debian's 1.20) read the per-group documents.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::pod;
use kspm_kube_fake::{DEFAULT_USER, FakeApiServer, FakeApiServerBuilder, Fault};
use serde_json::Value;

fn find_kubectl() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("KSPM_KUBECTL") {
        return Some(PathBuf::from(path));
    }
    let standard = Path::new("/usr/bin/kubectl");
    if standard.exists() {
        return Some(standard.to_path_buf());
    }
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|dir| dir.join("kubectl"))
        .find(|candidate| candidate.is_file())
}

/// The kubectl binary, or `None` after saying the test did not run.
fn kubectl_or_skip() -> Option<PathBuf> {
    match find_kubectl() {
        Some(path) => Some(path),
        None if std::env::var("KSPM_REQUIRE_KUBECTL").as_deref() == Ok("1") => {
            panic!("kubectl is required (KSPM_REQUIRE_KUBECTL=1) but was not found")
        }
        None => {
            println!("NOT RUN: kubectl missing");
            None
        }
    }
}

/// A running fake and a kubectl configured for it.
struct Kubectl {
    binary: PathBuf,
    home: tempfile::TempDir,
    server: FakeApiServer,
}

impl Kubectl {
    fn start(builder: FakeApiServerBuilder) -> Option<Kubectl> {
        let binary = kubectl_or_skip()?;
        let server = builder.start().expect("fake API server");
        let home = tempfile::tempdir().expect("home directory");
        server
            .write_kubeconfig(home.path().join("kubeconfig"), "kspm-fake")
            .expect("kubeconfig");
        Some(Kubectl {
            binary,
            home,
            server,
        })
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(&self.binary);
        command
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.home.path())
            .env("KUBECONFIG", self.home.path().join("kubeconfig"))
            .stdin(Stdio::null());
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("kubectl runs")
    }

    /// Runs kubectl and returns stdout, failing the test (with stderr and the requests the
    /// server saw) when it does not succeed.
    fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(
            output.status.success(),
            "kubectl {args:?} failed: {}\n{}\nrequests: {:#?}",
            output.status,
            String::from_utf8_lossy(&output.stderr),
            self.server.requests()
        );
        String::from_utf8(output.stdout).expect("UTF-8 output")
    }

    /// Runs kubectl, expects it to fail, returns stderr.
    fn fails(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(
            !output.status.success(),
            "kubectl {args:?} should have failed; stdout: {}",
            String::from_utf8_lossy(&output.stdout)
        );
        String::from_utf8(output.stderr).expect("UTF-8 output")
    }

    /// The list requests the server saw for `path`.
    fn lists_of(&self, path: &str) -> Vec<kspm_kube_fake::RecordedRequest> {
        self.server
            .requests()
            .into_iter()
            .filter(|r| r.path == path && !r.is_watch())
            .collect()
    }

    /// Whether this kubectl asked for aggregated discovery.
    fn used_aggregated_discovery(&self) -> bool {
        self.server.requests().iter().any(|r| {
            r.path == "/apis"
                && r.accept
                    .as_deref()
                    .is_some_and(|a| a.contains("as=APIGroupDiscoveryList"))
        })
    }
}

/// Table rows of kubectl output, split on whitespace.
fn rows(stdout: &str) -> Vec<Vec<String>> {
    stdout
        .lines()
        .map(|line| line.split_whitespace().map(str::to_string).collect())
        .collect()
}

#[test]
fn kubectl_version_is_reported() {
    let Some(kubectl) = Kubectl::start(common::builder()) else {
        return;
    };
    let client = kubectl.ok(&["version", "--client"]);
    println!(
        "kubectl under test: {}: {}",
        kubectl.binary.display(),
        client.trim()
    );
    let raw = kubectl.ok(&["get", "--raw", "/version"]);
    let version: Value = serde_json::from_str(&raw).expect("JSON");
    assert_eq!(version["gitVersion"], "v1.34.2");
    assert_eq!(version["minor"], "34");
}

#[test]
fn kubectl_get_pods_all_namespaces_prints_every_pod() {
    let Some(kubectl) = Kubectl::start(common::builder()) else {
        return;
    };
    let out = kubectl.ok(&["get", "pods", "-A"]);
    let rows = rows(&out);
    assert_eq!(
        rows[0][..6],
        ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    );
    assert_eq!(rows.len(), 8, "{out}");
    assert!(
        rows.iter()
            .any(|r| r[..5] == ["shop", "web-1", "1/1", "Running", "0"]),
        "{out}"
    );
    assert!(rows.iter().any(|r| r[..2] == ["kube-system", "coredns-2"]));
    // kubectl asked for a server-side Table.
    let list = &kubectl.lists_of("/api/v1/pods")[0];
    assert!(
        list.accept
            .as_deref()
            .unwrap_or_default()
            .contains("as=Table")
    );
}

#[test]
fn kubectl_get_pods_json_lists_full_objects() {
    let Some(kubectl) = Kubectl::start(common::builder()) else {
        return;
    };
    let out = kubectl.ok(&["get", "pods", "-A", "-o", "json"]);
    let list: Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(list["kind"], "List");
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 7);
    assert!(
        items
            .iter()
            .all(|i| i["kind"] == "Pod" && i["apiVersion"] == "v1")
    );
    let web = items
        .iter()
        .find(|i| i["metadata"]["name"] == "web-1")
        .unwrap();
    assert_eq!(
        web["spec"]["containers"][0]["image"],
        "registry.example/web:1"
    );
}

#[test]
fn kubectl_chunked_get_pages_through_the_list() {
    let Some(kubectl) = Kubectl::start(common::builder()) else {
        return;
    };
    let out = kubectl.ok(&["get", "pods", "-A", "--chunk-size=2"]);
    let names: Vec<String> = rows(&out)[1..].iter().map(|r| r[1].clone()).collect();
    assert_eq!(
        names,
        [
            "debug",
            "coredns-1",
            "coredns-2",
            "etcd-cp-1",
            "db-0",
            "web-1",
            "web-2"
        ]
    );
    let pages = kubectl.lists_of("/api/v1/pods");
    assert_eq!(pages.len(), 4, "{pages:#?}");
    assert!(
        pages
            .iter()
            .all(|p| p.param("limit").as_deref() == Some("2"))
    );
    assert!(pages[0].param("continue").is_none());
    assert!(pages[1..].iter().all(|p| p.param("continue").is_some()));
}

#[test]
fn kubectl_api_resources_lists_built_in_and_custom_kinds() {
    let Some(kubectl) = Kubectl::start(common::builder()) else {
        return;
    };
    let out = kubectl.ok(&["api-resources"]);
    let rows = rows(&out);
    let has = |row: &[&str]| rows.iter().any(|r| r == row);
    assert!(has(&["pods", "po", "v1", "true", "Pod"]), "{out}");
    assert!(
        has(&["deployments", "deploy", "apps/v1", "true", "Deployment"]),
        "{out}"
    );
    assert!(
        has(&[
            "clusterroles",
            "rbac.authorization.k8s.io/v1",
            "false",
            "ClusterRole"
        ]),
        "{out}"
    );
    assert!(
        has(&["leases", "coordination.k8s.io/v1", "true", "Lease"]),
        "{out}"
    );
    assert!(
        has(&[
            "ciliumnetworkpolicies",
            "cilium.io/v2",
            "true",
            "CiliumNetworkPolicy"
        ]),
        "{out}"
    );
    let asked = kubectl
        .server
        .requests()
        .into_iter()
        .find(|r| r.path == "/apis")
        .and_then(|r| r.accept);
    println!("kubectl asked /apis for: {asked:?}");
    if kubectl.used_aggregated_discovery() {
        // Everything came in the two aggregated documents.
        assert!(
            kubectl
                .server
                .requests()
                .iter()
                .all(|r| r.path != "/apis/apps/v1")
        );
    }
}

#[test]
fn kubectl_api_resources_works_with_per_group_discovery() {
    let Some(kubectl) = Kubectl::start(common::builder().aggregated_discovery(false)) else {
        return;
    };
    let out = kubectl.ok(&["api-resources"]);
    assert!(
        rows(&out)
            .iter()
            .any(|r| r == &["statefulsets", "sts", "apps/v1", "true", "StatefulSet"])
    );
    let paths: Vec<String> = kubectl
        .server
        .requests()
        .into_iter()
        .map(|r| r.path)
        .collect();
    assert!(paths.contains(&"/apis/apps/v1".to_string()), "{paths:?}");
    assert!(paths.contains(&"/api/v1".to_string()), "{paths:?}");
}

#[test]
fn kubectl_api_resources_leaves_out_a_group_that_is_not_served() {
    let builder = common::builder().fault(Fault::NotServed {
        group_version: "policy/v1".into(),
    });
    let Some(kubectl) = Kubectl::start(builder) else {
        return;
    };
    let out = kubectl.ok(&["api-resources"]);
    assert!(!out.contains("poddisruptionbudgets"), "{out}");
    let stderr = kubectl.fails(&["get", "--raw", "/apis/policy/v1/poddisruptionbudgets"]);
    assert!(stderr.contains("NotFound"), "{stderr}");
}

#[test]
fn kubectl_prints_the_servers_forbidden_message() {
    let builder = common::builder().fault(Fault::Forbidden {
        resource: "clusterroles".into(),
        verb: "list".into(),
    });
    let Some(kubectl) = Kubectl::start(builder) else {
        return;
    };
    let stderr = kubectl.fails(&["get", "clusterroles"]);
    let expected = format!(
        "Error from server (Forbidden): clusterroles.rbac.authorization.k8s.io is forbidden: User \
         \"{DEFAULT_USER}\" cannot list resource \"clusterroles\" in API group \
         \"rbac.authorization.k8s.io\" at the cluster scope"
    );
    assert!(stderr.contains(&expected), "{stderr}");
}

#[test]
fn kubectl_prints_not_found_for_a_missing_object() {
    let Some(kubectl) = Kubectl::start(common::builder()) else {
        return;
    };
    let stderr = kubectl.fails(&["get", "deployment", "api", "-n", "shop"]);
    assert!(
        stderr.contains("Error from server (NotFound): deployments.apps \"api\" not found"),
        "{stderr}"
    );
    let uid = kubectl.ok(&[
        "get",
        "namespace",
        "kube-system",
        "-o",
        "jsonpath={.metadata.uid}",
    ]);
    let stored = kubectl
        .server
        .get("Namespace", "", "kube-system")
        .unwrap()
        .unwrap();
    assert_eq!(uid, stored["metadata"]["uid"].as_str().unwrap());
}

#[test]
fn kubectl_retries_after_too_many_requests() {
    let builder = common::builder().fault(Fault::TooManyRequests {
        resource: "pods".into(),
        times: 2,
        retry_after_secs: 1,
    });
    let Some(kubectl) = Kubectl::start(builder) else {
        return;
    };
    let out = kubectl.ok(&["get", "pods", "-n", "shop"]);
    assert!(out.contains("web-2"), "{out}");
    let statuses: Vec<u16> = kubectl
        .lists_of("/api/v1/namespaces/shop/pods")
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [429, 429, 200]);
}

#[test]
fn kubectl_retries_while_storage_initializes() {
    let builder = common::builder().fault(Fault::StorageInitializing {
        resource: "namespaces".into(),
        times: 1,
        retry_after_secs: 1,
    });
    let Some(kubectl) = Kubectl::start(builder) else {
        return;
    };
    let out = kubectl.ok(&["get", "namespaces"]);
    assert!(out.contains("kube-system"), "{out}");
    let statuses: Vec<u16> = kubectl
        .lists_of("/api/v1/namespaces")
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [429, 200]);
}

#[test]
fn kubectl_reports_an_expired_continue_token() {
    let builder = common::builder().fault(Fault::ExpireContinue {
        resource: "pods".into(),
        after_pages: 1,
    });
    let Some(kubectl) = Kubectl::start(builder) else {
        return;
    };
    let stderr = kubectl.fails(&["get", "pods", "-A", "--chunk-size=3"]);
    assert!(
        stderr.contains("The provided continue parameter is too old"),
        "{stderr}"
    );
}

#[test]
fn kubectl_rejects_a_truncated_page() {
    let builder = common::builder().fault(Fault::TruncatedPage {
        resource: "services".into(),
    });
    let Some(kubectl) = Kubectl::start(builder) else {
        return;
    };
    let output = kubectl.run(&[
        "get",
        "services",
        "-A",
        "-o",
        "json",
        "--request-timeout=10s",
    ]);
    assert!(!output.status.success());
    assert!(!String::from_utf8_lossy(&output.stdout).contains("\"web\""));
}

#[test]
fn kubectl_with_a_wrong_token_must_log_in() {
    let Some(kubectl) = Kubectl::start(common::builder().token("the-right-one")) else {
        return;
    };
    let config = kubectl.home.path().join("kubeconfig");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, text.replace("the-right-one", "a-wrong-one")).unwrap();
    let stderr = kubectl.fails(&["get", "pods"]);
    assert!(
        stderr.contains("You must be logged in to the server"),
        "{stderr}"
    );
    assert!(kubectl.server.requests().iter().all(|r| r.status == 401));
}

#[test]
fn kubectl_gets_custom_resources_by_their_discovered_name() {
    let Some(kubectl) = Kubectl::start(common::builder()) else {
        return;
    };
    let out = kubectl.ok(&["get", "ciliumnetworkpolicies", "-n", "shop"]);
    let rows = rows(&out);
    assert_eq!(rows[0], ["NAME", "AGE"]);
    assert_eq!(rows[1][0], "deny-all");
}

#[test]
fn kubectl_watch_prints_changes_made_while_it_watches() {
    let Some(kubectl) = Kubectl::start(common::builder()) else {
        return;
    };
    let mut child = kubectl
        .command(&[
            "get",
            "pods",
            "-n",
            "shop",
            "--watch",
            "--request-timeout=30s",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("kubectl starts");
    let stdout = child.stdout.take().unwrap();
    let (lines_tx, lines) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let next_line = || lines.recv_timeout(Duration::from_secs(20));
    let mut seen: Vec<String> = Vec::new();
    while !seen.iter().any(|l| l.starts_with("web-2")) {
        seen.push(next_line().expect("the initial pods are printed"));
    }
    // Once kubectl watches, change the cluster under it.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !kubectl.server.requests().iter().any(|r| r.is_watch()) {
        assert!(Instant::now() < deadline, "kubectl never started watching");
        std::thread::sleep(Duration::from_millis(20));
    }
    kubectl
        .server
        .apply(pod("shop", "web-3", "web", "cp-1"))
        .unwrap();
    let mut printed = false;
    while let Ok(line) = next_line() {
        seen.push(line);
        if seen.last().is_some_and(|l| l.starts_with("web-3")) {
            printed = true;
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    reader.join().unwrap();
    assert!(printed, "{seen:?}");
    let watch = kubectl
        .server
        .requests()
        .into_iter()
        .find(|r| r.is_watch())
        .unwrap();
    assert_eq!(watch.path, "/api/v1/namespaces/shop/pods");
    assert!(watch.param("resourceVersion").is_some());
}
