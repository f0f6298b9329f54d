# CIS 1.1.5: the kube-scheduler static-pod manifest (mode 0600 or stricter; a symlink is judged by its target).
package kspm.rules.scheduler_manifest_mode

import rego.v1

finding := data.kspm.lib.files.mode_finding(input.resource, 384) if data.kspm.lib.node.has_role(input.resource, "scheduler-manifest")
