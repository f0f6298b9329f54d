# CIS 1.1.2: the kube-apiserver static-pod manifest (owned by root:root; a symlink is judged by its target).
package kspm.rules.apiserver_manifest_owner

import rego.v1

import data.kspm.lib.files
import data.kspm.lib.node

finding := files.owner_finding(input.resource, "root", "root") if node.has_role(input.resource, "apiserver-manifest")
