# CIS 1.3.3: controllers use their own service accounts (--use-service-account-credentials=true; default false).
package kspm.rules.controller_manager_service_account_credentials

import rego.v1

import data.kspm.lib.apiserver

p := input.resource

finding := apiserver.process_error(p) if apiserver.unreadable(p)

finding := apiserver.bool_flag_finding(p, "--use-service-account-credentials", false, true) if apiserver.readable(p)
