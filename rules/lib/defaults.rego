# Platform defaults: the RBAC objects Kubernetes itself (the RBAC bootstrap policy the API
# server reconciles), kubeadm and Amazon EKS create in a new cluster, as data. An object of the
# scan counts as a platform default only when it equals one of these exactly: same kind,
# namespace and name, same roleRef and subjects (bindings), same policy rules (roles; order does
# not matter). Names and labels alone prove nothing: anyone allowed to write RBAC can create a
# `system:` name or the `kubernetes.io/bootstrapping` label. The matching is in kspm.lib.rbac.
#
# A policy rule is one string of five `|`-separated fields, each a comma-separated list:
# "apiGroups|resources|resourceNames|nonResourceURLs|verbs", the core API group written `core`
# ("core|pods|||get,list,watch"). Order inside a list does not matter (kspm.lib.rbac sorts both
# sides); one string per rule keeps this module small for regorus. Subjects are "Kind/name" for users and
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

_events := "core,events.k8s.io|events|||create,patch,update"

# ---------------------------------------------------------------- ClusterRoles

# name -> {"platform", "rules"} (or "aggregation": the matchLabels of an aggregated role, whose
# rules the aggregation controller fills from the roles it selects).
_cr_admin := {"platform": "kubernetes", "aggregation": [{"rbac.authorization.k8s.io/aggregate-to-admin": "true"}]}

_cr_edit := {"platform": "kubernetes", "aggregation": [{"rbac.authorization.k8s.io/aggregate-to-edit": "true"}]}

_cr_view := {"platform": "kubernetes", "aggregation": [{"rbac.authorization.k8s.io/aggregate-to-view": "true"}]}

_cr_cluster_admin := {"platform": "kubernetes", "rules": [
	"*|*|||*",
	"|||*|*",
]}

_cr_system_aggregate_to_admin := {"platform": "kubernetes", "rules": [
	"authorization.k8s.io|localsubjectaccessreviews|||create",
	"rbac.authorization.k8s.io|rolebindings,roles|||create,delete,deletecollection,get,list,patch,update,watch",
]}

_cr_system_aggregate_to_edit := {"platform": "kubernetes", "rules": [
	"core|pods/attach,pods/exec,pods/portforward,pods/proxy,secrets,services/proxy|||get,list,watch",
	"core|serviceaccounts|||impersonate",
	"core|pods,pods/attach,pods/exec,pods/portforward,pods/proxy|||create,delete,deletecollection,patch,update",
	"core|pods/eviction|||create",
	"core|configmaps,events,persistentvolumeclaims,replicationcontrollers,replicationcontrollers/scale,secrets,serviceaccounts,services,services/proxy|||create,delete,deletecollection,patch,update",
	"core|serviceaccounts/token|||create",
	"apps|daemonsets,deployments,deployments/rollback,deployments/scale,replicasets,replicasets/scale,statefulsets,statefulsets/scale|||create,delete,deletecollection,patch,update",
	"autoscaling|horizontalpodautoscalers|||create,delete,deletecollection,patch,update",
	"batch|cronjobs,jobs|||create,delete,deletecollection,patch,update",
	"extensions|daemonsets,deployments,deployments/rollback,deployments/scale,ingresses,networkpolicies,replicasets,replicasets/scale,replicationcontrollers/scale|||create,delete,deletecollection,patch,update",
	"policy|poddisruptionbudgets|||create,delete,deletecollection,patch,update",
	"networking.k8s.io|ingresses,networkpolicies|||create,delete,deletecollection,patch,update",
	"coordination.k8s.io|leases|||create,delete,deletecollection,get,list,patch,update,watch",
]}

