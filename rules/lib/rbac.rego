# Helpers for RBAC rules: which Roles/ClusterRoles grant a permission, to whom they are bound, and
# which objects are platform defaults.
#
# The section 5.1 rules are evaluated per role: the Role or ClusterRole is the resource, its
# policy rules say what it grants, and `data.inventory.bindings_by_role` says who holds it.
#
# Every subject of every binding counts (system: groups such as system:nodes included), except the
# bindings a platform creates by design: an object is a platform default only when it equals one
# of kspm.lib.defaults exactly (kind, namespace, name, roleRef and subjects for a binding; policy
# rules for a role), never because of a `system:` name or the kubernetes.io/bootstrapping label,
# which anyone allowed to write RBAC can copy. A default binding is excused only while the role it
# grants is itself unmodified: a changed default role is judged like any other role, with all its
# bindings.
package kspm.lib.rbac

import rego.v1

# ---------------------------------------------------------------- platform defaults

_version_text := data.kspm.lib.namespaces.field(data.kspm.lib.namespaces.field(object.get(input, "context", {}), "cluster", {}), "version", "")

_version_parts := regex.find_n(`[0-9]+`, sprintf("%v", [_version_text]), 2)

# The cluster's Kubernetes minor version ("v1.34.2" -> 34); 0 when the scan does not know it.
cluster_minor := to_number(_version_parts[1]) if count(_version_parts) == 2

cluster_minor := 0 if count(_version_parts) != 2

# The platform creates the object in the cluster's version (any known version when unknown).
in_version(entry) if cluster_minor == 0

in_version(entry) if {
	cluster_minor > 0
	object.get(entry, "since", 0) <= cluster_minor
}

# A policy rule as one comparable string, "apiGroups|resources|resourceNames|nonResourceURLs|verbs"
# with every list sorted (so order does not matter) and the core group written `core`: the form
# kspm.lib.defaults keeps its rules in.
_canonical(groups, resources, names, urls, verbs) := concat("|", [
	concat(",", sort(groups)),
	concat(",", sort(resources)),
	concat(",", sort(names)),
	concat(",", sort(urls)),
	concat(",", sort(verbs)),
])

_group_token("") := "core"

_group_token(g) := g if g != ""

canonical_rules(rules) := sort([_canonical(
	[_group_token(g) | some g in data.kspm.lib.namespaces.field(r, "apiGroups", [])],
	data.kspm.lib.namespaces.field(r, "resources", []),
	data.kspm.lib.namespaces.field(r, "resourceNames", []),
	data.kspm.lib.namespaces.field(r, "nonResourceURLs", []),
	data.kspm.lib.namespaces.field(r, "verbs", []),
) |
	some r in rules
])

# A rule string of kspm.lib.defaults in the same canonical form (its lists may be in any order).
_canonical_text(s) := _canonical(_items(p[0]), _items(p[1]), _items(p[2]), _items(p[3]), _items(p[4])) if {
	p := split(s, "|")
	count(p) == 5
}

_items(text) := [i | some i in split(text, ","); i != ""]

_default_rules(entry) := sort([_canonical_text(s) | some s in entry.rules])

_object_ns(obj) := data.kspm.lib.namespaces.field(obj.metadata, "namespace", "")

# The defaults entry for a role's identity (kind, namespace, name), null when there is none.
_role_entry(role) := e if {
	role.kind == "ClusterRole"
	e := data.kspm.lib.defaults.cluster_roles[role.metadata.name]
	is_object(e)
}

_role_entry(role) := null if {
	role.kind == "ClusterRole"
	not data.kspm.lib.defaults.cluster_roles[role.metadata.name]
}

_role_entry(role) := e if {
	role.kind == "Role"
	e := data.kspm.lib.defaults.roles[sprintf("%s/%s", [_object_ns(role), role.metadata.name])]
	is_object(e)
}

_role_entry(role) := null if {
	role.kind == "Role"
	not data.kspm.lib.defaults.roles[sprintf("%s/%s", [_object_ns(role), role.metadata.name])]
}

_aggregated(role) if count(data.kspm.lib.namespaces.field(data.kspm.lib.namespaces.field(role, "aggregationRule", {}), "clusterRoleSelectors", [])) > 0

# Rules compared when the default has rules; an aggregated default is compared by its selectors
# (the aggregation controller fills its rules from the roles it selects, which are judged
# themselves).
_same_content(role, entry) if {
	is_array(object.get(entry, "rules", null))
	not _aggregated(role)
	canonical_rules(data.kspm.lib.namespaces.field(role, "rules", [])) == _default_rules(entry)
}

