# Helpers for RBAC rules: which Roles/ClusterRoles grant a permission, and to whom they are bound.
#
# The section 5.1 rules are evaluated per role: the Role or ClusterRole is the resource, its
# policy rules say what it grants, and `data.inventory.bindings_by_role` says who holds it.
# Objects that Kubernetes itself creates and reconciles (name prefix `system:` or label
# kubernetes.io/bootstrapping=rbac-defaults) are "system-managed": their grants are by design,
# so a system-managed role only gets a finding when a binding that is not system-managed hands
# it to someone, and system-managed bindings never count as granting.
package kspm.lib.rbac

import rego.v1

# Name prefixes of objects Kubernetes creates and reconciles itself.
system_prefixes := ["system:"]

system_managed(obj) if {
	some p in system_prefixes
	startswith(obj.metadata.name, p)
}

system_managed(obj) if obj.metadata.labels["kubernetes.io/bootstrapping"] == "rbac-defaults"

# Control-plane identities. Broad groups (system:authenticated, system:unauthenticated,
# system:serviceaccounts[:ns]) and service-account users are NOT system subjects: granting
# something to them is exactly what the rules look for.
system_subject(s) if {
	s.kind in {"User", "Group"}
	startswith(s.name, "system:")
	not broad_subject(s)
	not startswith(s.name, "system:serviceaccount:")
}

broad_subject(s) if s.name in {"system:authenticated", "system:unauthenticated", "system:anonymous", "system:serviceaccounts"}

broad_subject(s) if startswith(s.name, "system:serviceaccounts:")

# "Kind/namespace/name" for service accounts (namespace defaults to the binding's), "Kind/name"
# for users and groups.
subject_ref(s, binding) := sprintf("ServiceAccount/%s", [in_namespace(ns, s.name)]) if {
	s.kind == "ServiceAccount"
	ns := data.kspm.lib.namespaces.field(s, "namespace", data.kspm.lib.namespaces.field(binding.metadata, "namespace", ""))
}

subject_ref(s, _) := sprintf("%s/%s", [s.kind, s.name]) if s.kind != "ServiceAccount"

# "namespace/name", or just "name" for objects of manifests that set no namespace.
in_namespace("", name) := name

in_namespace(ns, name) := sprintf("%s/%s", [ns, name]) if ns != ""

binding_ref(b) := sprintf("ClusterRoleBinding/%s", [b.metadata.name]) if b.kind == "ClusterRoleBinding"

binding_ref(b) := sprintf("RoleBinding/%s", [in_namespace(data.kspm.lib.namespaces.field(b.metadata, "namespace", ""), b.metadata.name)]) if {
	b.kind == "RoleBinding"
}

role_ref(role) := sprintf("ClusterRole/%s", [role.metadata.name]) if role.kind == "ClusterRole"

role_ref(role) := sprintf("Role/%s", [in_namespace(data.kspm.lib.namespaces.field(role.metadata, "namespace", ""), role.metadata.name)]) if {
	role.kind == "Role"
}

# What to pass to kubectl to address the role: "clusterrole/x" or "role/x -n ns" ("role/x" when
# the manifest sets no namespace).
kubectl_target(role) := sprintf("clusterrole/%s", [role.metadata.name]) if role.kind == "ClusterRole"

kubectl_target(role) := sprintf("role/%s -n %s", [role.metadata.name, role.metadata.namespace]) if {
	role.kind == "Role"
	data.kspm.lib.namespaces.field(role.metadata, "namespace", "") != ""
}

kubectl_target(role) := sprintf("role/%s", [role.metadata.name]) if {
	role.kind == "Role"
	data.kspm.lib.namespaces.field(role.metadata, "namespace", "") == ""
}

inventory_key(role) := sprintf("ClusterRole:%s", [role.metadata.name]) if role.kind == "ClusterRole"

inventory_key(role) := sprintf("Role:%s:%s", [data.kspm.lib.namespaces.field(role.metadata, "namespace", ""), role.metadata.name]) if {
	role.kind == "Role"
}

# Bindings of a role that are not system-managed. With cluster_only, RoleBindings are left out:
# a RoleBinding cannot grant access to cluster-scoped resources.
bindings(role, cluster_only) := bindings_for_key(inventory_key(role), cluster_only)

# Same, by `bindings_by_role` key ("ClusterRole:<name>", "Role:<namespace>:<name>"), for roles
# that may be missing from the scan.
bindings_for_key(key, cluster_only) := [b |
	some b in data.kspm.lib.namespaces.field(data.inventory.bindings_by_role, key, [])
	not system_managed(b)
	counts_for_scope(b, cluster_only)
]

counts_for_scope(_, false) := true

counts_for_scope(b, true) if b.kind == "ClusterRoleBinding"

# The subjects (as refs) that hold a role through the given bindings, system subjects left out.
subjects(bs) := sort({subject_ref(s, b) |
	some b in bs
	some s in data.kspm.lib.namespaces.field(b, "subjects", [])
	not system_subject(s)
})

