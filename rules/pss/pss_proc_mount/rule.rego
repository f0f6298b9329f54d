# PSS Baseline: containers keep the default masked /proc, unless the pod runs in a user namespace
# (hostUsers: false), which policy v1.35+ allows to unmask it.
package kspm.rules.pss_proc_mount

import rego.v1

violations contains {"name": c.name, "type": c.type, "procMount": pm} if {
	not data.kspm.lib.pss.user_namespace
	some c in data.kspm.lib.pss.containers
	pm := c.sc.procMount
	is_string(pm)
	pm != "Default"
}

finding := data.kspm.lib.pss.result(
	count(violations),
	{"hostUsers": data.kspm.lib.pss.host_users, "containers": violations},
	{"securityContext.procMount": "unset or Default, unless the pod sets hostUsers: false"},
) if data.kspm.lib.pods.target
