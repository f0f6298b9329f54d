# CIS 1.1.17: the kube-controller-manager kubeconfig (mode 0600 or stricter; a symlink is judged by its target).
package kspm.rules.controller_manager_kubeconfig_mode

import rego.v1

finding := data.kspm.lib.files.mode_finding(input.resource, 384) if data.kspm.lib.node.has_role(input.resource, "controller-manager-kubeconfig")
