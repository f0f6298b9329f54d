//! The Elasticsearch sink against the loopback Elasticsearch of `kspm-es-fake`: every finding
//! is accounted for — stored exactly once under its id, or reported rejected with its reason —
//! through partial failures, throttling, server errors, cut connections, slow answers and a
//! restart of the shipping process in the middle of an outage.

#[path = "../src/fixtures.rs"]
mod fixtures;

use std::sync::Arc;
use std::time::{Duration, Instant};

use fixtures::{CLUSTER_ID, Target as FixtureTarget, finding, rule};
use kspm_es_fake::{
    DEFAULT_API_KEY, DEFAULT_PASSWORD, FakeElasticsearch, Fault, Principal, Privileges,
};
use kspm_model::{
    ClusterInfo, Finding, FindingResource, Host, Outcome, ResourceFindings, ResourceType, Scope,
    resource_id,
};
use kspm_sinks::elasticsearch::{
    Credentials, DEFAULT_DATA_STREAM, ElasticsearchConfig, ElasticsearchSink, Problem, Secret,
    SpoolConfig, Target, document_id, template_body,
};
use kspm_sinks::retry::Backoff;
use kspm_sinks::{Delivery, Error, RunInfo, RunSummary, Sink, SinkError};
use serde_json::json;

fn config(es: &FakeElasticsearch) -> ElasticsearchConfig {
    ElasticsearchConfig {
        credentials: Credentials::Basic {
            username: "elastic".into(),
            password: Secret::new(DEFAULT_PASSWORD),
        },
        ca_pem: es.ca_pem().map(|p| p.as_bytes().to_vec()),
        batch_docs: 50,
        timeout: Duration::from_secs(5),
        backoff: Backoff {
            attempts: 8,
            initial: Duration::from_millis(10),
            max: Duration::from_secs(2),
        },
        ..ElasticsearchConfig::new(es.url())
    }
}

/// `n` findings of one cycle (`sequence`), one per pod, alternating outcomes.
fn findings(n: usize, sequence: i64) -> Vec<Finding> {
    let rule = rule("fixture_rule", "cis_k8s", "5.2.2", "Fixture rule", "Pods");
    (0..n)
        .map(|i| {
            let outcome = if i % 3 == 0 {
                Outcome::Failed
            } else {
                Outcome::Passed
            };
            let mut f = finding(
                &rule,
                &FixtureTarget::object("Pod", Some("ns"), &format!("pod-{i}")),
                outcome,
                json!({"i": i}),
            );
            f.event.sequence = sequence;
            f
        })
        .collect()
}

/// Drives a sink through one run: findings in windows of 16 resources.
fn ship(sink: &mut dyn Sink, findings: &[Finding]) -> Result<Delivery, SinkError> {
    let cluster = ClusterInfo {
        id: CLUSTER_ID.into(),
        name: "fixture".into(),
        version: None,
        platform: None,
    };
    let scopes = [Scope::Cluster];
    sink.begin(&RunInfo {
        tool_version: "test",
        cluster: &cluster,
        started_at: findings.first().map_or(0, |f| f.event.sequence),
        rules: &[],
        input_errors: &[],
        scopes: &scopes,
    })?;
    let groups: Vec<ResourceFindings> = findings
        .iter()
        .map(|f| ResourceFindings {
            scope: Scope::Cluster,
            findings: vec![f.clone()],
        })
        .collect();
    for window in groups.chunks(16) {
        sink.write(window)?;
    }
    sink.finish(&RunSummary::default())
}

fn ids_of(findings: &[Finding]) -> Vec<String> {
    let mut ids: Vec<String> = findings.iter().map(document_id).collect();
    ids.sort();
    ids
}

fn bulk_requests(es: &FakeElasticsearch) -> usize {
    es.requests()
        .iter()
        .filter(|r| r.path.ends_with("/_bulk"))
        .count()
}

