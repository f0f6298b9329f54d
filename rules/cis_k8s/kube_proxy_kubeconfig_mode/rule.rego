# CIS 4.1.3: the kube-proxy kubeconfig on the node (mode 0600 or stricter; a symlink is judged by its target).
package kspm.rules.kube_proxy_kubeconfig_mode

import rego.v1

finding := data.kspm.lib.files.mode_finding(input.resource, 384) if {
	data.kspm.lib.node.has_role(input.resource, "kube-proxy-kubeconfig")

	# Only a file on the node itself: kube-proxy run as a DaemonSet (kubeadm) reads its
	# kubeconfig from a ConfigMap volume inside its container, which chmod on the node cannot
	# change; the collector marks such files with in_container_of_pid.
	not input.resource.in_container_of_pid
}
