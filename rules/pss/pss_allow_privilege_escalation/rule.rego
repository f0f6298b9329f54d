# PSS Restricted: every container must set allowPrivilegeEscalation: false (Linux pods).
package kspm.rules.pss_allow_privilege_escalation

import rego.v1

import data.kspm.lib.pods
import data.kspm.lib.pss

violations contains {"name": c.name, "type": c.type, "allowPrivilegeEscalation": value} if {
	not pss.windows
	some c in pss.containers
	not c.sc.allowPrivilegeEscalation == false
	value := object.get(c.sc, "allowPrivilegeEscalation", null)
}

finding := pss.result(
	count(violations),
	{"windows": pss.windows, "containers": violations},
	{"securityContext.allowPrivilegeEscalation": "false on every container (Windows pods are exempt)"},
) if pods.target
