# CIS 1.2.25: the API server verifies client certificates against --client-ca-file.
package kspm.rules.apiserver_client_ca_file

import rego.v1

p := input.resource

finding := data.kspm.lib.apiserver.process_error(p) if data.kspm.lib.apiserver.unreadable(p)

finding := data.kspm.lib.apiserver.path_flags_finding(p, ["--client-ca-file"]) if data.kspm.lib.apiserver.readable(p)
