# CIS 1.1.13: kubeadm's admin.conf and super-admin.conf (mode 0600 or stricter; a symlink is judged by its target).
package kspm.rules.admin_kubeconfig_mode

import rego.v1

finding := data.kspm.lib.files.mode_finding(input.resource, 384) if data.kspm.lib.node.has_role(input.resource, "admin-kubeconfig")
