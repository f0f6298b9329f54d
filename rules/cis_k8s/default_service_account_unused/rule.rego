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

# Bindings of the account's own namespace (indexed) and ClusterRoleBindings (cluster-scoped and
# few); scanning every RoleBinding of the cluster per namespace would not scale.
bindings contains rbac.binding_ref(b) if {
	some b in namespaces.objects_in("RoleBinding", ns)
	names_this_account(b)
}

bindings contains rbac.binding_ref(b) if {
	some b in namespaces.objects_in("ClusterRoleBinding", "")
	names_this_account(b)
}

names_this_account(b) if {
	not rbac.system_managed(b)
	some s in namespaces.field(b, "subjects", [])
	is_this_account(s, b)
}

is_this_account(s, b) if {
	s.kind == "ServiceAccount"
	s.name == "default"
	namespaces.field(s, "namespace", namespaces.field(b.metadata, "namespace", "")) == ns
}

is_this_account(s, _) if {
	s.kind == "User"
	s.name == sprintf("system:serviceaccount:%s:default", [ns])
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
