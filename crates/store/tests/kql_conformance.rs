//! Conformance with Kibana's KQL. Each row of `READINGS` is a query, the reading Kibana's
//! grammar gives it (written as our own tree, in `kql::Node`'s notation), and the exact
//! findings the store returns for it out of a fixed set of fourteen built here. `REFUSED`
//! lists queries kspm rejects, where, why, and whether Kibana's grammar reads them.
//!
//! The fixed set (labels used in the tables):
//!
//! ```text
//! P1  prod     web/shop (Pod)                         pod_privileged             failed
//! P2  prod     web/cart (Pod)                         pod_privileged             passed
//! P3  prod     kube-system/coredns (Pod)              pod_privileged             failed, excepted
//! P4  prod     web (Namespace)                        namespace_network_policy   failed
//! P5  prod     cluster-admin (ClusterRoleBinding)     rbac_cluster_admin         manual
//! N1  prod     cp-1/kube-apiserver (process on cp-1)  api_server_anonymous_auth  failed
//! N2  prod     cp-1/kube-apiserver                    api_server_profiling       passed
//! N3  prod     /var/lib/kubelet/config.yaml (cp-1)    kubelet_conf_mode          failed
//! N4  prod     cp-1/kube-apiserver                    client_cert_auth           error
//! S1  Staging  web/shop (Pod)                         pod_privileged             passed
//! S2  Staging  kube-public/probe (Pod)                pod_privileged             failed
//! S3  Staging  /var/lib/kubelet/config.yaml (Worker-1) kubelet_conf_mode         passed
//! S4  Staging  ops/backup (Pod)                       odd_rule (cis_eks)         failed
//! S5  Staging  ops (Namespace)                        namespace_network_policy   passed
//! ```
//!
//! Sections: API Server (api_server_*), Authentication and Authorization (client_cert_auth),
//! Network Policies and CNI, Pod Security Standards, RBAC and Service Accounts, Worker Node
//! Configuration Files (kubelet_conf_mode) and `Odd: "quoted" *section* \ (x)` (odd_rule).
//!
//! P* were last seen 2026-11-01T10:00:00Z, N* 2026-11-02T00:00:00Z, S* 2026-11-03T08:00:00Z.

mod common;

use std::collections::HashMap;
use std::sync::Arc;

use common::*;
use kspm_model::{ClusterInfo, FindingResource, Outcome, RawJson, ResourceType, resource_id};
use kspm_store::{ExceptionScope, NewException, SearchRequest, Store, kql};

/// 2026-11-01T10:00:00Z
const PROD_AT: i64 = 1_793_527_200;
/// 2026-11-02T00:00:00Z, a midnight: whole-day bounds fall exactly on it.
const NODE_AT: i64 = 1_793_577_600;
/// 2026-11-03T08:00:00Z
const STAGING_AT: i64 = 1_793_692_800;

const PRIV: RuleSpec = RuleSpec {
    id: "pod_privileged",
    benchmark: "cis_k8s",
    number: "5.2.2",
    title: "Do not run privileged containers",
    section: "Pod Security Standards",
};
const NETPOL: RuleSpec = RuleSpec {
    id: "namespace_network_policy",
    benchmark: "cis_k8s",
    number: "5.3.2",
    title: "Every namespace has a NetworkPolicy",
    section: "Network Policies and CNI",
};
const RBAC: RuleSpec = RuleSpec {
    id: "rbac_cluster_admin",
    benchmark: "cis_k8s",
    number: "5.1.1",
    title: "Limit who holds cluster-admin",
    section: "RBAC and Service Accounts",
};
const ANON: RuleSpec = RuleSpec {
    id: "api_server_anonymous_auth",
    benchmark: "cis_k8s",
    number: "1.2.1",
    title: "The API server refuses anonymous requests",
    section: "API Server",
};
const PROFILING: RuleSpec = RuleSpec {
    id: "api_server_profiling",
    benchmark: "cis_k8s",
    number: "1.2.15",
    title: "Turn off the API server's profiling endpoints",
    section: "API Server",
};
const KUBELET_MODE: RuleSpec = RuleSpec {
    id: "kubelet_conf_mode",
    benchmark: "cis_k8s",
    number: "4.1.9",
    title: "Keep the kubelet config file at mode 0600 or stricter",
    section: "Worker Node Configuration Files",
};
const AUTHN: RuleSpec = RuleSpec {
    id: "client_cert_auth",
    benchmark: "cis_k8s",
    number: "3.1.1",
    title: "Users authenticate without client certificates",
    section: "Authentication and Authorization",
};
/// Every character KQL treats specially, in a section name and a title.
const ODD: RuleSpec = RuleSpec {
    id: "odd_rule",
    benchmark: "cis_eks",
    number: "9.9.9",
    title: r#"A rule (with "odd" text) *"#,
    section: r#"Odd: "quoted" *section* \ (x)"#,
};

