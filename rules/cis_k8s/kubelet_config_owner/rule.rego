# CIS 4.1.10: the kubelet's config file (owned by root:root; a symlink is judged by its target).
package kspm.rules.kubelet_config_owner

import rego.v1

finding := data.kspm.lib.files.owner_finding(input.resource, "root", "root") if data.kspm.lib.node.has_role(input.resource, "kubelet-config")
