# CIS 1.1.14: kubeadm's admin.conf and super-admin.conf (owned by root:root; a symlink is judged by its target).
package kspm.rules.admin_kubeconfig_owner

import rego.v1

finding := data.kspm.lib.files.owner_finding(input.resource, "root", "root") if data.kspm.lib.node.has_role(input.resource, "admin-kubeconfig")
