# CIS EKS 5.1.1: the ECR repositories the cluster pulls from scan their images.
package kspm.rules.ecr_image_scanning

import rego.v1

repo := input.resource

scan_on_push if repo.imageScanningConfiguration.scanOnPush == true

registry := object.get(repo, "registryScanning", null)

matching_rules contains sprintf("%s %s (%s)", [registry.scanType, rule.scanFrequency, f.filter]) if {
	some rule in registry.rules
	rule.scanFrequency in {"SCAN_ON_PUSH", "CONTINUOUS_SCAN"}
	some f in rule.repositoryFilters
	f.filterType == "WILDCARD"
	regex.match(filter_regex(f.filter), repo.repositoryName)
}

# ECR wildcard filters: `*` stands for any characters (slashes and dots included); every
# other character a filter may hold (letters, digits, `/`, `.`, `_`, `-`) stands for itself.
filter_regex(filter) := sprintf("^%s$", [replace(replace(filter, ".", "\\."), "*", ".*")])

scanned if scan_on_push

scanned if count(matching_rules) > 0

unreadable if {
	not scan_on_push
	registry == null
	count(object.get(repo, "errors", {})) > 0
}

evaluation := "passed" if scanned

evaluation := "error" if {
	not scanned
	unreadable
}

evaluation := "failed" if {
	not scanned
	not unreadable
}

on_push := true if scan_on_push

else := false

finding := {
	"evaluation": evaluation,
	"evidence": {
		"scan_on_push": on_push,
		"registry_rules_matching": sort([r | some r in matching_rules]),
		"region": repo.region,
		"images": object.get(repo, "images", []),
		"error": concat("; ", [m | some _, m in object.get(repo, "errors", {})]),
	},
	"expected": {"scanning": "scan on push, or a registry rule (SCAN_ON_PUSH or CONTINUOUS_SCAN) matching the repository"},
}
