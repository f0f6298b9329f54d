# CIS 1.1.12: the etcd data directory (owned by etcd:etcd; a symlink is judged by its target).
package kspm.rules.etcd_data_dir_owner

import rego.v1

import data.kspm.lib.files
import data.kspm.lib.node

finding := files.owner_finding(input.resource, "etcd", "etcd") if node.has_role(input.resource, "etcd-data-dir")