_same_content(role, entry) if {
	is_array(object.get(entry, "aggregation", null))
	_aggregated(role)
	selectors := role.aggregationRule.clusterRoleSelectors
	every s in selectors {
		count(data.kspm.lib.namespaces.field(s, "matchExpressions", [])) == 0
	}
	[data.kspm.lib.namespaces.field(s, "matchLabels", {}) | some s in selectors] == entry.aggregation
}

# True when the Role or ClusterRole is exactly a platform default.
default_role(role) if {
	entry := _role_entry(role)
	is_object(entry)
	in_version(entry)
	_same_content(role, entry)
}

# Evidence for a role that is a platform default.
default_role_text(role) := sprintf("%s is exactly as %s creates it", [role_ref(role), data.kspm.lib.defaults.platform_names[_role_entry(role).platform]])

# Evidence for a role that carries a default's name but not its content.
lookalike_role_text(role) := sprintf("%s has the name of a default of %s but not its rules: judged like any other role", [role_ref(role), data.kspm.lib.defaults.platform_names[entry.platform]]) if {
	entry := _role_entry(role)
	is_object(entry)
	not default_role(role)
}

# "Kind/name" of a subject as the defaults list it; users and groups outside the RBAC API group
# keep the group so that they never match.
_default_subject(s, binding) := subject_ref(s, binding) if {
	s.kind == "ServiceAccount"
	data.kspm.lib.namespaces.field(s, "apiGroup", "") == ""
}

_default_subject(s, binding) := subject_ref(s, binding) if {
	s.kind in {"User", "Group"}
	data.kspm.lib.namespaces.field(s, "apiGroup", "") in {"", "rbac.authorization.k8s.io"}
}

_default_subject(s, binding) := sprintf("%s/%s@%s", [s.kind, s.name, data.kspm.lib.namespaces.field(s, "apiGroup", "")]) if {
	not s.kind in {"User", "Group", "ServiceAccount"}
}

_default_subject(s, binding) := sprintf("%s/%s@%s", [s.kind, s.name, s.apiGroup]) if {
	s.kind in {"User", "Group"}
	not data.kspm.lib.namespaces.field(s, "apiGroup", "") in {"", "rbac.authorization.k8s.io"}
}

_default_subject(s, binding) := sprintf("%s/%s@%s", [s.kind, s.name, s.apiGroup]) if {
	s.kind == "ServiceAccount"
	data.kspm.lib.namespaces.field(s, "apiGroup", "") != ""
}

_binding_entry(b) := e if {
	b.kind == "ClusterRoleBinding"
	e := data.kspm.lib.defaults.cluster_role_bindings[b.metadata.name]
	is_object(e)
}

_binding_entry(b) := null if {
	b.kind == "ClusterRoleBinding"
	not data.kspm.lib.defaults.cluster_role_bindings[b.metadata.name]
}

_binding_entry(b) := e if {
	b.kind == "RoleBinding"
	e := data.kspm.lib.defaults.role_bindings[sprintf("%s/%s", [_object_ns(b), b.metadata.name])]
	is_object(e)
}

_binding_entry(b) := null if {
	b.kind == "RoleBinding"
	not data.kspm.lib.defaults.role_bindings[sprintf("%s/%s", [_object_ns(b), b.metadata.name])]
}

# True when the binding is exactly a platform default: same name (and namespace), roleRef and
# subjects.
default_binding(b) if {
	entry := _binding_entry(b)
	is_object(entry)
	in_version(entry)
	b.roleRef.kind == object.get(entry, "role_kind", "ClusterRole")
	b.roleRef.name == entry.role
	data.kspm.lib.namespaces.field(b.roleRef, "apiGroup", "rbac.authorization.k8s.io") == "rbac.authorization.k8s.io"
	sort([_default_subject(s, b) | some s in data.kspm.lib.namespaces.field(b, "subjects", [])]) == sort(entry.subjects)
}

# "ClusterRoleBinding/cluster-admin (Group/system:masters): the API server's own binding …", for
# evidence.
default_binding_text(b) := sprintf("%s (%s): %s", [
	binding_ref(b),
	concat(", ", sort([subject_ref(s, b) | some s in data.kspm.lib.namespaces.field(b, "subjects", [])])),
	object.get(entry, "why", sprintf("created by %s", [data.kspm.lib.defaults.platform_names[entry.platform]])),
]) if {
	entry := _binding_entry(b)
	is_object(entry)
}

# ---------------------------------------------------------------- refs

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

