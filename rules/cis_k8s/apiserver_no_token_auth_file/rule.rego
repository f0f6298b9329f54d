# CIS 1.2.2: no static bearer-token file (--token-auth-file) on the API server.
package kspm.rules.apiserver_no_token_auth_file

import rego.v1

import data.kspm.lib.apiserver
import data.kspm.lib.node

p := input.resource

finding := apiserver.process_error(p) if apiserver.unreadable(p)

token_file_set if apiserver.set_non_empty(p, "--token-auth-file")

finding := {
	"evaluation": "failed",
	"evidence": {"setting": node.flag_text(p, "--token-auth-file"), "read_from": apiserver.origin(p)},
	"expected": {"--token-auth-file": "not set"},
} if {
	apiserver.readable(p)
	token_file_set
}

finding := {
	"evaluation": "passed",
	"evidence": {"setting": "--token-auth-file not set", "read_from": apiserver.origin(p)},
	"expected": {"--token-auth-file": "not set"},
} if {
	apiserver.readable(p)
	not token_file_set
}
