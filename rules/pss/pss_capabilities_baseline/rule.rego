# PSS Baseline: containers may add only capabilities from the default container runtime set.
package kspm.rules.pss_capabilities_baseline

import rego.v1

import data.kspm.lib.pods
import data.kspm.lib.pss

# Names are compared exactly, as upstream does: "chown" and "CAP_CHOWN" are not CHOWN.
allowed := {
	"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
	"NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
}

violations contains pss.container_evidence(c, {"added": added}) if {
	some c in pss.containers
	added := [cap |
		some cap in pss.as_array(pss.security_context(c).capabilities.add)
		not cap in allowed
	]
	count(added) > 0
}

finding := pss.result(
	violations,
	{"containers": violations},
	{"securityContext.capabilities.add": sort(allowed)},
) if pods.target
