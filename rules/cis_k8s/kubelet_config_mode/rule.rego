# CIS 4.1.9: the kubelet's config file (mode 0600 or stricter; a symlink is judged by its target).
package kspm.rules.kubelet_config_mode

import rego.v1

finding := data.kspm.lib.files.mode_finding(input.resource, 384) if data.kspm.lib.node.has_role(input.resource, "kubelet-config")