_cr_system_aggregate_to_view := {"platform": "kubernetes", "rules": [
	"core|configmaps,endpoints,persistentvolumeclaims,persistentvolumeclaims/status,pods,replicationcontrollers,replicationcontrollers/scale,serviceaccounts,services,services/status|||get,list,watch",
	"core|bindings,events,limitranges,namespaces/status,pods/log,pods/status,replicationcontrollers/status,resourcequotas,resourcequotas/status|||get,list,watch",
	"core|namespaces|||get,list,watch",
	"discovery.k8s.io|endpointslices|||get,list,watch",
	"apps|controllerrevisions,daemonsets,daemonsets/status,deployments,deployments/scale,deployments/status,replicasets,replicasets/scale,replicasets/status,statefulsets,statefulsets/scale,statefulsets/status|||get,list,watch",
	"autoscaling|horizontalpodautoscalers,horizontalpodautoscalers/status|||get,list,watch",
	"batch|cronjobs,cronjobs/status,jobs,jobs/status|||get,list,watch",
	"extensions|daemonsets,daemonsets/status,deployments,deployments/scale,deployments/status,ingresses,ingresses/status,networkpolicies,replicasets,replicasets/scale,replicasets/status,replicationcontrollers/scale|||get,list,watch",
	"policy|poddisruptionbudgets,poddisruptionbudgets/status|||get,list,watch",
	"networking.k8s.io|ingresses,ingresses/status,networkpolicies|||get,list,watch",
]}

_cr_system_auth_delegator := {"platform": "kubernetes", "rules": [
	"authentication.k8s.io|tokenreviews|||create",
	"authorization.k8s.io|subjectaccessreviews|||create",
]}

_cr_system_basic_user := {"platform": "kubernetes", "rules": [
	"authorization.k8s.io|selfsubjectaccessreviews,selfsubjectrulesreviews|||create",
	"authentication.k8s.io|selfsubjectreviews|||create",
]}

_cr_system_certificates_k8s_io_certificatesigningrequests_nodeclient := {"platform": "kubernetes", "rules": ["certificates.k8s.io|certificatesigningrequests/nodeclient|||create"]}

_cr_system_certificates_k8s_io_certificatesigningrequests_selfnodeclient := {"platform": "kubernetes", "rules": ["certificates.k8s.io|certificatesigningrequests/selfnodeclient|||create"]}

_cr_system_certificates_k8s_io_kube_apiserver_client_approver := {"platform": "kubernetes", "rules": ["certificates.k8s.io|signers|kubernetes.io/kube-apiserver-client||approve"]}

_cr_system_certificates_k8s_io_kube_apiserver_client_kubelet_approver := {"platform": "kubernetes", "rules": ["certificates.k8s.io|signers|kubernetes.io/kube-apiserver-client-kubelet||approve"]}

_cr_system_certificates_k8s_io_kubelet_serving_approver := {"platform": "kubernetes", "rules": ["certificates.k8s.io|signers|kubernetes.io/kubelet-serving||approve"]}

_cr_system_certificates_k8s_io_legacy_unknown_approver := {"platform": "kubernetes", "rules": ["certificates.k8s.io|signers|kubernetes.io/legacy-unknown||approve"]}

_cr_system_discovery := {"platform": "kubernetes", "rules": ["|||/api,/api/*,/apis,/apis/*,/healthz,/livez,/openapi,/openapi/*,/readyz,/version,/version/|get"]}

_cr_system_heapster := {"platform": "kubernetes", "rules": [
	"core|events,namespaces,nodes,pods|||get,list,watch",
	"extensions|deployments|||get,list,watch",
]}

_cr_system_kube_aggregator := {"platform": "kubernetes", "rules": ["core|endpoints,services|||get,list,watch"]}

_cr_system_kube_controller_manager := {"platform": "kubernetes", "rules": [
	_events,
	"coordination.k8s.io|leases|||create",
	"coordination.k8s.io|leases|kube-controller-manager||get,update",
	"core|secrets,serviceaccounts|||create",
	"core|secrets|||delete",
	"core|configmaps,namespaces,secrets,serviceaccounts|||get",
	"core|secrets,serviceaccounts|||update",
	"authentication.k8s.io|tokenreviews|||create",
	"authorization.k8s.io|subjectaccessreviews|||create",
	"*|*|||list,watch",
	"core|serviceaccounts/token|||create",
]}

_cr_system_kube_dns := {"platform": "kubernetes", "rules": ["core|endpoints,services|||list,watch"]}

