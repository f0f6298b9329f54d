# PSS Baseline: Windows HostProcess containers are not allowed.
package kspm.rules.pss_host_process

import rego.v1

pod_violation := {"securityContext.windowsOptions.hostProcess": true} if {
	data.kspm.lib.pss.pod_security_context.windowsOptions.hostProcess == true
} else := {}

container_violations contains {"name": c.name, "type": c.type, "hostProcess": true} if {
	some c in data.kspm.lib.pss.containers
	c.sc.windowsOptions.hostProcess == true
}

finding := data.kspm.lib.pss.result(
	count(pod_violation) + count(container_violations),
	{"pod": pod_violation, "containers": container_violations},
	{"windowsOptions.hostProcess": "unset or false, on the pod and on every container"},
) if data.kspm.lib.pods.target
