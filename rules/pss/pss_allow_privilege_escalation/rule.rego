# PSS Restricted: every container must set allowPrivilegeEscalation: false (Linux pods).
package kspm.rules.pss_allow_privilege_escalation

import rego.v1

import data.kspm.lib.pods
import data.kspm.lib.pss

violations contains pss.container_evidence(c, {"allowPrivilegeEscalation": value}) if {
	not pss.windows
	some c in pss.containers
	value := pss.field(pss.security_context(c), "allowPrivilegeEscalation")
	value != false
}

finding := pss.result(
	violations,
	{"os": pss.os, "containers": violations},
	{"securityContext.allowPrivilegeEscalation": "false on every container (Windows pods are exempt)"},
) if pods.target
