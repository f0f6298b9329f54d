# PSS Baseline: containers may add only capabilities from the default container runtime set.
package kspm.rules.pss_capabilities_baseline

import rego.v1

# Names are compared exactly, as upstream does: "chown" and "CAP_CHOWN" are not CHOWN.
allowed := {
	"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
	"NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
}

violations contains {"name": c.name, "type": c.type, "added": added} if {
	some c in data.kspm.lib.pss.containers
	is_array(c.sc.capabilities.add)
	added := [cap | some cap in c.sc.capabilities.add; not cap in allowed]
	count(added) > 0
}

finding := data.kspm.lib.pss.result(
	count(violations),
	{"containers": violations},
	{"securityContext.capabilities.add": sort(allowed)},
) if data.kspm.lib.pods.target
