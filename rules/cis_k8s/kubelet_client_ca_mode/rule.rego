# CIS 4.1.7: the kubelet's client CA file (mode 0644 or stricter; a symlink is judged by its target).
package kspm.rules.kubelet_client_ca_mode

import rego.v1

finding := data.kspm.lib.files.mode_finding(input.resource, 420) if data.kspm.lib.node.has_role(input.resource, "kubelet-client-ca")
