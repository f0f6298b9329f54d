# CIS 5.2.12: the namespace enforces Pod Security "baseline" (or a policy engine may stand in).
package kspm.rules.psa_blocks_host_ports

import rego.v1

import data.kspm.lib.namespaces
import data.kspm.lib.pods

finding := namespaces.psa_finding(input.resource, "baseline", offending) if namespaces.user_namespace(input.resource)

# Workloads of the namespace that the control would reject.
offending contains namespaces.ref_with(w, names) if {
	some w in namespaces.input_workloads
	names := [sprintf("%s: hostPort %v", [c.name, p.hostPort]) |
		some c in pods.containers(pods.spec(w))
		some p in namespaces.field(c.container, "ports", [])
		namespaces.field(p, "hostPort", 0) != 0
	]
	count(names) > 0
}