# The kubectl command that deletes the binding.
delete_command(b) := sprintf("kubectl delete clusterrolebinding %s", [b.metadata.name]) if b.kind == "ClusterRoleBinding"

delete_command(b) := sprintf("kubectl delete rolebinding %s -n %s", [b.metadata.name, _ns_or_default(b)]) if b.kind == "RoleBinding"

_ns_or_default(obj) := ns if {
	ns := _object_ns(obj)
	ns != ""
}

_ns_or_default(obj) := "default" if _object_ns(obj) == ""

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

# ---------------------------------------------------------------- bindings and subjects

# Every binding of a role, by `bindings_by_role` key ("ClusterRole:<name>",
# "Role:<namespace>:<name>"). With cluster_only, RoleBindings are left out: a RoleBinding cannot
# grant access to cluster-scoped resources.
bindings_for_key(key, cluster_only) := [b |
	some b in data.kspm.lib.namespaces.field(data.inventory.bindings_by_role, key, [])
	counts_for_scope(b, cluster_only)
]

counts_for_scope(_, false) := true

counts_for_scope(b, true) if b.kind == "ClusterRoleBinding"

# The bindings that count for a role: all of them, except platform-default bindings when the role
# itself is unmodified (`role_is_default`).
counted(bs, role_is_default) := [b | some b in bs; not _excused(b, role_is_default)]

# Platform-default bindings left out, with why, for evidence.
excused(bs, role_is_default) := sort([default_binding_text(b) | some b in bs; _excused(b, role_is_default)])

_excused(b, true) if default_binding(b)

# The subjects (as refs) that hold a role through the given bindings. Every subject counts.
subjects(bs) := sort({subject_ref(s, b) |
	some b in bs
	some s in data.kspm.lib.namespaces.field(b, "subjects", [])
})

# Refs of the bindings that hand the role to at least one subject.
holder_bindings(bs) := sort({binding_ref(b) |
	some b in bs
	count(data.kspm.lib.namespaces.field(b, "subjects", [])) > 0
})

# "kubectl delete …" for every binding that hands the role to someone, one line ("none" when
# there is none, so that remediation text that quotes it always reads).
delete_commands(bs) := or_none(concat("; ", data.kspm.lib.namespaces.capped([delete_command(b) |
	some b in bs
	count(data.kspm.lib.namespaces.field(b, "subjects", [])) > 0
])))

or_none("") := "none"

or_none(s) := s if s != ""

# Who a subject stands for, for subjects whose name does not say it plainly. "Every subject
# counts" matters most for these groups: one binding reaches every kubelet, every bootstrap
# token, every pod.
subject_notes(subs) := [sprintf("%s: %s", [s, note]) | some s in subs; some note in notes_for(s)]

_exact_notes := {
	"Group/system:authenticated": "every authenticated user and service account",
	"Group/system:unauthenticated": "every anonymous request",
	"User/system:anonymous": "every anonymous request",
	"Group/system:serviceaccounts": "every service account of every namespace",
	"Group/system:nodes": "every kubelet (each node's own credential)",
	"Group/system:masters": "every holder of a system:masters client certificate (which RBAC never limits)",
	"Group/system:bootstrappers": "every bootstrap-token holder (the first credential of a joining node)",
	"Group/kubeadm:cluster-admins": "every holder of kubeadm's admin.conf",
}

# The notes for one subject ref, as a set (empty for most). Always defined: a set built from
# comprehensions, never from a function that can be undefined.
notes_for(s) := ((({n | some k, n in _exact_notes; k == s} | {sprintf("every service account of namespace %s", [substring(s, count("Group/system:serviceaccounts:"), -1)]) |
	startswith(s, "Group/system:serviceaccounts:")
}) | {"every holder of a bootstrap token of this group (the first credential of a joining node)" |
	startswith(s, "Group/system:bootstrappers:")
}) | {sprintf("the kubelet of node %s", [substring(s, count("User/system:node:"), -1)]) | startswith(s, "User/system:node:")}) | ({"an identity operated by AWS for EKS" | startswith(s, "User/eks:")} | {sprintf("every pod of namespace %s that names no service account", [split(s, "/")[1]]) |
	startswith(s, "ServiceAccount/")
	endswith(s, "/default")
	count(split(s, "/")) == 3
})

# `kubectl auth can-i` for each subject, to check what it can still do after the change; `check`
# is the verb and resource ("list secrets -A").
check_commands(subs, check) := or_none(concat("; ", data.kspm.lib.namespaces.capped([_can_i(s, check) | some s in subs])))