_cr_system_kube_scheduler := {"platform": "kubernetes", "rules": [
	_events,
	"coordination.k8s.io|leases|||create",
	"coordination.k8s.io|leases|kube-scheduler||get,list,update,watch",
	"coordination.k8s.io|leasecandidates|||create,delete,deletecollection,get,list,patch,update,watch",
	"core|nodes|||get,list,watch",
	"core|pods|||delete,get,list,watch",
	"core|bindings,pods/binding|||create",
	"core|pods/status|||patch,update",
	"core|replicationcontrollers,services|||get,list,watch",
	"apps,extensions|replicasets|||get,list,watch",
	"apps|statefulsets|||get,list,watch",
	"policy|poddisruptionbudgets|||get,list,watch",
	"core|persistentvolumeclaims,persistentvolumes|||get,list,watch",
	"authentication.k8s.io|tokenreviews|||create",
	"authorization.k8s.io|subjectaccessreviews|||create",
	"storage.k8s.io|csinodes|||get,list,watch",
	"storage.k8s.io|volumeattachments|||get,list,watch",
	"core|namespaces|||get,list,watch",
	"storage.k8s.io|csidrivers|||get,list,watch",
	"storage.k8s.io|csistoragecapacities|||get,list,watch",
	"resource.k8s.io|deviceclasses|||get,list,watch",
	"resource.k8s.io|resourceclaims|||get,list,patch,update,watch",
	"resource.k8s.io|resourceclaims/status|||get,list,patch,update,watch",
	"core|pods/finalizers|||get,list,patch,update,watch",
	"resource.k8s.io|resourceslices|||get,list,watch",
]}

_cr_system_kubelet_api_admin := {"platform": "kubernetes", "rules": [
	"core|nodes|||get,list,watch",
	"core|nodes|||proxy",
	"core|nodes/log,nodes/metrics,nodes/proxy,nodes/stats|||*",
]}

_cr_system_monitoring := {"platform": "kubernetes", "rules": ["|||/healthz,/healthz/*,/livez,/livez/*,/metrics,/metrics/slis,/readyz,/readyz/*|get"]}

_cr_system_node := {"platform": "kubernetes", "rules": [
	"authentication.k8s.io|tokenreviews|||create",
	"authorization.k8s.io|localsubjectaccessreviews,subjectaccessreviews|||create",
	"core|services|||get,list,watch",
	"core|nodes|||create,get,list,watch",
	"core|nodes/status|||patch,update",
	"core|nodes|||patch,update",
	"core|events|||create,patch,update",
	"core|pods|||get,list,watch",
	"core|pods|||create,delete",
	"core|pods/status|||patch,update",
	"core|pods/eviction|||create",
	"core|configmaps,secrets|||get,list,watch",
	"core|persistentvolumeclaims,persistentvolumes|||get",
	"core|endpoints|||get",
	"certificates.k8s.io|certificatesigningrequests|||create,get,list,watch",
	"coordination.k8s.io|leases|||create,delete,get,patch,update",
	"storage.k8s.io|volumeattachments|||get",
	"core|serviceaccounts/token|||create",
	"core|persistentvolumeclaims/status|||get,patch,update",
	"storage.k8s.io|csidrivers|||get,list,watch",
	"storage.k8s.io|csinodes|||create,delete,get,patch,update",
	"node.k8s.io|runtimeclasses|||get,list,watch",
	"resource.k8s.io|resourceclaims|||get",
	"resource.k8s.io|resourceslices|||deletecollection",
]}

_cr_system_node_bootstrapper := {"platform": "kubernetes", "rules": ["certificates.k8s.io|certificatesigningrequests|||create,get,list,watch"]}

_cr_system_node_problem_detector := {"platform": "kubernetes", "rules": [
	"core|nodes|||get",
	"core|nodes/status|||patch",
	_events,
]}

_cr_system_node_proxier := {"platform": "kubernetes", "rules": [
	"core|endpoints,services|||list,watch",
	"core|nodes|||get,list,watch",
	_events,
	"discovery.k8s.io|endpointslices|||list,watch",
]}

