# PSS Baseline: containers must not bind ports on the node (hostPort).
package kspm.rules.pss_host_ports

import rego.v1

import data.kspm.lib.pods
import data.kspm.lib.pss

violations contains pss.container_evidence(c, {"host_ports": ports}) if {
	some c in pss.containers
	ports := [p.hostPort |
		some p in pss.as_array(object.get(c.container, "ports", []))
		is_number(p.hostPort)
		p.hostPort != 0
	]
	count(ports) > 0
}

finding := pss.result(
	violations,
	{"containers": violations},
	{"ports[].hostPort": "unset or 0 on every container"},
) if pods.target
