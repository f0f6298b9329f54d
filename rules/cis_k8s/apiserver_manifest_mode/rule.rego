# CIS 1.1.1: the kube-apiserver static-pod manifest (mode 0600 or stricter; a symlink is judged by its target).
package kspm.rules.apiserver_manifest_mode

import rego.v1

finding := data.kspm.lib.files.mode_finding(input.resource, 384) if data.kspm.lib.node.has_role(input.resource, "apiserver-manifest")