_cr_system_persistent_volume_provisioner := {"platform": "kubernetes", "rules": [
	"core|persistentvolumes|||create,delete,get,list,watch",
	"core|persistentvolumeclaims|||get,list,update,watch",
	"storage.k8s.io|storageclasses|||get,list,watch",
	"core|events|||watch",
	_events,
]}

_cr_system_public_info_viewer := {"platform": "kubernetes", "rules": ["|||/healthz,/livez,/readyz,/version,/version/|get"]}

_cr_system_service_account_issuer_discovery := {"platform": "kubernetes", "rules": ["|||/.well-known/openid-configuration,/.well-known/openid-configuration/,/openid/v1/jwks,/openid/v1/jwks/|get"]}

_cr_system_volume_scheduler := {"platform": "kubernetes", "rules": [
	"core|persistentvolumes|||get,list,patch,update,watch",
	"storage.k8s.io|storageclasses|||get,list,watch",
	"core|persistentvolumeclaims|||get,list,patch,update,watch",
]}

# Controller roles: one per kube-controller-manager loop, bound to its service account in
# kube-system (with --use-service-account-credentials, as kubeadm runs it).
_cr_system_controller_attachdetach_controller := {"platform": "kubernetes", "rules": [
	"core|persistentvolumeclaims,persistentvolumes|||list,watch",
	"core|nodes|||get,list,watch",
	"core|nodes/status|||patch,update",
	"core|pods|||list,watch",
	_events,
	"storage.k8s.io|volumeattachments|||create,delete,get,list,watch",
	"storage.k8s.io|csidrivers|||get,list,watch",
	"storage.k8s.io|csinodes|||get,list,watch",
]}

_cr_system_controller_certificate_controller := {"platform": "kubernetes", "rules": [
	"certificates.k8s.io|certificatesigningrequests|||delete,get,list,watch",
	"certificates.k8s.io|certificatesigningrequests/approval,certificatesigningrequests/status|||update",
	"certificates.k8s.io|signers|kubernetes.io/kube-apiserver-client-kubelet||approve",
	"certificates.k8s.io|signers|kubernetes.io/kube-apiserver-client,kubernetes.io/kube-apiserver-client-kubelet,kubernetes.io/kubelet-serving,kubernetes.io/legacy-unknown||sign",
	"authorization.k8s.io|subjectaccessreviews|||create",
	_events,
]}

_cr_system_controller_clusterrole_aggregation_controller := {"platform": "kubernetes", "rules": ["rbac.authorization.k8s.io|clusterroles|||escalate,get,list,patch,update,watch"]}

_cr_system_controller_cronjob_controller := {"platform": "kubernetes", "rules": [
	"batch|cronjobs|||get,list,update,watch",
	"batch|jobs|||create,delete,get,list,patch,update,watch",
	"batch|cronjobs/status|||update",
	"batch|cronjobs/finalizers|||update",
	"core|pods|||delete,list,watch",
	_events,
]}

_cr_system_controller_daemon_set_controller := {"platform": "kubernetes", "rules": [
	"apps,extensions|daemonsets|||get,list,watch",
	"apps,extensions|daemonsets/status|||update",
	"apps,extensions|daemonsets/finalizers|||update",
	"core|nodes|||list,watch",
	"core|pods|||create,delete,list,patch,watch",
	"core|pods/binding|||create",
	"apps|controllerrevisions|||create,delete,get,list,patch,update,watch",
	_events,
]}

_cr_system_controller_deployment_controller := {"platform": "kubernetes", "rules": [
	"apps,extensions|deployments|||get,list,update,watch",
	"apps,extensions|deployments/status|||update",
	"apps,extensions|deployments/finalizers|||update",
	"apps,extensions|replicasets|||create,delete,get,list,patch,update,watch",
	"core|pods|||get,list,update,watch",
	_events,
]}

