# CIS 1.2.25: the API server verifies client certificates against --client-ca-file.
package kspm.rules.apiserver_client_ca_file

import rego.v1

import data.kspm.lib.apiserver

p := input.resource

finding := apiserver.process_error(p) if apiserver.unreadable(p)

finding := apiserver.path_flags_finding(p, ["--client-ca-file"]) if apiserver.readable(p)
