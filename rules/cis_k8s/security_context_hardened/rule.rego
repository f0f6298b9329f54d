# CIS 5.6.3: every container has a hardened securityContext (see meta.yaml for the five settings).
package kspm.rules.security_context_hardened

import rego.v1

# The pod facts come from kspm.lib.pss: rules, so they are computed once per object and shared
# with every other pod-spec rule (each container's `sc` is its securityContext, {} when unset).
applicable if {
	data.kspm.lib.pods.target
	not data.kspm.lib.pss.windows
}

pod_sc := data.kspm.lib.pss.pod_security_context

# A setting of the container, else of the pod, else `fallback` (null counts as unset).
effective(c, field, fallback) := c.sc[field] if {
	c.sc[field] != null
} else := pod_sc[field] if {
	pod_sc[field] != null
} else := fallback

unmet contains sprintf("%s: privileged", [c.name]) if {
	some c in data.kspm.lib.pss.containers
	c.sc.privileged == true
}

unmet contains sprintf("%s: allowPrivilegeEscalation is not false", [c.name]) if {
	some c in data.kspm.lib.pss.containers
	not c.sc.allowPrivilegeEscalation == false
}

unmet contains sprintf("%s: may run as root (needs runAsNonRoot true or a non-zero runAsUser)", [c.name]) if {
	some c in data.kspm.lib.pss.containers
	not non_root(c)
}

unmet contains sprintf("%s: capabilities.drop lacks ALL", [c.name]) if {
	some c in data.kspm.lib.pss.containers
	not "ALL" in data.kspm.lib.namespaces.capabilities(c.container, "drop")
}

unmet contains sprintf("%s: readOnlyRootFilesystem is not true", [c.name]) if {
	some c in data.kspm.lib.pss.containers
	not c.sc.readOnlyRootFilesystem == true
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
