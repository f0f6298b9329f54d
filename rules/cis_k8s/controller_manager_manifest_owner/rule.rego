# CIS 1.1.4: the kube-controller-manager static-pod manifest (owned by root:root; a symlink is judged by its target).
package kspm.rules.controller_manager_manifest_owner

import rego.v1

finding := data.kspm.lib.files.owner_finding(input.resource, "root", "root") if data.kspm.lib.node.has_role(input.resource, "controller-manager-manifest")
