# CIS 1.1.20: certificate files in the PKI directories at mode 0644 or stricter.
package kspm.rules.pki_cert_files_mode

import rego.v1

finding := data.kspm.lib.files.tree_mode_finding(input.resource, {"file": 420, "suffix": ".crt"}) if data.kspm.lib.node.has_role(input.resource, "pki")
