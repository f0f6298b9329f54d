# PSS Baseline: hostPath volumes are not allowed.
package kspm.rules.pss_host_path_volumes

import rego.v1

import data.kspm.lib.pods
import data.kspm.lib.pss

violations contains {"name": object.get(v, "name", ""), "path": object.get(v.hostPath, "path", "")} if {
	is_array(pss.spec.volumes)
	some v in pss.spec.volumes
	is_object(v.hostPath)
}

finding := pss.result(
	count(violations),
	{"volumes": violations},
	{"volumes[].hostPath": "unset"},
) if pods.target
