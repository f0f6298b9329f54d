# CIS 5.4.2: external secret storage. Manual; the evidence names the secret tooling in the scan.
package kspm.rules.external_secret_storage

import rego.v1

# Kinds that only exist when an external secret tool is installed.
tool_kinds := {
	"ExternalSecret": "External Secrets Operator",
	"SecretStore": "External Secrets Operator",
	"ClusterSecretStore": "External Secrets Operator",
	"SecretProviderClass": "Secrets Store CSI driver",
	"SealedSecret": "Sealed Secrets",
	"VaultStaticSecret": "Vault Secrets Operator",
	"VaultDynamicSecret": "Vault Secrets Operator",
	"VaultConnection": "Vault Secrets Operator",
}

tooling contains sprintf("%s (%s objects seen)", [tool, kind]) if {
	some kind, tool in tool_kinds
	some by_name in data.kspm.lib.namespaces.field(data.inventory.objects, kind, {})
	count(by_name) > 0
}

tooling contains "Secrets Store CSI driver (CSIDriver secrets-store.csi.k8s.io)" if {
	data.kspm.lib.namespaces.objects_in("CSIDriver", "")["secrets-store.csi.k8s.io"]
}

tooling contains sprintf("Vault agent injector (MutatingWebhookConfiguration/%s)", [name]) if {
	some name, _ in data.kspm.lib.namespaces.objects_in("MutatingWebhookConfiguration", "")
	contains(name, "vault")
}

secret_count := sum([count(by_name) | some by_name in data.kspm.lib.namespaces.field(data.inventory.objects, "Secret", {})])

finding := {
	"evaluation": "manual",
	"evidence": {
		"external_secret_tooling": sort(tooling),
		"secrets_in_scan": secret_count,
	},
	"expected": {"secrets": "master copies kept in an external secret manager where the organisation's policy asks for it"},
} if input.resource.kind == "Cluster"
