# CIS 4.2.12: the kubelet offers only strong TLS cipher suites (ECDHE with AES-GCM or ChaCha20).
package kspm.rules.kubelet_strong_tls_ciphers

import rego.v1

p := input.resource

key := "tlsCipherSuites"

# The six TLS 1.2 suites of the benchmark, Go's longer names for the two ChaCha20 suites, and
# the TLS 1.3 suites (accepted by the flag; Go always uses them for TLS 1.3 anyway).
allowed := {
	"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
	"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
	"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
	"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
	"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305",
	"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305",
	"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
	"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
	"TLS_AES_128_GCM_SHA256",
	"TLS_AES_256_GCM_SHA384",
	"TLS_CHACHA20_POLY1305_SHA256",
}

raw := data.kspm.lib.kubelet.value(p, key)

suites := [trim_space(sprintf("%v", [x])) | some x in raw; trim_space(sprintf("%v", [x])) != ""] if is_array(raw)

suites := [trim_space(x) | some x in split(raw, ","); trim_space(x) != ""] if is_string(raw)

suites := [] if {
	not is_array(raw)
	not is_string(raw)
}

weak := [s | some s in suites; not s in allowed]

finding := data.kspm.lib.kubelet.error_finding(p, [key]) if not data.kspm.lib.kubelet.available(p, [key])

finding := {
	"evaluation": outcome,
	"evidence": object.union(data.kspm.lib.kubelet.base_evidence(p), {
		"tls_cipher_suites": data.kspm.lib.kubelet.text(p, key),
		"suites": suites,
		"weak_suites": weak,
		"note": note,
	}),
	"expected": {key: sort([s | some s in allowed; startswith(s, "TLS_ECDHE_"); not endswith(s, "_POLY1305_SHA256")])},
} if data.kspm.lib.kubelet.available(p, [key])

outcome := "passed" if {
	count(suites) > 0
	count(weak) == 0
}

outcome := "failed" if count(suites) == 0

outcome := "failed" if count(weak) > 0

note := "not set: the kubelet uses Go's default list, which still includes CBC-mode suites" if count(suites) == 0
else := "every suite is on the allow-list" if count(weak) == 0
else := "some suites are outside the allow-list (CBC mode, RSA key exchange or 3DES)"
