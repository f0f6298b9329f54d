# CIS 1.2.11: the AlwaysPullImages admission plugin is on.
package kspm.rules.apiserver_always_pull_images

import rego.v1

p := input.resource

finding := data.kspm.lib.apiserver.process_error(p) if data.kspm.lib.apiserver.unreadable(p)

finding := data.kspm.lib.apiserver.plugin_finding(p, "AlwaysPullImages", true) if data.kspm.lib.apiserver.readable(p)
