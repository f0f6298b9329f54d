# CIS 1.1.10: CNI configuration and state files owned by root:root.
package kspm.rules.cni_files_owner

import rego.v1

finding := data.kspm.lib.files.tree_owner_finding(input.resource, "root", "root") if data.kspm.lib.node.has_role(input.resource, "cni")
