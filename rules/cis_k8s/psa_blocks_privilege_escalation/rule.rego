# CIS 5.2.6: the namespace enforces Pod Security "restricted" (or a policy engine may stand in).
package kspm.rules.psa_blocks_privilege_escalation

import rego.v1

finding := data.kspm.lib.namespaces.psa_finding(input.resource, "restricted", offending) if data.kspm.lib.namespaces.user_namespace(input.resource)

# Workloads of the namespace that the control would reject.
offending contains data.kspm.lib.namespaces.ref_with(obj, names) if {
	some w in data.kspm.lib.namespaces.input_workloads
	not w.windows
	names := [c.name |
		some c in w.containers
		data.kspm.lib.namespaces.field(c.sc, "allowPrivilegeEscalation", true) != false
	]
	count(names) > 0
	some obj in w.objects
}
