# CIS 1.1.21: private key files in the PKI directories at mode 0600 or stricter.
package kspm.rules.pki_key_files_mode

import rego.v1

finding := data.kspm.lib.files.tree_mode_finding(input.resource, {"file": 384, "suffix": ".key"}) if data.kspm.lib.node.has_role(input.resource, "pki")
