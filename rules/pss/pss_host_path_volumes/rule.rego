# PSS Baseline: hostPath volumes are not allowed.
package kspm.rules.pss_host_path_volumes

import rego.v1

import data.kspm.lib.pods
import data.kspm.lib.pss

violations contains {"name": object.get(v, "name", ""), "path": object.get(v.hostPath, "path", "")} if {
	some v in pss.as_array(object.get(pss.spec, "volumes", []))
	is_object(v.hostPath)
}

finding := pss.result(
	violations,
	{"volumes": violations},
	{"volumes[].hostPath": "unset"},
) if pods.target
