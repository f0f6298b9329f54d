# CIS 2.7: etcd trusts its own CA, not the one that signs the cluster's client certificates.
# Compares etcd's --trusted-ca-file with --client-ca-file of the API server on the same node.
package kspm.rules.etcd_dedicated_ca

import rego.v1

p := input.resource

names := ["--trusted-ca-file"]

node_name := object.get(object.get(input.context, "node", {}), "name", "")

apiserver := object.get(object.get(object.get(data.inventory, "processes", {}), node_name, {}), "kube-apiserver", null)

etcd_ca := trim_space(sprintf("%v", [data.kspm.lib.etcd.value(p, "--trusted-ca-file")])) if data.kspm.lib.etcd.set_non_empty(p, "--trusted-ca-file")

etcd_ca := "" if not data.kspm.lib.etcd.set_non_empty(p, "--trusted-ca-file")

api_ca := trim_space(data.kspm.lib.node.flag_or(apiserver, "--client-ca-file", "")) if apiserver != null

api_error := object.get(apiserver, "error", "") if apiserver != null

api_error := "" if apiserver == null

base_evidence := {
	"etcd_trusted_ca_file": etcd_path_text,
	"trusted_ca_file": data.kspm.lib.etcd.text(p, "--trusted-ca-file"),
	"client_cert_auth": data.kspm.lib.etcd.text(p, "--client-cert-auth"),
}

etcd_path_text := etcd_ca if etcd_ca != ""

etcd_path_text := "(not set)" if etcd_ca == ""

expected := {"--trusted-ca-file": "a CA used only for etcd, different from the API server's --client-ca-file"}

finding := data.kspm.lib.etcd.error_finding(p, names) if not data.kspm.lib.etcd.available(p, names)

finding := {
	"evaluation": "error",
	"evidence": {"error": sprintf("kube-apiserver on %s: %s", [node_name, api_error])},
} if {
	data.kspm.lib.etcd.available(p, names)
	api_error != ""
}

# Judged only when both processes were read.
judged if {
	data.kspm.lib.etcd.available(p, names)
	api_error == ""
}

finding := {
	"evaluation": "manual",
	"evidence": object.union(base_evidence, {
		"apiserver_client_ca_file": "(no kube-apiserver process seen on this node)",
		"note": "etcd runs apart from the API server (external etcd topology), so kspm cannot compare the two CAs on this node; compare them by hand as the remediation shows",
	}),
	"expected": expected,
} if {
	judged
	apiserver == null
}

finding := {
	"evaluation": "failed",
	"evidence": object.union(base_evidence, {
		"apiserver_client_ca_file": api_ca,
		"note": "etcd has no --trusted-ca-file: it cannot verify client certificates against any CA",
	}),
	"expected": expected,
} if {
	judged
	apiserver != null
	etcd_ca == ""
}

finding := {
	"evaluation": "failed",
	"evidence": object.union(base_evidence, {
		"apiserver_client_ca_file": api_ca,
		"note": "etcd trusts the same CA file as the API server's client authentication: every client certificate the cluster CA signs (users, kubelets, controllers) is also accepted by etcd",
	}),
	"expected": expected,
} if {
	judged
	apiserver != null
	etcd_ca != ""
	etcd_ca == api_ca
}

finding := {
	"evaluation": "passed",
	"evidence": object.union(base_evidence, {
		"apiserver_client_ca_file": api_ca_text,
		"note": "the two settings name different files; kspm compares paths, not certificates, so a copy of the cluster CA under another name would still pass: compare the fingerprints as the remediation shows",
	}),
	"expected": expected,
} if {
	judged
	apiserver != null
	etcd_ca != ""
	etcd_ca != api_ca
}

api_ca_text := api_ca if api_ca != ""

api_ca_text := "(not set: the API server does not accept client certificates)" if api_ca == ""
