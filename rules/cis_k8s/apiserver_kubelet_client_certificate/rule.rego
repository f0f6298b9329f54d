# CIS 1.2.4: the API server has a client certificate and key for calling kubelets.
package kspm.rules.apiserver_kubelet_client_certificate

import rego.v1

import data.kspm.lib.apiserver

p := input.resource

finding := apiserver.process_error(p) if apiserver.unreadable(p)

finding := apiserver.path_flags_finding(p, ["--kubelet-client-certificate", "--kubelet-client-key"]) if apiserver.readable(p)
