# PSS Baseline: only sysctls that are namespaced and isolated per pod may be set.
package kspm.rules.pss_sysctls

import rego.v1

# The safe set of policy v1.37 (grown at 1.27, 1.29, 1.32 and 1.37).
allowed := {
	"kernel.shm_rmid_forced",
	"net.ipv4.ip_local_port_range",
	"net.ipv4.ip_unprivileged_port_start",
	"net.ipv4.tcp_syncookies",
	"net.ipv4.ping_group_range",
	"net.ipv4.ip_local_reserved_ports",
	"net.ipv4.tcp_keepalive_time",
	"net.ipv4.tcp_fin_timeout",
	"net.ipv4.tcp_keepalive_intvl",
	"net.ipv4.tcp_keepalive_probes",
	"net.ipv4.tcp_rmem",
	"net.ipv4.tcp_wmem",
	"net.ipv4.tcp_slow_start_after_idle",
	"net.ipv4.tcp_notsent_lowat",
}

forbidden contains name if {
	is_array(data.kspm.lib.pss.pod_security_context.sysctls)
	some s in data.kspm.lib.pss.pod_security_context.sysctls
	name := object.get(s, "name", "")
	not name in allowed
}

finding := data.kspm.lib.pss.result(
	count(forbidden),
	{"sysctls": forbidden},
	{"securityContext.sysctls[].name": sort(allowed)},
) if data.kspm.lib.pods.target
