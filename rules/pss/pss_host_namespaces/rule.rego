# PSS Baseline: the pod must not share the node's network, PID or IPC namespace.
package kspm.rules.pss_host_namespaces

import rego.v1

import data.kspm.lib.pods
import data.kspm.lib.pss

host_namespaces contains name if {
	some name in ["hostNetwork", "hostPID", "hostIPC"]
	pss.spec[name] == true
}

finding := pss.result(
	count(host_namespaces),
	{"host_namespaces": host_namespaces},
	{"hostNetwork": "unset or false", "hostPID": "unset or false", "hostIPC": "unset or false"},
) if pods.target
