# CIS 1.1.21: private key files in the PKI directories at mode 0600 or stricter.
package kspm.rules.pki_key_files_mode

import rego.v1

import data.kspm.lib.files
import data.kspm.lib.node

finding := files.tree_mode_finding(input.resource, {"file": 384, "suffix": ".key"}) if node.has_role(input.resource, "pki")
