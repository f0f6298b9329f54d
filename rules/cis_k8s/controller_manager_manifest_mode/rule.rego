# CIS 1.1.3: the kube-controller-manager static-pod manifest (mode 0600 or stricter; a symlink is judged by its target).
package kspm.rules.controller_manager_manifest_mode

import rego.v1

finding := data.kspm.lib.files.mode_finding(input.resource, 384) if data.kspm.lib.node.has_role(input.resource, "controller-manager-manifest")
