# CIS EKS 5.1.4: approved registries. Manual; the evidence lists the registries in use.
package kspm.rules.approved_registries

import rego.v1

registry(image) := host if {
	parts := split(image, "/")
	count(parts) > 1
	host := parts[0]
	_is_host(host)
}

registry(image) := "docker.io" if {
	parts := split(image, "/")
	not _has_host(parts)
}

_has_host(parts) if {
	count(parts) > 1
	_is_host(parts[0])
}

_is_host(h) if contains(h, ".")

_is_host(h) if contains(h, ":")

_is_host(h) if h == "localhost"

# An index entry may stand for several identical replicas (`objects`): each one counts.
uses := [[registry(c.container.image), sprintf("%s/%s", [ns, o.metadata.name])] |
	some ns, entries in data.inventory.workloads
	some w in entries
	some c in w.containers
	c.container.image
	some o in w.objects
]

# Each registry once, then its workloads: linear in the uses per registry.
registries[r] := n if {
	some r in {reg | some [reg, _] in uses}
	n := count({w | some [reg, w] in uses; reg == r})
}

finding := {
	"evaluation": "manual",
	"evidence": {
		"workloads_per_registry": registries,
		"registry_list": concat(", ", sort([r | some r, _ in registries])),
	},
	"expected": {"images": "only from the registries the organisation approved, enforced at admission"},
} if input.resource.kind == "Cluster"
