# PSS Baseline: hostPath volumes are not allowed.
package kspm.rules.pss_host_path_volumes

import rego.v1

violations contains {"name": object.get(v, "name", ""), "path": object.get(v.hostPath, "path", "")} if {
	is_array(data.kspm.lib.pss.spec.volumes)
	some v in data.kspm.lib.pss.spec.volumes
	is_object(v.hostPath)
}

finding := data.kspm.lib.pss.result(
	count(violations),
	{"volumes": violations},
	{"volumes[].hostPath": "unset"},
) if data.kspm.lib.pods.target
