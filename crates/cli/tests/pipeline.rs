//! The scan pipeline as a user meets it: a destination failing part-way, a reader that goes
//! away, inputs with nothing to scan, logs on a pipe, inputs that cannot be read.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

/// What the fake ingest server saw: (query, findings in the body) per request.
type Seen = Arc<Mutex<Vec<(String, usize)>>>;

/// A loopback HTTP server answering `POST /api/v1/ingest` like a kspm server, except that the
/// `fail_at`-th batch (counting from 0) gets `status`.
fn ingest_server(fail_at: usize, status: u16) -> (String, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen: Seen = Arc::default();
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let target = request_line.split(' ').nth(1).unwrap_or("").to_owned();
            let query = target.split_once('?').map(|(_, q)| q.to_owned());
            let (code, answer) = match query {
                // The empty probe that checks the token: a real server answers 400 (no cycle).
                None => (400, "{\"error\":\"cycle is required\"}".to_owned()),
                Some(query) => {
                    let findings = body
                        .split(|&b| b == b'\n')
                        .filter(|l| !l.is_empty())
                        .count();
                    let mut seen = log.lock().unwrap();
                    let n = seen.len();
                    seen.push((query.clone(), findings));
                    if n == fail_at {
                        (status, "{\"error\":\"the store is read-only\"}".to_owned())
                    } else {
                        let done = if query.contains("final=true") {
                            "{}"
                        } else {
                            "null"
                        };
                        (
                            200,
                            format!(
                                "{{\"accepted\":{findings},\"duplicate\":false,\"completed\":{done}}}"
                            ),
                        )
                    }
                }
            };
            let mut stream = stream;
            let _ = write!(
                stream,
                "HTTP/1.1 {code} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                answer.len()
            );
        }
    });
    (base, seen)
}

#[test]
fn a_destination_failing_on_its_third_batch_stops_the_scan_with_exit_3_and_what_was_delivered() {
    let (base, seen) = ingest_server(2, 400);
    let out = common::kspm()
        .args(["scan", "--output", "server", "--batch-size", "5"])
        .args(["--server", &base, "--token", "a-write-token-0123456789"])
        .arg(repo("examples/shop"))
        .env_remove("KSPM_WRITE_TOKEN")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "kspm server {base}: batch 2 of cycle cluster failed: HTTP 400: {{\"error\":\"the store is read-only\"}}"
        )),
        "{stderr}"
    );
    assert!(
        stderr
            .contains("delivered before the failure: 10 findings in 2 batches, 0 cycles completed"),
        "{stderr}"
    );
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 3, "nothing is sent after the failure: {seen:?}");
    assert_eq!(seen.iter().map(|(_, n)| n).sum::<usize>(), 15);
    assert!(
        seen.iter().all(|(q, _)| !q.contains("final=true")),
        "{seen:?}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).is_empty());
}

#[test]
fn every_batch_delivered_completes_one_cycle_per_scope() {
    let (base, seen) = ingest_server(usize::MAX, 200);
    let node = tempfile::tempdir().unwrap();
    kspm_fixtures::node::write(kspm_fixtures::node::Fixture::Worker, &node.path().join("w"))
        .unwrap();
    let out = common::kspm()
        .args([
            "scan",
            "--output",
            "server",
            "--batch-size",
            "40",
            "--fail-on",
            "none",
        ])
        .args(["--server", &base, "--token", "a-write-token-0123456789"])
        .arg(repo("examples/shop"))
        .arg("--host-root")
        .arg(node.path().join("w"))
        .args(["--node-name", "worker-9"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen = seen.lock().unwrap();
    let finals: Vec<&String> = seen
        .iter()
        .filter(|(q, _)| q.contains("final=true"))
        .map(|(q, _)| q)
        .collect();
    assert_eq!(finals.len(), 2, "{finals:?}");
    assert!(finals.iter().any(|q| q.contains("scope=cluster")));
    assert!(finals.iter().any(|q| q.contains("scope=node%3Aworker-9")));
    let sent: usize = seen.iter().map(|(_, n)| n).sum();
    assert!(
        stdout.starts_with(&format!(
            "sent {sent} findings in {} batches (2 cycles)",
            seen.len()
        )),
        "{stdout}"
    );
}

#[test]
fn a_reader_that_goes_away_is_a_quiet_normal_end() {
    for args in [
        vec!["rules", "list"],
        vec!["scan", "-o", "json", "--fail-on", "none"],
    ] {
        let mut command = common::kspm();
        command.args(&args);
        if args[0] == "scan" {
            command.arg(repo("examples/shop"));
        }
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Read one line, then close the pipe, as `| head -1` does.
        let mut reader = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        reader.read_line(&mut first).unwrap();
        drop(reader);
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(stderr.is_empty(), "{args:?}: {stderr}");
    }
}

#[test]
fn inputs_without_any_kubernetes_object_are_an_input_error_that_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let empty_file = dir.path().join("empty.yaml");
    std::fs::write(&empty_file, "").unwrap();
    let empty_dir = dir.path().join("nothing-here");
    std::fs::create_dir(&empty_dir).unwrap();
    std::fs::write(empty_dir.join("README.md"), "not a manifest").unwrap();
    for input in [&empty_file, &empty_dir] {
        let out = common::kspm().arg("scan").arg(input).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains(&format!(
                "no Kubernetes object found in {}",
                input.display()
            )),
            "{stderr}"
        );
    }
}

#[test]
fn logs_on_a_pipe_carry_no_colour_codes() {
    let out = common::kspm()
        .args(["-vv", "scan", "--fail-on", "none"])
        .arg(repo("examples/shop"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("INFO"), "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "{stderr}");
}

#[test]
fn a_document_that_cannot_be_read_makes_the_rules_reading_its_kind_errors_not_passes() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ns.yaml"),
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n",
    )
    .unwrap();
    // A NetworkPolicy for the namespace, broken: without it the namespace seems unprotected,
    // with it, protected; kspm cannot know which.
    std::fs::write(
        dir.path().join("policy.yaml"),
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: shop\nspec: {podSelector: {}}\n",
    )
    .unwrap();
    let out = common::kspm()
        .args(["scan", "-o", "json", "--fail-on", "none"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let findings: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let netpol = findings
        .iter()
        .find(|f| f["rule"]["id"] == "namespace_network_policy" && f["resource"]["name"] == "shop")
        .expect("a finding for the namespace");
    assert_eq!(netpol["result"]["evaluation"], "error", "{netpol}");
    let message = netpol["error"]["message"].as_str().unwrap();
    assert!(message.contains("policy.yaml"), "{message}");
    assert!(message.contains("NetworkPolicy"), "{message}");
}
