# PSS Restricted (policy v1.35+): containers keep the default masked /proc, even in a user
# namespace.
package kspm.rules.pss_proc_mount_restricted

import rego.v1

violations contains {"name": c.name, "type": c.type, "procMount": pm} if {
	some c in data.kspm.lib.pss.containers
	pm := c.sc.procMount
	is_string(pm)
	pm != "Default"
}

finding := data.kspm.lib.pss.result(
	count(violations),
	{"containers": violations},
	{"securityContext.procMount": "unset or Default on every container"},
) if data.kspm.lib.pods.target
