# CIS 1.2.4: the API server has a client certificate and key for calling kubelets.
package kspm.rules.apiserver_kubelet_client_certificate

import rego.v1

p := input.resource

finding := data.kspm.lib.apiserver.process_error(p) if data.kspm.lib.apiserver.unreadable(p)

finding := data.kspm.lib.apiserver.path_flags_finding(p, ["--kubelet-client-certificate", "--kubelet-client-key"]) if data.kspm.lib.apiserver.readable(p)
