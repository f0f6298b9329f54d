# CIS 5.2.12: the namespace enforces Pod Security "baseline" (or a policy engine may stand in).
package kspm.rules.psa_blocks_host_ports

import rego.v1

finding := data.kspm.lib.namespaces.psa_finding(input.resource, "baseline", offending) if data.kspm.lib.namespaces.user_namespace(input.resource)

# Workloads of the namespace that the control would reject.
offending contains data.kspm.lib.namespaces.ref_with(obj, names) if {
	some w in data.kspm.lib.namespaces.input_workloads
	names := [sprintf("%s: hostPort %v", [c.name, p.hostPort]) |
		some c in w.containers
		some p in data.kspm.lib.namespaces.field(c.container, "ports", [])
		data.kspm.lib.namespaces.field(p, "hostPort", 0) != 0
	]
	count(names) > 0
	some obj in w.objects
}
