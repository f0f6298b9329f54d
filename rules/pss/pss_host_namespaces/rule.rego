# PSS Baseline: the pod must not share the node's network, PID or IPC namespace.
package kspm.rules.pss_host_namespaces

import rego.v1

host_namespaces contains name if {
	some name in ["hostNetwork", "hostPID", "hostIPC"]
	data.kspm.lib.pss.spec[name] == true
}

finding := data.kspm.lib.pss.result(
	count(host_namespaces),
	{"host_namespaces": host_namespaces},
	{"hostNetwork": "unset or false", "hostPID": "unset or false", "hostIPC": "unset or false"},
) if data.kspm.lib.pods.target
