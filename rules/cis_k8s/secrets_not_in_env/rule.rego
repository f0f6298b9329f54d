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

evidence := {
	"secret_references": sort(references),
	"secrets": sort(secrets),
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
