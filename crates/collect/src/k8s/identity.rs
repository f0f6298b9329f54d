//! Who the cluster is: its id (the `kube-system` namespace's UID, as Elastic's integration
//! uses), its name, its version, and the platform it runs on, with the reason kspm gives for it.

use kspm_model::{ClusterInfo, cluster_id_from_name};
use serde_json::Value;

use super::list::Requester;
use super::{ApiOptions, Discovered};

pub use crate::platform::Platform;

/// What [`identify`] found.
pub(crate) struct Identity {
    pub cluster: ClusterInfo,
    pub platform: Platform,
    /// Things worth telling (a fallback taken).
    pub notes: Vec<String>,
}

pub(crate) async fn identify(
    requester: &Requester,
    options: &ApiOptions,
    context: Option<&str>,
    server: &str,
    version: &Value,
    discovered: &Discovered,
) -> Identity {
    let mut notes = Vec::new();
    let git_version = version["gitVersion"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let kubeadm = requester
        .get_json("/api/v1/namespaces/kube-system/configmaps/kubeadm-config")
        .await
        .ok()
        .and_then(|cm| {
            cm["data"]["ClusterConfiguration"]
                .as_str()
                .map(str::to_owned)
        })
        .map(|text| {
            kspm_yaml::parse_document(&text)
                .ok()
                .and_then(|d| d.value)
                .unwrap_or(Value::Null)
        });
    let kubeadm_name = kubeadm
        .as_ref()
        .and_then(|c| c["clusterName"].as_str())
        .filter(|n| !n.is_empty())
        .map(str::to_owned);
    let name = options
        .cluster_name
        .clone()
        .or_else(|| context.map(str::to_owned))
        .or(kubeadm_name)
        .unwrap_or_else(|| host(server).to_owned());
    let id = match requester.get_json("/api/v1/namespaces/kube-system").await {
        Ok(ns) => match ns["metadata"]["uid"].as_str() {
            Some(uid) if !uid.is_empty() => uid.to_owned(),
            _ => {
                notes.push(format!(
                    "the kube-system namespace has no uid; the cluster id is derived from the name {name}"
                ));
                cluster_id_from_name(&name)
            }
        },
        Err(e) => {
            notes.push(format!(
                "cannot read the kube-system namespace ({e}); the cluster id is derived from the name {name}"
            ));
            cluster_id_from_name(&name)
        }
    };
    let platform = match &options.platform {
        Some(given) => Platform {
            name: given.clone(),
            reason: "given with --platform".into(),
        },
        None => detect(&git_version, server, context, kubeadm.is_some(), discovered),
    };
    Identity {
        cluster: ClusterInfo {
            id,
            name,
            version: (!git_version.is_empty()).then_some(git_version),
            platform: Some(platform.name.clone()),
        },
        platform,
        notes,
    }
}

/// The host of a URL (`https://10.0.0.1:6443` → `10.0.0.1`).
fn host(server: &str) -> &str {
    let rest = server.split_once("://").map_or(server, |(_, r)| r);
    let host_port = rest.split('/').next().unwrap_or(rest);
    host_port.rsplit_once(':').map_or(host_port, |(h, _)| h)
}

fn found(name: &str, reason: String) -> Platform {
    Platform {
        name: name.into(),
        reason,
    }
}

/// The platform from what the server says about itself.
pub(crate) fn detect(
    git_version: &str,
    server: &str,
    context: Option<&str>,
    kubeadm_config: bool,
    discovered: &Discovered,
) -> Platform {
    let version_says =
        |name: &str| found(name, format!("the server version {git_version} says so"));
    let host = host(server);
    if git_version.contains("-eks-") {
        return version_says("eks");
    }
    if host.ends_with(".eks.amazonaws.com") {
        return found("eks", format!("the API server is {host}"));
    }
    if git_version.contains("+k3s") {
        return version_says("k3s");
    }
    if git_version.contains("+rke2") {
        return version_says("rke2");
    }
    if git_version.contains("-gke.") {
        return version_says("gke");
    }
    if host.ends_with(".azmk8s.io") {
        return found("aks", format!("the API server is {host}"));
    }
    if discovered
        .values()
        .flatten()
        .any(|r| r.group == "config.openshift.io")
    {
        return found(
            "openshift",
            "the server serves the config.openshift.io API group".into(),
        );
    }
    if kubeadm_config {
        if context.is_some_and(|c| c.starts_with("kind-")) {
            return found(
                "kind",
                format!(
                    "kube-system has kubeadm's kubeadm-config and the context is {}",
                    context.unwrap_or_default()
                ),
            );
        }
        return found(
            "kubeadm",
            "kube-system has kubeadm's kubeadm-config ConfigMap".into(),
        );
    }
    found(
        "unknown",
        "no sign of a known platform (version, address, API groups, kubeadm-config)".into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platforms_are_recognised_with_their_reason() {
        let none = Discovered::new();
        let d =
            |v: &str, s: &str, ctx: Option<&str>, kubeadm: bool| detect(v, s, ctx, kubeadm, &none);
        assert_eq!(
            d("v1.31.4-eks-2d5f5ff", "https://x", None, false).name,
            "eks"
        );
        let eks = d(
            "v1.31.4",
            "https://ABC.gr7.eu-west-1.eks.amazonaws.com",
            None,
            false,
        );
        assert_eq!(eks.name, "eks");
        assert!(eks.reason.contains("eks.amazonaws.com"));
        assert_eq!(d("v1.30.6+k3s1", "https://x", None, false).name, "k3s");
        assert_eq!(d("v1.30.6+rke2r1", "https://x", None, false).name, "rke2");
        assert_eq!(
            d("v1.30.5-gke.1014001", "https://x", None, false).name,
            "gke"
        );
        assert_eq!(
            d(
                "v1.30.5",
                "https://a.hcp.westeurope.azmk8s.io:443",
                None,
                false
            )
            .name,
            "aks"
        );
        assert_eq!(
            d("v1.34.2", "https://127.0.0.1:6443", Some("kind-dev"), true).name,
            "kind"
        );
        let kubeadm = d("v1.34.2", "https://10.0.0.10:6443", Some("admin@k"), true);
        assert_eq!(kubeadm.name, "kubeadm");
        assert!(kubeadm.reason.contains("kubeadm-config"));
        assert_eq!(d("v1.34.2", "https://x", None, false).name, "unknown");
    }

    #[test]
    fn the_host_is_read_from_the_server_address() {
        assert_eq!(host("https://10.0.0.1:6443"), "10.0.0.1");
        assert_eq!(host("https://api.example.com"), "api.example.com");
        assert_eq!(host("http://127.0.0.1:38811/"), "127.0.0.1");
    }
}
