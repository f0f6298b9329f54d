# CIS EKS 5.3.1: Secrets envelope-encrypted with a KMS key.
package kspm.rules.eks_secrets_kms

import rego.v1

keys := [e.provider.keyArn |
	some e in object.get(input.resource.cluster, "encryptionConfig", [])
	"secrets" in e.resources
	e.provider.keyArn != ""
]

evaluation := "passed" if count(keys) > 0

evaluation := "failed" if count(keys) == 0

finding := {
	"evaluation": evaluation,
	"evidence": {"secrets_key_arns": keys, "region": input.resource.region},
	"expected": {"encryptionConfig": "an entry for resource `secrets` with a KMS key ARN"},
}