#[test]
fn template_is_installed_once_and_accepted_by_the_mapping_check() {
    let es = FakeElasticsearch::builder().start().unwrap();
    let all = findings(10, 1_000);
    let mut sink = ElasticsearchSink::new(config(&es)).unwrap();
    let delivered = ship(&mut sink, &all).unwrap();
    assert_eq!(delivered.findings, 10);
    assert!(es.is_data_stream(DEFAULT_DATA_STREAM));
    let mappings = es.mappings(DEFAULT_DATA_STREAM).unwrap();
    assert_eq!(mappings["dynamic"], false);
    assert_eq!(
        mappings["properties"]["resource"]["properties"]["raw"]["enabled"],
        false
    );
    let puts = |es: &FakeElasticsearch| {
        es.requests()
            .iter()
            .filter(|r| r.method == "PUT" && r.path.starts_with("/_index_template/"))
            .count()
    };
    assert_eq!(puts(&es), 1);
    let mut again = ElasticsearchSink::new(config(&es)).unwrap();
    ship(&mut again, &findings(1, 2_000)).unwrap();
    assert_eq!(puts(&es), 1, "an existing template is left alone");
    // The plain-index template passes the check too.
    let mut index = config(&es);
    index.target = Target::Index("kspm-findings".into());
    let mut sink = ElasticsearchSink::new(index).unwrap();
    sink.check().unwrap();
    assert!(
        template_body(&Target::Index("x".into()))
            .get("data_stream")
            .is_none()
    );
}

/// One finding per resource type, as the engine shapes them.
fn one_of_each_type() -> Vec<Finding> {
    let rule = rule(
        "golden_rule",
        "cis_k8s",
        "1.1.1",
        "Golden rule",
        "Control Plane",
    );
    let mut object = finding(
        &rule,
        &FixtureTarget::object("Deployment", Some("shop"), "web"),
        Outcome::Failed,
        json!({"privileged": true}),
    );
    Arc::make_mut(&mut object.resource).raw = Arc::new(
        json!({"kind": "Deployment", "metadata": {"name": "web", "labels": {"a.b/c": "d"}}}).into(),
    );
    let file = finding(
        &rule,
        &FixtureTarget::node_file("cp-1", "/etc/kubernetes/admin.conf"),
        Outcome::Passed,
        json!({"mode": "0600"}),
    );
    let mut file = file;
    file.file = Some(Arc::new(
        json!({"path": "/etc/kubernetes/admin.conf", "kind": "file",
        "mode": "0600", "mode_bits": 384, "uid": 0, "gid": 0, "owner": "root", "group": "root",
        "size": 5600, "exists": true}),
    ));
    let mut process = file.clone();
    let process_id = resource_id(CLUSTER_ID, ResourceType::Process, "cp-1\0kube-apiserver");
    process.resource = Arc::new(FindingResource {
        id: process_id,
        name: "cp-1/kube-apiserver".into(),
        kind: "process".into(),
        sub_type: "kube-apiserver".into(),
        raw: Arc::new(json!({"component": "kube-apiserver", "pid": 14}).into()),
    });
    process.file = None;
    process.process = Some(Arc::new(json!({"component": "kube-apiserver", "pid": 14,
        "exe": "/usr/local/bin/kube-apiserver", "args": ["--anonymous-auth=false"],
        "flags": {"--anonymous-auth": ["false"]}, "config_path": null, "config": {}, "effective": {}})));
    process.result.evaluation = Outcome::Failed;
    process.event.id = "00000000-0000-5000-8000-000000000003".into();
    let mut cloud = file.clone();
    cloud.file = None;
    cloud.host = None;
    cloud.resource = Arc::new(FindingResource {
        id: resource_id(CLUSTER_ID, ResourceType::Cloud, "arn:aws:eks:eu-west-1:123456789012:cluster/prod"),
        name: "prod".into(),
        kind: "cloud".into(),
        sub_type: "aws-eks".into(),
        raw: Arc::new(json!({"cluster": {"name": "prod", "logging": {"clusterLogging": [{"enabled": false}]}}}).into()),
    });
    cloud.cloud = Some(Arc::new(json!({"provider": "aws", "region": "eu-west-1",
        "account": {"id": "123456789012"}, "service": {"name": "eks"}})));
    cloud.event.id = "00000000-0000-5000-8000-000000000004".into();
    process.host = Some(Host {
        name: "cp-1".into(),
    });
    vec![object, file, process, cloud]
}