fn process(c: &ClusterInfo, node: &str, component: &str) -> FindingResource {
    FindingResource {
        id: resource_id(
            &c.id,
            ResourceType::Process,
            &format!("{node}\0{component}"),
        ),
        name: format!("{node}/{component}"),
        kind: "process".into(),
        sub_type: component.into(),
        raw: Arc::new(RawJson::from(serde_json::json!({"component": component}))),
    }
}

/// The label of each finding by (cluster name, resource name, rule id).
type Labels = HashMap<(String, String, String), &'static str>;

/// The fixed set in a fresh store, with the labels of its findings.
fn fixture() -> (tempfile::TempDir, Store, Labels) {
    let (dir, store) = store(STAGING_AT + 86_400);
    let prod = cluster("prod");
    let staging = cluster("Staging");
    let mut labels = HashMap::new();
    let mut label = |c: &ClusterInfo, f: &kspm_model::Finding, l: &'static str| {
        labels.insert(
            (
                c.name.clone(),
                f.resource.name.clone(),
                f.rule.id.to_string(),
            ),
            l,
        );
    };
    use Outcome::*;
    let p = |ns: Option<&str>, kind: &str, name: &str, spec: &RuleSpec, o: Outcome| {
        finding(
            &prod,
            object(&prod, kind, ns, name, &[]),
            None,
            spec,
            o,
            PROD_AT,
        )
    };
    let prod_cluster = [
        ("P1", p(Some("web"), "Pod", "shop", &PRIV, Failed)),
        ("P2", p(Some("web"), "Pod", "cart", &PRIV, Passed)),
        (
            "P3",
            p(Some("kube-system"), "Pod", "coredns", &PRIV, Failed),
        ),
        ("P4", p(None, "Namespace", "web", &NETPOL, Failed)),
        (
            "P5",
            p(None, "ClusterRoleBinding", "cluster-admin", &RBAC, Manual),
        ),
    ];
    let n = |spec: &RuleSpec, o: Outcome| {
        finding(
            &prod,
            (process(&prod, "cp-1", "kube-apiserver"), None),
            Some("cp-1"),
            spec,
            o,
            NODE_AT,
        )
    };
    let prod_node = [
        ("N1", n(&ANON, Failed)),
        ("N2", n(&PROFILING, Passed)),
        (
            "N3",
            file(
                &prod,
                "cp-1",
                "/var/lib/kubelet/config.yaml",
                &KUBELET_MODE,
                Failed,
                NODE_AT,
            ),
        ),
        ("N4", n(&AUTHN, Error)),
    ];
    let s = |ns: Option<&str>, kind: &str, name: &str, spec: &RuleSpec, o: Outcome| {
        finding(
            &staging,
            object(&staging, kind, ns, name, &[]),
            None,
            spec,
            o,
            STAGING_AT,
        )
    };
    let staging_cluster = [
        ("S1", s(Some("web"), "Pod", "shop", &PRIV, Passed)),
        ("S2", s(Some("kube-public"), "Pod", "probe", &PRIV, Failed)),
        ("S4", s(Some("ops"), "Pod", "backup", &ODD, Failed)),
        ("S5", s(None, "Namespace", "ops", &NETPOL, Passed)),
    ];
    let staging_node = [(
        "S3",
        file(
            &staging,
            "Worker-1",
            "/var/lib/kubelet/config.yaml",
            &KUBELET_MODE,
            Passed,
            STAGING_AT,
        ),
    )];
    for (id, c, scope, at, findings) in [
        ("prod-cluster", &prod, "cluster", PROD_AT, &prod_cluster[..]),
        ("prod-cp-1", &prod, "node:cp-1", NODE_AT, &prod_node[..]),
        (
            "staging-cluster",
            &staging,
            "cluster",
            STAGING_AT,
            &staging_cluster[..],
        ),
        (
            "staging-worker-1",
            &staging,
            "node:Worker-1",
            STAGING_AT,
            &staging_node[..],
        ),
    ] {
        for (l, f) in findings {
            label(c, f, l);
        }
        let findings: Vec<_> = findings.iter().map(|(_, f)| f.clone()).collect();
        cycle(&store, id, c, scope, at, &findings);
    }
    store
        .add_exception(&NewException {
            rule_id: PRIV.id.into(),
            scope: ExceptionScope::Namespace("kube-system".into()),
            cluster_id: None,
            reason: "the DNS add-on is reviewed".into(),
            expires_at: None,
            author: "conformance".into(),
        })
        .expect("exception");
    (dir, store, labels)
}

