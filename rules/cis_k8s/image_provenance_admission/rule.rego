# CIS 5.5.1: image provenance at admission. Passed only when the API server's mirror pods show
# ImagePolicyWebhook configured; otherwise manual, with what could be seen.
package kspm.rules.image_provenance_admission

import rego.v1

api_servers := [p |
	some p in data.kspm.lib.namespaces.objects_in("Pod", "kube-system")
	data.kspm.lib.namespaces.field(data.kspm.lib.namespaces.field(p.metadata, "labels", {}), "component", "") == "kube-apiserver"
]

arguments(p) := [a |
	some c in p.spec.containers
	some a in array.concat(data.kspm.lib.namespaces.field(c, "command", []), data.kspm.lib.namespaces.field(c, "args", []))
]

# The value of `--name=value` on the pod's command line.
flag(p, name) := trim_prefix(a, prefix) if {
	prefix := sprintf("%s=", [name])
	some a in arguments(p)
	startswith(a, prefix)
}

plugins(p) := {x | some x in split(flag(p, "--enable-admission-plugins"), ",")}

configured(p) if {
	"ImagePolicyWebhook" in plugins(p)
	flag(p, "--admission-control-config-file") != ""
}

all_configured if {
	count(api_servers) > 0
	every p in api_servers {
		configured(p)
	}
}

markers := ["kyverno", "sigstore", "connaisseur", "ratify", "portieris", "cosign"]

webhooks contains sprintf("%s/%s", [kind, name]) if {
	some kind in ["ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"]
	some name, cfg in data.kspm.lib.namespaces.objects_in(kind, "")
	text := concat(" ", array.concat([name], [h.name | some h in data.kspm.lib.namespaces.field(cfg, "webhooks", [])]))
	some m in markers
	contains(text, m)
}

evidence := {
	"api_server_pods": sort([p.metadata.name | some p in api_servers]),
	"enable_admission_plugins": sort({x | some p in api_servers; some x in plugins(p)}),
	"image_verification_webhooks": sort(webhooks),
}

expected := {"--enable-admission-plugins": "includes ImagePolicyWebhook, with --admission-control-config-file set (or an equivalent image provenance control)"}

finding := {"evaluation": "passed", "evidence": evidence, "expected": expected} if {
	input.resource.kind == "Cluster"
	all_configured
}

finding := {"evaluation": "manual", "evidence": evidence, "expected": expected} if {
	input.resource.kind == "Cluster"
	not all_configured
}