#[test]
fn golden_documents_per_resource_type_equal_the_ndjson_finding_documents() {
    let es = FakeElasticsearch::builder().start().unwrap();
    let all = one_of_each_type();
    let mut sink = ElasticsearchSink::new(config(&es)).unwrap();
    assert_eq!(ship(&mut sink, &all).unwrap().findings, 4);
    let mut docs = Vec::new();
    for f in &all {
        let doc = es.document(DEFAULT_DATA_STREAM, &document_id(f)).unwrap();
        // Byte for byte the document `kspm scan -o ndjson` writes.
        assert_eq!(doc, serde_json::to_value(f).unwrap());
        docs.push(doc);
    }
    let [object, file, process, cloud] = &docs[..] else {
        unreachable!()
    };
    for doc in &docs {
        assert_eq!(doc["event"]["kind"], "state");
        assert_eq!(doc["event"]["category"], json!(["configuration"]));
        assert_eq!(doc["event"]["type"], json!(["info"]));
        assert_eq!(doc["rule"]["benchmark"]["posture_type"], "kspm");
        assert_eq!(doc["rule"]["benchmark"]["id"], "cis_k8s");
        assert_eq!(doc["rule"]["benchmark"]["rule_number"], "1.1.1");
        assert_eq!(doc["orchestrator"]["type"], "kubernetes");
        assert_eq!(doc["orchestrator"]["cluster"]["id"], CLUSTER_ID);
        assert!(doc["@timestamp"].is_string());
        assert!(doc["resource"]["id"].is_string());
    }
    assert_eq!(object["resource"]["type"], "k8s_object");
    assert_eq!(object["resource"]["sub_type"], "Deployment");
    assert_eq!(object["resource"]["name"], "shop/web");
    assert_eq!(object["orchestrator"]["resource"]["namespace"], "shop");
    assert_eq!(
        object["resource"]["raw"]["metadata"]["labels"]["a.b/c"],
        "d"
    );
    assert_eq!(object["result"]["evaluation"], "failed");
    assert_eq!(file["resource"]["type"], "file");
    assert_eq!(file["host"]["name"], "cp-1");
    assert_eq!(file["file"]["path"], "/etc/kubernetes/admin.conf");
    assert_eq!(file["file"]["mode"], "0600");
    assert_eq!(process["resource"]["type"], "process");
    assert_eq!(process["process"]["component"], "kube-apiserver");
    assert_eq!(
        process["process"]["flags"]["--anonymous-auth"],
        json!(["false"])
    );
    assert_eq!(cloud["resource"]["type"], "cloud");
    assert_eq!(cloud["resource"]["sub_type"], "aws-eks");
    assert_eq!(cloud["cloud"]["provider"], "aws");
    insta::assert_json_snapshot!("elasticsearch_golden_documents", docs);
}

#[test]
fn partial_failures_are_retried_item_by_item_and_rejections_reported_with_id_and_reason() {
    let es = FakeElasticsearch::builder().start().unwrap();
    let mut all = findings(120, 3_000);
    // A document whose process.pid cannot be a number conflicts with the template's mapping.
    all[7].process = Some(Arc::new(json!({"pid": "not-a-pid"})));
    let bad = document_id(&all[7]);
    es.add_fault(Fault::ItemFailures {
        count: 7,
        status: 429,
    });
    es.add_fault(Fault::ItemFailures {
        count: 5,
        status: 503,
    });
    let mut sink = ElasticsearchSink::new(config(&es)).unwrap();
    let err = ship(&mut sink, &all).unwrap_err();
    assert!(!err.retryable);
    assert!(
        matches!(*err.source, Error::Rejected { count: 1, .. }),
        "{err:#}"
    );
    assert_eq!(err.delivered.findings, 119);
    let rejected = sink.rejected();
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].id, bad);
    assert_eq!(rejected[0].status, 400);
    assert_eq!(rejected[0].kind, "document_parsing_exception");
    assert!(
        rejected[0].reason.contains("process.pid"),
        "{}",
        rejected[0].reason
    );
    let mut expected = ids_of(&all);
    expected.retain(|id| *id != bad);
    assert_eq!(es.ids(DEFAULT_DATA_STREAM), expected, "each stored once");
}

