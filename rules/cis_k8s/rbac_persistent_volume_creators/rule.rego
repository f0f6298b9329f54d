# CIS 5.1.9: which roles let their holders create PersistentVolumes, and who holds them.
# Evaluated per role; see data.kspm.lib.rbac.role_finding.
package kspm.rules.rbac_persistent_volume_creators

import rego.v1

permission := [
	{"groups": [""], "resources": ["persistentvolumes"], "verbs": ["create"]},
]

finding := data.kspm.lib.rbac.role_finding(input.resource, permission, true, "create PersistentVolumes", "create persistentvolumes")
