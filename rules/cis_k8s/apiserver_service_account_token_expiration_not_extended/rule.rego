# CIS 1.2.30: projected service-account tokens are not extended to a year (--service-account-extend-token-expiration=false; default true).
package kspm.rules.apiserver_service_account_token_expiration_not_extended

import rego.v1

p := input.resource

finding := data.kspm.lib.apiserver.process_error(p) if data.kspm.lib.apiserver.unreadable(p)

finding := data.kspm.lib.apiserver.bool_flag_finding(p, "--service-account-extend-token-expiration", true, false) if data.kspm.lib.apiserver.readable(p)
