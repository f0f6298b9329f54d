# CIS 1.1.14: kubeadm's admin.conf and super-admin.conf (owned by root:root; a symlink is judged by its target).
package kspm.rules.admin_kubeconfig_owner

import rego.v1

import data.kspm.lib.files
import data.kspm.lib.node

finding := files.owner_finding(input.resource, "root", "root") if node.has_role(input.resource, "admin-kubeconfig")
