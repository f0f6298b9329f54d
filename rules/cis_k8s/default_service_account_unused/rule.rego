# CIS 5.1.5: the `default` ServiceAccount of each namespace mounts no token, is bound to no role
# and is used by no workload.
package kspm.rules.default_service_account_unused

import rego.v1

import data.kspm.lib.namespaces
import data.kspm.lib.pods
import data.kspm.lib.rbac

sa := input.resource

ns := namespaces.field(sa.metadata, "namespace", "")

applicable if {
	sa.kind == "ServiceAccount"
	sa.metadata.name == "default"
}

automount := namespaces.field(sa, "automountServiceAccountToken", "(not set)")

# Every binding, in any namespace, that names this account (through the inventory's subject
# index, so nothing is scanned per namespace).
bindings contains rbac.binding_ref(b) if {
	some b in object.get(data.inventory.bindings_by_subject, sprintf("ServiceAccount:%s:default", [ns]), [])
	not rbac.system_managed(b)
}

users contains namespaces.ref(w) if {
	some w in namespaces.workloads(ns)
	not namespaces.mirror_pod(w)
	spec := pods.spec(w)
	namespaces.field(spec, "serviceAccountName", namespaces.field(spec, "serviceAccount", "")) in {"", "default"}
}

evidence := {
	"automount_service_account_token": automount,
	"bindings": sort(bindings),
	"workloads_using_it": namespaces.capped([u | some u in users]),
	"workloads_using_it_count": count(users),
}

expected := {"automountServiceAccountToken": false, "bindings": [], "workloads_using_it": []}

in_use if automount != false

in_use if count(bindings) > 0

in_use if count(users) > 0

finding := {"evaluation": "failed", "evidence": evidence, "expected": expected} if {
	applicable
	in_use
}

finding := {"evaluation": "passed", "evidence": evidence, "expected": expected} if {
	applicable
	not in_use
}
