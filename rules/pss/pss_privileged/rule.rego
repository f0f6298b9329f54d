# PSS Baseline: no container may run privileged.
package kspm.rules.pss_privileged

import rego.v1

violations contains {"name": c.name, "type": c.type, "privileged": true} if {
	some c in data.kspm.lib.pss.containers
	c.sc.privileged == true
}

finding := data.kspm.lib.pss.result(
	count(violations),
	{"containers": violations},
	{"securityContext.privileged": "unset or false on every container"},
) if data.kspm.lib.pods.target
