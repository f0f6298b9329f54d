# CIS 1.1.19: the PKI directory tree owned by root:root.
package kspm.rules.pki_dir_owner

import rego.v1

finding := data.kspm.lib.files.tree_owner_finding(input.resource, "root", "root") if data.kspm.lib.node.has_role(input.resource, "pki")
