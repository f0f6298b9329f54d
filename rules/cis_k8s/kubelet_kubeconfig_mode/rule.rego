# CIS 4.1.5: the kubelet's kubeconfig (mode 0600 or stricter; a symlink is judged by its target).
package kspm.rules.kubelet_kubeconfig_mode

import rego.v1

finding := data.kspm.lib.files.mode_finding(input.resource, 384) if data.kspm.lib.node.has_role(input.resource, "kubelet-kubeconfig")