#[test]
fn whole_request_429_waits_for_retry_after() {
    let es = FakeElasticsearch::builder().start().unwrap();
    es.add_fault(Fault::TooManyRequests {
        times: 2,
        retry_after_secs: 1,
    });
    let all = findings(30, 4_000);
    let mut sink = ElasticsearchSink::new(config(&es)).unwrap();
    let started = Instant::now();
    assert_eq!(ship(&mut sink, &all).unwrap().findings, 30);
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "Retry-After honoured"
    );
    assert_eq!(es.ids(DEFAULT_DATA_STREAM), ids_of(&all));
}

#[test]
fn server_errors_are_retried_and_a_lasting_one_is_reported_as_temporary() {
    let es = FakeElasticsearch::builder().start().unwrap();
    es.add_fault(Fault::ServerError {
        times: 1,
        status: 503,
    });
    es.add_fault(Fault::ServerError {
        times: 1,
        status: 502,
    });
    es.add_fault(Fault::ServerError {
        times: 1,
        status: 500,
    });
    let all = findings(60, 5_000);
    let mut sink = ElasticsearchSink::new(config(&es)).unwrap();
    assert_eq!(ship(&mut sink, &all).unwrap().findings, 60);
    assert_eq!(es.ids(DEFAULT_DATA_STREAM), ids_of(&all));

    es.add_fault(Fault::ServerError {
        times: 100,
        status: 503,
    });
    let mut sink = ElasticsearchSink::new(config(&es)).unwrap();
    let err = ship(&mut sink, &findings(5, 6_000)).unwrap_err();
    assert!(err.retryable, "{err:#}");
}

#[test]
fn a_connection_dropped_mid_request_is_sent_again_without_duplicates() {
    let es = FakeElasticsearch::builder().start().unwrap();
    let all = findings(100, 7_000);
    let mut sink = ElasticsearchSink::new(config(&es)).unwrap();
    let cluster = ClusterInfo {
        id: CLUSTER_ID.into(),
        name: "fixture".into(),
        version: None,
        platform: None,
    };
    sink.begin(&RunInfo {
        tool_version: "test",
        cluster: &cluster,
        started_at: 7_000,
        rules: &[],
        input_errors: &[],
        scopes: &[Scope::Cluster],
    })
    .unwrap();
    // The first bulk request is cut after 20 kB of it (a batch is about 100 kB).
    es.add_fault(Fault::DropConnection {
        after_bytes: 20_000,
    });
    let groups = vec![ResourceFindings {
        scope: Scope::Cluster,
        findings: all.clone(),
    }];
    sink.write(&groups).unwrap();
    let delivered = sink.finish(&RunSummary::default()).unwrap();
    assert_eq!(delivered.findings, 100);
    let ids = es.ids(DEFAULT_DATA_STREAM);
    assert_eq!(ids, ids_of(&all));
    assert!(
        ids.iter()
            .all(|id| es.version(DEFAULT_DATA_STREAM, id) == Some(1))
    );
}

#[test]
fn slow_answers_are_awaited_and_a_timed_out_request_sent_again_counts_once() {
    let es = FakeElasticsearch::builder().start().unwrap();
    let all = findings(50, 8_000);
    let mut config = config(&es);
    config.timeout = Duration::from_millis(800);
    let mut sink = ElasticsearchSink::new(config.clone()).unwrap();
    es.add_fault(Fault::Slow {
        times: 1,
        delay: Duration::from_millis(300),
    });
    assert_eq!(ship(&mut sink, &all).unwrap().findings, 50);

    // Slower than the client waits: the client gives up, the server still stores the
    // documents, and the retry's `create`s answer 409 — already stored, counted once.
    let more = findings(50, 9_000);
    let mut sink = ElasticsearchSink::new(config).unwrap();
    let cluster = ClusterInfo {
        id: CLUSTER_ID.into(),
        name: "fixture".into(),
        version: None,
        platform: None,
    };
    sink.begin(&RunInfo {
        tool_version: "t",
        cluster: &cluster,
        started_at: 9_000,
        rules: &[],
        input_errors: &[],
        scopes: &[],
    })
    .unwrap();
    es.add_fault(Fault::Slow {
        times: 1,
        delay: Duration::from_millis(1_500),
    });
    sink.write(&[ResourceFindings {
        scope: Scope::Cluster,
        findings: more.clone(),
    }])
    .unwrap();
    assert_eq!(sink.finish(&RunSummary::default()).unwrap().findings, 50);
    let mut expected = ids_of(&all);
    expected.extend(ids_of(&more));
    expected.sort();
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(es.ids(DEFAULT_DATA_STREAM), expected);
}