_cr_system_controller_disruption_controller := {"platform": "kubernetes", "rules": [
	"apps,extensions|deployments|||get,list,watch",
	"apps,extensions|replicasets|||get,list,watch",
	"core|replicationcontrollers|||get,list,watch",
	"policy|poddisruptionbudgets|||get,list,watch",
	"apps|statefulsets|||get,list,watch",
	"policy|poddisruptionbudgets/status|||update",
	"core|pods/status|||patch,update",
	"*|*/scale|||get",
	_events,
]}

_cr_system_controller_endpoint_controller := {"platform": "kubernetes", "rules": [
	"core|pods,services|||get,list,watch",
	"core|endpoints|||create,delete,get,list,update,watch",
	"core|endpoints/restricted|||create",
	_events,
]}

_cr_system_controller_endpointslice_controller := {"platform": "kubernetes", "rules": [
	"core|nodes,pods,services|||get,list,watch",
	"core|services/finalizers|||update",
	"discovery.k8s.io|endpointslices|||create,delete,get,list,update,watch",
	_events,
]}

_cr_system_controller_endpointslicemirroring_controller := {"platform": "kubernetes", "rules": [
	"core|endpoints,services|||get,list,watch",
	"core|services/finalizers|||update",
	"core|endpoints/finalizers|||update",
	"discovery.k8s.io|endpointslices|||create,delete,get,list,update,watch",
	_events,
]}

_cr_system_controller_ephemeral_volume_controller := {"platform": "kubernetes", "rules": [
	"core|pods|||get,list,watch",
	"core|pods/finalizers|||update",
	"core|persistentvolumeclaims|||create,get,list,watch",
	_events,
]}

_cr_system_controller_expand_controller := {"platform": "kubernetes", "rules": [
	"core|persistentvolumes|||get,list,patch,update,watch",
	"core|persistentvolumeclaims/status|||patch,update",
	"core|persistentvolumeclaims|||get,list,watch",
	_events,
	"core|services|||get",
]}

_cr_system_controller_generic_garbage_collector := {"platform": "kubernetes", "rules": [
	"*|*|||delete,get,list,patch,update,watch",
	_events,
]}

_cr_system_controller_horizontal_pod_autoscaler := {"platform": "kubernetes", "rules": [
	"autoscaling|horizontalpodautoscalers|||get,list,watch",
	"autoscaling|horizontalpodautoscalers/status|||update",
	"*|*/scale|||get,update",
	"core|pods|||list,watch",
	"*|*|||get,list,watch",
	"metrics.k8s.io|pods|||list,watch",
	"custom.metrics.k8s.io|*|||get,list,watch",
	"external.metrics.k8s.io|*|||get,list,watch",
	_events,
]}

_cr_system_controller_job_controller := {"platform": "kubernetes", "rules": [
	"batch|jobs|||get,list,patch,update,watch",
	"batch|jobs/status|||update",
	"batch|jobs/finalizers|||update",
	"core|pods|||create,delete,list,patch,watch",
	_events,
]}

_cr_system_controller_legacy_service_account_token_cleaner := {"platform": "kubernetes", "since": 28, "rules": [
	"core|configmaps|kube-apiserver-legacy-service-account-token-tracking||get",
	"core|secrets|||delete,patch",
]}

_cr_system_controller_namespace_controller := {"platform": "kubernetes", "rules": [
	"core|namespaces|||delete,get,list,watch",
	"core|namespaces/finalize,namespaces/status|||update",
	"*|*|||delete,deletecollection,get,list,watch",
]}

_cr_system_controller_node_controller := {"platform": "kubernetes", "rules": [
	"core|nodes|||delete,get,list,patch,update,watch",
	"core|nodes/status|||patch,update",
	"core|pods/status|||patch,update",
	"core|pods|||delete,get,list,watch",
	_events,
]}

_cr_system_controller_persistent_volume_binder := {"platform": "kubernetes", "rules": [
	"core|persistentvolumes|||create,delete,get,list,update,watch",
	"core|persistentvolumes/status|||update",
	"core|persistentvolumeclaims|||get,list,update,watch",
	"core|persistentvolumeclaims/status|||update",
	"core|pods|||create,delete,get,list,watch",
	"storage.k8s.io|storageclasses|||get,list,watch",
	"core|nodes|||list,watch",
	_events,
	"core|events|||watch",
	"core|services|||get",
]}

