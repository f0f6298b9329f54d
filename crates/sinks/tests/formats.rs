//! Every output format written from the same report, snapshot-tested, plus checks that the
//! machine formats are what their consumers expect (SARIF schema, JUnit counts, JSON round trip).

#[path = "../src/fixtures.rs"]
mod fixtures;

use std::path::PathBuf;
use std::process::Command;

use fixtures::{Target, finding, from_source, rule, with_error};
use kspm_model::{Finding, Outcome};
use kspm_sinks::{Format, Report, emit};
use serde_json::{Value, json};

const XSS_NAME: &str = "<script>alert(1)</script>";

/// A few resources of different kinds with every stored outcome, a source location, a hostile
/// name and non-ASCII text.
fn fixture_report() -> Report {
    let privileged = rule(
        "pod_privileged",
        "cis_k8s",
        "5.2.2",
        "Minimize the admission of privileged containers",
        "Pod Security Standards",
    );
    let host_path = rule(
        "pss_host_path_volumes",
        "pss",
        "hostPath Volumes",
        "Pods do not mount hostPath volumes",
        "Pod Security Standards",
    );
    let run_as_root = rule(
        "pod_run_as_root",
        "cis_k8s",
        "5.2.7",
        "Minimize the admission of root containers",
        "Pod Security Standards",
    );
    let cluster_admin = rule(
        "rbac_cluster_admin",
        "cis_k8s",
        "5.1.1",
        "Use cluster-admin only where required",
        "RBAC and Service Accounts",
    );
    let wildcard = rule(
        "rbac_wildcards",
        "cis_k8s",
        "5.1.3",
        "Minimize wildcard use in Roles and ClusterRoles",
        "RBAC and Service Accounts",
    );
    let admin_conf_perms = rule(
        "admin_conf_permissions",
        "cis_k8s",
        "1.1.13",
        "admin.conf permissions are 600 or stricter",
        "Control Plane Node Configuration Files",
    );
    let admin_conf_owner = rule(
        "admin_conf_ownership",
        "cis_k8s",
        "1.1.14",
        "admin.conf is owned by root:root",
        "Control Plane Node Configuration Files",
    );
    let namespaces = rule(
        "namespaces_boundaries",
        "cis_k8s",
        "5.7.1",
        "Namespaces separate workloads",
        "General Policies",
    );

    let web = Target::object("Deployment", Some("shop"), "web");
    let xss = Target::object("Pod", Some("démo-ünïcode"), XSS_NAME);
    let binding = Target::object("ClusterRoleBinding", None, "ops-admin");
    let admin_conf = Target::node_file("cp-1", "/etc/kubernetes/admin.conf");
    let kube_system = Target::object("Namespace", None, "kube-system");

    let at_web = |f: Finding| from_source(f, "manifests/shop.yaml", 12);
    let at_xss = |f: Finding| from_source(f, "manifests/démo & co.yaml", 3);
    let findings = vec![
        at_web(finding(
            &privileged,
            &web,
            Outcome::Failed,
            json!({"container": "web", "privileged": true}),
        )),
        at_web(finding(
            &host_path,
            &web,
            Outcome::Failed,
            json!({"volumes": [{"name": "data", "hostPath": "/var/lib/web"}]}),
        )),
        at_web(finding(
            &run_as_root,
            &web,
            Outcome::Passed,
            json!({"runAsNonRoot": true}),
        )),
        at_xss(finding(
            &privileged,
            &xss,
            Outcome::Failed,
            json!({"container": "コンテナ-ü", "privileged": true, "note": "évidence longue qui dépasse la limite de cent caractères pour le résumé d'une ligne"}),
        )),
        at_xss(finding(
            &host_path,
            &xss,
            Outcome::Passed,
            json!({"volumes": []}),
        )),
        at_xss(finding(
            &run_as_root,
            &xss,
            Outcome::Passed,
            json!({"runAsNonRoot": true}),
        )),
        finding(
            &cluster_admin,
            &binding,
            Outcome::Failed,
            json!({"roleRef": "cluster-admin", "subjects": ["Group/ops"]}),
        ),
        with_error(
            finding(&wildcard, &binding, Outcome::Error, Value::Null),
            "rule rbac_wildcards: inventory missing ClusterRole ops-admin\n(role not collected: 403 Forbidden)",
        ),
        finding(
            &admin_conf_perms,
            &admin_conf,
            Outcome::Passed,
            json!({"mode": "0600"}),
        ),
        finding(
            &admin_conf_owner,
            &admin_conf,
            Outcome::Failed,
            json!({"owner": "kube", "group": "root"}),
        ),
        finding(
            &namespaces,
            &kube_system,
            Outcome::Manual,
            json!({"namespaces": 4}),
        ),
    ];
    Report {
        findings,
        resources_evaluated: 6,
        not_applicable: 9,
        input_errors: vec![
            "manifests/broken.yaml: document 1 (line 4): mapping values are not allowed here"
                .into(),
        ],
        tool_version: "0.1.0".into(),
    }
}

