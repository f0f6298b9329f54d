# CIS EKS 5.4.5: TLS on load balancers. Manual; lists LoadBalancer Services and Ingresses.
package kspm.rules.lb_tls

import rego.v1

services := [s |
	some _, by_name in object.get(object.get(data.inventory, "objects", {}), "Service", {})
	some _, s in by_name
	object.get(object.get(s, "spec", {}), "type", "") == "LoadBalancer"
]

ingresses := [i |
	some _, by_name in object.get(object.get(data.inventory, "objects", {}), "Ingress", {})
	some _, i in by_name
]

annotations(o) := object.get(o.metadata, "annotations", {})

name(kind, o) := sprintf("%s %s/%s", [kind, object.get(o.metadata, "namespace", ""), o.metadata.name])

bare contains name("Service", s) if {
	some s in services
	not annotations(s)["service.beta.kubernetes.io/aws-load-balancer-ssl-cert"]
}

bare contains name("Ingress", i) if {
	some i in ingresses
	not annotations(i)["alb.ingress.kubernetes.io/certificate-arn"]
	count(object.get(object.get(i, "spec", {}), "tls", [])) == 0
}

all_lbs := sort(array.concat([name("Service", s) | some s in services], [name("Ingress", i) | some i in ingresses]))

bare_list := concat(", ", sort([b | some b in bare])) if count(bare) > 0

else := "none"

finding := {
	"evaluation": "manual",
	"evidence": {
		"load_balancers": all_lbs,
		"without_certificate": sort([b | some b in bare]),
		"without_certificate_list": bare_list,
	},
	"expected": {"listeners": "HTTPS or TLS with a certificate on internet-facing load balancers"},
} if {
	input.resource.kind == "Cluster"
	count(all_lbs) > 0
}