_cr_system_controller_pod_garbage_collector := {"platform": "kubernetes", "rules": [
	"core|pods|||delete,list,watch",
	"core|nodes|||get,list,watch",
	"core|pods/status|||patch",
]}

_cr_system_controller_podcertificaterequestcleaner := {"platform": "kubernetes", "since": 34, "rules": ["certificates.k8s.io|podcertificaterequests|||delete,get,list,watch"]}

_cr_system_controller_pv_protection_controller := {"platform": "kubernetes", "rules": [
	"core|persistentvolumes|||get,list,update,watch",
	_events,
]}

_cr_system_controller_pvc_protection_controller := {"platform": "kubernetes", "rules": [
	"core|persistentvolumeclaims|||get,list,update,watch",
	"core|pods|||get,list,watch",
	_events,
]}

_cr_system_controller_replicaset_controller := {"platform": "kubernetes", "rules": [
	"apps,extensions|replicasets|||get,list,update,watch",
	"apps,extensions|replicasets/status|||update",
	"apps,extensions|replicasets/finalizers|||update",
	"core|pods|||create,delete,list,patch,watch",
	_events,
]}

_cr_system_controller_replication_controller := {"platform": "kubernetes", "rules": [
	"core|replicationcontrollers|||get,list,update,watch",
	"core|replicationcontrollers/status|||update",
	"core|replicationcontrollers/finalizers|||update",
	"core|pods|||create,delete,list,patch,watch",
	_events,
]}

_cr_system_controller_resource_claim_controller := {"platform": "kubernetes", "rules": [
	"core|pods|||get,list,watch",
	"core|pods/finalizers|||update",
	"resource.k8s.io|resourceclaims|||create,delete,get,list,watch",
	"resource.k8s.io|resourceclaims,resourceclaims/status|||patch,update",
	"core|pods/status|||patch,update",
	_events,
]}

_cr_system_controller_resourcequota_controller := {"platform": "kubernetes", "rules": [
	"*|*|||list,watch",
	"core|resourcequotas/status|||update",
	_events,
]}

_cr_system_controller_root_ca_cert_publisher := {"platform": "kubernetes", "rules": [
	"core|configmaps|||create,update",
	_events,
]}

_cr_system_controller_route_controller := {"platform": "kubernetes", "rules": [
	"core|nodes|||list,watch",
	"core|nodes/status|||patch",
	_events,
]}

_cr_system_controller_selinux_warning_controller := {"platform": "kubernetes", "since": 32, "rules": [
	_events,
	"core|persistentvolumes|||get,list,watch",
	"core|persistentvolumeclaims|||get,list,watch",
	"core|pods|||get,list,watch",
	"storage.k8s.io|csidrivers|||get,list,watch",
]}

_cr_system_controller_service_account_controller := {"platform": "kubernetes", "rules": [
	"core|serviceaccounts|||create",
	_events,
]}

_cr_system_controller_service_cidrs_controller := {"platform": "kubernetes", "since": 33, "rules": [
	"networking.k8s.io|servicecidrs|||get,list,patch,update,watch",
	"networking.k8s.io|servicecidrs/finalizers|||patch,update",
	"networking.k8s.io|servicecidrs/status|||patch,update",
	"networking.k8s.io|ipaddresses|||get,list,watch",
	_events,
]}

_cr_system_controller_service_controller := {"platform": "kubernetes", "rules": [
	"core|services|||get,list,watch",
	"core|services/status|||patch,update",
	"core|nodes|||list,watch",
	_events,
]}

_cr_system_controller_statefulset_controller := {"platform": "kubernetes", "rules": [
	"core|pods|||list,watch",
	"apps|statefulsets|||get,list,watch",
	"apps|statefulsets/status|||update",
	"apps|statefulsets/finalizers|||update",
	"core|pods|||create,delete,get,patch,update",
	"apps|controllerrevisions|||create,delete,get,list,patch,update,watch",
	"core|persistentvolumeclaims|||create,get,list,watch",
	_events,
	"core|persistentvolumeclaims|||delete,update",
	"core|pods/finalizers|||update",
]}