#[test]
fn a_restart_of_the_shipping_process_in_the_middle_of_an_outage_loses_nothing() {
    let mut es = FakeElasticsearch::builder().start().unwrap();
    let spool = tempfile::tempdir().unwrap();
    let mut config = config(&es);
    config.spool = Some(SpoolConfig {
        dir: spool.path().to_path_buf(),
        max_bytes: 64 << 20,
    });
    config.backoff.attempts = 3;
    let first = findings(200, 10_000);

    // Run 1: the cluster goes away after the first batches.
    let mut sink = ElasticsearchSink::new(config.clone()).unwrap();
    let cluster = ClusterInfo {
        id: CLUSTER_ID.into(),
        name: "fixture".into(),
        version: None,
        platform: None,
    };
    let run = RunInfo {
        tool_version: "t",
        cluster: &cluster,
        started_at: 10_000,
        rules: &[],
        input_errors: &[],
        scopes: &[Scope::Cluster],
    };
    sink.begin(&run).unwrap();
    sink.write(&[ResourceFindings {
        scope: Scope::Cluster,
        findings: first[..60].to_vec(),
    }])
    .unwrap();
    es.stop();
    sink.write(&[ResourceFindings {
        scope: Scope::Cluster,
        findings: first[60..].to_vec(),
    }])
    .unwrap();
    let err = sink.finish(&RunSummary::default()).unwrap_err();
    assert!(err.retryable, "{err:#}");
    assert_eq!(err.delivered.findings, 50, "one batch of 50 got through");
    assert!(sink.spooled() > 0);
    drop(sink); // the process ends

    // Run 2, a new process, starts while the cluster is still down: spools its own cycle.
    let second = findings(30, 20_000);
    let mut sink = ElasticsearchSink::new(config.clone()).unwrap();
    let err = ship(&mut sink, &second).unwrap_err();
    assert!(err.retryable);
    drop(sink);

    // Run 3: the cluster is back; the spool is sent first, then this run's cycle.
    es.start().unwrap();
    let third = findings(10, 30_000);
    let mut sink = ElasticsearchSink::new(config).unwrap();
    let delivered = ship(&mut sink, &third).unwrap();
    assert_eq!(delivered.findings, 150 + 30 + 10);
    assert_eq!(sink.spooled(), 0);
    let mut expected = ids_of(&first);
    expected.extend(ids_of(&second));
    expected.extend(ids_of(&third));
    expected.sort();
    let ids = es.ids(DEFAULT_DATA_STREAM);
    assert_eq!(ids, expected, "every finding stored exactly once");
    assert!(
        ids.iter()
            .all(|id| es.version(DEFAULT_DATA_STREAM, id) == Some(1))
    );
}

#[test]
fn a_full_spool_drops_the_oldest_batches_and_reports_the_loss() {
    let mut es = FakeElasticsearch::builder().start().unwrap();
    let spool = tempfile::tempdir().unwrap();
    let mut config = config(&es);
    // About two batches of 50 fixture findings.
    config.spool = Some(SpoolConfig {
        dir: spool.path().to_path_buf(),
        max_bytes: 200_000,
    });
    config.backoff.attempts = 1;
    es.stop();
    let mut sink = ElasticsearchSink::new(config).unwrap();
    let err = ship(&mut sink, &findings(300, 40_000)).unwrap_err();
    let loss = sink.spool_loss();
    assert!(loss.batches > 0, "{err:#}");
    assert_eq!(loss.items, loss.batches * 50);
    assert!(err.retryable);
    es.start().unwrap();
}

