//! Whether a listed object has the shape its kind's schema gives it (a field of the wrong type
//! is an object kspm would misjudge): checked against the k8s-openapi types of the built-in
//! kinds; other kinds (custom resources) have no schema here and pass.

use k8s_openapi::api::{admissionregistration, apps, batch, certificates, core, networking, rbac};
use serde::de::DeserializeOwned;
use serde_json::Value;

fn typed<T: DeserializeOwned>(object: &Value) -> Result<(), serde_json::Error> {
    T::deserialize(object).map(|_| ())
}

/// Checks `object` (with its `kind` and `apiVersion`) against the schema of `kind`.
pub(crate) fn check(kind: &str, object: &Value) -> Result<(), serde_json::Error> {
    match kind {
        "Pod" => typed::<core::v1::Pod>(object),
        "Namespace" => typed::<core::v1::Namespace>(object),
        "ServiceAccount" => typed::<core::v1::ServiceAccount>(object),
        "Service" => typed::<core::v1::Service>(object),
        "ConfigMap" => typed::<core::v1::ConfigMap>(object),
        "ReplicationController" => typed::<core::v1::ReplicationController>(object),
        "Node" => typed::<core::v1::Node>(object),
        "Deployment" => typed::<apps::v1::Deployment>(object),
        "DaemonSet" => typed::<apps::v1::DaemonSet>(object),
        "StatefulSet" => typed::<apps::v1::StatefulSet>(object),
        "ReplicaSet" => typed::<apps::v1::ReplicaSet>(object),
        "Job" => typed::<batch::v1::Job>(object),
        "CronJob" => typed::<batch::v1::CronJob>(object),
        "Role" => typed::<rbac::v1::Role>(object),
        "ClusterRole" => typed::<rbac::v1::ClusterRole>(object),
        "RoleBinding" => typed::<rbac::v1::RoleBinding>(object),
        "ClusterRoleBinding" => typed::<rbac::v1::ClusterRoleBinding>(object),
        "NetworkPolicy" => typed::<networking::v1::NetworkPolicy>(object),
        "CertificateSigningRequest" => typed::<certificates::v1::CertificateSigningRequest>(object),
        "ValidatingWebhookConfiguration" => {
            typed::<admissionregistration::v1::ValidatingWebhookConfiguration>(object)
        }
        "MutatingWebhookConfiguration" => {
            typed::<admissionregistration::v1::MutatingWebhookConfiguration>(object)
        }
        "ValidatingAdmissionPolicy" => {
            typed::<admissionregistration::v1::ValidatingAdmissionPolicy>(object)
        }
        "ValidatingAdmissionPolicyBinding" => {
            typed::<admissionregistration::v1::ValidatingAdmissionPolicyBinding>(object)
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn a_field_of_the_wrong_type_is_named_and_a_custom_kind_passes() {
        let good = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "shop"},
            "spec": {"replicas": 3, "selector": {}, "template": {"spec": {"containers": []}}}});
        assert!(super::check("Deployment", &good).is_ok());
        let mut bad = good.clone();
        bad["spec"]["replicas"] = json!("three");
        let err = super::check("Deployment", &bad).unwrap_err().to_string();
        assert!(err.contains("invalid type"), "{err}");
        assert!(super::check("CiliumNetworkPolicy", &json!({"spec": 1})).is_ok());
    }
}
