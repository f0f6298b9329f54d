//! `kspm scan` on inputs built to hurt it: special files where manifests should be, and YAML
//! aliases that amplify across documents. Each scan runs as a child process with a deadline;
//! a scan that hangs is killed and the test fails, instead of stalling the suite.

mod common;

use std::io::Read as _;
use std::process::Stdio;
use std::time::{Duration, Instant};

const PRIVILEGED_POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  containers:\n  - name: app\n    image: nginx\n    securityContext:\n      privileged: true\n";

/// What a scan left behind: exit code, stdout, stderr.
struct Scanned {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
}

/// Runs `kspm scan ARGS`, killing it after `deadline` (then the test fails).
fn scan_within(deadline: Duration, args: &[&str]) -> Scanned {
    let mut child = common::kspm()
        .arg("scan")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kspm starts");
    // Drained on threads, so a large output cannot block the child on a full pipe.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let stdout = std::thread::spawn(move || {
        let mut b = Vec::new();
        out.read_to_end(&mut b).map(|_| b)
    });
    let stderr = std::thread::spawn(move || {
        let mut s = String::new();
        err.read_to_string(&mut s).map(|_| s)
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("kspm scan {args:?} still running after {deadline:?}: killed");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Scanned {
        code: status
            .code()
            .expect("kspm exits rather than being killed by a signal"),
        stdout: stdout.join().unwrap().unwrap(),
        stderr: stderr.join().unwrap().unwrap(),
    }
}

#[test]
fn fifos_devices_and_sockets_are_named_and_skipped_and_the_good_file_is_scanned() {
    let tmp = tempfile::Builder::new()
        .prefix("kspm-cli-special-")
        .tempdir()
        .unwrap();
    let d = tmp.path();
    let status = std::process::Command::new("mkfifo")
        .arg(d.join("pipe.yaml"))
        .status()
        .expect("mkfifo runs");
    assert!(status.success());
    std::os::unix::fs::symlink("/dev/zero", d.join("zero.yaml")).unwrap();
    let _socket = std::os::unix::net::UnixListener::bind(d.join("socket.yaml")).unwrap();
    std::fs::write(d.join("good.yaml"), PRIVILEGED_POD).unwrap();

    let scanned = scan_within(
        Duration::from_secs(60),
        &["--output", "json", "--fail-on", "none", d.to_str().unwrap()],
    );
    let stderr = &scanned.stderr;
    assert_eq!(scanned.code, 2, "input errors give exit code 2:\n{stderr}");
    for (file, what) in [
        ("pipe.yaml", "a FIFO"),
        ("zero.yaml", "a character device"),
        ("socket.yaml", "a socket"),
    ] {
        let line = stderr
            .lines()
            .find(|l| l.contains(file))
            .unwrap_or_else(|| panic!("no message for {file}:\n{stderr}"));
        assert!(
            line.starts_with("error: ") && line.contains(&format!("not a regular file ({what})")),
            "{line}"
        );
    }
    let findings: Vec<serde_json::Value> = serde_json::from_slice(&scanned.stdout).unwrap();
    assert!(
        findings.iter().any(|f| f["resource"]["name"] == "shop/web"
            && f["rule"]["id"] == "pss_privileged"
            && f["result"]["evaluation"] == "failed"),
        "the good file beside them is evaluated:\n{stderr}"
    );
}

/// A Pod whose `args` expand through aliases to about 900,000 values, in about 600 bytes.
fn amplifying_pod(name: &str) -> String {
    let mut text = format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: shop\n  annotations:\n    a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
    );
    for i in 1..5 {
        let prev = format!("*a{}", i - 1);
        text.push_str(&format!(
            "    a{i}: &a{i} [{}]\n",
            vec![prev; 10].join(", ")
        ));
    }
    text.push_str("spec:\n  containers:\n  - name: app\n    image: nginx\n    args: [");
    text.push_str(&["*a4"; 7].join(", "));
    text.push_str("]\n");
    text
}

#[test]
fn aliases_amplifying_across_documents_fail_those_documents_with_bounded_output() {
    let tmp = tempfile::Builder::new()
        .prefix("kspm-cli-aliases-")
        .tempdir()
        .unwrap();
    let file = tmp.path().join("bombs.yaml");
    let text = (0..10)
        .map(|i| amplifying_pod(&format!("bomb-{i}")))
        .collect::<Vec<_>>()
        .join("---\n");
    assert!(text.len() < 8 * 1024);
    std::fs::write(&file, &text).unwrap();
    std::fs::write(tmp.path().join("good.yaml"), PRIVILEGED_POD).unwrap();

    let scanned = scan_within(
        Duration::from_secs(120),
        &[
            "--output",
            "ndjson",
            "--fail-on",
            "none",
            tmp.path().to_str().unwrap(),
        ],
    );
    let stderr = &scanned.stderr;
    assert_eq!(scanned.code, 2, "{stderr}");
    let budget_errors: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("alias expansion exceeds budget"))
        .collect();
    assert_eq!(budget_errors.len(), 9, "{stderr}");
    for (line, document) in budget_errors.iter().zip(1..) {
        assert!(
            line.contains("bombs.yaml") && line.contains(&format!("(document {document})")),
            "{line}"
        );
    }
    // One document's worth of expansion reaches the findings, not ten.
    assert!(
        scanned.stdout.len() < 400 * 1024 * 1024,
        "{} bytes of NDJSON",
        scanned.stdout.len()
    );
    let text = String::from_utf8_lossy(&scanned.stdout);
    assert!(text.contains("\"shop/web\""), "the good file is scanned");
    assert!(
        !text.contains("bomb-1\""),
        "a failed document is not evaluated"
    );
}
