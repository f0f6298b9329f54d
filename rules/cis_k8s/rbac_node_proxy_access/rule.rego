# CIS 5.1.10: which roles let their holders use the nodes/proxy subresource, and who holds them.
# Evaluated per role; see data.kspm.lib.rbac.role_finding.
package kspm.rules.rbac_node_proxy_access

import rego.v1

permission := [
	{"groups": [""], "resources": ["nodes/proxy"], "verbs": ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"]},
]

finding := data.kspm.lib.rbac.role_finding(input.resource, permission, true, "use the nodes/proxy subresource", "get nodes/proxy")
