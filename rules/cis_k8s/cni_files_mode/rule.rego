# CIS 1.1.9: CNI configuration and state files (files 0600, directories not group/other-writable).
package kspm.rules.cni_files_mode

import rego.v1

import data.kspm.lib.files
import data.kspm.lib.node

finding := files.tree_mode_finding(input.resource, {"file": 384, "directory": 493}) if node.has_role(input.resource, "cni")
