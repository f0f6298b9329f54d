//! `kspm` end to end: exit codes, bad input handling, output formats, rules commands.

mod common;

use serde_json::Value;

fn tempdir(tag: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("kspm-cli-{tag}-"))
        .tempdir()
        .unwrap()
}

const PRIVILEGED_POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  containers:\n  - name: app\n    image: nginx\n    securityContext:\n      privileged: on\n";

fn scan_json(args: &[&str]) -> (i32, Vec<Value>, String) {
    let out = common::kspm()
        .arg("scan")
        .args(["--output", "json"])
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let findings: Vec<Value> = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("json output: {e}; stderr: {stderr}"));
    (out.status.code().unwrap(), findings, stderr)
}

fn failed_rules_for(findings: &[Value], resource: &str) -> Vec<String> {
    findings
        .iter()
        .filter(|f| f["resource"]["name"] == resource && f["result"]["evaluation"] == "failed")
        .map(|f| f["rule"]["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn bad_inputs_each_get_a_clear_message_and_the_good_ones_are_still_scanned() {
    let tmp = tempdir("bad");
    let dir = tmp.path();
    std::fs::write(dir.join("good.yaml"), PRIVILEGED_POD).unwrap();
    std::fs::write(
        dir.join("malformed.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: x\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("binary.yaml"),
        [0x7f, b'E', b'L', b'F', 0, 1, 2, 3],
    )
    .unwrap();
    std::fs::write(dir.join("empty.yaml"), "").unwrap();
    std::fs::write(
        dir.join("dupes.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  name: b\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("widget.yaml"),
        "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n",
    )
    .unwrap();
    let deep = format!("{}{}", "[".repeat(50_000), "]".repeat(50_000));
    std::fs::write(dir.join("deep.json"), deep).unwrap();
    let blob = "x".repeat(50 * 1024 * 1024);
    std::fs::write(dir.join("big.yaml"), format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: big, namespace: shop}}\ndata:\n  blob: \"{blob}\"\n")).unwrap();
    drop(blob);

    let (code, findings, stderr) = scan_json(&["--fail-on", "none", dir.to_str().unwrap()]);
    assert_eq!(code, 2, "input errors give exit code 2; stderr:\n{stderr}");
    for (file, words) in [
        ("malformed.yaml", "invalid YAML"),
        ("binary.yaml", "binary file"),
        ("dupes.yaml", "duplicate key `name`"),
        ("deep.json", "recursion limit"),
    ] {
        let line = stderr
            .lines()
            .find(|l| l.contains(file))
            .unwrap_or_else(|| panic!("no message for {file}:\n{stderr}"));
        assert!(
            line.contains(words),
            "message for {file} says {words:?}: {line}"
        );
    }
    assert!(
        stderr.contains("malformed.yaml:"),
        "line number given: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        failed_rules_for(&findings, "shop/web").contains(&"pss_privileged".to_owned()),
        "good file scanned; `privileged: on` is true"
    );
    assert!(
        !stderr.contains("big.yaml"),
        "the 50 MB file was read without complaint: {stderr}"
    );

    // The same 50 MB file above a lower limit is refused with the limit named.
    let (code, _, stderr) = scan_json(&[
        "--max-file-size",
        "10",
        dir.join("big.yaml").to_str().unwrap(),
        dir.join("good.yaml").to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("above the 10 MiB limit"), "{stderr}");
}

#[test]
fn exit_code_is_1_for_failed_findings_and_0_with_fail_on_none() {
    let tmp = tempdir("exit");
    let dir = tmp.path();
    let file = dir.join("pod.yaml");
    std::fs::write(&file, PRIVILEGED_POD).unwrap();
    let status = common::kspm()
        .args(["scan", "--output", "json"])
        .arg(&file)
        .output()
        .unwrap()
        .status;
    assert_eq!(status.code(), Some(1));
    let status = common::kspm()
        .args(["scan", "--fail-on", "none", "--output", "json"])
        .arg(&file)
        .output()
        .unwrap()
        .status;
    assert_eq!(status.code(), Some(0));
    let status = common::kspm()
        .args(["scan", "--output", "nope"])
        .arg(&file)
        .output()
        .unwrap()
        .status;
    assert_eq!(status.code(), Some(2), "usage errors exit 2");
}

#[test]
fn stdin_is_scanned_with_dash() {
    use std::io::Write;
    let mut child = common::kspm()
        .args(["scan", "--output", "ndjson", "--fail-on", "none", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(PRIVILEGED_POD.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        lines
            .iter()
            .any(|f| f["source"]["file"] == "-" && f["result"]["evaluation"] == "failed")
    );
}

#[test]
fn benchmark_flag_limits_the_rules() {
    let tmp = tempdir("bench");
    let dir = tmp.path();
    let file = dir.join("pod.yaml");
    std::fs::write(&file, PRIVILEGED_POD).unwrap();
    let (_, findings, _) = scan_json(&["--benchmark", "pss", file.to_str().unwrap()]);
    assert!(!findings.is_empty());
    assert!(
        findings
            .iter()
            .all(|f| f["rule"]["benchmark"]["id"] == "pss")
    );
}

#[test]
fn a_benchmark_added_with_rules_dir_is_tested_scanned_scored_and_listed() {
    let tmp = tempdir("user-rules");
    let dir = tmp.path();
    let rule = dir.join("custom/no_latest_tag");
    std::fs::create_dir_all(&rule).unwrap();
    std::fs::write(
        dir.join("custom/benchmark.yaml"),
        "id: custom\nname: Our image rules\nversions: [\"1\"]\nsections: [{id: C, name: Supply chain}]\n",
    )
    .unwrap();
    std::fs::write(rule.join("meta.yaml"), "id: no_latest_tag\nbenchmarks: [{id: custom, versions: [\"1\"], number: \"C.1\"}]\ntitle: Images are pinned\nsection: Supply chain\nprofile: custom\nassessment: automated\napplies_to: {type: k8s_object, sub_types: [Pod]}\ndescription: Pods name an image tag other than latest.\nrationale: A moving tag changes what runs without a change to the manifest.\nremediation: \"Pin the image of {{resource.name}}.\"\n").unwrap();
    std::fs::write(rule.join("rule.rego"), "package kspm.rules.no_latest_tag\nimport rego.v1\nbad contains c.name if { some c in input.resource.spec.containers; endswith(c.image, \":latest\") }\nbad contains c.name if { some c in input.resource.spec.containers; not contains(c.image, \":\") }\nfinding := {\"evaluation\": \"failed\", \"evidence\": {\"containers\": bad}} if count(bad) > 0\nfinding := {\"evaluation\": \"passed\"} if count(bad) == 0\n").unwrap();
    std::fs::write(rule.join("cases.yaml"), "cases:\n- name: untagged image fails\n  object: {apiVersion: v1, kind: Pod, metadata: {name: a}, spec: {containers: [{name: c, image: nginx}]}}\n  expect: failed\n  evidence: {containers: [c]}\n- name: pinned image passes\n  object: {apiVersion: v1, kind: Pod, metadata: {name: a}, spec: {containers: [{name: c, image: \"nginx:1.27\"}]}}\n  expect: passed\n- name: a ConfigMap is not applicable\n  object: {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n  expect: not_applicable\n").unwrap();
    let out = common::kspm()
        .args(["rules", "test"])
        .arg(dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("3 passed, 0 failed"), "{stdout}");

    let pod = dir.join("pod.yaml");
    std::fs::write(&pod, PRIVILEGED_POD).unwrap();
    let (_, findings, _) = scan_json(&["--rules", dir.to_str().unwrap(), pod.to_str().unwrap()]);
    assert_eq!(
        failed_rules_for(&findings, "shop/web")
            .iter()
            .filter(|r| *r == "no_latest_tag")
            .count(),
        1
    );
    // The finding carries the benchmark's own name and section, from benchmark.yaml.
    let ours = findings
        .iter()
        .find(|f| f["rule"]["id"] == "no_latest_tag")
        .unwrap();
    assert_eq!(ours["rule"]["benchmark"]["name"], "Our image rules");
    assert_eq!(ours["rule"]["section"], "Supply chain");
    // Scanned alone and scored in the table's footer.
    let out = common::kspm()
        .args([
            "scan",
            "--fail-on",
            "none",
            "--benchmark",
            "custom",
            "--rules",
        ])
        .arg(dir)
        .arg(&pod)
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("Posture score: 0.0% (0 passed / 1 scored)\n  custom  0.0%"),
        "{table}"
    );
    assert!(!table.contains("cis_k8s"), "{table}");
    // Listed.
    let out = common::kspm()
        .args(["rules", "list", "--benchmark", "custom", "--rules"])
        .arg(dir)
        .output()
        .unwrap();
    let list = String::from_utf8_lossy(&out.stdout);
    assert!(list.contains("custom   C.1"), "{list}");
    assert!(list.ends_with("1 rules\n"), "{list}");
    // A rule of a benchmark nobody defined is refused with what to add.
    std::fs::remove_file(dir.join("custom/benchmark.yaml")).unwrap();
    let out = common::kspm()
        .args(["rules", "list", "--rules"])
        .arg(dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("benchmark `custom` is not defined: add `custom/benchmark.yaml`"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(
        dir.join("custom/benchmark.yaml"),
        "id: custom\nname: Our image rules\nversions: [\"1\"]\nsections: [{id: C, name: Supply chain}]\n",
    )
    .unwrap();

    // A failing case makes `rules test` exit 1 and say why.
    std::fs::write(rule.join("cases.yaml"), "cases:\n- name: wrong expectation\n  object: {apiVersion: v1, kind: Pod, metadata: {name: a}, spec: {containers: [{name: c, image: nginx}]}}\n  expect: passed\n").unwrap();
    let out = common::kspm()
        .args(["rules", "test"])
        .arg(dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("expected passed, got failed"));
}

#[test]
fn rules_list_and_show_describe_the_bundle() {
    let out = common::kspm().args(["rules", "list"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("cis_k8s") && stdout.contains("pss"),
        "{stdout}"
    );
    let out = common::kspm()
        .args(["rules", "show", "5.1.1"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("Remediation:"),
        "{stdout}"
    );
    let out = common::kspm()
        .args(["rules", "show", "no-such-rule"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn sarif_and_junit_outputs_are_produced_for_a_scan() {
    let tmp = tempdir("formats");
    let dir = tmp.path();
    let file = dir.join("pod.yaml");
    std::fs::write(&file, PRIVILEGED_POD).unwrap();
    let out = common::kspm()
        .args(["scan", "--output", "sarif", "--fail-on", "none"])
        .arg(&file)
        .output()
        .unwrap();
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(results.iter().any(|r| {
        r["ruleId"] == "pss_privileged"
            && r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .ends_with("pod.yaml")
    }));
    let out = common::kspm()
        .args(["scan", "--output", "junit", "--fail-on", "none"])
        .arg(&file)
        .output()
        .unwrap();
    let xml = String::from_utf8(out.stdout).unwrap();
    assert!(
        xml.starts_with("<?xml") && xml.contains("<testsuites") && xml.contains("<failure"),
        "{xml}"
    );
}
