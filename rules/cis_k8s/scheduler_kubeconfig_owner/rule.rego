# CIS 1.1.16: the kube-scheduler kubeconfig (owned by root:root; a symlink is judged by its target).
package kspm.rules.scheduler_kubeconfig_owner

import rego.v1

finding := data.kspm.lib.files.owner_finding(input.resource, "root", "root") if data.kspm.lib.node.has_role(input.resource, "scheduler-kubeconfig")
