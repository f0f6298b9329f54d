# PSS Baseline: containers must not bind ports on the node (hostPort).
package kspm.rules.pss_host_ports

import rego.v1

violations contains {"name": c.name, "type": c.type, "host_ports": ports} if {
	some c in data.kspm.lib.pss.containers
	is_array(c.container.ports)
	ports := [p.hostPort |
		some p in c.container.ports
		is_number(p.hostPort)
		p.hostPort != 0
	]
	count(ports) > 0
}

finding := data.kspm.lib.pss.result(
	count(violations),
	{"containers": violations},
	{"ports[].hostPort": "unset or 0 on every container"},
) if data.kspm.lib.pods.target
