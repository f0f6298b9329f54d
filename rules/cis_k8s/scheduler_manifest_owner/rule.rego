# CIS 1.1.6: the kube-scheduler static-pod manifest (owned by root:root; a symlink is judged by its target).
package kspm.rules.scheduler_manifest_owner

import rego.v1

finding := data.kspm.lib.files.owner_finding(input.resource, "root", "root") if data.kspm.lib.node.has_role(input.resource, "scheduler-manifest")
