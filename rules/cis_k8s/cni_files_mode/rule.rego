# CIS 1.1.9: CNI configuration and state files (files 0600, directories not group/other-writable).
package kspm.rules.cni_files_mode

import rego.v1

finding := data.kspm.lib.files.tree_mode_finding(input.resource, {"file": 384, "directory": 493}) if data.kspm.lib.node.has_role(input.resource, "cni")
