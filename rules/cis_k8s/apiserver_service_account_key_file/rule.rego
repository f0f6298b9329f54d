# CIS 1.2.22: service-account tokens are verified with a dedicated key file (or an external signer).
package kspm.rules.apiserver_service_account_key_file

import rego.v1

p := input.resource

finding := data.kspm.lib.apiserver.process_error(p) if data.kspm.lib.apiserver.unreadable(p)

external_signer if data.kspm.lib.apiserver.set_non_empty(p, "--service-account-signing-endpoint")

finding := data.kspm.lib.apiserver.path_flags_finding(p, ["--service-account-key-file"]) if {
	data.kspm.lib.apiserver.readable(p)
	not external_signer
}

finding := {
	"evaluation": "passed",
	"evidence": {
		"settings": [data.kspm.lib.node.flag_text(p, "--service-account-signing-endpoint")],
		"missing": [],
		"note": "tokens are signed and their keys published by an external signer; the key-file flag does not apply",
		"read_from": data.kspm.lib.apiserver.origin(p),
	},
	"expected": {"--service-account-key-file": "path to a file", "or": "--service-account-signing-endpoint"},
} if {
	data.kspm.lib.apiserver.readable(p)
	external_signer
}
