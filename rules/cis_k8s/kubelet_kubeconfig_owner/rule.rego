# CIS 4.1.6: the kubelet's kubeconfig (owned by root:root; a symlink is judged by its target).
package kspm.rules.kubelet_kubeconfig_owner

import rego.v1

finding := data.kspm.lib.files.owner_finding(input.resource, "root", "root") if data.kspm.lib.node.has_role(input.resource, "kubelet-kubeconfig")
