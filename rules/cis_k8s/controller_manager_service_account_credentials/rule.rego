# CIS 1.3.3: controllers use their own service accounts (--use-service-account-credentials=true; default false).
package kspm.rules.controller_manager_service_account_credentials

import rego.v1

p := input.resource

finding := data.kspm.lib.apiserver.process_error(p) if data.kspm.lib.apiserver.unreadable(p)

finding := data.kspm.lib.apiserver.bool_flag_finding(p, "--use-service-account-credentials", false, true) if data.kspm.lib.apiserver.readable(p)