/// A query, Kibana's reading of it, and the findings it selects (labels, any order).
struct Reading {
    query: &'static str,
    reading: &'static str,
    rows: &'static str,
}

const fn row(query: &'static str, reading: &'static str, rows: &'static str) -> Reading {
    Reading {
        query,
        reading,
        rows,
    }
}

const ALL: &str = "P1 P2 P3 P4 P5 N1 N2 N3 N4 S1 S2 S3 S4 S5";
const FAILED: &str = "P1 P3 P4 N1 N3 S2 S4";
const API_SERVER: &str = r#"is(rule.section, "API Server")"#;
const NETPOL_SECTION: &str = r#"is(rule.section, "Network Policies and CNI")"#;
const FAILED_ON_CP1: &str = r#"and(is(result.evaluation, "failed"), is(host.name, "cp-1"))"#;
const ODD_SECTION: &str = r#"is(rule.section, "Odd: \"quoted\" *section* \\ (x)")"#;

const READINGS: &[Reading] = &[
    // An unquoted value runs to the next keyword, spaces included.
    row("rule.section : API Server", API_SERVER, "N1 N2"),
    row(r#"rule.section : "API Server""#, API_SERVER, "N1 N2"),
    row("rule.section:API Server", API_SERVER, "N1 N2"),
    row("  rule.section :   API Server   ", API_SERVER, "N1 N2"),
    row(r"rule.section : \u0041PI Server", API_SERVER, "N1 N2"),
    row(
        "rule.section : API Server and result.evaluation : failed",
        r#"and(is(rule.section, "API Server"), is(result.evaluation, "failed"))"#,
        "N1",
    ),
    // A keyword inside an unquoted value ends it; what follows is a value without a field.
    row(
        "rule.section : API Server or Network Policies and CNI",
        r#"or(is(rule.section, "API Server"), and(text("Network Policies"), text("CNI")))"#,
        "N1 N2 P4 S5",
    ),
    row(
        "rule.section : Network Policies and CNI",
        r#"and(is(rule.section, "Network Policies"), text("CNI"))"#,
        "",
    ),
    row(
        r#"rule.section : "Network Policies and CNI""#,
        NETPOL_SECTION,
        "P4 S5",
    ),
    row(
        r"rule.section : Network Policies \and CNI",
        NETPOL_SECTION,
        "P4 S5",
    ),
    // An escaped keyword keeps its case; keyword fields compare case-sensitively.
    row(
        r"rule.section : Authentication \AND Authorization",
        r#"is(rule.section, "Authentication AND Authorization")"#,
        "",
    ),
    // `and` / `or` at the very end have no whitespace after them: they are text.
    row(
        "rule.section : API Server or",
        r#"is(rule.section, "API Server or")"#,
        "",
    ),
    row(
        "rule.section : API Server and",
        r#"is(rule.section, "API Server and")"#,
        "",
    ),
    // Value lists, with `and` / `not` inside them.
    row(
        "rule.section : (API Server or Worker Node Configuration Files)",
        r#"or(is(rule.section, "API Server"), is(rule.section, "Worker Node Configuration Files"))"#,
        "N1 N2 N3 S3",
    ),
    row("rule.section:(API Server)", API_SERVER, "N1 N2"),
    row(
        "result.evaluation : (failed or error)",
        r#"or(is(result.evaluation, "failed"), is(result.evaluation, "error"))"#,
        "P1 P3 P4 N1 N3 S2 S4 N4",
    ),
    row(
        "result.evaluation : (not passed)",
        r#"not(is(result.evaluation, "passed"))"#,
        "P1 P3 P4 P5 N1 N3 N4 S2 S4",
    ),
    row(
        "rule.id : (pod_privileged and api_server_profiling)",
        r#"and(is(rule.id, "pod_privileged"), is(rule.id, "api_server_profiling"))"#,
        "",
    ),
    // Precedence: not > and > or; parentheses group.
    row(
        "rule.section : (API Server or Pod Security Standards) and not result.evaluation : passed",
        r#"and(or(is(rule.section, "API Server"), is(rule.section, "Pod Security Standards")), not(is(result.evaluation, "passed")))"#,
        "N1 P1 P3 S2",
    ),
    row(
        "not result.evaluation : passed and rule.benchmark.id : cis_eks",
        r#"and(not(is(result.evaluation, "passed")), is(rule.benchmark.id, "cis_eks"))"#,
        "S4",
    ),
    row(
        "not (result.evaluation : failed or result.evaluation : passed)",
        r#"not(or(is(result.evaluation, "failed"), is(result.evaluation, "passed")))"#,
        "P5 N4",
    ),
    row(
        "result.evaluation : failed or result.evaluation : error and host.name : cp-1",
        r#"or(is(result.evaluation, "failed"), and(is(result.evaluation, "error"), is(host.name, "cp-1")))"#,
        "P1 P3 P4 N1 N3 S2 S4 N4",
    ),
    row(
        "(result.evaluation : failed or result.evaluation : error) and host.name : cp-1",
        r#"and(or(is(result.evaluation, "failed"), is(result.evaluation, "error")), is(host.name, "cp-1"))"#,
        "N1 N3 N4",
    ),
    // Keywords in any case, around any of Kibana's whitespace (here no-break spaces).
    row(
        "result.evaluation : failed AND host.name : cp-1",
        FAILED_ON_CP1,
        "N1 N3",
    ),
    row(
        "result.evaluation : failed aNd host.name : cp-1",
        FAILED_ON_CP1,
        "N1 N3",
    ),
    row(
        "result.evaluation :\u{a0}failed\u{a0}and\u{a0}host.name : cp-1",
        FAILED_ON_CP1,
        "N1 N3",
    ),
    // Keyword fields: exact and case-sensitive, wildcards included.
    row(
        "host.name : cp-1 or host.name : Worker-1",
        r#"or(is(host.name, "cp-1"), is(host.name, "Worker-1"))"#,
        "N1 N2 N3 N4 S3",
    ),
    row("host.name : worker-1", r#"is(host.name, "worker-1")"#, ""),
    row("host.name : Worker*", r#"is(host.name, "Worker"*)"#, "S3"),
    row("host.name : worker*", r#"is(host.name, "worker"*)"#, ""),
    row(
        "resource.sub_type : pod",
        r#"is(resource.sub_type, "pod")"#,
        "",
    ),
    row(
        "orchestrator.cluster.name : Staging",
        r#"is(orchestrator.cluster.name, "Staging")"#,
        "S1 S2 S3 S4 S5",
    ),
    row(
        "orchestrator.cluster.name : staging",
        r#"is(orchestrator.cluster.name, "staging")"#,
        "",
    ),
    row(
        "orchestrator.cluster.name : Stag*",
        r#"is(orchestrator.cluster.name, "Stag"*)"#,
        "S1 S2 S3 S4 S5",
    ),
    row(
        "rule.id : api_server_*",
        r#"is(rule.id, "api_server_"*)"#,
        "N1 N2",
    ),
    row(
        "rule.id : api_server_anonymous_auth or rule.id : kubelet_conf_mode",
        r#"or(is(rule.id, "api_server_anonymous_auth"), is(rule.id, "kubelet_conf_mode"))"#,
        "N1 N3 S3",
    ),
    row(
        "rule.benchmark.rule_number : 1.2.*",
        r#"is(rule.benchmark.rule_number, "1.2."*)"#,
        "N1 N2",
    ),
    row(
        "rule.benchmark.rule_number : (1.2.1 or 4.1.9)",
        r#"or(is(rule.benchmark.rule_number, "1.2.1"), is(rule.benchmark.rule_number, "4.1.9"))"#,
        "N1 N3 S3",
    ),
    row(
        "result.evaluation : fail*",
        r#"is(result.evaluation, "fail"*)"#,
        FAILED,
    ),
    row("scope : node*", r#"is(scope, "node"*)"#, "N1 N2 N3 N4 S3"),
    // Wildcards only outside quotes; `\*` is a literal star.
    row(
        "orchestrator.resource.namespace : kube-*",
        r#"is(orchestrator.resource.namespace, "kube-"*)"#,
        "P3 S2",
    ),
    row(
        r#"orchestrator.resource.namespace : "kube-*""#,
        r#"is(orchestrator.resource.namespace, "kube-*")"#,
        "",
    ),
    row(
        r"orchestrator.resource.namespace : kube\*",
        r#"is(orchestrator.resource.namespace, "kube*")"#,
        "",
    ),
    // `field : *` is "has a value"; `* : *`, `*` and the empty query are everything.
    row("host.name : *", "exists(host.name)", "N1 N2 N3 N4 S3"),
    row(
        "not host.name : *",
        "not(exists(host.name))",
        "P1 P2 P3 P4 P5 S1 S2 S4 S5",
    ),
    row("", "all", ALL),
    row("* : *", "all", ALL),
    row("*", "text(*)", ALL),
    // Special characters, quoted or escaped, and a wildcard after an escaped colon.
    row(
        r#"rule.section : "Odd: \"quoted\" *section* \\ (x)""#,
        ODD_SECTION,
        "S4",
    ),
    row(
        r#"rule.section : Odd\: \"quoted\" \*section\* \\ \(x\)"#,
        ODD_SECTION,
        "S4",
    ),
    row(
        r"rule.section : Odd\:*",
        r#"is(rule.section, "Odd:"*)"#,
        "S4",
    ),
    // Text fields (kspm's choice): ASCII case-insensitive substrings, patterns anchored.
    row(
        "resource.name : SHOP",
        r#"is(resource.name, "SHOP")"#,
        "P1 S1",
    ),
    row(
        "resource.name : WEB/sh*",
        r#"is(resource.name, "WEB/sh"*)"#,
        "P1 S1",
    ),
    row(
        r#"rule.name : "(with \"odd\" text) *""#,
        r#"is(rule.name, "(with \"odd\" text) *")"#,
        "S4",
    ),
    // A value without a field searches the main text fields for the whole value.
    row("privileged", r#"text("privileged")"#, "P1 P2 P3 S1 S2"),
    row(
        "run privileged",
        r#"text("run privileged")"#,
        "P1 P2 P3 S1 S2",
    ),
    row(r#""not run""#, r#"text("not run")"#, "P1 P2 P3 S1 S2"),
    row("API Server", r#"text("API Server")"#, "N1 N2"),
    // Several fields and a value list.
    row(
        "resource.sub_type : Pod and orchestrator.resource.namespace : (web or ops)",
        r#"and(is(resource.sub_type, "Pod"), or(is(orchestrator.resource.namespace, "web"), is(orchestrator.resource.namespace, "ops")))"#,
        "P1 P2 S1 S4",
    ),
    row(
        "resource.sub_type : (Pod or Namespace) and not orchestrator.resource.namespace : kube-system",
        r#"and(or(is(resource.sub_type, "Pod"), is(resource.sub_type, "Namespace")), not(is(orchestrator.resource.namespace, "kube-system")))"#,
        "P1 P2 P4 S1 S2 S4 S5",
    ),
    // Dates: a whole day is rounded as Elasticsearch rounds it; times need quotes or `\:`.
    row(
        "last_seen >= 2026-11-02",
        r#"range(last_seen, >=, "2026-11-02")"#,
        "N1 N2 N3 N4 S1 S2 S3 S4 S5",
    ),
    row(
        "last_seen > 2026-11-02",
        r#"range(last_seen, >, "2026-11-02")"#,
        "S1 S2 S3 S4 S5",
    ),
    row(
        "last_seen <= 2026-11-02",
        r#"range(last_seen, <=, "2026-11-02")"#,
        "P1 P2 P3 P4 P5 N1 N2 N3 N4",
    ),
    row(
        "last_seen < 2026-11-02",
        r#"range(last_seen, <, "2026-11-02")"#,
        "P1 P2 P3 P4 P5",
    ),
    row(
        "last_seen : 2026-11-02",
        r#"is(last_seen, "2026-11-02")"#,
        "N1 N2 N3 N4",
    ),
    row(
        r#"last_seen : "2026-11-02T00:00:00Z""#,
        r#"is(last_seen, "2026-11-02T00:00:00Z")"#,
        "N1 N2 N3 N4",
    ),
    row(
        r"@timestamp > 2026-11-01T10\:00\:00Z",
        r#"range(@timestamp, >, "2026-11-01T10:00:00Z")"#,
        "N1 N2 N3 N4 S1 S2 S3 S4 S5",
    ),
    row(
        r#"first_seen >= "2026-11-01T10:00:00Z" and first_seen < "2026-11-01T10:00:00.5Z""#,
        r#"and(range(first_seen, >=, "2026-11-01T10:00:00Z"), range(first_seen, <, "2026-11-01T10:00:00.5Z"))"#,
        "P1 P2 P3 P4 P5",
    ),
    row(
        "event.sequence >= 1793577600",
        r#"range(event.sequence, >=, "1793577600")"#,
        "N1 N2 N3 N4 S1 S2 S3 S4 S5",
    ),
    // Unquoted true / false are booleans.
    row("excepted : true", "is(excepted, true)", "P3"),
    row(
        "excepted : false and rule.id : pod_privileged",
        r#"and(is(excepted, false), is(rule.id, "pod_privileged"))"#,
        "P1 P2 S1 S2",
    ),
];

#[test]
fn kibana_readings_and_store_rows_agree_with_the_table() {
    assert!(READINGS.len() >= 40);
    let (_dir, store, labels) = fixture();
    assert_eq!(labels.len(), 14);
    let mut failures = Vec::new();
    for case in READINGS {
        match kql::read(case.query) {
            Ok(node) if node.to_string() == case.reading => {}
            Ok(node) => failures.push(format!(
                "{:?}\n    read as  {node}\n    expected {}",
                case.query, case.reading
            )),
            Err(e) => failures.push(format!("{:?}\n    error {e}", case.query)),
        }
        let mut req = SearchRequest::new(case.query);
        req.per_page = 1000;
        let page = match store.search(&req) {
            Ok(page) => page,
            Err(e) => {
                failures.push(format!("{:?}\n    search error {e}", case.query));
                continue;
            }
        };
        let mut got: Vec<&str> = page
            .rows
            .iter()
            .map(|r| {
                labels[&(
                    r.cluster_name.clone(),
                    r.resource_name.clone(),
                    r.rule_id.clone(),
                )]
            })
            .collect();
        got.sort_unstable();
        let mut want: Vec<&str> = case.rows.split_whitespace().collect();
        want.sort_unstable();
        if got != want || page.total != want.len() as u64 {
            failures.push(format!(
                "{:?}\n    rows     {got:?} (total {})\n    expected {want:?}",
                case.query, page.total
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Whether Kibana's grammar reads the query (kspm then refuses it on purpose) or not.
#[derive(Debug, PartialEq)]
enum Kibana {
    Reads,
    Rejects,
}

struct Refused {
    query: &'static str,
    position: usize,
    message: &'static str,
    kibana: Kibana,
}

const fn refused(
    query: &'static str,
    position: usize,
    message: &'static str,
    kibana: Kibana,
) -> Refused {
    Refused {
        query,
        position,
        message,
        kibana,
    }
}

const REFUSED: &[Refused] = &[
    // Kibana's grammar rejects these too.
    refused(
        "Do not run",
        3,
        "`not` cannot follow a value",
        Kibana::Rejects,
    ),
    refused(
        "not not result.evaluation : failed",
        4,
        "`not` cannot follow `not` directly",
        Kibana::Rejects,
    ),
    refused(
        "rule.section : API Server)",
        25,
        "found `)` without a matching `(`",
        Kibana::Rejects,
    ),
    refused(
        r#"rule.section : API Server "x""#,
        26,
        "two terms side by side need `and` or `or`",
        Kibana::Rejects,
    ),
    refused(
        "last_seen > 2026-11-01T10:00:00Z",
        25,
        "quote a time",
        Kibana::Rejects,
    ),
    refused(
        r"rule.id : a\-b",
        11,
        "`\\-` is not an escape",
        Kibana::Rejects,
    ),
    refused(
        r"rule.id : x\",
        11,
        "a `\\` at the end of the query escapes nothing",
        Kibana::Rejects,
    ),
    refused(
        r#"rule.id : "open"#,
        10,
        "unterminated quoted value",
        Kibana::Rejects,
    ),
    refused(
        "rule.section : ",
        15,
        "expected a value for `rule.section`, found the end of the query",
        Kibana::Rejects,
    ),
    refused(
        "(rule.section : API Server",
        26,
        "expected `and`, `or` or `)` to close the `(` at character 0",
        Kibana::Rejects,
    ),
    refused(
        "result.evaluation : failed and ",
        31,
        "expected a field or a value, found the end of the query",
        Kibana::Rejects,
    ),
    // Kibana reads these; kspm refuses them and says why.
    refused(
        "resource.raw : { kind : Pod }",
        15,
        "kspm has no nested fields",
        Kibana::Reads,
    ),
    refused(
        "result.evaluation : FAILED",
        20,
        "`FAILED` is not an outcome",
        Kibana::Reads,
    ),
    refused(
        "result.evaluation : not_applicable",
        20,
        "kspm does not store `not_applicable` findings",
        Kibana::Reads,
    ),
    refused(
        "rule.sections : API Server",
        0,
        "unknown field `rule.sections`",
        Kibana::Reads,
    ),
    refused(
        "rule.* : API Server",
        0,
        "kspm does not expand wildcards in field names",
        Kibana::Reads,
    ),
    refused(
        "rule.id > api",
        0,
        "kspm does not compare text",
        Kibana::Reads,
    ),
    refused(
        r#"last_seen > "2026-11-01T10:00:00""#,
        12,
        "RFC 3339 with a time zone",
        Kibana::Reads,
    ),
    refused(
        "last_seen > 1793527200000",
        12,
        "found `1793527200000`",
        Kibana::Reads,
    ),
    refused("rule.id : null", 10, "an unquoted `null`", Kibana::Reads),
    refused(
        "first_seen : 2026-11-*",
        13,
        "`first_seen` is a date field",
        Kibana::Reads,
    ),
];

#[test]
fn refused_queries_say_where_and_why_and_whether_kibana_reads_them() {
    let (_dir, store, _) = fixture();
    for case in REFUSED {
        let e = match store.search(&SearchRequest::new(case.query)) {
            Err(kspm_store::Error::Query(e)) => e,
            other => panic!("{:?} is not refused: {other:?}", case.query),
        };
        assert_eq!(e.position, case.position, "{:?}: {e}", case.query);
        assert!(e.message.contains(case.message), "{:?}: {e}", case.query);
        assert!(!e.message.contains("unexpected the"), "{e}");
        // kspm's reading agrees with Kibana's grammar, except that it refuses nested
        // queries while reading (kspm has no nested fields).
        let read = kql::read(case.query);
        match case.kibana {
            Kibana::Rejects => assert!(read.is_err(), "{:?}: {read:?}", case.query),
            Kibana::Reads => assert!(
                read.is_ok() || case.message.contains("nested"),
                "{:?}: {read:?}",
                case.query
            ),
        }
    }
}
