# Platform defaults: the RBAC objects Kubernetes itself (the RBAC bootstrap policy the API
# server reconciles), kubeadm and Amazon EKS create in a new cluster, as data. An object of the
# scan counts as a platform default only when it equals one of these exactly: same kind,
# namespace and name, same roleRef and subjects (bindings), same policy rules (roles; order does
# not matter). Names and labels alone prove nothing: anyone allowed to write RBAC can create a
# `system:` name or the `kubernetes.io/bootstrapping` label. The matching is in kspm.lib.rbac.
#
# Policy rules use short keys: g = apiGroups ("" is the core group), r = resources,
# n = resourceNames, u = nonResourceURLs, v = verbs. Subjects are "Kind/name" for users and
# groups, "ServiceAccount/namespace/name" for service accounts. `since` is the first Kubernetes
# minor version that creates the object (gated when the cluster's version is known).
#
# Where the facts come from:
# - Kubernetes: the bootstrap policy fixtures of plugin/pkg/auth/authorizer/rbac/bootstrappolicy
#   (testdata/cluster-roles.yaml, cluster-role-bindings.yaml, controller-roles.yaml,
#   controller-role-bindings.yaml, namespace-roles.yaml, namespace-role-bindings.yaml) of the
#   v1.3x development line (controller roles as of the v1.34 line). A version whose role content
#   differs is not recognised: such a role is judged like any other object.
# - kubeadm: cmd/kubeadm/app phases bootstraptoken (clusterinfo, node), uploadconfig, kubelet,
#   addons/proxy and addons/dns (CoreDNS), kubeconfig (kubeadm:cluster-admins, since v1.29).
# - EKS: the objects whose content AWS documents (EKS user guide "default roles and users",
#   GuardDuty add-on troubleshooting, re:Post on eks:node-bootstrapper). EKS creates more eks:*
#   objects than these; their content is not published, so kspm cannot prove them default.
package kspm.lib.defaults

import rego.v1

# ---------------------------------------------------------------- shared policy rules

_events := {"g": ["", "events.k8s.io"], "r": ["events"], "v": ["create", "patch", "update"]}

_read := ["get", "list", "watch"]

_write := ["create", "delete", "deletecollection", "patch", "update"]

# ---------------------------------------------------------------- ClusterRoles

# name -> {"platform", "rules"} (or "aggregation": the matchLabels of an aggregated role, whose
# rules the aggregation controller fills from the roles it selects).
_cr_admin := {"platform": "kubernetes", "aggregation": [{"rbac.authorization.k8s.io/aggregate-to-admin": "true"}]}

_cr_edit := {"platform": "kubernetes", "aggregation": [{"rbac.authorization.k8s.io/aggregate-to-edit": "true"}]}

_cr_view := {"platform": "kubernetes", "aggregation": [{"rbac.authorization.k8s.io/aggregate-to-view": "true"}]}

_cr_cluster_admin := {"platform": "kubernetes", "rules": [
	{"g": ["*"], "r": ["*"], "v": ["*"]},
	{"u": ["*"], "v": ["*"]},
]}

_cr_system_aggregate_to_admin := {"platform": "kubernetes", "rules": [
	{"g": ["authorization.k8s.io"], "r": ["localsubjectaccessreviews"], "v": ["create"]},
	{"g": ["rbac.authorization.k8s.io"], "r": ["rolebindings", "roles"], "v": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]},
]}

