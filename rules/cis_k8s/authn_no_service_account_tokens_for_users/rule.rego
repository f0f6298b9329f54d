# CIS 3.1.2: people do not use service account tokens. Manual, reported once on the Cluster; the
# evidence lists the long-lived token Secrets the scan shows.
package kspm.rules.authn_no_service_account_tokens_for_users

import rego.v1

secrets_by_ns := data.kspm.lib.namespaces.field(data.kspm.lib.namespaces.field(data.inventory, "objects", {}), "Secret", {})

secret_count := sum([count(by_name) | some by_name in secrets_by_ns])

labels(s) := data.kspm.lib.namespaces.field(s.metadata, "labels", {})

annotations(s) := data.kspm.lib.namespaces.field(s.metadata, "annotations", {})

last_used(s) := sprintf("last used %s", [labels(s)["kubernetes.io/legacy-token-last-used"]]) if {
	labels(s)["kubernetes.io/legacy-token-last-used"]
} else := "no use recorded"

invalid(s) := sprintf(", invalidated since %s", [labels(s)["kubernetes.io/legacy-token-invalid-since"]]) if {
	labels(s)["kubernetes.io/legacy-token-invalid-since"]
} else := ""

# Long-lived tokens stored in Secrets: the kind people copy into kubeconfigs.
legacy_tokens := [sprintf("%s/%s (for %s, %s%s)", [ns, name, data.kspm.lib.namespaces.field(annotations(s), "kubernetes.io/service-account.name", "?"), last_used(s), invalid(s)]) |
	some ns, by_name in secrets_by_ns
	some name, s in by_name
	data.kspm.lib.namespaces.field(s, "type", "") == "kubernetes.io/service-account-token"
]

visibility := "no Secret objects in this scan (the kspm agent has no access to Secrets): run the commands in the remediation" if secret_count == 0
else := "Secrets were part of this scan"

finding := {
	"evaluation": "manual",
	"evidence": {
		"legacy_token_secrets": data.kspm.lib.namespaces.capped(legacy_tokens),
		"legacy_token_secret_count": count(legacy_tokens),
		"delete_commands": data.kspm.lib.rbac.or_none(concat("; ", data.kspm.lib.namespaces.capped([sprintf("kubectl -n %s delete secret %s", [ns, name]) |
			some ns, by_name in secrets_by_ns
			some name, s in by_name
			data.kspm.lib.namespaces.field(s, "type", "") == "kubernetes.io/service-account-token"
		]))),
		"secrets_in_scan": secret_count,
		"visibility": visibility,
	},
	"expected": {"service_account_tokens": "used only by workloads; people have their own identities"},
} if input.resource.kind == "Cluster"
