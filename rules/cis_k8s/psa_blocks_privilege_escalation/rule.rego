# CIS 5.2.6: the namespace enforces Pod Security "restricted" (or a policy engine may stand in).
package kspm.rules.psa_blocks_privilege_escalation

import rego.v1

import data.kspm.lib.namespaces
import data.kspm.lib.pods

finding := namespaces.psa_finding(input.resource, "restricted", offending) if namespaces.user_namespace(input.resource)

# Workloads of the namespace that the control would reject.
offending contains namespaces.ref_with(w, names) if {
	some w in namespaces.input_workloads
	not namespaces.windows_spec(pods.spec(w))
	names := [c.name |
		some c in pods.containers(pods.spec(w))
		namespaces.field(namespaces.field(c.container, "securityContext", {}), "allowPrivilegeEscalation", true) != false
	]
	count(names) > 0
}
