# CIS 4.2.8: the kubelet records events at an adequate rate (eventRecordQPS is 0 or at least the
# default 50). See meta.yaml for why this threshold.
package kspm.rules.kubelet_event_record_qps

import rego.v1

p := input.resource

key := "eventRecordQPS"

default_qps := 50

qps := data.kspm.lib.node.int_value(data.kspm.lib.kubelet.value(p, key))

note := "0: no rate limit, every event is sent to the API server" if qps == 0
else := "at or above the default of 50 events per second" if qps >= default_qps
else := "below the default of 50: events beyond this rate are dropped" if qps > 0
else := "negative: not a value the kubelet accepts" if qps < 0
else := "not a whole number"

finding := data.kspm.lib.kubelet.error_finding(p, [key]) if not data.kspm.lib.kubelet.available(p, [key])

finding := {
	"evaluation": outcome,
	"evidence": object.union(data.kspm.lib.kubelet.base_evidence(p), {"event_record_qps": data.kspm.lib.kubelet.text(p, key), "note": note}),
	"expected": {key: "0 (no limit) or at least 50 (the default)"},
} if data.kspm.lib.kubelet.available(p, [key])

outcome := "passed" if qps == 0

outcome := "passed" if qps >= default_qps

outcome := "failed" if {
	not qps == 0
	not qps >= default_qps
}