#[test]
fn a_plain_index_takes_index_operations_and_a_resend_overwrites() {
    let es = FakeElasticsearch::builder().opensearch().start().unwrap();
    let mut config = config(&es);
    config.target = Target::Index("kspm-findings".into());
    let all = findings(20, 50_000);
    ship(&mut ElasticsearchSink::new(config.clone()).unwrap(), &all).unwrap();
    ship(&mut ElasticsearchSink::new(config).unwrap(), &all).unwrap();
    assert!(!es.is_data_stream("kspm-findings"));
    assert_eq!(es.ids("kspm-findings"), ids_of(&all));
    assert_eq!(es.version("kspm-findings", &document_id(&all[0])), Some(2));
}

#[test]
fn batches_are_cut_by_count_and_by_bytes() {
    let es = FakeElasticsearch::builder().start().unwrap();
    let all = findings(95, 60_000);
    let mut by_count = config(&es);
    by_count.batch_docs = 10;
    ship(&mut ElasticsearchSink::new(by_count).unwrap(), &all).unwrap();
    assert_eq!(bulk_requests(&es), 10);
    let es = FakeElasticsearch::builder().start().unwrap();
    let mut by_bytes = config(&es);
    by_bytes.batch_docs = 1_000;
    let one = serde_json::to_vec(&all[0]).unwrap().len();
    by_bytes.batch_bytes = one * 5;
    let delivered = ship(&mut ElasticsearchSink::new(by_bytes).unwrap(), &all).unwrap();
    assert_eq!(delivered.findings, 95);
    let requests = bulk_requests(&es);
    assert!((19..=32).contains(&requests), "{requests} requests");
}

fn startup_problem(es_config: ElasticsearchConfig) -> (Problem, String) {
    let mut sink = ElasticsearchSink::new(es_config).unwrap();
    match sink.check() {
        Err(Error::Startup { problem, detail }) => (problem, detail),
        other => panic!("expected a start-up problem, got {other:?}"),
    }
}

#[test]
fn the_startup_check_names_what_is_wrong() {
    // Unreachable: a port nothing listens on.
    let mut gone = FakeElasticsearch::builder().start().unwrap();
    let gone_config = config(&gone);
    gone.stop();
    assert_eq!(startup_problem(gone_config).0, Problem::Unreachable);

    // TLS: an HTTPS cluster whose CA is not trusted.
    let tls = FakeElasticsearch::builder().tls().start().unwrap();
    let mut untrusted = config(&tls);
    untrusted.ca_pem = None;
    let (problem, detail) = startup_problem(untrusted);
    assert_eq!(problem, Problem::Tls, "{detail}");
    let mut trusted = ElasticsearchSink::new(config(&tls)).unwrap();
    trusted.check().unwrap();

    // Authentication.
    let es = FakeElasticsearch::builder().start().unwrap();
    let mut wrong = config(&es);
    wrong.credentials = Credentials::Basic {
        username: "elastic".into(),
        password: Secret::new("nope"),
    };
    let (problem, detail) = startup_problem(wrong);
    assert_eq!(problem, Problem::Authentication);
    assert!(
        detail.contains("unable to authenticate user [elastic]"),
        "{detail}"
    );
    assert!(!detail.contains("nope"));
    let mut none = config(&es);
    none.credentials = Credentials::None;
    assert_eq!(startup_problem(none).0, Problem::Authentication);
    let mut key = config(&es);
    key.credentials = Credentials::ApiKey(Secret::new(DEFAULT_API_KEY));
    ElasticsearchSink::new(key).unwrap().check().unwrap();

    // Privileges: may read, may not write.
    let reader = FakeElasticsearch::builder()
        .principal(Principal::basic(
            "elastic",
            DEFAULT_PASSWORD,
            Privileges::new(&["monitor"], "logs-*", &["read"]),
        ))
        .start()
        .unwrap();
    let (problem, detail) = startup_problem(config(&reader));
    assert_eq!(problem, Problem::Privileges);
    assert!(
        detail.contains(&format!("index {DEFAULT_DATA_STREAM}:create_doc")),
        "{detail}"
    );

    // OpenSearch has no privilege API: a write it refuses names the missing right.
    let os_reader = FakeElasticsearch::builder()
        .opensearch()
        .principal(Principal::basic(
            "elastic",
            DEFAULT_PASSWORD,
            Privileges::new(&["monitor", "manage_index_templates"], "kspm*", &["read"]),
        ))
        .start()
        .unwrap();
    let mut os_config = config(&os_reader);
    os_config.target = Target::Index("kspm-findings".into());
    let mut sink = ElasticsearchSink::new(os_config).unwrap();
    let err = ship(&mut sink, &findings(3, 5_000)).unwrap_err();
    assert!(!err.retryable);
    match &*err.source {
        Error::Startup { problem, detail } => {
            assert_eq!(*problem, Problem::Privileges, "{detail}");
            assert!(
                detail.contains("kspm-findings") && detail.contains("`index`"),
                "{detail}"
            );
        }
        other => panic!("{other:#}"),
    }

    // Versions.
    let old = FakeElasticsearch::builder()
        .version("7.17.9")
        .start()
        .unwrap();
    let (problem, detail) = startup_problem(config(&old));
    assert_eq!(problem, Problem::Version);
    assert!(detail.contains("--elasticsearch-index"), "{detail}");
    let mut old_index = config(&old);
    old_index.target = Target::Index("kspm".into());
    ElasticsearchSink::new(old_index).unwrap().check().unwrap();
    let older = FakeElasticsearch::builder()
        .version("6.8.23")
        .start()
        .unwrap();
    assert_eq!(startup_problem(config(&older)).0, Problem::Version);

    // Something else behind the URL; OpenSearch recognised.
    let other = FakeElasticsearch::builder()
        .not_elasticsearch()
        .start()
        .unwrap();
    assert_eq!(startup_problem(config(&other)).0, Problem::Product);
    let opensearch = FakeElasticsearch::builder().opensearch().start().unwrap();
    let facts = ElasticsearchSink::new(config(&opensearch))
        .unwrap()
        .check()
        .unwrap();
    assert!(facts.opensearch);
    assert_eq!(facts.version, "2.11.0");
}

