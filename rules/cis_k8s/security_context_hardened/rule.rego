# CIS 5.6.3: every container has a hardened securityContext (see meta.yaml for the five settings).
package kspm.rules.security_context_hardened

import rego.v1

import data.kspm.lib.pods

spec := pods.target_spec

applicable if {
	pods.target
	object.get(object.get(spec, "os", {}), "name", "linux") != "windows"
}

pod_sc := object.get(spec, "securityContext", {})

sc(c) := object.get(c.container, "securityContext", {})

# The container's value wins over the pod's.
effective(c, field, fallback) := object.get(sc(c), field, object.get(pod_sc, field, fallback))

unmet contains sprintf("%s: privileged", [c.name]) if {
	some c in pods.containers(spec)
	object.get(sc(c), "privileged", false) == true
}

unmet contains sprintf("%s: allowPrivilegeEscalation is not false", [c.name]) if {
	some c in pods.containers(spec)
	object.get(sc(c), "allowPrivilegeEscalation", true) != false
}

unmet contains sprintf("%s: may run as root (needs runAsNonRoot true or a non-zero runAsUser)", [c.name]) if {
	some c in pods.containers(spec)
	not non_root(c)
}

unmet contains sprintf("%s: capabilities.drop lacks ALL", [c.name]) if {
	some c in pods.containers(spec)
	not "ALL" in {upper(x) | some x in object.get(object.get(sc(c), "capabilities", {}), "drop", [])}
}

unmet contains sprintf("%s: readOnlyRootFilesystem is not true", [c.name]) if {
	some c in pods.containers(spec)
	object.get(sc(c), "readOnlyRootFilesystem", false) != true
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