_can_i(s, check) := sprintf("kubectl auth can-i %s --as=system:serviceaccount:%s:%s", [check, parts[1], parts[2]]) if {
	parts := split(s, "/")
	parts[0] == "ServiceAccount"
	count(parts) == 3
}

_can_i(s, check) := sprintf("kubectl auth can-i %s --as=system:serviceaccount:default:%s", [check, parts[1]]) if {
	parts := split(s, "/")
	parts[0] == "ServiceAccount"
	count(parts) == 2
}

_can_i(s, check) := sprintf("kubectl auth can-i %s --as=%s", [check, substring(s, count("User/"), -1)]) if startswith(s, "User/")

_can_i(s, check) := sprintf("kubectl auth can-i %s --as=kspm-check --as-group=%s", [check, substring(s, count("Group/"), -1)]) if {
	startswith(s, "Group/")
}

# ---------------------------------------------------------------- permissions

# A permission is a list of {"groups": […], "resources": […], "verbs": […]} alternatives; a policy
# rule grants it when it matches one of them. Rules restricted by resourceNames are treated as
# scoped and do not count here (5.1.8 judges the names themselves). "*" in the rule matches
# anything; "*/sub" matches any resource's subresource "sub"; an alternative with
# "any_subresource" also matches "res/<anything>".
grants(rule, permission) if {
	count(data.kspm.lib.namespaces.field(rule, "resourceNames", [])) == 0
	matches(rule, permission)
}

