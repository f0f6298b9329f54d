# CIS 5.1.5: the `default` ServiceAccount of each namespace mounts no token, is bound to no role
# and is used by no workload.
package kspm.rules.default_service_account_unused

import rego.v1

sa := input.resource

ns := data.kspm.lib.namespaces.field(sa.metadata, "namespace", "")

applicable if {
	sa.kind == "ServiceAccount"
	sa.metadata.name == "default"
}

automount := data.kspm.lib.namespaces.field(sa, "automountServiceAccountToken", "(not set)")

# Every binding, in any namespace, that names this account (through the inventory's subject
# index, so nothing is scanned per namespace). Only bindings a platform creates exactly as it does
# are left out (kspm.lib.defaults; none names a default account today): a `system:` name or the
# bootstrapping label proves nothing.
naming := object.get(data.inventory.bindings_by_subject, sprintf("ServiceAccount:%s:default", [ns]), [])

counted_bindings := [b | some b in naming; not data.kspm.lib.rbac.default_binding(b)]

bindings contains data.kspm.lib.rbac.binding_ref(b) if some b in counted_bindings

users contains data.kspm.lib.namespaces.ref(obj) if {
	some w in data.kspm.lib.namespaces.workloads(ns)
	not data.kspm.lib.namespaces.mirror_pod(w.object)
	spec := w.spec
	data.kspm.lib.namespaces.field(spec, "serviceAccountName", data.kspm.lib.namespaces.field(spec, "serviceAccount", "")) in {"", "default"}
	some obj in w.objects
}

# Commands for the remediation: each workload gets an account named after it.
settable := {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job"}

move_commands := data.kspm.lib.rbac.or_none(concat("; ", data.kspm.lib.namespaces.capped([sprintf("kubectl -n %s create serviceaccount %s && kubectl -n %s set serviceaccount %s/%s %s", [ns, obj.metadata.name, ns, lower(obj.kind), obj.metadata.name, obj.metadata.name]) |
	some w in data.kspm.lib.namespaces.workloads(ns)
	w.object.kind in settable
	some obj in w.objects
	data.kspm.lib.namespaces.ref(obj) in users
])))

evidence := {
	"automount_service_account_token": automount,
	"bindings": sort(bindings),
	"delete_commands": data.kspm.lib.rbac.or_none(concat("; ", sort({data.kspm.lib.rbac.delete_command(b) | some b in counted_bindings}))),
	"workloads_using_it": data.kspm.lib.namespaces.capped([u | some u in users]),
	"workloads_using_it_count": count(users),
	"move_commands": move_commands,
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
