# CIS EKS 3.1.1: kubelet-kubeconfig files grant nothing outside 0644 (a symlink is judged by its target).
package kspm.rules.eks_kubelet_kubeconfig_mode

import rego.v1

finding := data.kspm.lib.files.mode_finding(input.resource, 420) if data.kspm.lib.node.has_role(input.resource, "kubelet-kubeconfig")
