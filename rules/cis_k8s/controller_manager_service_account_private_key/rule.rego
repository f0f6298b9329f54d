# CIS 1.3.4: the controller manager has a service-account signing key.
package kspm.rules.controller_manager_service_account_private_key

import rego.v1

p := input.resource

finding := data.kspm.lib.apiserver.process_error(p) if data.kspm.lib.apiserver.unreadable(p)

finding := data.kspm.lib.apiserver.path_flags_finding(p, ["--service-account-private-key-file"]) if data.kspm.lib.apiserver.readable(p)
