# CIS 1.3.4: the controller manager has a service-account signing key.
package kspm.rules.controller_manager_service_account_private_key

import rego.v1

import data.kspm.lib.apiserver

p := input.resource

finding := apiserver.process_error(p) if apiserver.unreadable(p)

finding := apiserver.path_flags_finding(p, ["--service-account-private-key-file"]) if apiserver.readable(p)
