# CIS 1.2.6: keep AlwaysAllow out of the API server's authorizers.
package kspm.rules.apiserver_authorization_excludes_always_allow

import rego.v1

import data.kspm.lib.apiserver

p := input.resource

finding := apiserver.process_error(p) if apiserver.unreadable(p)

finding := apiserver.referenced_file_error(p, "--authorization-config") if {
	apiserver.readable(p)
	apiserver.authorization_error(p)
}

finding := apiserver.authorization_manual(p, "a chain without AlwaysAllow") if {
	apiserver.readable(p)
	apiserver.authorization_unknown(p)
}

finding := {
	"evaluation": apiserver.status(ok),
	"evidence": {"setting": chain.setting, "authorizers": chain.modes, "read_from": apiserver.origin(p)},
	"expected": {"authorizers": "a chain without AlwaysAllow"},
} if {
	apiserver.readable(p)
	chain := apiserver.authorizer_chain(p)
	ok := count([m | some m in chain.modes; m == "AlwaysAllow"]) == 0
}
