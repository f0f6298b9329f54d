# PSS Restricted: every container must set allowPrivilegeEscalation: false (Linux pods).
package kspm.rules.pss_allow_privilege_escalation

import rego.v1

violations contains {"name": c.name, "type": c.type, "allowPrivilegeEscalation": value} if {
	not data.kspm.lib.pss.windows
	some c in data.kspm.lib.pss.containers
	not c.sc.allowPrivilegeEscalation == false
	value := object.get(c.sc, "allowPrivilegeEscalation", null)
}

finding := data.kspm.lib.pss.result(
	count(violations),
	{"windows": data.kspm.lib.pss.windows, "containers": violations},
	{"securityContext.allowPrivilegeEscalation": "false on every container (Windows pods are exempt)"},
) if data.kspm.lib.pods.target