_cr_system_aggregate_to_edit := {"platform": "kubernetes", "rules": [
	{"g": [""], "r": ["pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "secrets", "services/proxy"], "v": _read},
	{"g": [""], "r": ["serviceaccounts"], "v": ["impersonate"]},
	{"g": [""], "r": ["pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy"], "v": _write},
	{"g": [""], "r": ["pods/eviction"], "v": ["create"]},
	{"g": [""], "r": ["configmaps", "events", "persistentvolumeclaims", "replicationcontrollers", "replicationcontrollers/scale", "secrets", "serviceaccounts", "services", "services/proxy"], "v": _write},
	{"g": [""], "r": ["serviceaccounts/token"], "v": ["create"]},
	{"g": ["apps"], "r": ["daemonsets", "deployments", "deployments/rollback", "deployments/scale", "replicasets", "replicasets/scale", "statefulsets", "statefulsets/scale"], "v": _write},
	{"g": ["autoscaling"], "r": ["horizontalpodautoscalers"], "v": _write},
	{"g": ["batch"], "r": ["cronjobs", "jobs"], "v": _write},
	{"g": ["extensions"], "r": ["daemonsets", "deployments", "deployments/rollback", "deployments/scale", "ingresses", "networkpolicies", "replicasets", "replicasets/scale", "replicationcontrollers/scale"], "v": _write},
	{"g": ["policy"], "r": ["poddisruptionbudgets"], "v": _write},
	{"g": ["networking.k8s.io"], "r": ["ingresses", "networkpolicies"], "v": _write},
	{"g": ["coordination.k8s.io"], "r": ["leases"], "v": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]},
]}

_cr_system_aggregate_to_view := {"platform": "kubernetes", "rules": [
	{"g": [""], "r": ["configmaps", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status", "pods", "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts", "services", "services/status"], "v": _read},
	{"g": [""], "r": ["bindings", "events", "limitranges", "namespaces/status", "pods/log", "pods/status", "replicationcontrollers/status", "resourcequotas", "resourcequotas/status"], "v": _read},
	{"g": [""], "r": ["namespaces"], "v": _read},
	{"g": ["discovery.k8s.io"], "r": ["endpointslices"], "v": _read},
	{"g": ["apps"], "r": ["controllerrevisions", "daemonsets", "daemonsets/status", "deployments", "deployments/scale", "deployments/status", "replicasets", "replicasets/scale", "replicasets/status", "statefulsets", "statefulsets/scale", "statefulsets/status"], "v": _read},
	{"g": ["autoscaling"], "r": ["horizontalpodautoscalers", "horizontalpodautoscalers/status"], "v": _read},
	{"g": ["batch"], "r": ["cronjobs", "cronjobs/status", "jobs", "jobs/status"], "v": _read},
	{"g": ["extensions"], "r": ["daemonsets", "daemonsets/status", "deployments", "deployments/scale", "deployments/status", "ingresses", "ingresses/status", "networkpolicies", "replicasets", "replicasets/scale", "replicasets/status", "replicationcontrollers/scale"], "v": _read},
	{"g": ["policy"], "r": ["poddisruptionbudgets", "poddisruptionbudgets/status"], "v": _read},
	{"g": ["networking.k8s.io"], "r": ["ingresses", "ingresses/status", "networkpolicies"], "v": _read},
]}

_cr_system_auth_delegator := {"platform": "kubernetes", "rules": [
	{"g": ["authentication.k8s.io"], "r": ["tokenreviews"], "v": ["create"]},
	{"g": ["authorization.k8s.io"], "r": ["subjectaccessreviews"], "v": ["create"]},
]}

_cr_system_basic_user := {"platform": "kubernetes", "rules": [
	{"g": ["authorization.k8s.io"], "r": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"], "v": ["create"]},
	{"g": ["authentication.k8s.io"], "r": ["selfsubjectreviews"], "v": ["create"]},
]}

_cr_system_certificates_k8s_io_certificatesigningrequests_nodeclient := {"platform": "kubernetes", "rules": [{"g": ["certificates.k8s.io"], "r": ["certificatesigningrequests/nodeclient"], "v": ["create"]}]}

_cr_system_certificates_k8s_io_certificatesigningrequests_selfnodeclient := {"platform": "kubernetes", "rules": [{"g": ["certificates.k8s.io"], "r": ["certificatesigningrequests/selfnodeclient"], "v": ["create"]}]}

_cr_system_certificates_k8s_io_kube_apiserver_client_approver := {"platform": "kubernetes", "rules": [{"g": ["certificates.k8s.io"], "r": ["signers"], "n": ["kubernetes.io/kube-apiserver-client"], "v": ["approve"]}]}

_cr_system_certificates_k8s_io_kube_apiserver_client_kubelet_approver := {"platform": "kubernetes", "rules": [{"g": ["certificates.k8s.io"], "r": ["signers"], "n": ["kubernetes.io/kube-apiserver-client-kubelet"], "v": ["approve"]}]}

_cr_system_certificates_k8s_io_kubelet_serving_approver := {"platform": "kubernetes", "rules": [{"g": ["certificates.k8s.io"], "r": ["signers"], "n": ["kubernetes.io/kubelet-serving"], "v": ["approve"]}]}

_cr_system_certificates_k8s_io_legacy_unknown_approver := {"platform": "kubernetes", "rules": [{"g": ["certificates.k8s.io"], "r": ["signers"], "n": ["kubernetes.io/legacy-unknown"], "v": ["approve"]}]}

_cr_system_discovery := {"platform": "kubernetes", "rules": [{"u": ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz", "/version", "/version/"], "v": ["get"]}]}

_cr_system_heapster := {"platform": "kubernetes", "rules": [
	{"g": [""], "r": ["events", "namespaces", "nodes", "pods"], "v": _read},
	{"g": ["extensions"], "r": ["deployments"], "v": _read},
]}

_cr_system_kube_aggregator := {"platform": "kubernetes", "rules": [{"g": [""], "r": ["endpoints", "services"], "v": _read}]}

_cr_system_kube_controller_manager := {"platform": "kubernetes", "rules": [
	_events,
	{"g": ["coordination.k8s.io"], "r": ["leases"], "v": ["create"]},
	{"g": ["coordination.k8s.io"], "r": ["leases"], "n": ["kube-controller-manager"], "v": ["get", "update"]},
	{"g": [""], "r": ["secrets", "serviceaccounts"], "v": ["create"]},
	{"g": [""], "r": ["secrets"], "v": ["delete"]},
	{"g": [""], "r": ["configmaps", "namespaces", "secrets", "serviceaccounts"], "v": ["get"]},
	{"g": [""], "r": ["secrets", "serviceaccounts"], "v": ["update"]},
	{"g": ["authentication.k8s.io"], "r": ["tokenreviews"], "v": ["create"]},
	{"g": ["authorization.k8s.io"], "r": ["subjectaccessreviews"], "v": ["create"]},
	{"g": ["*"], "r": ["*"], "v": ["list", "watch"]},
	{"g": [""], "r": ["serviceaccounts/token"], "v": ["create"]},
]}

_cr_system_kube_dns := {"platform": "kubernetes", "rules": [{"g": [""], "r": ["endpoints", "services"], "v": ["list", "watch"]}]}

_cr_system_kube_scheduler := {"platform": "kubernetes", "rules": [
	_events,
	{"g": ["coordination.k8s.io"], "r": ["leases"], "v": ["create"]},
	{"g": ["coordination.k8s.io"], "r": ["leases"], "n": ["kube-scheduler"], "v": ["get", "list", "update", "watch"]},
	{"g": ["coordination.k8s.io"], "r": ["leasecandidates"], "v": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]},
	{"g": [""], "r": ["nodes"], "v": _read},
	{"g": [""], "r": ["pods"], "v": ["delete", "get", "list", "watch"]},
	{"g": [""], "r": ["bindings", "pods/binding"], "v": ["create"]},
	{"g": [""], "r": ["pods/status"], "v": ["patch", "update"]},
	{"g": [""], "r": ["replicationcontrollers", "services"], "v": _read},
	{"g": ["apps", "extensions"], "r": ["replicasets"], "v": _read},
	{"g": ["apps"], "r": ["statefulsets"], "v": _read},
	{"g": ["policy"], "r": ["poddisruptionbudgets"], "v": _read},
	{"g": [""], "r": ["persistentvolumeclaims", "persistentvolumes"], "v": _read},
	{"g": ["authentication.k8s.io"], "r": ["tokenreviews"], "v": ["create"]},
	{"g": ["authorization.k8s.io"], "r": ["subjectaccessreviews"], "v": ["create"]},
	{"g": ["storage.k8s.io"], "r": ["csinodes"], "v": _read},
	{"g": ["storage.k8s.io"], "r": ["volumeattachments"], "v": _read},
	{"g": [""], "r": ["namespaces"], "v": _read},
	{"g": ["storage.k8s.io"], "r": ["csidrivers"], "v": _read},
	{"g": ["storage.k8s.io"], "r": ["csistoragecapacities"], "v": _read},
	{"g": ["resource.k8s.io"], "r": ["deviceclasses"], "v": _read},
	{"g": ["resource.k8s.io"], "r": ["resourceclaims"], "v": ["get", "list", "patch", "update", "watch"]},
	{"g": ["resource.k8s.io"], "r": ["resourceclaims/status"], "v": ["get", "list", "patch", "update", "watch"]},
	{"g": [""], "r": ["pods/finalizers"], "v": ["get", "list", "patch", "update", "watch"]},
	{"g": ["resource.k8s.io"], "r": ["resourceslices"], "v": _read},
]}

_cr_system_kubelet_api_admin := {"platform": "kubernetes", "rules": [
	{"g": [""], "r": ["nodes"], "v": _read},
	{"g": [""], "r": ["nodes"], "v": ["proxy"]},
	{"g": [""], "r": ["nodes/log", "nodes/metrics", "nodes/proxy", "nodes/stats"], "v": ["*"]},
]}

_cr_system_monitoring := {"platform": "kubernetes", "rules": [{"u": ["/healthz", "/healthz/*", "/livez", "/livez/*", "/metrics", "/metrics/slis", "/readyz", "/readyz/*"], "v": ["get"]}]}

_cr_system_node := {"platform": "kubernetes", "rules": [
	{"g": ["authentication.k8s.io"], "r": ["tokenreviews"], "v": ["create"]},
	{"g": ["authorization.k8s.io"], "r": ["localsubjectaccessreviews", "subjectaccessreviews"], "v": ["create"]},
	{"g": [""], "r": ["services"], "v": _read},
	{"g": [""], "r": ["nodes"], "v": ["create", "get", "list", "watch"]},
	{"g": [""], "r": ["nodes/status"], "v": ["patch", "update"]},
	{"g": [""], "r": ["nodes"], "v": ["patch", "update"]},
	{"g": [""], "r": ["events"], "v": ["create", "patch", "update"]},
	{"g": [""], "r": ["pods"], "v": _read},
	{"g": [""], "r": ["pods"], "v": ["create", "delete"]},
	{"g": [""], "r": ["pods/status"], "v": ["patch", "update"]},
	{"g": [""], "r": ["pods/eviction"], "v": ["create"]},
	{"g": [""], "r": ["configmaps", "secrets"], "v": _read},
	{"g": [""], "r": ["persistentvolumeclaims", "persistentvolumes"], "v": ["get"]},
	{"g": [""], "r": ["endpoints"], "v": ["get"]},
	{"g": ["certificates.k8s.io"], "r": ["certificatesigningrequests"], "v": ["create", "get", "list", "watch"]},
	{"g": ["coordination.k8s.io"], "r": ["leases"], "v": ["create", "delete", "get", "patch", "update"]},
	{"g": ["storage.k8s.io"], "r": ["volumeattachments"], "v": ["get"]},
	{"g": [""], "r": ["serviceaccounts/token"], "v": ["create"]},
	{"g": [""], "r": ["persistentvolumeclaims/status"], "v": ["get", "patch", "update"]},
	{"g": ["storage.k8s.io"], "r": ["csidrivers"], "v": _read},
	{"g": ["storage.k8s.io"], "r": ["csinodes"], "v": ["create", "delete", "get", "patch", "update"]},
	{"g": ["node.k8s.io"], "r": ["runtimeclasses"], "v": _read},
	{"g": ["resource.k8s.io"], "r": ["resourceclaims"], "v": ["get"]},
	{"g": ["resource.k8s.io"], "r": ["resourceslices"], "v": ["deletecollection"]},
]}

_cr_system_node_bootstrapper := {"platform": "kubernetes", "rules": [{"g": ["certificates.k8s.io"], "r": ["certificatesigningrequests"], "v": ["create", "get", "list", "watch"]}]}

_cr_system_node_problem_detector := {"platform": "kubernetes", "rules": [
	{"g": [""], "r": ["nodes"], "v": ["get"]},
	{"g": [""], "r": ["nodes/status"], "v": ["patch"]},
	_events,
]}

_cr_system_node_proxier := {"platform": "kubernetes", "rules": [
	{"g": [""], "r": ["endpoints", "services"], "v": ["list", "watch"]},
	{"g": [""], "r": ["nodes"], "v": _read},
	_events,
	{"g": ["discovery.k8s.io"], "r": ["endpointslices"], "v": ["list", "watch"]},
]}

_cr_system_persistent_volume_provisioner := {"platform": "kubernetes", "rules": [
	{"g": [""], "r": ["persistentvolumes"], "v": ["create", "delete", "get", "list", "watch"]},
	{"g": [""], "r": ["persistentvolumeclaims"], "v": ["get", "list", "update", "watch"]},
	{"g": ["storage.k8s.io"], "r": ["storageclasses"], "v": _read},
	{"g": [""], "r": ["events"], "v": ["watch"]},
	_events,
]}

_cr_system_public_info_viewer := {"platform": "kubernetes", "rules": [{"u": ["/healthz", "/livez", "/readyz", "/version", "/version/"], "v": ["get"]}]}

_cr_system_service_account_issuer_discovery := {"platform": "kubernetes", "rules": [{"u": ["/.well-known/openid-configuration", "/.well-known/openid-configuration/", "/openid/v1/jwks", "/openid/v1/jwks/"], "v": ["get"]}]}

_cr_system_volume_scheduler := {"platform": "kubernetes", "rules": [
	{"g": [""], "r": ["persistentvolumes"], "v": ["get", "list", "patch", "update", "watch"]},
	{"g": ["storage.k8s.io"], "r": ["storageclasses"], "v": _read},
	{"g": [""], "r": ["persistentvolumeclaims"], "v": ["get", "list", "patch", "update", "watch"]},
]}

# Controller roles: one per kube-controller-manager loop, bound to its service account in
# kube-system (with --use-service-account-credentials, as kubeadm runs it).
_cr_system_controller_attachdetach_controller := {"platform": "kubernetes", "rules": [
	{"g": [""], "r": ["persistentvolumeclaims", "persistentvolumes"], "v": ["list", "watch"]},
	{"g": [""], "r": ["nodes"], "v": _read},
	{"g": [""], "r": ["nodes/status"], "v": ["patch", "update"]},
	{"g": [""], "r": ["pods"], "v": ["list", "watch"]},
	_events,
	{"g": ["storage.k8s.io"], "r": ["volumeattachments"], "v": ["create", "delete", "get", "list", "watch"]},
	{"g": ["storage.k8s.io"], "r": ["csidrivers"], "v": _read},
	{"g": ["storage.k8s.io"], "r": ["csinodes"], "v": _read},
]}

_cr_system_controller_certificate_controller := {"platform": "kubernetes", "rules": [
	{"g": ["certificates.k8s.io"], "r": ["certificatesigningrequests"], "v": ["delete", "get", "list", "watch"]},
	{"g": ["certificates.k8s.io"], "r": ["certificatesigningrequests/approval", "certificatesigningrequests/status"], "v": ["update"]},
	{"g": ["certificates.k8s.io"], "r": ["signers"], "n": ["kubernetes.io/kube-apiserver-client-kubelet"], "v": ["approve"]},
	{"g": ["certificates.k8s.io"], "r": ["signers"], "n": ["kubernetes.io/kube-apiserver-client", "kubernetes.io/kube-apiserver-client-kubelet", "kubernetes.io/kubelet-serving", "kubernetes.io/legacy-unknown"], "v": ["sign"]},
	{"g": ["authorization.k8s.io"], "r": ["subjectaccessreviews"], "v": ["create"]},
	_events,
]}

_cr_system_controller_clusterrole_aggregation_controller := {"platform": "kubernetes", "rules": [{"g": ["rbac.authorization.k8s.io"], "r": ["clusterroles"], "v": ["escalate", "get", "list", "patch", "update", "watch"]}]}

_cr_system_controller_cronjob_controller := {"platform": "kubernetes", "rules": [
	{"g": ["batch"], "r": ["cronjobs"], "v": ["get", "list", "update", "watch"]},
	{"g": ["batch"], "r": ["jobs"], "v": ["create", "delete", "get", "list", "patch", "update", "watch"]},
	{"g": ["batch"], "r": ["cronjobs/status"], "v": ["update"]},
	{"g": ["batch"], "r": ["cronjobs/finalizers"], "v": ["update"]},
	{"g": [""], "r": ["pods"], "v": ["delete", "list", "watch"]},
	_events,
]}

_cr_system_controller_daemon_set_controller := {"platform": "kubernetes", "rules": [
	{"g": ["apps", "extensions"], "r": ["daemonsets"], "v": _read},
	{"g": ["apps", "extensions"], "r": ["daemonsets/status"], "v": ["update"]},
	{"g": ["apps", "extensions"], "r": ["daemonsets/finalizers"], "v": ["update"]},
	{"g": [""], "r": ["nodes"], "v": ["list", "watch"]},
	{"g": [""], "r": ["pods"], "v": ["create", "delete", "list", "patch", "watch"]},
	{"g": [""], "r": ["pods/binding"], "v": ["create"]},
	{"g": ["apps"], "r": ["controllerrevisions"], "v": ["create", "delete", "get", "list", "patch", "update", "watch"]},
	_events,
]}

_cr_system_controller_deployment_controller := {"platform": "kubernetes", "rules": [
	{"g": ["apps", "extensions"], "r": ["deployments"], "v": ["get", "list", "update", "watch"]},
	{"g": ["apps", "extensions"], "r": ["deployments/status"], "v": ["update"]},
	{"g": ["apps", "extensions"], "r": ["deployments/finalizers"], "v": ["update"]},
	{"g": ["apps", "extensions"], "r": ["replicasets"], "v": ["create", "delete", "get", "list", "patch", "update", "watch"]},
	{"g": [""], "r": ["pods"], "v": ["get", "list", "update", "watch"]},
	_events,
]}

_cr_system_controller_disruption_controller := {"platform": "kubernetes", "rules": [
	{"g": ["apps", "extensions"], "r": ["deployments"], "v": _read},
	{"g": ["apps", "extensions"], "r": ["replicasets"], "v": _read},
	{"g": [""], "r": ["replicationcontrollers"], "v": _read},
	{"g": ["policy"], "r": ["poddisruptionbudgets"], "v": _read},
	{"g": ["apps"], "r": ["statefulsets"], "v": _read},
	{"g": ["policy"], "r": ["poddisruptionbudgets/status"], "v": ["update"]},
	{"g": [""], "r": ["pods/status"], "v": ["patch", "update"]},
	{"g": ["*"], "r": ["*/scale"], "v": ["get"]},
	_events,
]}

_cr_system_controller_endpoint_controller := {"platform": "kubernetes", "rules": [
	{"g": [""], "r": ["pods", "services"], "v": _read},
	{"g": [""], "r": ["endpoints"], "v": ["create", "delete", "get", "list", "update", "watch"]},
	{"g": [""], "r": ["endpoints/restricted"], "v": ["create"]},
	_events,
]}

_cr_system_controller_endpointslice_controller := {"platform": "kubernetes", "rules": [
	{"g": [""], "r": ["nodes", "pods", "services"], "v": _read},
	{"g": [""], "r": ["services/finalizers"], "v": ["update"]},
	{"g": ["discovery.k8s.io"], "r": ["endpointslices"], "v": ["create", "delete", "get", "list", "update", "watch"]},
	_events,
]}

_cr_system_controller_endpointslicemirroring_controller := {"platform": "kubernetes", "rules": [
	{"g": [""], "r": ["endpoints", "services"], "v": _read},
	{"g": [""], "r": ["services/finalizers"], "v": ["update"]},
	{"g": [""], "r": ["endpoints/finalizers"], "v": ["update"]},
	{"g": ["discovery.k8s.io"], "r": ["endpointslices"], "v": ["create", "delete", "get", "list", "update", "watch"]},
	_events,
]}

_cr_system_controller_ephemeral_volume_controller := {"platform": "kubernetes", "rules": [
	{"g": [""], "r": ["pods"], "v": _read},
	{"g": [""], "r": ["pods/finalizers"], "v": ["update"]},
	{"g": [""], "r": ["persistentvolumeclaims"], "v": ["create", "get", "list", "watch"]},
	_events,
]}

_cr_system_controller_expand_controller := {"platform": "kubernetes", "rules": [
	{"g": [""], "r": ["persistentvolumes"], "v": ["get", "list", "patch", "update", "watch"]},
	{"g": [""], "r": ["persistentvolumeclaims/status"], "v": ["patch", "update"]},
	{"g": [""], "r": ["persistentvolumeclaims"], "v": _read},
	_events,
	{"g": [""], "r": ["services"], "v": ["get"]},
]}

_cr_system_controller_generic_garbage_collector := {"platform": "kubernetes", "rules": [
	{"g": ["*"], "r": ["*"], "v": ["delete", "get", "list", "patch", "update", "watch"]},
	_events,
]}

_cr_system_controller_horizontal_pod_autoscaler := {"platform": "kubernetes", "rules": [
	{"g": ["autoscaling"], "r": ["horizontalpodautoscalers"], "v": _read},
	{"g": ["autoscaling"], "r": ["horizontalpodautoscalers/status"], "v": ["update"]},
	{"g": ["*"], "r": ["*/scale"], "v": ["get", "update"]},
	{"g": [""], "r": ["pods"], "v": ["list", "watch"]},
	{"g": ["*"], "r": ["*"], "v": _read},
	{"g": ["metrics.k8s.io"], "r": ["pods"], "v": ["list", "watch"]},
	{"g": ["custom.metrics.k8s.io"], "r": ["*"], "v": _read},
	{"g": ["external.metrics.k8s.io"], "r": ["*"], "v": _read},
	_events,
]}

_cr_system_controller_job_controller := {"platform": "kubernetes", "rules": [
	{"g": ["batch"], "r": ["jobs"], "v": ["get", "list", "patch", "update", "watch"]},
	{"g": ["batch"], "r": ["jobs/status"], "v": ["update"]},
	{"g": ["batch"], "r": ["jobs/finalizers"], "v": ["update"]},
	{"g": [""], "r": ["pods"], "v": ["create", "delete", "list", "patch", "watch"]},
	_events,
]}

_cr_system_controller_legacy_service_account_token_cleaner := {"platform": "kubernetes", "since": 28, "rules": [
	{"g": [""], "r": ["configmaps"], "n": ["kube-apiserver-legacy-service-account-token-tracking"], "v": ["get"]},
	{"g": [""], "r": ["secrets"], "v": ["delete", "patch"]},
]}

_cr_system_controller_namespace_controller := {"platform": "kubernetes", "rules": [
	{"g": [""], "r": ["namespaces"], "v": ["delete", "get", "list", "watch"]},
	{"g": [""], "r": ["namespaces/finalize", "namespaces/status"], "v": ["update"]},
	{"g": ["*"], "r": ["*"], "v": ["delete", "deletecollection", "get", "list", "watch"]},
]}

_cr_system_controller_node_controller := {"platform": "kubernetes", "rules": [
	{"g": [""], "r": ["nodes"], "v": ["delete", "get", "list", "patch", "update", "watch"]},
	{"g": [""], "r": ["nodes/status"], "v": ["patch", "update"]},
	{"g": [""], "r": ["pods/status"], "v": ["patch", "update"]},
	{"g": [""], "r": ["pods"], "v": ["delete", "get", "list", "watch"]},
	_events,
]}

_cr_system_controller_persistent_volume_binder := {"platform": "kubernetes", "rules": [
	{"g": [""], "r": ["persistentvolumes"], "v": ["create", "delete", "get", "list", "update", "watch"]},
	{"g": [""], "r": ["persistentvolumes/status"], "v": ["update"]},
	{"g": [""], "r": ["persistentvolumeclaims"], "v": ["get", "list", "update", "watch"]},
	{"g": [""], "r": ["persistentvolumeclaims/status"], "v": ["update"]},
	{"g": [""], "r": ["pods"], "v": ["create", "delete", "get", "list", "watch"]},
	{"g": ["storage.k8s.io"], "r": ["storageclasses"], "v": _read},
	{"g": [""], "r": ["nodes"], "v": ["list", "watch"]},
	_events,
	{"g": [""], "r": ["events"], "v": ["watch"]},
	{"g": [""], "r": ["services"], "v": ["get"]},
]}

_cr_system_controller_pod_garbage_collector := {"platform": "kubernetes", "rules": [
	{"g": [""], "r": ["pods"], "v": ["delete", "list", "watch"]},
	{"g": [""], "r": ["nodes"], "v": _read},
	{"g": [""], "r": ["pods/status"], "v": ["patch"]},
]}

_cr_system_controller_podcertificaterequestcleaner := {"platform": "kubernetes", "since": 34, "rules": [{"g": ["certificates.k8s.io"], "r": ["podcertificaterequests"], "v": ["delete", "get", "list", "watch"]}]}

_cr_system_controller_pv_protection_controller := {"platform": "kubernetes", "rules": [
	{"g": [""], "r": ["persistentvolumes"], "v": ["get", "list", "update", "watch"]},
	_events,
]}

_cr_system_controller_pvc_protection_controller := {"platform": "kubernetes", "rules": [
	{"g": [""], "r": ["persistentvolumeclaims"], "v": ["get", "list", "update", "watch"]},
	{"g": [""], "r": ["pods"], "v": _read},
	_events,
]}

_cr_system_controller_replicaset_controller := {"platform": "kubernetes", "rules": [
	{"g": ["apps", "extensions"], "r": ["replicasets"], "v": ["get", "list", "update", "watch"]},
	{"g": ["apps", "extensions"], "r": ["replicasets/status"], "v": ["update"]},
	{"g": ["apps", "extensions"], "r": ["replicasets/finalizers"], "v": ["update"]},
	{"g": [""], "r": ["pods"], "v": ["create", "delete", "list", "patch", "watch"]},
	_events,
]}

_cr_system_controller_replication_controller := {"platform": "kubernetes", "rules": [
	{"g": [""], "r": ["replicationcontrollers"], "v": ["get", "list", "update", "watch"]},
	{"g": [""], "r": ["replicationcontrollers/status"], "v": ["update"]},
	{"g": [""], "r": ["replicationcontrollers/finalizers"], "v": ["update"]},
	{"g": [""], "r": ["pods"], "v": ["create", "delete", "list", "patch", "watch"]},
	_events,
]}

_cr_system_controller_resource_claim_controller := {"platform": "kubernetes", "rules": [
	{"g": [""], "r": ["pods"], "v": _read},
	{"g": [""], "r": ["pods/finalizers"], "v": ["update"]},
	{"g": ["resource.k8s.io"], "r": ["resourceclaims"], "v": ["create", "delete", "get", "list", "watch"]},
	{"g": ["resource.k8s.io"], "r": ["resourceclaims", "resourceclaims/status"], "v": ["patch", "update"]},
	{"g": [""], "r": ["pods/status"], "v": ["patch", "update"]},
	_events,
]}

_cr_system_controller_resourcequota_controller := {"platform": "kubernetes", "rules": [
	{"g": ["*"], "r": ["*"], "v": ["list", "watch"]},
	{"g": [""], "r": ["resourcequotas/status"], "v": ["update"]},
	_events,
]}

_cr_system_controller_root_ca_cert_publisher := {"platform": "kubernetes", "rules": [
	{"g": [""], "r": ["configmaps"], "v": ["create", "update"]},
	_events,
]}

_cr_system_controller_route_controller := {"platform": "kubernetes", "rules": [
	{"g": [""], "r": ["nodes"], "v": ["list", "watch"]},
	{"g": [""], "r": ["nodes/status"], "v": ["patch"]},
	_events,
]}

_cr_system_controller_selinux_warning_controller := {"platform": "kubernetes", "since": 32, "rules": [
	_events,
	{"g": [""], "r": ["persistentvolumes"], "v": _read},
	{"g": [""], "r": ["persistentvolumeclaims"], "v": _read},
	{"g": [""], "r": ["pods"], "v": _read},
	{"g": ["storage.k8s.io"], "r": ["csidrivers"], "v": _read},
]}

_cr_system_controller_service_account_controller := {"platform": "kubernetes", "rules": [
	{"g": [""], "r": ["serviceaccounts"], "v": ["create"]},
	_events,
]}

_cr_system_controller_service_cidrs_controller := {"platform": "kubernetes", "since": 33, "rules": [
	{"g": ["networking.k8s.io"], "r": ["servicecidrs"], "v": ["get", "list", "patch", "update", "watch"]},
	{"g": ["networking.k8s.io"], "r": ["servicecidrs/finalizers"], "v": ["patch", "update"]},
	{"g": ["networking.k8s.io"], "r": ["servicecidrs/status"], "v": ["patch", "update"]},
	{"g": ["networking.k8s.io"], "r": ["ipaddresses"], "v": _read},
	_events,
]}

_cr_system_controller_service_controller := {"platform": "kubernetes", "rules": [
	{"g": [""], "r": ["services"], "v": _read},
	{"g": [""], "r": ["services/status"], "v": ["patch", "update"]},
	{"g": [""], "r": ["nodes"], "v": ["list", "watch"]},
	_events,
]}

_cr_system_controller_statefulset_controller := {"platform": "kubernetes", "rules": [
	{"g": [""], "r": ["pods"], "v": ["list", "watch"]},
	{"g": ["apps"], "r": ["statefulsets"], "v": _read},
	{"g": ["apps"], "r": ["statefulsets/status"], "v": ["update"]},
	{"g": ["apps"], "r": ["statefulsets/finalizers"], "v": ["update"]},
	{"g": [""], "r": ["pods"], "v": ["create", "delete", "get", "patch", "update"]},
	{"g": ["apps"], "r": ["controllerrevisions"], "v": ["create", "delete", "get", "list", "patch", "update", "watch"]},
	{"g": [""], "r": ["persistentvolumeclaims"], "v": ["create", "get", "list", "watch"]},
	_events,
	{"g": [""], "r": ["persistentvolumeclaims"], "v": ["delete", "update"]},
	{"g": [""], "r": ["pods/finalizers"], "v": ["update"]},
]}

_cr_system_controller_ttl_after_finished_controller := {"platform": "kubernetes", "rules": [
	{"g": ["batch"], "r": ["jobs"], "v": ["delete", "get", "list", "watch"]},
	_events,
]}

_cr_system_controller_ttl_controller := {"platform": "kubernetes", "rules": [
	{"g": [""], "r": ["nodes"], "v": ["list", "patch", "update", "watch"]},
	_events,
]}

_cr_system_controller_validatingadmissionpolicy_status_controller := {"platform": "kubernetes", "rules": [
	{"g": ["admissionregistration.k8s.io"], "r": ["validatingadmissionpolicies"], "v": _read},
	{"g": ["admissionregistration.k8s.io"], "r": ["validatingadmissionpolicies/status"], "v": ["get", "patch", "update"]},
	_events,
]}

# kubeadm.
_cr_kubeadm_get_nodes := {"platform": "kubeadm", "rules": [{"g": [""], "r": ["nodes"], "v": ["get"]}]}

_cr_system_coredns := {"platform": "kubeadm", "rules": [
	{"g": [""], "r": ["endpoints", "services", "pods", "namespaces"], "v": ["list", "watch"]},
	{"g": ["discovery.k8s.io"], "r": ["endpointslices"], "v": ["list", "watch"]},
]}

# EKS.
_cr_eks_node_bootstrapper := {"platform": "eks", "rules": [{"g": ["certificates.k8s.io"], "r": ["certificatesigningrequests/selfnodeserver"], "v": ["create"]}]}

_cr_eks_k8s_metrics := {"platform": "eks", "rules": [
	{"u": ["/metrics"], "v": ["get"]},
	{"g": [""], "r": ["endpoints"], "v": ["list"]},
	{"g": [""], "r": ["nodes"], "v": ["list"]},
	{"g": [""], "r": ["pods"], "v": ["list"]},
	{"g": ["apps"], "r": ["deployments"], "v": ["list"]},
]}

# ---------------------------------------------------------------- Roles ("namespace/name")

_r_kube_system_extension_apiserver_authentication_reader := {"platform": "kubernetes", "rules": [{"g": [""], "r": ["configmaps"], "n": ["extension-apiserver-authentication"], "v": _read}]}

_r_kube_system_system_leader_locking_kube_controller_manager := {"platform": "kubernetes", "rules": [
	{"g": [""], "r": ["configmaps"], "v": ["watch"]},
	{"g": [""], "r": ["configmaps"], "n": ["kube-controller-manager"], "v": ["get", "update"]},
	{"g": ["coordination.k8s.io"], "r": ["leases"], "v": ["create", "get", "list", "update", "watch"]},
	{"g": ["coordination.k8s.io"], "r": ["leasecandidates"], "v": ["create", "get", "list", "update", "watch"]},
]}

_r_kube_system_system_leader_locking_kube_scheduler := {"platform": "kubernetes", "rules": [
	{"g": [""], "r": ["configmaps"], "v": ["watch"]},
	{"g": [""], "r": ["configmaps"], "n": ["kube-scheduler"], "v": ["get", "update"]},
	{"g": ["coordination.k8s.io"], "r": ["leases"], "v": ["create", "get", "list", "update", "watch"]},
	{"g": ["coordination.k8s.io"], "r": ["leasecandidates"], "v": ["create", "get", "list", "update", "watch"]},
]}

_r_kube_system_system_controller_bootstrap_signer := {"platform": "kubernetes", "rules": [{"g": [""], "r": ["secrets"], "v": _read}]}

_r_kube_system_system_controller_cloud_provider := {"platform": "kubernetes", "rules": [{"g": [""], "r": ["configmaps"], "v": ["create", "get", "list", "watch"]}]}

_r_kube_system_system_controller_token_cleaner := {"platform": "kubernetes", "rules": [
	{"g": [""], "r": ["secrets"], "v": ["delete", "get", "list", "watch"]},
	_events,
]}

_r_kube_public_system_controller_bootstrap_signer := {"platform": "kubernetes", "rules": [
	{"g": [""], "r": ["configmaps"], "v": _read},
	{"g": [""], "r": ["configmaps"], "n": ["cluster-info"], "v": ["update"]},
	_events,
]}

# kubeadm: nodes and bootstrap tokens read the ConfigMaps they need to join.
_r_kube_system_kubeadm_kubelet_config := {"platform": "kubeadm", "rules": [{"g": [""], "r": ["configmaps"], "n": ["kubelet-config"], "v": ["get"]}]}

_r_kube_system_kubeadm_nodes_kubeadm_config := {"platform": "kubeadm", "rules": [{"g": [""], "r": ["configmaps"], "n": ["kubeadm-config"], "v": ["get"]}]}

_r_kube_system_kube_proxy := {"platform": "kubeadm", "rules": [{"g": [""], "r": ["configmaps"], "n": ["kube-proxy"], "v": ["get"]}]}

_r_kube_public_kubeadm_bootstrap_signer_clusterinfo := {"platform": "kubeadm", "rules": [{"g": [""], "r": ["configmaps"], "n": ["cluster-info"], "v": ["get"]}]}

# EKS.
_r_kube_system_eks_k8s_metrics := {"platform": "eks", "rules": [
	{"g": ["apps"], "r": ["daemonsets"], "n": ["aws-node"], "v": ["get"]},
	{"g": ["apps"], "r": ["deployments"], "n": ["vpc-resource-controller"], "v": ["get"]},
]}

# ---------------------------------------------------------------- ClusterRoleBindings

# name -> {"platform", "role" (a ClusterRole), "subjects", "since"?, "why"}.
_crb_cluster_admin := {"platform": "kubernetes", "role": "cluster-admin", "subjects": ["Group/system:masters"], "why": "the API server's own binding for the system:masters group"}

_crb_system_basic_user := {"platform": "kubernetes", "role": "system:basic-user", "subjects": ["Group/system:authenticated"]}

_crb_system_discovery := {"platform": "kubernetes", "role": "system:discovery", "subjects": ["Group/system:authenticated"]}

_crb_system_kube_controller_manager := {"platform": "kubernetes", "role": "system:kube-controller-manager", "subjects": ["User/system:kube-controller-manager"]}

_crb_system_kube_dns := {"platform": "kubernetes", "role": "system:kube-dns", "subjects": ["ServiceAccount/kube-system/kube-dns"]}

_crb_system_kube_scheduler := {"platform": "kubernetes", "role": "system:kube-scheduler", "subjects": ["User/system:kube-scheduler"]}

_crb_system_monitoring := {"platform": "kubernetes", "role": "system:monitoring", "subjects": ["Group/system:monitoring"], "since": 21}

_crb_system_node := {"platform": "kubernetes", "role": "system:node", "subjects": []}

_crb_system_node_proxier := {"platform": "kubernetes", "role": "system:node-proxier", "subjects": ["User/system:kube-proxy"]}

_crb_system_public_info_viewer := {"platform": "kubernetes", "role": "system:public-info-viewer", "subjects": ["Group/system:authenticated", "Group/system:unauthenticated"]}

_crb_system_service_account_issuer_discovery := {"platform": "kubernetes", "role": "system:service-account-issuer-discovery", "subjects": ["Group/system:serviceaccounts"], "since": 20}

_crb_system_volume_scheduler := {"platform": "kubernetes", "role": "system:volume-scheduler", "subjects": ["User/system:kube-scheduler"]}

# kubeadm.
_crb_kubeadm_cluster_admins := {"platform": "kubeadm", "role": "cluster-admin", "subjects": ["Group/kubeadm:cluster-admins"], "since": 29, "why": "kubeadm init binds cluster-admin to the group of admin.conf's client certificate (from v1.29, instead of system:masters); membership is by certificate: review who holds admin.conf"}

_crb_kubeadm_kubelet_bootstrap := {"platform": "kubeadm", "role": "system:node-bootstrapper", "subjects": ["Group/system:bootstrappers:kubeadm:default-node-token"]}

_crb_kubeadm_get_nodes := {"platform": "kubeadm", "role": "kubeadm:get-nodes", "subjects": ["Group/system:bootstrappers:kubeadm:default-node-token"]}

_crb_kubeadm_node_autoapprove_bootstrap := {"platform": "kubeadm", "role": "system:certificates.k8s.io:certificatesigningrequests:nodeclient", "subjects": ["Group/system:bootstrappers:kubeadm:default-node-token"]}

_crb_kubeadm_node_autoapprove_certificate_rotation := {"platform": "kubeadm", "role": "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient", "subjects": ["Group/system:nodes"]}

_crb_kubeadm_node_proxier := {"platform": "kubeadm", "role": "system:node-proxier", "subjects": ["ServiceAccount/kube-system/kube-proxy"]}

_crb_system_coredns := {"platform": "kubeadm", "role": "system:coredns", "subjects": ["ServiceAccount/kube-system/coredns"]}

# EKS.
_crb_eks_addon_cluster_admin := {"platform": "eks", "role": "cluster-admin", "subjects": ["User/eks:addon-manager"], "why": "EKS binds cluster-admin to its add-on manager, an AWS-operated identity that installs and updates EKS add-ons"}

_crb_eks_node_bootstrapper := {"platform": "eks", "role": "eks:node-bootstrapper", "subjects": ["Group/system:bootstrappers", "Group/system:nodes"]}

_crb_eks_k8s_metrics := {"platform": "eks", "role": "eks:k8s-metrics", "subjects": ["User/eks:k8s-metrics"]}

# Every controller role is bound to the service account of the same name in kube-system.
_controller_bindings[name] := {
	"platform": "kubernetes",
	"role": name,
	"subjects": [sprintf("ServiceAccount/kube-system/%s", [substring(name, count("system:controller:"), -1)])],
	"since": object.get(entry, "since", 0),
} if {
	some name, entry in cluster_roles
	startswith(name, "system:controller:")
}

# ---------------------------------------------------------------- RoleBindings ("namespace/name")

# -> {"platform", "role_kind", "role", "subjects"}.
_rb_kube_system_system_extension_apiserver_authentication_reader := {"platform": "kubernetes", "role_kind": "Role", "role": "extension-apiserver-authentication-reader", "subjects": ["User/system:kube-controller-manager", "User/system:kube-scheduler"]}

_rb_kube_system_system_leader_locking_kube_controller_manager := {"platform": "kubernetes", "role_kind": "Role", "role": "system::leader-locking-kube-controller-manager", "subjects": ["User/system:kube-controller-manager", "ServiceAccount/kube-system/kube-controller-manager"]}

_rb_kube_system_system_leader_locking_kube_scheduler := {"platform": "kubernetes", "role_kind": "Role", "role": "system::leader-locking-kube-scheduler", "subjects": ["User/system:kube-scheduler", "ServiceAccount/kube-system/kube-scheduler"]}

_rb_kube_system_system_controller_bootstrap_signer := {"platform": "kubernetes", "role_kind": "Role", "role": "system:controller:bootstrap-signer", "subjects": ["ServiceAccount/kube-system/bootstrap-signer"]}

_rb_kube_system_system_controller_cloud_provider := {"platform": "kubernetes", "role_kind": "Role", "role": "system:controller:cloud-provider", "subjects": ["ServiceAccount/kube-system/cloud-provider"]}

_rb_kube_system_system_controller_token_cleaner := {"platform": "kubernetes", "role_kind": "Role", "role": "system:controller:token-cleaner", "subjects": ["ServiceAccount/kube-system/token-cleaner"]}

_rb_kube_public_system_controller_bootstrap_signer := {"platform": "kubernetes", "role_kind": "Role", "role": "system:controller:bootstrap-signer", "subjects": ["ServiceAccount/kube-system/bootstrap-signer"]}

# kubeadm.
_rb_kube_system_kubeadm_kubelet_config := {"platform": "kubeadm", "role_kind": "Role", "role": "kubeadm:kubelet-config", "subjects": ["Group/system:nodes", "Group/system:bootstrappers:kubeadm:default-node-token"]}

_rb_kube_system_kubeadm_nodes_kubeadm_config := {"platform": "kubeadm", "role_kind": "Role", "role": "kubeadm:nodes-kubeadm-config", "subjects": ["Group/system:bootstrappers:kubeadm:default-node-token", "Group/system:nodes"]}

_rb_kube_system_kube_proxy := {"platform": "kubeadm", "role_kind": "Role", "role": "kube-proxy", "subjects": ["Group/system:bootstrappers:kubeadm:default-node-token"]}

_rb_kube_public_kubeadm_bootstrap_signer_clusterinfo := {"platform": "kubeadm", "role_kind": "Role", "role": "kubeadm:bootstrap-signer-clusterinfo", "subjects": ["User/system:anonymous"], "why": "kubeadm lets anonymous clients read the cluster-info ConfigMap (the CA and API address) so that joining nodes can find the cluster"}

# EKS.
_rb_kube_system_eks_k8s_metrics := {"platform": "eks", "role_kind": "Role", "role": "eks:k8s-metrics", "subjects": ["User/eks:k8s-metrics"]}


# ---------------------------------------------------------------- indexes

# The defaults by identity, built from the entries above in groups: one object literal with
# every entry would not fit regorus' VM (it allocates a register per element).

_cluster_roles_0 := {
	"admin": _cr_admin,
	"edit": _cr_edit,
	"view": _cr_view,
	"cluster-admin": _cr_cluster_admin,
	"system:aggregate-to-admin": _cr_system_aggregate_to_admin,
	"system:aggregate-to-edit": _cr_system_aggregate_to_edit,
	"system:aggregate-to-view": _cr_system_aggregate_to_view,
	"system:auth-delegator": _cr_system_auth_delegator,
	"system:basic-user": _cr_system_basic_user,
	"system:certificates.k8s.io:certificatesigningrequests:nodeclient": _cr_system_certificates_k8s_io_certificatesigningrequests_nodeclient,
	"system:certificates.k8s.io:certificatesigningrequests:selfnodeclient": _cr_system_certificates_k8s_io_certificatesigningrequests_selfnodeclient,
	"system:certificates.k8s.io:kube-apiserver-client-approver": _cr_system_certificates_k8s_io_kube_apiserver_client_approver,
	"system:certificates.k8s.io:kube-apiserver-client-kubelet-approver": _cr_system_certificates_k8s_io_kube_apiserver_client_kubelet_approver,
	"system:certificates.k8s.io:kubelet-serving-approver": _cr_system_certificates_k8s_io_kubelet_serving_approver,
	"system:certificates.k8s.io:legacy-unknown-approver": _cr_system_certificates_k8s_io_legacy_unknown_approver,
	"system:discovery": _cr_system_discovery,
}

_cluster_roles_1 := {
	"system:heapster": _cr_system_heapster,
	"system:kube-aggregator": _cr_system_kube_aggregator,
	"system:kube-controller-manager": _cr_system_kube_controller_manager,
	"system:kube-dns": _cr_system_kube_dns,
	"system:kube-scheduler": _cr_system_kube_scheduler,
	"system:kubelet-api-admin": _cr_system_kubelet_api_admin,
	"system:monitoring": _cr_system_monitoring,
	"system:node": _cr_system_node,
	"system:node-bootstrapper": _cr_system_node_bootstrapper,
	"system:node-problem-detector": _cr_system_node_problem_detector,
	"system:node-proxier": _cr_system_node_proxier,
	"system:persistent-volume-provisioner": _cr_system_persistent_volume_provisioner,
	"system:public-info-viewer": _cr_system_public_info_viewer,
	"system:service-account-issuer-discovery": _cr_system_service_account_issuer_discovery,
	"system:volume-scheduler": _cr_system_volume_scheduler,
	"system:controller:attachdetach-controller": _cr_system_controller_attachdetach_controller,
}

_cluster_roles_2 := {
	"system:controller:certificate-controller": _cr_system_controller_certificate_controller,
	"system:controller:clusterrole-aggregation-controller": _cr_system_controller_clusterrole_aggregation_controller,
	"system:controller:cronjob-controller": _cr_system_controller_cronjob_controller,
	"system:controller:daemon-set-controller": _cr_system_controller_daemon_set_controller,
	"system:controller:deployment-controller": _cr_system_controller_deployment_controller,
	"system:controller:disruption-controller": _cr_system_controller_disruption_controller,
	"system:controller:endpoint-controller": _cr_system_controller_endpoint_controller,
	"system:controller:endpointslice-controller": _cr_system_controller_endpointslice_controller,
	"system:controller:endpointslicemirroring-controller": _cr_system_controller_endpointslicemirroring_controller,
	"system:controller:ephemeral-volume-controller": _cr_system_controller_ephemeral_volume_controller,
	"system:controller:expand-controller": _cr_system_controller_expand_controller,
	"system:controller:generic-garbage-collector": _cr_system_controller_generic_garbage_collector,
	"system:controller:horizontal-pod-autoscaler": _cr_system_controller_horizontal_pod_autoscaler,
	"system:controller:job-controller": _cr_system_controller_job_controller,
	"system:controller:legacy-service-account-token-cleaner": _cr_system_controller_legacy_service_account_token_cleaner,
	"system:controller:namespace-controller": _cr_system_controller_namespace_controller,
}

_cluster_roles_3 := {
	"system:controller:node-controller": _cr_system_controller_node_controller,
	"system:controller:persistent-volume-binder": _cr_system_controller_persistent_volume_binder,
	"system:controller:pod-garbage-collector": _cr_system_controller_pod_garbage_collector,
	"system:controller:podcertificaterequestcleaner": _cr_system_controller_podcertificaterequestcleaner,
	"system:controller:pv-protection-controller": _cr_system_controller_pv_protection_controller,
	"system:controller:pvc-protection-controller": _cr_system_controller_pvc_protection_controller,
	"system:controller:replicaset-controller": _cr_system_controller_replicaset_controller,
	"system:controller:replication-controller": _cr_system_controller_replication_controller,
	"system:controller:resource-claim-controller": _cr_system_controller_resource_claim_controller,
	"system:controller:resourcequota-controller": _cr_system_controller_resourcequota_controller,
	"system:controller:root-ca-cert-publisher": _cr_system_controller_root_ca_cert_publisher,
	"system:controller:route-controller": _cr_system_controller_route_controller,
	"system:controller:selinux-warning-controller": _cr_system_controller_selinux_warning_controller,
	"system:controller:service-account-controller": _cr_system_controller_service_account_controller,
	"system:controller:service-cidrs-controller": _cr_system_controller_service_cidrs_controller,
	"system:controller:service-controller": _cr_system_controller_service_controller,
}

_cluster_roles_4 := {
	"system:controller:statefulset-controller": _cr_system_controller_statefulset_controller,
	"system:controller:ttl-after-finished-controller": _cr_system_controller_ttl_after_finished_controller,
	"system:controller:ttl-controller": _cr_system_controller_ttl_controller,
	"system:controller:validatingadmissionpolicy-status-controller": _cr_system_controller_validatingadmissionpolicy_status_controller,
	"kubeadm:get-nodes": _cr_kubeadm_get_nodes,
	"system:coredns": _cr_system_coredns,
	"eks:node-bootstrapper": _cr_eks_node_bootstrapper,
	"eks:k8s-metrics": _cr_eks_k8s_metrics,
}

cluster_roles := object.union(object.union(object.union(object.union(_cluster_roles_0, _cluster_roles_1), _cluster_roles_2), _cluster_roles_3), _cluster_roles_4)

_roles_0 := {
	"kube-system/extension-apiserver-authentication-reader": _r_kube_system_extension_apiserver_authentication_reader,
	"kube-system/system::leader-locking-kube-controller-manager": _r_kube_system_system_leader_locking_kube_controller_manager,
	"kube-system/system::leader-locking-kube-scheduler": _r_kube_system_system_leader_locking_kube_scheduler,
	"kube-system/system:controller:bootstrap-signer": _r_kube_system_system_controller_bootstrap_signer,
	"kube-system/system:controller:cloud-provider": _r_kube_system_system_controller_cloud_provider,
	"kube-system/system:controller:token-cleaner": _r_kube_system_system_controller_token_cleaner,
	"kube-public/system:controller:bootstrap-signer": _r_kube_public_system_controller_bootstrap_signer,
	"kube-system/kubeadm:kubelet-config": _r_kube_system_kubeadm_kubelet_config,
	"kube-system/kubeadm:nodes-kubeadm-config": _r_kube_system_kubeadm_nodes_kubeadm_config,
	"kube-system/kube-proxy": _r_kube_system_kube_proxy,
	"kube-public/kubeadm:bootstrap-signer-clusterinfo": _r_kube_public_kubeadm_bootstrap_signer_clusterinfo,
	"kube-system/eks:k8s-metrics": _r_kube_system_eks_k8s_metrics,
}

roles := _roles_0

_cluster_role_bindings_0 := {
	"cluster-admin": _crb_cluster_admin,
	"system:basic-user": _crb_system_basic_user,
	"system:discovery": _crb_system_discovery,
	"system:kube-controller-manager": _crb_system_kube_controller_manager,
	"system:kube-dns": _crb_system_kube_dns,
	"system:kube-scheduler": _crb_system_kube_scheduler,
	"system:monitoring": _crb_system_monitoring,
	"system:node": _crb_system_node,
	"system:node-proxier": _crb_system_node_proxier,
	"system:public-info-viewer": _crb_system_public_info_viewer,
	"system:service-account-issuer-discovery": _crb_system_service_account_issuer_discovery,
	"system:volume-scheduler": _crb_system_volume_scheduler,
	"kubeadm:cluster-admins": _crb_kubeadm_cluster_admins,
	"kubeadm:kubelet-bootstrap": _crb_kubeadm_kubelet_bootstrap,
	"kubeadm:get-nodes": _crb_kubeadm_get_nodes,
	"kubeadm:node-autoapprove-bootstrap": _crb_kubeadm_node_autoapprove_bootstrap,
}

_cluster_role_bindings_1 := {
	"kubeadm:node-autoapprove-certificate-rotation": _crb_kubeadm_node_autoapprove_certificate_rotation,
	"kubeadm:node-proxier": _crb_kubeadm_node_proxier,
	"system:coredns": _crb_system_coredns,
	"eks:addon-cluster-admin": _crb_eks_addon_cluster_admin,
	"eks:node-bootstrapper": _crb_eks_node_bootstrapper,
	"eks:k8s-metrics": _crb_eks_k8s_metrics,
}

cluster_role_bindings := object.union(object.union(_cluster_role_bindings_0, _cluster_role_bindings_1), _controller_bindings)

_role_bindings_0 := {
	"kube-system/system::extension-apiserver-authentication-reader": _rb_kube_system_system_extension_apiserver_authentication_reader,
	"kube-system/system::leader-locking-kube-controller-manager": _rb_kube_system_system_leader_locking_kube_controller_manager,
	"kube-system/system::leader-locking-kube-scheduler": _rb_kube_system_system_leader_locking_kube_scheduler,
	"kube-system/system:controller:bootstrap-signer": _rb_kube_system_system_controller_bootstrap_signer,
	"kube-system/system:controller:cloud-provider": _rb_kube_system_system_controller_cloud_provider,
	"kube-system/system:controller:token-cleaner": _rb_kube_system_system_controller_token_cleaner,
	"kube-public/system:controller:bootstrap-signer": _rb_kube_public_system_controller_bootstrap_signer,
	"kube-system/kubeadm:kubelet-config": _rb_kube_system_kubeadm_kubelet_config,
	"kube-system/kubeadm:nodes-kubeadm-config": _rb_kube_system_kubeadm_nodes_kubeadm_config,
	"kube-system/kube-proxy": _rb_kube_system_kube_proxy,
	"kube-public/kubeadm:bootstrap-signer-clusterinfo": _rb_kube_public_kubeadm_bootstrap_signer_clusterinfo,
	"kube-system/eks:k8s-metrics": _rb_kube_system_eks_k8s_metrics,
}

role_bindings := _role_bindings_0

# What each platform is, for evidence.
platform_names := {
	"kubernetes": "the Kubernetes RBAC bootstrap policy (created and reconciled by the API server)",
	"kubeadm": "kubeadm (created by kubeadm init and upgrade)",
	"eks": "Amazon EKS (created and reconciled by the EKS control plane)",
}
