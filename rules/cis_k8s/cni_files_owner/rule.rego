# CIS 1.1.10: CNI configuration and state files owned by root:root.
package kspm.rules.cni_files_owner

import rego.v1

import data.kspm.lib.files
import data.kspm.lib.node

finding := files.tree_owner_finding(input.resource, "root", "root") if node.has_role(input.resource, "cni")
