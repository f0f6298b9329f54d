# CIS 5.1.6: is an API token mounted into the pod? Pod setting first, then its ServiceAccount's,
# then the Kubernetes default (mounted).
package kspm.rules.service_account_token_automount

import rego.v1

obj := data.kspm.lib.pods.target

spec := data.kspm.lib.pods.target_spec

ns := data.kspm.lib.namespaces.field(obj.metadata, "namespace", "")

named_account := data.kspm.lib.namespaces.field(spec, "serviceAccountName", data.kspm.lib.namespaces.field(spec, "serviceAccount", ""))

service_account := named_account if named_account != ""

service_account := "default" if named_account == ""

# The kubelet's order: the pod's own setting, then its ServiceAccount's, then "mount".
# (Written without `else`: regorus' VM drops to undefined when an else-branch body starts with
# an assignment from a missing path.)
pod_value := data.kspm.lib.namespaces.field(spec, "automountServiceAccountToken", null)

account_value := data.kspm.lib.namespaces.field(
	data.kspm.lib.namespaces.field(data.kspm.lib.namespaces.objects_in("ServiceAccount", ns), service_account, {}),
	"automountServiceAccountToken", null,
)

setting := {"mounted": pod_value, "decided_by": "the pod spec"} if pod_value != null

setting := {"mounted": account_value, "decided_by": sprintf("ServiceAccount %s/%s", [ns, service_account])} if {
	pod_value == null
	account_value != null
}

setting := {"mounted": true, "decided_by": "the default (neither the pod nor its service account sets it)"} if {
	pod_value == null
	account_value == null
}

evidence := {
	"service_account": service_account,
	"token_mounted": setting.mounted,
	"decided_by": setting.decided_by,
}

expected := {"automountServiceAccountToken": false}

# `obj` is undefined for objects without a pod spec, and `not` would be true for them.
applicable if {
	obj
	not data.kspm.lib.namespaces.mirror_pod(obj)
}

finding := {"evaluation": "failed", "evidence": evidence, "expected": expected} if {
	applicable
	setting.mounted == true
}

finding := {"evaluation": "passed", "evidence": evidence, "expected": expected} if {
	applicable
	setting.mounted == false
}