# The rule covers the permission, whatever its resourceNames say.
matches(rule, permission) if {
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

# What the section 5.1 rules look for, as one permission: a role that grants any of it (whatever
# resourceNames say) or uses a wildcard is "powerful" when someone can bind or impersonate it.
dangerous := [
	{"groups": ["*"], "resources": ["*"], "verbs": ["*"]},
	{"groups": [""], "resources": ["secrets"], "verbs": ["get", "list", "watch"]},
	{"groups": [""], "resources": ["pods"], "verbs": ["create"]},
	{"groups": ["rbac.authorization.k8s.io"], "resources": ["roles", "clusterroles"], "verbs": ["bind", "escalate"]},
	{"groups": ["rbac.authorization.k8s.io"], "resources": ["rolebindings", "clusterrolebindings", "roles", "clusterroles"], "verbs": ["create", "update", "patch"]},
	{"groups": [""], "resources": ["users", "groups", "serviceaccounts"], "verbs": ["impersonate"]},
	{"groups": [""], "resources": ["persistentvolumes"], "verbs": ["create"]},
	{"groups": [""], "resources": ["nodes/proxy"], "verbs": ["get", "create", "update", "patch", "delete", "*"]},
	{"groups": ["certificates.k8s.io"], "resources": ["certificatesigningrequests/approval"], "verbs": ["update", "patch"]},
	{"groups": ["admissionregistration.k8s.io"], "resources": ["validatingwebhookconfigurations", "mutatingwebhookconfigurations"], "verbs": ["create", "update", "patch", "delete"]},
	{"groups": [""], "resources": ["serviceaccounts/token"], "verbs": ["create"]},
	{"groups": ["apps"], "resources": ["deployments", "daemonsets", "statefulsets", "replicasets"], "verbs": ["create", "update", "patch"]},
	{"groups": ["batch"], "resources": ["jobs", "cronjobs"], "verbs": ["create", "update", "patch"]},
]

# Built-in roles that are powerful by name (their content is aggregated or reconciled).
powerful_role_names := {"cluster-admin", "admin", "edit"}

# True when the role (an object) grants something dangerous or holds a wildcard.
powerful_role(role) if {
	some r in data.kspm.lib.namespaces.field(role, "rules", [])
	matches(r, dangerous)
}

powerful_role(role) if {
	some r in data.kspm.lib.namespaces.field(role, "rules", [])
	some f in ["apiGroups", "resources", "verbs"]
	"*" in data.kspm.lib.namespaces.field(r, f, [])
}

# "rules[i]: verbs resources [apiGroups]" for every policy rule of the role that grants the
# permission ("core" stands for the "" API group).
granting_rules(role, permission) := [describe_rule(i, rule) |
	some i, rule in data.kspm.lib.namespaces.field(role, "rules", [])
	grants(rule, permission)
]

describe_rule(i, rule) := sprintf("rules[%d]: %s %s [%s]%s", [
	i,
	concat(",", data.kspm.lib.namespaces.field(rule, "verbs", [])),
	concat(",", data.kspm.lib.namespaces.field(rule, "resources", [])),
	concat(",", [group_name(g) | some g in data.kspm.lib.namespaces.field(rule, "apiGroups", [])]),
	_names_text(rule),
]) if count(data.kspm.lib.namespaces.field(rule, "resources", [])) > 0

describe_rule(i, rule) := sprintf("rules[%d]: %s %s [non-resource URLs]", [
	i,
	concat(",", data.kspm.lib.namespaces.field(rule, "verbs", [])),
	concat(",", data.kspm.lib.namespaces.field(rule, "nonResourceURLs", [])),
]) if count(data.kspm.lib.namespaces.field(rule, "resources", [])) == 0

_names_text(rule) := "" if count(data.kspm.lib.namespaces.field(rule, "resourceNames", [])) == 0

_names_text(rule) := sprintf(" limited to %s", [concat(",", rule.resourceNames)]) if {
	count(data.kspm.lib.namespaces.field(rule, "resourceNames", [])) > 0
}

group_name("") := "core"

group_name(g) := g if g != ""

# ---------------------------------------------------------------- the shared finding

# Whether the Role or ClusterRole under evaluation is exactly a platform default. A rule, so that
# the RBAC rules evaluated on one role share one comparison.
input_role_is_default := true if default_role(input.resource)

input_role_is_default := false if not default_role(input.resource)

# The finding shared by the "who can do X" rules, evaluated on the Role or ClusterRole under
# evaluation (`role` is input.resource).
#   permission:   see `grants`
#   cluster_only: the permission is on cluster-scoped resources (only ClusterRoles bound by
#                 ClusterRoleBindings can grant it; Roles are not applicable)
#   what:         words for the expected block ("read Secrets")
#   check:        `kubectl auth can-i` arguments that test the permission ("list secrets -A")
# A role that is exactly a platform default is not applicable unless a binding that is not a
# platform default hands it to someone while it grants the permission.
role_finding(role, permission, cluster_only, what, check) := finding_for(role, granting_rules(role, permission), cluster_only, what, check)

# Same, with the granting rules already worked out (5.1.8 adds the ones limited to powerful names).
finding_for(role, grants_list, cluster_only, what, check) := {
	"evaluation": outcome,
	"evidence": evidence(role, grants_list, all_bs, bs, is_default, check),
	"expected": expected(what),
} if {
	applicable(role, cluster_only)
	is_default := input_role_is_default
	all_bs := bindings_for_key(inventory_key(role), cluster_only)
	bs := counted(all_bs, is_default)
	outcome := role_outcome(is_default, grants_list, subjects(bs))
}

role_outcome(_, grants_list, subs) := "failed" if {
	count(grants_list) > 0
	count(subs) > 0
}

role_outcome(false, grants_list, subs) := "passed" if not both_nonempty(grants_list, subs)

both_nonempty(a, b) if {
	count(a) > 0
	count(b) > 0
}

applicable(role, false) if role.kind in {"Role", "ClusterRole"}

applicable(role, true) if role.kind == "ClusterRole"

evidence(role, grants_list, all_bs, bs, is_default, check) := object.union_n([
	{
		"role": role_ref(role),
		"kubectl_target": kubectl_target(role),
		"granting_rules": grants_list,
	},
	holders(subjects(bs), holder_bindings(bs)),
	{
		"delete_commands": delete_commands(bs),
		"check_commands": check_commands(subjects(bs), sprintf("%s%s", [check, _scope(role)])),
		"platform_defaults": excused(all_bs, is_default),
	},
	_role_status(role, is_default),
])

# Where `kubectl auth can-i` should look: every namespace for a ClusterRole, the role's own
# namespace for a Role.
_scope(role) := " -A" if role.kind == "ClusterRole"

_scope(role) := sprintf(" -n %s", [_ns_or_default(role)]) if role.kind == "Role"

# Whether the role itself was recognised, in words (nothing for roles with no default's name).
_role_status(role, true) := {"role_status": default_role_text(role)}

_role_status(role, false) := {"role_status": lookalike_role_text(role)} if lookalike_role_text(role)

_role_status(role, false) := {} if not lookalike_role_text(role)

# Who holds a role, for evidence: popular roles (edit, view) can be bound in every namespace, so
# the lists are capped and the counts given beside them.
holders(subs, bs) := {
	"subjects": data.kspm.lib.namespaces.capped(subs),
	"subject_count": count(subs),
	"subject_notes": subject_notes(data.kspm.lib.namespaces.capped(subs)),
	"bindings": data.kspm.lib.namespaces.capped(bs),
	"binding_count": count(bs),
}

expected(what) := {
	"permission": what,
	"held_by": "only subjects you reviewed and approved; nobody besides the platform's own defaults in a new cluster",
}
