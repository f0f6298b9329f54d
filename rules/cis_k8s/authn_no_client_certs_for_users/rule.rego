# CIS 3.1.1: people do not log in with client certificates. Manual, reported once on the Cluster;
# the evidence lists what the scan shows about certificate and user identities.
package kspm.rules.authn_no_client_certs_for_users

import rego.v1

inventory := data.inventory

csrs := data.kspm.lib.namespaces.field(data.kspm.lib.namespaces.field(object.get(inventory, "objects", {}), "CertificateSigningRequest", {}), "", {})

csr_status(csr) := concat("/", [c.type | some c in data.kspm.lib.namespaces.field(data.kspm.lib.namespaces.field(csr, "status", {}), "conditions", [])]) if {
	count(data.kspm.lib.namespaces.field(data.kspm.lib.namespaces.field(csr, "status", {}), "conditions", [])) > 0
} else := "Pending"

# Requests for client certificates signed by the cluster CA (kubelets use their own signer).
client_cert_csrs := [sprintf("%s (requested by %s, %s)", [name, data.kspm.lib.namespaces.field(csr.spec, "username", "?"), csr_status(csr)]) |
	some name, csr in csrs
	data.kspm.lib.namespaces.field(data.kspm.lib.namespaces.field(csr, "spec", {}), "signerName", "") == "kubernetes.io/kube-apiserver-client"
]

# Users named in RBAC bindings, other than Kubernetes' own identities. Each one authenticates
# somehow: with a client certificate, through OIDC or a webhook.
user_subjects := [trim_prefix(key, "User:") |
	some key, _ in object.get(inventory, "bindings_by_subject", {})
	startswith(key, "User:")
	not startswith(key, "User:system:")
]

# Groups that can only be asserted by a client certificate or an authenticator, and that
# bypass RBAC (system:masters) or hold cluster-admin in kubeadm clusters.
admin_group_bindings := sort([sprintf("%s (Group/%s)", [data.kspm.lib.rbac.binding_ref(b), g]) |
	some g in ["system:masters", "kubeadm:cluster-admins"]
	some b in object.get(object.get(inventory, "bindings_by_subject", {}), sprintf("Group:%s", [g]), [])
])

authn_flags := ["--oidc-issuer-url", "--authentication-config", "--authentication-token-webhook-config-file"]

apiservers := [[nodename, proc] |
	some nodename, by_component in object.get(inventory, "processes", {})
	proc := object.get(by_component, "kube-apiserver", null)
	proc != null
]

other_authenticators := sort([sprintf("%s: %s", [nodename, data.kspm.lib.node.flag_text(proc, f)]) |
	some [nodename, proc] in apiservers
	some f in authn_flags
	data.kspm.lib.node.has_flag(proc, f)
])

apiserver_view := "no kube-apiserver process data in this scan" if count(apiservers) == 0
else := "kube-apiserver flags seen; no OIDC, structured authentication or token webhook configured: client certificates and tokens are the only ways in" if count(other_authenticators) == 0
else := "kube-apiserver has another authenticator configured (see other_authenticators)"

finding := {
	"evaluation": "manual",
	"evidence": {
		"client_certificate_csrs": data.kspm.lib.namespaces.capped(client_cert_csrs),
		"client_certificate_csr_count": count(client_cert_csrs),
		"rbac_users": data.kspm.lib.namespaces.capped(user_subjects),
		"rbac_user_count": count(user_subjects),
		"admin_group_bindings": admin_group_bindings,
		"other_authenticators": other_authenticators,
		"apiserver": apiserver_view,
	},
	"expected": {"people": "authenticate through OIDC, a webhook or another authenticator, not X.509 client certificates"},
} if input.resource.kind == "Cluster"
