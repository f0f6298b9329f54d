# PSS Restricted: volumes may only use the core ephemeral types and persistent volume claims.
package kspm.rules.pss_restricted_volumes

import rego.v1

allowed := {
	"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image",
	"persistentVolumeClaim", "projected", "secret",
}

# A volume that names no source at all is defaulted to emptyDir by the API server, so only the
# sources that are actually set are looked at.
violations contains {"name": object.get(v, "name", ""), "types": types} if {
	is_array(data.kspm.lib.pss.spec.volumes)
	some v in data.kspm.lib.pss.spec.volumes
	is_object(v)
	types := [k |
		some k, src in v
		src != null
		k != "name"
		not k in allowed
	]
	count(types) > 0
}

finding := data.kspm.lib.pss.result(
	count(violations),
	{"volumes": violations},
	{"volumes[] source": sort(allowed)},
) if data.kspm.lib.pods.target
