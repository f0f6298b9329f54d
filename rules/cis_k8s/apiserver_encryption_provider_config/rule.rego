# CIS 1.2.27: an encryption configuration covers Secrets with an encrypting first provider.
package kspm.rules.apiserver_encryption_provider_config

import rego.v1

p := input.resource

finding := data.kspm.lib.apiserver.process_error(p) if data.kspm.lib.apiserver.unreadable(p)

expected := {"--encryption-provider-config": "an EncryptionConfiguration whose entry for secrets starts with aescbc, aesgcm, secretbox or kms"}

expected_provider_text := "aescbc, aesgcm, secretbox or kms, not identity"

flag := "--encryption-provider-config"

enc := data.kspm.lib.apiserver.secrets_encryption(p)

setting := data.kspm.lib.node.flag_text(p, flag) if data.kspm.lib.node.has_flag(p, flag)

setting := "--encryption-provider-config not set" if not data.kspm.lib.node.has_flag(p, flag)

finding := {
	"evaluation": "failed",
	"evidence": {"setting": setting, "secrets_encrypted": false, "reason": "no encryption configuration: Secrets are stored in etcd as plain text", "read_from": data.kspm.lib.apiserver.origin(p)},
	"expected": expected,
} if {
	data.kspm.lib.apiserver.readable(p)
	enc.state == "unset"
}

finding := data.kspm.lib.apiserver.referenced_file_error(p, flag) if {
	data.kspm.lib.apiserver.readable(p)
	enc.state == "error"
}

finding := {
	"evaluation": "manual",
	"evidence": {
		"setting": setting,
		"reason": data.kspm.lib.apiserver.content_missing_reason(p, flag),
		"to_check": sprintf("on the node, read %s: the first resources[] entry listing secrets, *. or *.* governs Secrets, and its first provider writes them; it must be %s", [data.kspm.lib.node.flag(p, flag), expected_provider_text]),
		"read_from": data.kspm.lib.apiserver.origin(p),
	},
	"expected": expected,
} if {
	data.kspm.lib.apiserver.readable(p)
	enc.state == "unread"
}

finding := {
	"evaluation": "failed",
	"evidence": {
		"setting": setting,
		"config_file": data.kspm.lib.apiserver.encryption_config_path(p),
		"secrets_encrypted": false,
		"reason": "no resources[] entry covers secrets (secrets, *. or *.*): Secrets are stored as plain text",
		"read_from": data.kspm.lib.apiserver.origin(p),
	},
	"expected": expected,
} if {
	data.kspm.lib.apiserver.readable(p)
	enc.state == "not_covered"
}

covered_evidence := {
	"setting": setting,
	"config_file": data.kspm.lib.apiserver.encryption_config_path(p),
	"secrets_resources": enc.resources,
	"secrets_providers": enc.providers,
	"secrets_encrypted": enc.first in data.kspm.lib.apiserver.encrypting_providers,
	"read_from": data.kspm.lib.apiserver.origin(p),
} if enc.state == "covered"

finding := {"evaluation": "passed", "evidence": covered_evidence, "expected": expected} if {
	data.kspm.lib.apiserver.readable(p)
	enc.state == "covered"
	enc.first in data.kspm.lib.apiserver.encrypting_providers
}

finding := {
	"evaluation": "failed",
	"evidence": object.union(covered_evidence, {"reason": sprintf("the first provider for secrets is %s: new Secrets are written without encryption", [enc.first])}),
	"expected": expected,
} if {
	data.kspm.lib.apiserver.readable(p)
	enc.state == "covered"
	not enc.first in data.kspm.lib.apiserver.encrypting_providers
}
