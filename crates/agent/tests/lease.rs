//! Leader election against the loopback Kubernetes API server (kspm-kube-fake), which applies
//! optimistic concurrency to Leases as the real API server does.

use std::time::Duration;

use kspm_agent::{Elector, LeaseConfig, Role};
use kspm_collect::k8s::{ApiOptions, client};
use kspm_kube_fake::FakeApiServer;
use serde_json::json;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn config(identity: &str, duration_secs: u64) -> LeaseConfig {
    let mut c = LeaseConfig::new("kspm", "kspm-leader", identity);
    c.duration = Duration::from_secs(duration_secs);
    c.retry_period = Duration::from_millis(200);
    c
}

async fn elector(
    server: &FakeApiServer,
    dir: &std::path::Path,
    identity: &str,
    secs: u64,
) -> Elector {
    let path = dir.join(format!("config-{identity}"));
    server.write_kubeconfig(&path, "fake").unwrap();
    let options = ApiOptions {
        kubeconfig: Some(path),
        ..ApiOptions::default()
    };
    Elector::new(
        client(&options).await.unwrap().client,
        config(identity, secs),
    )
}

fn holder(server: &FakeApiServer) -> Option<String> {
    server
        .get("Lease", "kspm", "kspm-leader")
        .unwrap()
        .and_then(|l| l["spec"]["holderIdentity"].as_str().map(str::to_owned))
}

#[test]
fn the_first_agent_creates_the_lease_and_leads_while_the_second_follows() {
    let server = FakeApiServer::builder().start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    runtime().block_on(async {
        let mut a = elector(&server, dir.path(), "agent-a", 30).await;
        let mut b = elector(&server, dir.path(), "agent-b", 30).await;
        assert_eq!(a.try_acquire_or_renew().await.unwrap(), Role::Leader);
        assert_eq!(
            b.try_acquire_or_renew().await.unwrap(),
            Role::Follower(Some("agent-a".into()))
        );
        // Renewals keep it.
        assert_eq!(a.try_acquire_or_renew().await.unwrap(), Role::Leader);
        assert_eq!(
            b.try_acquire_or_renew().await.unwrap(),
            Role::Follower(Some("agent-a".into()))
        );
        assert!(a.is_leader() && !b.is_leader());
    });
    let lease = server.get("Lease", "kspm", "kspm-leader").unwrap().unwrap();
    assert_eq!(lease["spec"]["holderIdentity"], "agent-a");
    assert_eq!(lease["spec"]["leaseDurationSeconds"], 30);
    assert!(lease["spec"]["renewTime"].as_str().unwrap().ends_with('Z'));
}

#[test]
fn a_dead_leaders_lease_is_taken_over_once_it_has_not_changed_for_its_duration() {
    let server = FakeApiServer::builder().start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    runtime().block_on(async {
        let mut a = elector(&server, dir.path(), "agent-a", 2).await;
        let mut b = elector(&server, dir.path(), "agent-b", 2).await;
        assert_eq!(a.try_acquire_or_renew().await.unwrap(), Role::Leader);
        // a dies: it never renews again. b first sees the record now and must wait a whole
        // duration on its own clock.
        assert!(matches!(
            b.try_acquire_or_renew().await.unwrap(),
            Role::Follower(_)
        ));
        tokio::time::sleep(Duration::from_millis(1000)).await;
        assert!(matches!(
            b.try_acquire_or_renew().await.unwrap(),
            Role::Follower(_)
        ));
        tokio::time::sleep(Duration::from_millis(1200)).await;
        assert_eq!(b.try_acquire_or_renew().await.unwrap(), Role::Leader);
        // The old leader, back from a pause, sees it lost the lease and does not lead.
        assert!(!a.is_leader(), "a's own renewal is older than the duration");
        assert!(matches!(
            a.try_acquire_or_renew().await.unwrap(),
            Role::Follower(Some(h)) if h == "agent-b"
        ));
    });
    let lease = server.get("Lease", "kspm", "kspm-leader").unwrap().unwrap();
    assert_eq!(lease["spec"]["holderIdentity"], "agent-b");
    assert_eq!(lease["spec"]["leaseTransitions"], 1);
}

#[test]
fn a_released_lease_is_taken_at_once() {
    let server = FakeApiServer::builder().start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    runtime().block_on(async {
        let mut a = elector(&server, dir.path(), "agent-a", 60).await;
        let mut b = elector(&server, dir.path(), "agent-b", 60).await;
        assert_eq!(a.try_acquire_or_renew().await.unwrap(), Role::Leader);
        assert!(matches!(
            b.try_acquire_or_renew().await.unwrap(),
            Role::Follower(_)
        ));
        a.release().await.unwrap();
        assert!(!a.is_leader());
        assert_eq!(holder(&server), None);
        assert_eq!(b.try_acquire_or_renew().await.unwrap(), Role::Leader);
    });
    assert_eq!(holder(&server).as_deref(), Some("agent-b"));
}

#[test]
fn two_agents_racing_for_a_free_lease_get_one_leader_and_one_conflict() {
    let server = FakeApiServer::builder()
        .fault(kspm_kube_fake::Fault::Slow {
            resource: "leases".into(),
            delay: Duration::from_millis(300),
        })
        .start()
        .unwrap();
    server
        .apply(
            json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": {"name": "kspm-leader", "namespace": "kspm"},
            "spec": {"leaseDurationSeconds": 60, "leaseTransitions": 3}}),
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let roles = runtime().block_on(async {
        let mut a = elector(&server, dir.path(), "agent-a", 60).await;
        let mut b = elector(&server, dir.path(), "agent-b", 60).await;
        let (ra, rb) = tokio::join!(a.try_acquire_or_renew(), b.try_acquire_or_renew());
        vec![ra.unwrap(), rb.unwrap()]
    });
    assert_eq!(
        roles.iter().filter(|r| **r == Role::Leader).count(),
        1,
        "{roles:?}"
    );
    assert!(holder(&server).is_some());
}

#[test]
fn a_refused_lease_is_an_error_naming_the_verb() {
    let server = FakeApiServer::builder()
        .fault(kspm_kube_fake::Fault::Forbidden {
            resource: "leases".into(),
            verb: "create".into(),
        })
        .start()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    runtime().block_on(async {
        let mut a = elector(&server, dir.path(), "agent-a", 60).await;
        let e = a.try_acquire_or_renew().await.unwrap_err();
        let text = e.to_string();
        assert!(text.contains("create the lease: HTTP 403"), "{text}");
        assert!(!a.is_leader());
    });
}
