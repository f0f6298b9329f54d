# CIS 1.2.29: every TLS cipher suite the API server offers is on the CIS v2.0.1 allow-list.
package kspm.rules.apiserver_strong_cipher_suites

import rego.v1

p := input.resource

finding := data.kspm.lib.apiserver.process_error(p) if data.kspm.lib.apiserver.unreadable(p)

flag := "--tls-cipher-suites"

expected := {flag: "only suites from the CIS allow-list (TLS 1.3, ECDHE with AES-GCM or ChaCha20-Poly1305)"}

suites := data.kspm.lib.node.flag_list(p, flag)

weak := [s | some s in suites; not s in data.kspm.lib.apiserver.strong_cipher_suites]

tls13_only if data.kspm.lib.node.flag(p, "--tls-min-version") == "VersionTLS13"

finding := {
	"evaluation": "passed",
	"evidence": {
		"setting": "--tls-min-version=VersionTLS13",
		"suites": suites,
		"weak_suites": [],
		"reason": "only TLS 1.3 can be negotiated, and all TLS 1.3 suites are on the allow-list",
		"read_from": data.kspm.lib.apiserver.origin(p),
	},
	"expected": expected,
} if {
	data.kspm.lib.apiserver.readable(p)
	tls13_only
}

finding := {
	"evaluation": "failed",
	"evidence": {
		"setting": "--tls-cipher-suites not set (default: Go's default suites, which include ECDHE with AES-CBC and SHA-1)",
		"suites": [],
		"weak_suites": [],
		"read_from": data.kspm.lib.apiserver.origin(p),
	},
	"expected": expected,
} if {
	data.kspm.lib.apiserver.readable(p)
	not tls13_only
	count(suites) == 0
}

finding := {
	"evaluation": data.kspm.lib.apiserver.status(count(weak) == 0),
	"evidence": {"setting": data.kspm.lib.node.flag_text(p, flag), "suites": suites, "weak_suites": weak, "read_from": data.kspm.lib.apiserver.origin(p)},
	"expected": expected,
} if {
	data.kspm.lib.apiserver.readable(p)
	not tls13_only
	count(suites) > 0
}