_cr_system_controller_ttl_after_finished_controller := {"platform": "kubernetes", "rules": [
	"batch|jobs|||delete,get,list,watch",
	_events,
]}

_cr_system_controller_ttl_controller := {"platform": "kubernetes", "rules": [
	"core|nodes|||list,patch,update,watch",
	_events,
]}

_cr_system_controller_validatingadmissionpolicy_status_controller := {"platform": "kubernetes", "rules": [
	"admissionregistration.k8s.io|validatingadmissionpolicies|||get,list,watch",
	"admissionregistration.k8s.io|validatingadmissionpolicies/status|||get,patch,update",
	_events,
]}

# kubeadm.
_cr_kubeadm_get_nodes := {"platform": "kubeadm", "rules": ["core|nodes|||get"]}

_cr_system_coredns := {"platform": "kubeadm", "rules": [
	"core|endpoints,services,pods,namespaces|||list,watch",
	"discovery.k8s.io|endpointslices|||list,watch",
]}

# EKS.
_cr_eks_node_bootstrapper := {"platform": "eks", "rules": ["certificates.k8s.io|certificatesigningrequests/selfnodeserver|||create"]}

_cr_eks_k8s_metrics := {"platform": "eks", "rules": [
	"|||/metrics|get",
	"core|endpoints|||list",
	"core|nodes|||list",
	"core|pods|||list",
	"apps|deployments|||list",
]}

# ---------------------------------------------------------------- Roles ("namespace/name")

_r_kube_system_extension_apiserver_authentication_reader := {"platform": "kubernetes", "rules": ["core|configmaps|extension-apiserver-authentication||get,list,watch"]}

_r_kube_system_system_leader_locking_kube_controller_manager := {"platform": "kubernetes", "rules": [
	"core|configmaps|||watch",
	"core|configmaps|kube-controller-manager||get,update",
	"coordination.k8s.io|leases|||create,get,list,update,watch",
	"coordination.k8s.io|leasecandidates|||create,get,list,update,watch",
]}

_r_kube_system_system_leader_locking_kube_scheduler := {"platform": "kubernetes", "rules": [
	"core|configmaps|||watch",
	"core|configmaps|kube-scheduler||get,update",
	"coordination.k8s.io|leases|||create,get,list,update,watch",
	"coordination.k8s.io|leasecandidates|||create,get,list,update,watch",
]}

_r_kube_system_system_controller_bootstrap_signer := {"platform": "kubernetes", "rules": ["core|secrets|||get,list,watch"]}

_r_kube_system_system_controller_cloud_provider := {"platform": "kubernetes", "rules": ["core|configmaps|||create,get,list,watch"]}

_r_kube_system_system_controller_token_cleaner := {"platform": "kubernetes", "rules": [
	"core|secrets|||delete,get,list,watch",
	_events,
]}

_r_kube_public_system_controller_bootstrap_signer := {"platform": "kubernetes", "rules": [
	"core|configmaps|||get,list,watch",
	"core|configmaps|cluster-info||update",
	_events,
]}

# kubeadm: nodes and bootstrap tokens read the ConfigMaps they need to join.
_r_kube_system_kubeadm_kubelet_config := {"platform": "kubeadm", "rules": ["core|configmaps|kubelet-config||get"]}

_r_kube_system_kubeadm_nodes_kubeadm_config := {"platform": "kubeadm", "rules": ["core|configmaps|kubeadm-config||get"]}

_r_kube_system_kube_proxy := {"platform": "kubeadm", "rules": ["core|configmaps|kube-proxy||get"]}

_r_kube_public_kubeadm_bootstrap_signer_clusterinfo := {"platform": "kubeadm", "rules": ["core|configmaps|cluster-info||get"]}

# EKS.
_r_kube_system_eks_k8s_metrics := {"platform": "eks", "rules": [
	"apps|daemonsets|aws-node||get",
	"apps|deployments|vpc-resource-controller||get",
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
