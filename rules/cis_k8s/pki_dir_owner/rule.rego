# CIS 1.1.19: the PKI directory tree owned by root:root.
package kspm.rules.pki_dir_owner

import rego.v1

import data.kspm.lib.files
import data.kspm.lib.node

finding := files.tree_owner_finding(input.resource, "root", "root") if node.has_role(input.resource, "pki")
