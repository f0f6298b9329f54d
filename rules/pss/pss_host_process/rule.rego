# PSS Baseline: Windows HostProcess containers are not allowed.
package kspm.rules.pss_host_process

import rego.v1

import data.kspm.lib.pods
import data.kspm.lib.pss

pod_violation := {"securityContext.windowsOptions.hostProcess": true} if {
	pss.pod_security_context.windowsOptions.hostProcess == true
} else := {}

container_violations contains pss.container_evidence(c, {"hostProcess": true}) if {
	some c in pss.containers
	pss.security_context(c).windowsOptions.hostProcess == true
}

finding := pss.result(
	container_violations | pss.present(pod_violation),
	{"pod": pod_violation, "containers": container_violations},
	{"windowsOptions.hostProcess": "unset or false, on the pod and on every container"},
) if pods.target
