# CIS 1.2.6: keep AlwaysAllow out of the API server's authorizers.
package kspm.rules.apiserver_authorization_excludes_always_allow

import rego.v1

p := input.resource

finding := data.kspm.lib.apiserver.process_error(p) if data.kspm.lib.apiserver.unreadable(p)

finding := data.kspm.lib.apiserver.referenced_file_error(p, "--authorization-config") if {
	data.kspm.lib.apiserver.readable(p)
	data.kspm.lib.apiserver.authorization_error(p)
}

finding := data.kspm.lib.apiserver.authorization_manual(p, "a chain without AlwaysAllow") if {
	data.kspm.lib.apiserver.readable(p)
	data.kspm.lib.apiserver.authorization_unknown(p)
}

finding := {
	"evaluation": data.kspm.lib.apiserver.status(ok),
	"evidence": {"setting": chain.setting, "authorizers": chain.modes, "read_from": data.kspm.lib.apiserver.origin(p)},
	"expected": {"authorizers": "a chain without AlwaysAllow"},
} if {
	data.kspm.lib.apiserver.readable(p)
	chain := data.kspm.lib.apiserver.authorizer_chain(p)
	ok := count([m | some m in chain.modes; m == "AlwaysAllow"]) == 0
}
