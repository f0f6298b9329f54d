//! CIS EKS sections 2, 4.1.7 and 5 against a real AWS API emulator: moto in server mode
//! (PyPI `moto[server]`), started on loopback per test and filled by tests/aws/setup.py through
//! boto3. kspm's SDK clients reach it through the standard endpoint override
//! (`AWS_ENDPOINT_URL`), set here only.
//!
//! Without python3 and moto each test prints `NOT RUN: moto missing` and passes, unless
//! `KSPM_REQUIRE_MOTO=1` (set by scripts/test.sh, which installs moto).

mod common;
#[path = "common/server.rs"]
mod server;

use std::collections::BTreeMap;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kspm_fixtures::node::{self as fixture, Fixture};
use serde_json::Value;
use server::{TOKEN, start_server};

struct Moto {
    child: Child,
    url: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A moto server on a free loopback port, or `None` (test not run) when moto is missing.
fn moto(env: &[(&str, &str)]) -> Option<Moto> {
    let present = Command::new("python3")
        .args(["-c", "import moto.server, boto3"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !present {
        if std::env::var("KSPM_REQUIRE_MOTO").as_deref() == Ok("1") {
            panic!("moto is required (KSPM_REQUIRE_MOTO=1): pip install 'moto[server]'");
        }
        eprintln!("NOT RUN: moto missing (pip install 'moto[server]')");
        return None;
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let child = Command::new("python3")
        .args([
            "-m",
            "moto.server",
            "-H",
            "127.0.0.1",
            "-p",
            &port.to_string(),
        ])
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start moto");
    let moto = Moto {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "moto did not start on {port}");
        std::thread::sleep(Duration::from_millis(100));
    }
    Some(moto)
}

/// Runs tests/aws/setup.py against `moto`; its JSON output.
fn setup(moto: &Moto, args: &[&str]) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/aws/setup.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(&moto.url)
        .args(args)
        .output()
        .expect("setup.py");
    assert!(
        out.status.success(),
        "setup.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("setup.py prints JSON")
}

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/eks")
        .join(name)
}

/// `kspm scan` with the AWS SDK pointed at `moto` and nothing of this machine's AWS set-up.
fn scan(moto: &Moto, keys: (&str, &str), args: &[&str]) -> (Vec<Value>, String) {
    let out = common::kspm()
        .env("AWS_ENDPOINT_URL", &moto.url)
        .env("AWS_ACCESS_KEY_ID", keys.0)
        .env("AWS_SECRET_ACCESS_KEY", keys.1)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent/kspm-test")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/kspm-test")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .env_remove("AWS_SESSION_TOKEN")
        .args(["scan", "-o", "json", "--fail-on", "none"])
        .args(args)
        .output()
        .expect("kspm scan");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let findings = match report {
        Value::Array(items) => items,
        mut other => other["findings"]
            .take()
            .as_array()
            .cloned()
            .unwrap_or_default(),
    };
    (findings, stderr)
}

/// (rule number, resource name) → (outcome, finding).
fn by_number(findings: &[Value]) -> BTreeMap<(String, String), (String, Value)> {
    findings
        .iter()
        .map(|f| {
            (
                (
                    f["rule"]["benchmark"]["rule_number"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    f["resource"]["name"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                ),
                (
                    f["result"]["evaluation"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    f.clone(),
                ),
            )
        })
        .collect()
}

fn outcome<'a>(
    table: &'a BTreeMap<(String, String), (String, Value)>,
    number: &str,
    name: &str,
) -> &'a str {
    table
        .get(&(number.to_owned(), name.to_owned()))
        .map(|(o, _)| o.as_str())
        .unwrap_or_else(|| {
            panic!(
                "no finding {number} on {name}; have: {:?}",
                table.keys().collect::<Vec<_>>()
            )
        })
}

const TEST_KEYS: (&str, &str) = ("testing", "testing");

#[test]
fn a_cluster_configured_as_cis_asks_passes_and_a_loose_one_fails() {
    let Some(moto) = moto(&[]) else { return };
    setup(&moto, &[]);

    let (prod, stderr) = scan(
        &moto,
        TEST_KEYS,
        &[
            data("prod.json").to_str().unwrap(),
            "--eks-cluster",
            "prod",
            "--aws-region",
            "eu-west-1",
        ],
    );
    assert!(
        stderr.contains("platform eks") && stderr.contains("cis_eks"),
        "the EKS Node objects pick CIS EKS and say why: {stderr}"
    );
    let prod = by_number(&prod);
    for (number, name, want) in [
        ("2.1.1", "prod", "passed"),
        ("5.3.1", "prod", "passed"),
        ("5.4.1", "prod", "passed"),
        ("5.4.2", "prod", "passed"),
        ("5.4.4", "prod", "passed"),
        ("5.1.1", "shop/web", "passed"),
        ("5.1.1", "shop/api", "passed"),
        ("5.2.1", "shop/web", "passed"),
    ] {
        assert_eq!(outcome(&prod, number, name), want, "{number} on {name}");
    }
    // moto's DescribeCluster leaves out accessConfig: kspm says it could not tell.
    assert_eq!(outcome(&prod, "4.1.7", "prod"), "manual");
    // Only the repositories the pods pull from are judged, never AWS's add-on registries.
    let repositories: Vec<&str> = prod
        .values()
        .filter(|(_, f)| f["resource"]["sub_type"] == "aws-ecr-repository")
        .map(|(_, f)| f["resource"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(repositories, ["shop/api", "shop/web"]);
    // Cloud findings are identified by ARN and scoped to the account and region.
    let (_, cluster) = &prod[&("2.1.1".to_owned(), "prod".to_owned())];
    assert_eq!(
        cluster["source"]["arn"], "arn:aws:eks:eu-west-1:123456789012:cluster/prod",
        "{cluster}"
    );

    let (dev, _) = scan(
        &moto,
        TEST_KEYS,
        &[
            data("dev.json").to_str().unwrap(),
            "--eks-cluster",
            "dev",
            "--aws-region",
            "us-east-1",
        ],
    );
    let dev = by_number(&dev);
    for (number, name, want) in [
        ("2.1.1", "dev", "failed"),
        ("5.3.1", "dev", "failed"),
        ("5.4.1", "dev", "failed"),
        ("5.4.2", "dev", "failed"),
        ("5.4.4", "dev", "failed"),
        ("5.1.1", "dev/app", "failed"),
        ("5.2.1", "dev/default", "failed"),
    ] {
        assert_eq!(outcome(&dev, number, name), want, "{number} on {name}");
    }
    let (_, logging) = &dev[&("2.1.1".to_owned(), "dev".to_owned())];
    let evidence = logging["result"]["evidence"].to_string();
    for missing in ["audit", "authenticator", "controllerManager", "scheduler"] {
        assert!(evidence.contains(missing), "{evidence}");
    }
}

#[test]
fn a_refused_call_gives_error_findings_naming_the_iam_action() {
    // IAM is enforced after the set-up's five calls: the scan runs as a user allowed
    // sts:GetCallerIdentity only.
    let Some(moto) = moto(&[("INITIAL_NO_AUTH_ACTION_COUNT", "5")]) else {
        return;
    };
    let keys = setup(&moto, &["--denied"]);
    let (findings, stderr) = scan(
        &moto,
        (
            keys["access_key"].as_str().unwrap(),
            keys["secret_key"].as_str().unwrap(),
        ),
        &[
            data("prod.json").to_str().unwrap(),
            "--eks-cluster",
            "prod",
            "--aws-region",
            "eu-west-1",
        ],
    );
    assert!(
        stderr.contains("eks:DescribeCluster was refused"),
        "{stderr}"
    );
    let table = by_number(&findings);
    let text = |number: &str| {
        table
            .iter()
            .find(|((n, _), _)| n == number)
            .map(|(_, (o, f))| (o.clone(), f.to_string()))
            .unwrap_or_else(|| panic!("no {number} finding"))
    };
    for number in ["2.1.1", "4.1.7", "5.3.1", "5.4.1", "5.4.2"] {
        let (outcome, finding) = text(number);
        assert_eq!(outcome, "error", "{number}: {finding}");
        assert!(
            finding.contains("eks:DescribeCluster"),
            "{number}: {finding}"
        );
    }
    let (outcome, finding) = text("5.1.1");
    assert_eq!(outcome, "error", "{finding}");
    assert!(finding.contains("ecr:DescribeRepositories"), "{finding}");
    // The Kubernetes side is judged as usual.
    assert_eq!(outcome_of(&table, "5.2.1", "shop/web"), "passed");
}

fn outcome_of(table: &BTreeMap<(String, String), (String, Value)>, n: &str, name: &str) -> String {
    outcome(table, n, name).to_owned()
}

#[test]
fn an_eks_snapshot_a_worker_node_and_aws_give_every_section_in_the_store_and_dashboard() {
    let Some(moto) = moto(&[]) else { return };
    setup(&moto, &[]);
    let tmp = tempfile::tempdir().unwrap();
    let node = tmp.path().join("node");
    fixture::write(Fixture::EksWorker, &node).expect("fixture");
    let server = start_server(&tmp.path().join("kspm.db"));

    // The same run as JSON first, to know every finding the server must hold.
    let args = [
        data("prod.json").to_str().unwrap().to_owned(),
        "--host-root".into(),
        node.to_str().unwrap().into(),
        "--eks-cluster".into(),
        "prod".into(),
        "--aws-region".into(),
        "eu-west-1".into(),
        "--cluster-name".into(),
        "prod".into(),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (findings, _) = scan(&moto, TEST_KEYS, &args);
    let sections: std::collections::BTreeSet<&str> = findings
        .iter()
        .filter(|f| f["rule"]["benchmark"]["id"] == "cis_eks")
        .filter_map(|f| f["rule"]["benchmark"]["rule_number"].as_str())
        .map(|n| n.split('.').next().unwrap())
        .collect();
    assert_eq!(
        sections.into_iter().collect::<Vec<_>>(),
        ["2", "3", "4", "5"],
        "findings in every CIS EKS section"
    );

    let out = common::kspm()
        .env("AWS_ENDPOINT_URL", &moto.url)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent/kspm-test")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/kspm-test")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_REGION")
        .args([
            "scan",
            "--fail-on",
            "none",
            "-o",
            "server",
            "--token",
            TOKEN,
        ])
        .args(["--server", &server.base])
        .args(&args)
        .output()
        .expect("push");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("(3 cycles)"),
        "the cluster, the node and the AWS account/region are three cycles: {stdout}"
    );

    let dashboard = get_json(&format!("{}/api/v1/dashboard", server.base));
    let failed = findings
        .iter()
        .filter(|f| f["result"]["evaluation"] == "failed")
        .count() as u64;
    let passed = findings
        .iter()
        .filter(|f| f["result"]["evaluation"] == "passed")
        .count() as u64;
    assert_eq!(
        dashboard["overall"]["counts"]["failed"], failed,
        "{dashboard}"
    );
    assert_eq!(
        dashboard["overall"]["counts"]["passed"], passed,
        "{dashboard}"
    );
    let text = dashboard.to_string();
    for section in [
        "Logging",
        "Worker Node Configuration Files",
        "Kubelet",
        "RBAC and Service Accounts",
        "Image Registry and Image Scanning",
        "AWS EKS Key Management Service",
        "Cluster Networking",
    ] {
        assert!(
            text.contains(section),
            "dashboard section {section}: {text}"
        );
    }
    // The list the dashboard links to holds the same cloud findings.
    let q = "resource.type : cloud";
    let url = format!(
        "{}/api/v1/findings?q={}",
        server.base,
        form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>()
    );
    let cloud = findings
        .iter()
        .filter(|f| f["resource"]["type"] == "cloud")
        .count() as u64;
    assert!(cloud >= 10, "{cloud} cloud findings");
    assert_eq!(get_json(&url)["total"], cloud);
}

fn get_json(url: &str) -> Value {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let text = reqwest::blocking::get(url)
        .expect("GET")
        .text()
        .expect("body");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{url}: {e}: {text}"))
}

#[test]
fn a_live_eks_api_server_picks_cis_eks_and_reads_the_aws_side() {
    let Some(moto) = moto(&[]) else { return };
    setup(&moto, &[]);
    let list: Value = serde_json::from_slice(&std::fs::read(data("prod.json")).unwrap()).unwrap();
    let mut objects = list["items"].as_array().unwrap().clone();
    objects.push(serde_json::json!({"apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": "kube-system", "uid": "5a0c9d6e-1111-4a55-9a3e-6f0e5f6a9999"}}));
    let api = kspm_kube_fake::FakeApiServer::builder()
        .version("v1.33.5-eks-113cf36")
        .objects(objects)
        .start()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("config");
    api.write_kubeconfig(&kubeconfig, "prod").unwrap();
    let (findings, stderr) = scan(
        &moto,
        TEST_KEYS,
        &[
            "--kubeconfig",
            kubeconfig.to_str().unwrap(),
            "--eks-cluster",
            "prod",
            "--aws-region",
            "eu-west-1",
        ],
    );
    assert!(
        stderr.contains("platform eks: the server version v1.33.5-eks-113cf36 says so"),
        "{stderr}"
    );
    let table = by_number(&findings);
    assert_eq!(outcome(&table, "2.1.1", "prod"), "passed");
    assert_eq!(outcome(&table, "5.1.1", "shop/web"), "passed");
    assert!(
        findings
            .iter()
            .all(|f| f["rule"]["benchmark"]["id"] != "cis_k8s"),
        "CIS Kubernetes is not evaluated on EKS by default"
    );
    // Without --eks-cluster the cluster is looked up by its endpoint; the loopback API's
    // address is no EKS endpoint, so the AWS rules say so as errors, never passes.
    let (findings, _) = scan(
        &moto,
        TEST_KEYS,
        &[
            "--kubeconfig",
            kubeconfig.to_str().unwrap(),
            "--aws-region",
            "eu-west-1",
        ],
    );
    let logging = findings
        .iter()
        .find(|f| f["rule"]["benchmark"]["rule_number"] == "2.1.1")
        .expect("2.1.1 reported");
    assert_eq!(logging["result"]["evaluation"], "error", "{logging}");
    assert!(
        logging.to_string().contains("has the endpoint")
            && logging.to_string().contains("--eks-cluster"),
        "{logging}"
    );
    // --aws never leaves the AWS side out.
    let (findings, _) = scan(
        &moto,
        TEST_KEYS,
        &[
            "--kubeconfig",
            kubeconfig.to_str().unwrap(),
            "--aws",
            "never",
        ],
    );
    assert!(findings.iter().all(|f| f["resource"]["type"] != "cloud"));
}
