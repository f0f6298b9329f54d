# CIS 3.1.3: bootstrap tokens serve node joining only. Manual, reported once on the Cluster; the
# evidence lists the bootstrap token Secrets and what the bootstrap groups are granted.
package kspm.rules.authn_no_bootstrap_tokens_for_users

import rego.v1

inventory := data.inventory

kube_system_secrets := data.kspm.lib.namespaces.field(data.kspm.lib.namespaces.field(data.kspm.lib.namespaces.field(inventory, "objects", {}), "Secret", {}), "kube-system", {})

secret_count := sum([count(by_name) | some by_name in data.kspm.lib.namespaces.field(data.kspm.lib.namespaces.field(inventory, "objects", {}), "Secret", {})])

bootstrap_tokens := sort([name |
	some name, s in kube_system_secrets
	data.kspm.lib.namespaces.field(s, "type", "") == "bootstrap.kubernetes.io/token"
])

# The roles kubeadm binds to its bootstrap group: enough to request a node client certificate
# and read what `kubeadm join` needs.
kubeadm_roles := {
	"ClusterRole/system:node-bootstrapper",
	"ClusterRole/system:certificates.k8s.io:certificatesigningrequests:nodeclient",
	"ClusterRole/kubeadm:get-nodes",
	"Role/kubeadm:nodes-kubeadm-config",
	"Role/kubeadm:kubelet-config",
	"Role/kube-proxy",
}

bootstrap_grants := [[sprintf("%s/%s", [b.roleRef.kind, b.roleRef.name]), sprintf("%s -> %s/%s (%s)", [data.kspm.lib.rbac.binding_ref(b), b.roleRef.kind, b.roleRef.name, trim_prefix(key, "Group:")])] |
	some key, bs in object.get(inventory, "bindings_by_subject", {})
	startswith(key, "Group:system:bootstrappers")
	some b in bs
]

grants := sort({text | some [_, text] in bootstrap_grants})

unexpected_grants := sort({text | some [role, text] in bootstrap_grants; not role in kubeadm_roles})

apiserver_settings := sort([sprintf("%s: %s", [nodename, data.kspm.lib.node.flag_text(proc, "--enable-bootstrap-token-auth")]) |
	some nodename, by_component in object.get(inventory, "processes", {})
	proc := object.get(by_component, "kube-apiserver", null)
	proc != null
])

# Remediation commands: the token id is the Secret name after "bootstrap-token-".
token_delete_commands := data.kspm.lib.rbac.or_none(concat("; ", [sprintf("sudo kubeadm token delete %s", [trim_prefix(name, "bootstrap-token-")]) | some name in bootstrap_tokens]))

delete_commands := data.kspm.lib.rbac.or_none(concat("; ", sort({data.kspm.lib.rbac.delete_command(b) |
	some key, bs in object.get(inventory, "bindings_by_subject", {})
	startswith(key, "Group:system:bootstrappers")
	some b in bs
	not sprintf("%s/%s", [b.roleRef.kind, b.roleRef.name]) in kubeadm_roles
})))

visibility := "no Secret objects in this scan (the kspm agent has no access to Secrets): list tokens with `kubeadm token list`" if secret_count == 0
else := "Secrets were part of this scan"

finding := {
	"evaluation": "manual",
	"evidence": {
		"bootstrap_token_secrets": bootstrap_tokens,
		"bootstrap_group_grants": grants,
		"unexpected_bootstrap_grants": unexpected_grants,
		"token_delete_commands": token_delete_commands,
		"delete_commands": delete_commands,
		"bootstrap_token_auth": apiserver_settings,
		"visibility": visibility,
	},
	"expected": {"bootstrap_tokens": "short-lived, used only to join nodes; the bootstrap groups hold only the node-joining roles"},
} if input.resource.kind == "Cluster"