fn render(format: Format, report: &Report) -> String {
    let mut out = Vec::new();
    emit(format, report, &mut out).unwrap_or_else(|e| panic!("{format} failed: {e}"));
    String::from_utf8(out).expect("every format is UTF-8")
}

#[test]
fn table_output_is_stable() {
    insta::assert_snapshot!("table", render(Format::Table, &fixture_report()));
}

#[test]
fn json_output_is_stable() {
    insta::assert_snapshot!("json", render(Format::Json, &fixture_report()));
}

#[test]
fn ndjson_output_is_stable() {
    insta::assert_snapshot!("ndjson", render(Format::Ndjson, &fixture_report()));
}

#[test]
fn csv_output_is_stable() {
    insta::assert_snapshot!("csv", render(Format::Csv, &fixture_report()));
}

#[test]
fn sarif_output_is_stable() {
    insta::assert_snapshot!("sarif", render(Format::Sarif, &fixture_report()));
}

#[test]
fn junit_output_is_stable() {
    insta::assert_snapshot!("junit", render(Format::Junit, &fixture_report()));
}

#[test]
fn sorted_formats_do_not_depend_on_finding_order() {
    // Table and JUnit order what they list themselves; the streamed formats (JSON, NDJSON,
    // SARIF, CSV) keep the order findings arrive in, which the engine fixes by construction.
    let report = fixture_report();
    let mut reversed = report.clone();
    reversed.findings.reverse();
    for format in [Format::Table, Format::Junit] {
        assert_eq!(
            render(format, &report),
            render(format, &reversed),
            "{format} depends on input order"
        );
    }
}

#[test]
fn json_and_ndjson_round_trip_to_the_same_findings() {
    let report = fixture_report();
    let from_json: Vec<Finding> = serde_json::from_str(&render(Format::Json, &report)).unwrap();
    assert_eq!(from_json, report.findings);
    let ndjson = render(Format::Ndjson, &report);
    let from_ndjson: Vec<Finding> = ndjson
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(from_ndjson, report.findings);
    assert!(ndjson.ends_with('\n'));
}

#[test]
fn table_footer_scores_overall_and_per_benchmark() {
    let text = render(Format::Table, &fixture_report());
    // cis_k8s: 3 passed (5.2.7 twice, 1.1.13), 4 failed; pss: 1 passed, 1 failed.
    assert!(
        text.contains("Posture score: 44.4% (4 passed / 9 scored)\n"),
        "{text}"
    );
    assert!(
        text.contains("  cis_k8s  42.9% (3 passed / 7 scored)\n"),
        "{text}"
    );
    assert!(
        text.contains("  pss      50.0% (1 passed / 2 scored)\n"),
        "{text}"
    );
    assert!(
        text.contains("Findings: 5 failed, 4 passed, 1 manual, 1 error, 9 not applicable\n"),
        "{text}"
    );
    assert!(
        text.contains("Resources evaluated: 6\nInput errors: 1\n"),
        "{text}"
    );
}

#[test]
fn three_passed_and_one_failed_score_75_percent_in_the_table() {
    let report = Report {
        findings: fixtures::scored("cis_k8s", 3, 1),
        ..Report::default()
    };
    assert!(
        render(Format::Table, &report).contains("Posture score: 75.0% (3 passed / 4 scored)\n")
    );
}

#[test]
fn junit_parses_as_xml_with_one_case_per_finding() {
    let report = fixture_report();
    let xml = render(Format::Junit, &report);
    let parsed =
        quick_junit::Report::deserialize_from_str(&xml).expect("JUnit output is well-formed XML");
    // 11 findings + 1 input error.
    assert_eq!((parsed.tests, parsed.failures, parsed.errors), (12, 5, 2));
    let skipped: usize = parsed.test_suites.iter().map(|s| s.skipped).sum();
    assert_eq!(skipped, 1);
    let names: Vec<&str> = parsed.test_suites.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Control Plane Node Configuration Files",
            "General Policies",
            "Pod Security Standards",
            "RBAC and Service Accounts",
            "kspm input"
        ]
    );
    let xss_case = parsed
        .test_suites
        .iter()
        .flat_map(|s| &s.test_cases)
        .find(|c| c.name.as_str().contains("alert(1)"))
        .expect("the hostile name survives as text");
    assert_eq!(
        xss_case.name.as_str(),
        format!("5.2.2 Minimize the admission of privileged containers — démo-ünïcode/{XSS_NAME}")
    );
    assert!(!xml.contains("<script>"), "markup in names must be escaped");
}

