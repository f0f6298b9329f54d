# CIS 1.2.2: no static bearer-token file (--token-auth-file) on the API server.
package kspm.rules.apiserver_no_token_auth_file

import rego.v1

p := input.resource

finding := data.kspm.lib.apiserver.process_error(p) if data.kspm.lib.apiserver.unreadable(p)

token_file_set if data.kspm.lib.apiserver.set_non_empty(p, "--token-auth-file")

finding := {
	"evaluation": "failed",
	"evidence": {"setting": data.kspm.lib.node.flag_text(p, "--token-auth-file"), "read_from": data.kspm.lib.apiserver.origin(p)},
	"expected": {"--token-auth-file": "not set"},
} if {
	data.kspm.lib.apiserver.readable(p)
	token_file_set
}

finding := {
	"evaluation": "passed",
	"evidence": {"setting": "--token-auth-file not set", "read_from": data.kspm.lib.apiserver.origin(p)},
	"expected": {"--token-auth-file": "not set"},
} if {
	data.kspm.lib.apiserver.readable(p)
	not token_file_set
}
