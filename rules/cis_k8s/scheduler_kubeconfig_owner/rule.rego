# CIS 1.1.16: the kube-scheduler kubeconfig (owned by root:root; a symlink is judged by its target).
package kspm.rules.scheduler_kubeconfig_owner

import rego.v1

import data.kspm.lib.files
import data.kspm.lib.node

finding := files.owner_finding(input.resource, "root", "root") if node.has_role(input.resource, "scheduler-kubeconfig")
