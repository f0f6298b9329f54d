# CIS 1.2.7: authorize kubelets with the Node authorizer.
package kspm.rules.apiserver_authorization_includes_node

import rego.v1

import data.kspm.lib.apiserver

p := input.resource

finding := apiserver.process_error(p) if apiserver.unreadable(p)

finding := apiserver.referenced_file_error(p, "--authorization-config") if {
	apiserver.readable(p)
	apiserver.authorization_error(p)
}

finding := apiserver.authorization_manual(p, "a chain containing Node") if {
	apiserver.readable(p)
	apiserver.authorization_unknown(p)
}

finding := {
	"evaluation": apiserver.status(ok),
	"evidence": {"setting": chain.setting, "authorizers": chain.modes, "read_from": apiserver.origin(p)},
	"expected": {"authorizers": "a chain containing Node"},
} if {
	apiserver.readable(p)
	chain := apiserver.authorizer_chain(p)
	ok := "Node" in chain.modes
}