#[test]
fn credentials_never_appear_in_errors_or_debug_output() {
    let es = FakeElasticsearch::builder().start().unwrap();
    let mut config = config(&es);
    config.credentials = Credentials::ApiKey(Secret::new("c2VjcmV0LWtleTp2YWx1ZQ=="));
    let sink = ElasticsearchSink::new(config.clone()).unwrap();
    assert!(!format!("{sink:?}").contains("c2VjcmV0"));
    let mut sink = ElasticsearchSink::new(config).unwrap();
    let err = ship(&mut sink, &findings(1, 70_000)).unwrap_err();
    let printed = format!("{:#}", anyhow_like(&err));
    assert!(printed.contains("authentication failed"), "{printed}");
    assert!(!printed.contains("c2VjcmV0"));
}

/// The error with its whole chain, as the CLI prints it.
fn anyhow_like(err: &SinkError) -> String {
    let mut out = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(e) = source {
        out.push_str(": ");
        out.push_str(&e.to_string());
        source = e.source();
    }
    out
}

#[test]
fn a_bulk_request_larger_than_the_cluster_takes_is_split_and_a_lone_oversized_document_rejected() {
    // Room for about a dozen of these documents per request, not for the 50 of a batch.
    let es = FakeElasticsearch::builder()
        .max_content_length(40_000)
        .start()
        .unwrap();
    let mut all = findings(120, 4_000);
    // One document alone is larger than any request may be.
    all[33].process = Some(Arc::new(json!({"args": ["x".repeat(50_000)]})));
    let big = document_id(&all[33]);
    let mut sink = ElasticsearchSink::new(config(&es)).unwrap();
    let err = ship(&mut sink, &all).unwrap_err();
    assert!(
        matches!(*err.source, Error::Rejected { count: 1, .. }),
        "{err:#}"
    );
    assert_eq!(err.delivered.findings, 119);
    let rejected = sink.rejected();
    assert_eq!(rejected.len(), 1);
    assert_eq!(
        (rejected[0].id.as_str(), rejected[0].status),
        (big.as_str(), 413)
    );
    assert!(rejected[0].reason.contains("http.max_content_length"));
    let mut expected = ids_of(&all);
    expected.retain(|id| *id != big);
    assert_eq!(es.ids(DEFAULT_DATA_STREAM), expected, "each stored once");
    assert!(bulk_requests(&es) > 120 / 50, "batches were split");
}
