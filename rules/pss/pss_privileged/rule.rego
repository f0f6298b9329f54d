# PSS Baseline: no container may run privileged.
package kspm.rules.pss_privileged

import rego.v1

import data.kspm.lib.pods
import data.kspm.lib.pss

violations contains {"name": c.name, "type": c.type, "privileged": true} if {
	some c in pss.containers
	c.sc.privileged == true
}

finding := pss.result(
	count(violations),
	{"containers": violations},
	{"securityContext.privileged": "unset or false on every container"},
) if pods.target
