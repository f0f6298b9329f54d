# CIS 1.1.6: the kube-scheduler static-pod manifest (owned by root:root; a symlink is judged by its target).
package kspm.rules.scheduler_manifest_owner

import rego.v1

import data.kspm.lib.files
import data.kspm.lib.node

finding := files.owner_finding(input.resource, "root", "root") if node.has_role(input.resource, "scheduler-manifest")
