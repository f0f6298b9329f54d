# CIS 5.1.6: is an API token mounted into the pod? Pod setting first, then its ServiceAccount's,
# then the Kubernetes default (mounted).
package kspm.rules.service_account_token_automount

import rego.v1

import data.kspm.lib.namespaces
import data.kspm.lib.pods

obj := pods.target

spec := pods.target_spec

ns := object.get(obj.metadata, "namespace", "")

service_account := n if {
	n := object.get(spec, "serviceAccountName", object.get(spec, "serviceAccount", ""))
	n != ""
} else := "default"

account := namespaces.objects_in("ServiceAccount", ns)[service_account]

setting := {"mounted": v, "decided_by": "the pod spec"} if {
	v := spec.automountServiceAccountToken
} else := {"mounted": v, "decided_by": sprintf("ServiceAccount %s/%s", [ns, service_account])} if {
	v := account.automountServiceAccountToken
} else := {"mounted": true, "decided_by": "the default (neither the pod nor its service account sets it)"}

evidence := {
	"service_account": service_account,
	"token_mounted": setting.mounted,
	"decided_by": setting.decided_by,
}

expected := {"automountServiceAccountToken": false}

# `obj` is undefined for objects without a pod spec, and `not` would be true for them.
applicable if {
	obj
	not namespaces.mirror_pod(obj)
}

finding := {"evaluation": "failed", "evidence": evidence, "expected": expected} if {
	applicable
	setting.mounted == true
}

finding := {"evaluation": "passed", "evidence": evidence, "expected": expected} if {
	applicable
	setting.mounted == false
}
