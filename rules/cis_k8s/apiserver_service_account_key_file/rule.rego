# CIS 1.2.22: service-account tokens are verified with a dedicated key file (or an external signer).
package kspm.rules.apiserver_service_account_key_file

import rego.v1

import data.kspm.lib.apiserver
import data.kspm.lib.node

p := input.resource

finding := apiserver.process_error(p) if apiserver.unreadable(p)

external_signer if apiserver.set_non_empty(p, "--service-account-signing-endpoint")

finding := apiserver.path_flags_finding(p, ["--service-account-key-file"]) if {
	apiserver.readable(p)
	not external_signer
}

finding := {
	"evaluation": "passed",
	"evidence": {
		"settings": [node.flag_text(p, "--service-account-signing-endpoint")],
		"missing": [],
		"note": "tokens are signed and their keys published by an external signer; the key-file flag does not apply",
		"read_from": apiserver.origin(p),
	},
	"expected": {"--service-account-key-file": "path to a file", "or": "--service-account-signing-endpoint"},
} if {
	apiserver.readable(p)
	external_signer
}