# Refs of the bindings that hand the role to at least one non-system subject.
holder_bindings(bs) := sort({binding_ref(b) |
	some b in bs
	some s in data.kspm.lib.namespaces.field(b, "subjects", [])
	not system_subject(s)
})

# A permission is a list of {"groups": […], "resources": […], "verbs": […]} alternatives; a policy
# rule grants it when it matches one of them. Rules restricted by resourceNames are treated as
# scoped and do not count. "*" in the rule matches anything; "*/sub" matches any resource's
# subresource "sub"; an alternative with "any_subresource" also matches "res/<anything>".
grants(rule, permission) if {
	count(data.kspm.lib.namespaces.field(rule, "resourceNames", [])) == 0
	some alt in permission
	group_matches(data.kspm.lib.namespaces.field(rule, "apiGroups", []), alt.groups)
	some res in alt.resources
	resource_matches(data.kspm.lib.namespaces.field(rule, "resources", []), res, data.kspm.lib.namespaces.field(alt, "any_subresource", false))
	verb_matches(data.kspm.lib.namespaces.field(rule, "verbs", []), alt.verbs)
}

group_matches(rule_groups, _) if "*" in rule_groups

group_matches(rule_groups, wanted) if {
	some g in rule_groups
	g in wanted
}

resource_matches(rule_resources, _, _) if "*" in rule_resources

resource_matches(rule_resources, res, _) if res in rule_resources

resource_matches(rule_resources, res, _) if {
	parts := split(res, "/")
	count(parts) == 2
	sprintf("*/%s", [parts[1]]) in rule_resources
}

resource_matches(rule_resources, res, true) if {
	some r in rule_resources
	startswith(r, sprintf("%s/", [res]))
}

verb_matches(rule_verbs, _) if "*" in rule_verbs

verb_matches(rule_verbs, wanted) if {
	some v in rule_verbs
	v in wanted
}

# "rules[i]: verbs resources [apiGroups]" for every policy rule of the role that grants the
# permission ("core" stands for the "" API group).
granting_rules(role, permission) := [describe_rule(i, rule) |
	some i, rule in data.kspm.lib.namespaces.field(role, "rules", [])
	grants(rule, permission)
]

describe_rule(i, rule) := sprintf("rules[%d]: %s %s [%s]", [
	i,
	concat(",", data.kspm.lib.namespaces.field(rule, "verbs", [])),
	concat(",", data.kspm.lib.namespaces.field(rule, "resources", [])),
	concat(",", [group_name(g) | some g in data.kspm.lib.namespaces.field(rule, "apiGroups", [])]),
]) if count(data.kspm.lib.namespaces.field(rule, "resources", [])) > 0

describe_rule(i, rule) := sprintf("rules[%d]: %s %s [non-resource URLs]", [
	i,
	concat(",", data.kspm.lib.namespaces.field(rule, "verbs", [])),
	concat(",", data.kspm.lib.namespaces.field(rule, "nonResourceURLs", [])),
]) if count(data.kspm.lib.namespaces.field(rule, "resources", [])) == 0

group_name("") := "core"

group_name(g) := g if g != ""

# The finding shared by the "who can do X" rules, evaluated on a Role or ClusterRole.
#   permission:   see `grants`
#   cluster_only: the permission is on cluster-scoped resources (only ClusterRoles bound by
#                 ClusterRoleBindings can grant it; Roles are not applicable)
#   what:         words for the expected block ("read Secrets")
# Undefined (not applicable) for system-managed roles unless a non-system-managed binding hands
# them to a non-system subject while they grant the permission.
role_finding(role, permission, cluster_only, what) := {
	"evaluation": outcome,
	"evidence": evidence(role, grants_list, subs, holder_bindings(bs)),
	"expected": expected(what),
} if {
	applicable(role, cluster_only)
	grants_list := granting_rules(role, permission)
	bs := bindings(role, cluster_only)
	subs := subjects(bs)
	outcome := role_outcome(role, grants_list, subs)
}

role_outcome(_, grants_list, subs) := "failed" if {
	count(grants_list) > 0
	count(subs) > 0
}

role_outcome(role, grants_list, subs) := "passed" if {
	not system_managed(role)
	not both_nonempty(grants_list, subs)
}

both_nonempty(a, b) if {
	count(a) > 0
	count(b) > 0
}

applicable(role, false) if role.kind in {"Role", "ClusterRole"}

applicable(role, true) if role.kind == "ClusterRole"

evidence(role, grants_list, subs, bs) := object.union(
	{
		"role": role_ref(role),
		"kubectl_target": kubectl_target(role),
		"granting_rules": grants_list,
	},
	holders(subs, bs),
)

# Who holds a role, for evidence: popular roles (edit, view) can be bound in every namespace, so
# the lists are capped and the counts given beside them.
holders(subs, bs) := {
	"subjects": data.kspm.lib.namespaces.capped(subs),
	"subject_count": count(subs),
	"bindings": data.kspm.lib.namespaces.capped(bs),
	"binding_count": count(bs),
}

expected(what) := {
	"permission": what,
	"held_by": "only subjects you reviewed and approved; none besides system components by default",
}
