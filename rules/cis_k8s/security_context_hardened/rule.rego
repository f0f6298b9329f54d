# CIS 5.6.3: every container has a hardened securityContext (see meta.yaml for the five settings).
package kspm.rules.security_context_hardened

import rego.v1

import data.kspm.lib.namespaces
import data.kspm.lib.pods

spec := pods.target_spec

applicable if {
	pods.target
	not namespaces.windows_spec(spec)
}

pod_sc := namespaces.field(spec, "securityContext", {})

sc(c) := namespaces.field(c.container, "securityContext", {})

# The container's value wins over the pod's.
effective(c, field, fallback) := namespaces.field(sc(c), field, namespaces.field(pod_sc, field, fallback))

unmet contains sprintf("%s: privileged", [c.name]) if {
	some c in pods.containers(spec)
	namespaces.field(sc(c), "privileged", false) == true
}

unmet contains sprintf("%s: allowPrivilegeEscalation is not false", [c.name]) if {
	some c in pods.containers(spec)
	namespaces.field(sc(c), "allowPrivilegeEscalation", true) != false
}

unmet contains sprintf("%s: may run as root (needs runAsNonRoot true or a non-zero runAsUser)", [c.name]) if {
	some c in pods.containers(spec)
	not non_root(c)
}

unmet contains sprintf("%s: capabilities.drop lacks ALL", [c.name]) if {
	some c in pods.containers(spec)
	not "ALL" in namespaces.capabilities(c.container, "drop")
}

unmet contains sprintf("%s: readOnlyRootFilesystem is not true", [c.name]) if {
	some c in pods.containers(spec)
	namespaces.field(sc(c), "readOnlyRootFilesystem", false) != true
}

non_root(c) if {
	effective(c, "runAsNonRoot", false) == true
	effective(c, "runAsUser", 1) != 0
}

non_root(c) if effective(c, "runAsUser", 0) > 0

evidence := {"unmet": sort(unmet)}

expected := {
	"privileged": false,
	"allowPrivilegeEscalation": false,
	"runAsNonRoot": "true, or a non-zero runAsUser",
	"capabilities.drop": ["ALL"],
	"readOnlyRootFilesystem": true,
}

finding := {"evaluation": "failed", "evidence": evidence, "expected": expected} if {
	applicable
	count(unmet) > 0
}

finding := {"evaluation": "passed", "evidence": evidence, "expected": expected} if {
	applicable
	count(unmet) == 0
}
