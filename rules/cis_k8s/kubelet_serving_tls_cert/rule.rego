# CIS 4.2.9: the kubelet serves its API with a proper certificate: tlsCertFile and
# tlsPrivateKeyFile are set, or serverTLSBootstrap has the certificate signed through the API.
package kspm.rules.kubelet_serving_tls_cert

import rego.v1

p := input.resource

keys := ["tlsCertFile", "tlsPrivateKeyFile", "serverTLSBootstrap"]

set(key) if {
	s := data.kspm.lib.kubelet.lookup(p, key)
	s != null
	s.value != null
	trim_space(sprintf("%v", [s.value])) != ""
}

bootstrap if data.kspm.lib.node.go_bool(data.kspm.lib.kubelet.value(p, "serverTLSBootstrap")) == true

files_set if {
	set("tlsCertFile")
	set("tlsPrivateKeyFile")
}

# Either way is enough, so a flag can decide even when the config file is unreadable.
passes if files_set

passes if {
	not files_set
	bootstrap
}

missing := [k | some k in ["tlsCertFile", "tlsPrivateKeyFile"]; not set(k)]

evidence := object.union(data.kspm.lib.kubelet.base_evidence(p), {
	"tls_cert_file": data.kspm.lib.kubelet.text(p, "tlsCertFile"),
	"tls_private_key_file": data.kspm.lib.kubelet.text(p, "tlsPrivateKeyFile"),
	"server_tls_bootstrap": data.kspm.lib.kubelet.text(p, "serverTLSBootstrap"),
	"missing": missing,
})

expected := {"tlsCertFile and tlsPrivateKeyFile": "paths of a certificate signed by a CA the API server trusts", "or serverTLSBootstrap": true}

finding := {"evaluation": "passed", "evidence": evidence, "expected": expected} if passes

finding := data.kspm.lib.kubelet.error_finding(p, keys) if {
	not passes
	not data.kspm.lib.kubelet.available(p, keys)
}

finding := {
	"evaluation": "failed",
	"evidence": object.union(evidence, {"note": "without them the kubelet serves a self-signed certificate it creates in its --cert-dir (default /var/lib/kubelet/pki/kubelet.crt), which the API server and other clients cannot verify"}),
	"expected": expected,
} if {
	not passes
	data.kspm.lib.kubelet.available(p, keys)
}
