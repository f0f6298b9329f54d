# PSS Baseline: no container may run privileged.
package kspm.rules.pss_privileged

import rego.v1

import data.kspm.lib.pods
import data.kspm.lib.pss

violations contains pss.container_evidence(c, {"privileged": true}) if {
	some c in pss.containers
	pss.security_context(c).privileged == true
}

finding := pss.result(
	violations,
	{"containers": violations},
	{"securityContext.privileged": "unset or false on every container"},
) if pods.target
