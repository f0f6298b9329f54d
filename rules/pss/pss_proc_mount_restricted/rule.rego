# PSS Restricted (policy v1.35+): containers keep the default masked /proc, even in a user
# namespace.
package kspm.rules.pss_proc_mount_restricted

import rego.v1

import data.kspm.lib.pods
import data.kspm.lib.pss

violations contains {"name": c.name, "type": c.type, "procMount": pm} if {
	some c in pss.containers
	pm := c.sc.procMount
	is_string(pm)
	pm != "Default"
}

finding := pss.result(
	count(violations),
	{"containers": violations},
	{"securityContext.procMount": "unset or Default on every container"},
) if pods.target