#[test]
fn sarif_output_validates_against_the_sarif_2_1_0_schema() {
    let mut schema: Value =
        serde_json::from_str(&std::fs::read_to_string(sarif_schema_path()).unwrap()).unwrap();
    // The official schema's pattern for `language` properties has a stray `]`, which the
    // draft-7 meta-schema (its `regex` format, always checked when compiling) rejects. kspm never
    // writes `language`, so replace that pattern with what it means (`en`, `en-US`) and validate
    // everything else as published.
    replace_language_pattern(&mut schema);
    let validator = jsonschema::draft7::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| {
            panic!(
                "the SARIF schema does not compile: {e} at {}",
                e.instance_path()
            )
        });
    for report in [fixture_report(), Report::default()] {
        let sarif: Value = serde_json::from_str(&render(Format::Sarif, &report)).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&sarif)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "SARIF output breaks the schema:\n{}",
            errors.join("\n")
        );
    }
    // The validator is not vacuous: a level SARIF does not define is rejected.
    let mut broken: Value =
        serde_json::from_str(&render(Format::Sarif, &fixture_report())).unwrap();
    broken["runs"][0]["results"][0]["level"] = json!("fatal");
    assert!(!validator.is_valid(&broken));
}

#[test]
fn sarif_results_are_failed_error_and_manual_findings_only() {
    let sarif: Value = serde_json::from_str(&render(Format::Sarif, &fixture_report())).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let mut levels: Vec<&str> = results
        .iter()
        .map(|r| r["level"].as_str().unwrap())
        .collect();
    levels.sort_unstable();
    assert_eq!(
        levels,
        [
            "error", "error", "error", "error", "error", "note", "warning"
        ]
    );
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert_eq!(rules.len(), 8, "every rule seen in the report is described");
    for result in results {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
    }
}

/// Rewrites every `pattern` equal to the SARIF schema's malformed language-tag pattern.
fn replace_language_pattern(schema: &mut Value) {
    const MALFORMED: &str = "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$";
    match schema {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                if key == "pattern" && value == MALFORMED {
                    *value = json!("^[a-zA-Z]{2}(-[a-zA-Z]{2})?$");
                } else {
                    replace_language_pattern(value);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(replace_language_pattern),
        _ => {}
    }
}

/// The official schema ships inside the serde-sarif crate; find its source through cargo.
fn sarif_schema_path() -> PathBuf {
    let output = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: Value = serde_json::from_slice(&output.stdout).unwrap();
    let manifest = metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "serde-sarif")
        .and_then(|p| p["manifest_path"].as_str())
        .expect("serde-sarif is a dependency");
    let path = PathBuf::from(manifest)
        .parent()
        .unwrap()
        .join("src/schema.json");
    assert!(path.is_file(), "no SARIF schema at {}", path.display());
    path
}

#[test]
fn not_applicable_findings_are_neither_listed_nor_scored() {
    let mut report = Report {
        findings: fixtures::scored("cis_k8s", 1, 1),
        ..Report::default()
    };
    let baseline: Vec<String> = [Format::Table, Format::Sarif, Format::Junit]
        .map(|f| render(f, &report))
        .into();
    let odd_one = rule(
        "odd_one",
        "cis_k8s",
        "9.9.9",
        "Does not apply here",
        "Elsewhere",
    );
    let pod = Target::object("Pod", Some("ns"), "not-applicable");
    report
        .findings
        .push(finding(&odd_one, &pod, Outcome::NotApplicable, Value::Null));
    for (format, expected) in [Format::Table, Format::Sarif, Format::Junit]
        .into_iter()
        .zip(baseline)
    {
        assert_eq!(
            render(format, &report),
            expected,
            "{format} shows a not_applicable finding"
        );
    }
}

/// A destination that refuses every write, like a closed pipe.
struct ClosedPipe;

impl std::io::Write for ClosedPipe {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        Err(std::io::ErrorKind::BrokenPipe.into())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn write_failures_surface_as_io_errors_in_every_format() {
    let report = fixture_report();
    for format in Format::ALL {
        match emit(format, &report, &mut ClosedPipe) {
            Err(e) => assert!(e.is_broken_pipe(), "{format}: {e:?}"),
            Ok(()) => panic!("{format}: writing to a closed pipe succeeded"),
        }
    }
}
