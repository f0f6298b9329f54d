# CIS 1.2.30: projected service-account tokens are not extended to a year (--service-account-extend-token-expiration=false; default true).
package kspm.rules.apiserver_service_account_token_expiration_not_extended

import rego.v1

import data.kspm.lib.apiserver

p := input.resource

finding := apiserver.process_error(p) if apiserver.unreadable(p)

finding := apiserver.bool_flag_finding(p, "--service-account-extend-token-expiration", true, false) if apiserver.readable(p)
