//! The container images a cluster's pods and workloads pull, and which of them come from ECR:
//! the repositories CIS EKS 5.1.1 judges are the ones the cluster actually uses.

use std::collections::BTreeSet;

use kspm_model::{Resource, ResourceType};
use serde_json::Value;

/// Kinds whose pod template names images, with the path to their pod spec.
const POD_SPECS: &[(&str, &str)] = &[
    ("Pod", "/spec"),
    ("Deployment", "/spec/template/spec"),
    ("StatefulSet", "/spec/template/spec"),
    ("DaemonSet", "/spec/template/spec"),
    ("ReplicaSet", "/spec/template/spec"),
    ("ReplicationController", "/spec/template/spec"),
    ("Job", "/spec/template/spec"),
    ("CronJob", "/spec/jobTemplate/spec/template/spec"),
];

/// Every image named by the pods and workloads among `resources`, sorted, without repeats.
pub fn images_in(resources: &[Resource]) -> BTreeSet<String> {
    let mut images = BTreeSet::new();
    for r in resources {
        if r.kind != ResourceType::K8sObject {
            continue;
        }
        let Some((_, path)) = POD_SPECS.iter().find(|(kind, _)| *kind == r.sub_type) else {
            continue;
        };
        // Compact resources keep the whole object in `raw`; others in `resource`.
        let parsed: Value;
        let object = match &r.raw {
            Some(raw) => match serde_json::from_str::<Value>(raw.as_str()) {
                Ok(v) => {
                    parsed = v;
                    &parsed
                }
                Err(_) => continue,
            },
            None => &*r.resource,
        };
        let Some(spec) = object.pointer(path) else {
            continue;
        };
        for list in ["initContainers", "containers", "ephemeralContainers"] {
            for c in spec
                .get(list)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(image) = c.get("image").and_then(Value::as_str) {
                    images.insert(image.to_owned());
                }
            }
        }
    }
    images
}

/// An image reference that points into an ECR registry.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct EcrImage {
    /// The registry's account (`123456789012`).
    pub account: String,
    /// The registry's region (`eu-west-1`).
    pub region: String,
    /// The repository (`shop/web`).
    pub repository: String,
    /// The reference as the pod names it.
    pub image: String,
}

/// The ECR images among `images`: hosts of the form
/// `<account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]`.
pub fn ecr_images<'a>(images: impl IntoIterator<Item = &'a String>) -> Vec<EcrImage> {
    images.into_iter().filter_map(|i| parse(i)).collect()
}

fn parse(image: &str) -> Option<EcrImage> {
    let (host, path) = image.split_once('/')?;
    let labels: Vec<&str> = host.split('.').collect();
    let [account, "dkr", ecr, region, "amazonaws", "com", rest @ ..] = labels.as_slice() else {
        return None;
    };
    if !(*ecr == "ecr" || *ecr == "ecr-fips")
        || !(rest.is_empty() || rest == ["cn"])
        || account.len() != 12
        || !account.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    // `repo@sha256:…`, `repo:tag` (a colon after the last slash), or a bare repository.
    let path = path.split_once('@').map_or(path, |(p, _)| p);
    let repository = match path.rsplit_once(':') {
        Some((p, tag)) if !tag.contains('/') => p,
        _ => path,
    };
    (!repository.is_empty()).then(|| EcrImage {
        account: (*account).to_owned(),
        region: (*region).to_owned(),
        repository: repository.to_owned(),
        image: image.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use kspm_model::{ClusterInfo, RawJson};
    use serde_json::json;
    use std::sync::Arc;

    #[test]
    fn ecr_references_give_account_region_and_repository() {
        let images = [
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web:1.4".to_owned(),
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/api@sha256:abcd".to_owned(),
            "210987654321.dkr.ecr-fips.us-gov-west-1.amazonaws.com/base".to_owned(),
            "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/cn/app:v1".to_owned(),
            "nginx:1.27".to_owned(),
            "public.ecr.aws/eks/coredns:v1.11".to_owned(),
            "ghcr.io/org/app:1".to_owned(),
            "12345.dkr.ecr.eu-west-1.amazonaws.com/short-account".to_owned(),
        ];
        let found: Vec<(String, String, String)> = ecr_images(&images)
            .into_iter()
            .map(|e| (e.account, e.region, e.repository))
            .collect();
        let want = [
            ("123456789012", "eu-west-1", "shop/web"),
            ("123456789012", "eu-west-1", "shop/api"),
            ("210987654321", "us-gov-west-1", "base"),
            ("123456789012", "cn-north-1", "cn/app"),
        ];
        assert_eq!(
            found,
            want.map(|(a, r, p)| (a.to_owned(), r.to_owned(), p.to_owned()))
        );
    }

    #[test]
    fn images_come_from_every_pod_template_and_container_list() {
        let object = |v: serde_json::Value| {
            let mut r = Resource::k8s_object(v.clone(), ClusterInfo::default());
            r.raw = Some(Arc::new(RawJson::new(&v)));
            r
        };
        let resources = [
            object(
                json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                "spec": {"initContainers": [{"name": "i", "image": "busybox"}],
                         "containers": [{"name": "c", "image": "nginx"}]}}),
            ),
            object(
                json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "j"},
                "spec": {"jobTemplate": {"spec": {"template": {"spec": {
                    "containers": [{"name": "c", "image": "nginx"}, {"name": "d", "image": "redis"}]}}}}}}),
            ),
            object(
                json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "m"},
                "data": {"image": "not-an-image"}}),
            ),
        ];
        let images: Vec<String> = images_in(&resources).into_iter().collect();
        assert_eq!(images, ["busybox", "nginx", "redis"]);
    }
}
