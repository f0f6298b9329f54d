# CIS 5.4.1: Secrets reach containers through volumes, not environment variables.
package kspm.rules.secrets_not_in_env

import rego.v1

containers := data.kspm.lib.pods.containers(data.kspm.lib.pods.target_spec)

references contains sprintf("%s: env %s from Secret %s key %s", [c.name, e.name, ref.name, ref.key]) if {
	some c in containers
	some e in data.kspm.lib.namespaces.field(c.container, "env", [])
	ref := e.valueFrom.secretKeyRef
}

references contains sprintf("%s: envFrom Secret %s (all keys)", [c.name, ref.name]) if {
	some c in containers
	some e in data.kspm.lib.namespaces.field(c.container, "envFrom", [])
	ref := e.secretRef
}

secrets contains ref.name if {
	some c in containers
	some e in data.kspm.lib.namespaces.field(c.container, "env", [])
	ref := e.valueFrom.secretKeyRef
}

secrets contains ref.name if {
	some c in containers
	some e in data.kspm.lib.namespaces.field(c.container, "envFrom", [])
	ref := e.secretRef
}

# Remediation, ready to paste: a volume and a mount per Secret, and the command that drops the
# variables (the API cannot change a bare Pod; envFrom entries are edited in the manifest).
volumes_yaml := sprintf("[%s]", [concat(", ", [sprintf("{name: secret-%s, secret: {secretName: %s}}", [s, s]) | some s in sort(secrets)])])

volume_mounts_yaml := sprintf("[%s]", [concat(", ", [sprintf("{name: secret-%s, mountPath: /etc/secrets/%s, readOnly: true}", [s, s]) | some s in sort(secrets)])])

target := data.kspm.lib.pods.target

env_vars(c) := [e.name |
	some e in data.kspm.lib.namespaces.field(c.container, "env", [])
	e.valueFrom.secretKeyRef
]

unset_commands := data.kspm.lib.rbac.or_none(concat("; ", [sprintf("kubectl -n %s set env %s/%s -c %s %s", [
	data.kspm.lib.namespaces.field(target.metadata, "namespace", "default"),
	lower(target.kind),
	target.metadata.name,
	c.name,
	concat(" ", [sprintf("%s-", [v]) | some v in env_vars(c)]),
]) |
	target.kind != "Pod"
	some c in containers
	count(env_vars(c)) > 0
]))

evidence := {
	"secret_references": sort(references),
	"secrets": sort(secrets),
	"volumes_yaml": volumes_yaml,
	"volume_mounts_yaml": volume_mounts_yaml,
	"unset_commands": unset_commands,
}

expected := {"secret_references": []}

finding := {"evaluation": "failed", "evidence": evidence, "expected": expected} if {
	data.kspm.lib.pods.target
	count(references) > 0
}

finding := {"evaluation": "passed", "evidence": evidence, "expected": expected} if {
	data.kspm.lib.pods.target
	count(references) == 0
}
