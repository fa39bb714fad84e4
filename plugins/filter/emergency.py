# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the emergency rollback: its summary from what the hosts and switches reported."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.kiro.platform.plugins.module_utils.emergency import incident


def emergency_summary(targets, hostvars, incident_id, reason, actor, started, central=None, ledger=None,
                      check_mode=False, result_var="emergency_lockdown"):
    hosts = {}
    for host in targets:
        values = hostvars.get(host) or {}
        hosts[host] = {"environment": values.get("rollout_environment"), "result": values.get(result_var)}
    try:
        return incident.summarize(incident_id, reason, actor, started, hosts, central=central, ledger=ledger,
                                  check_mode=bool(check_mode))
    except incident.IncidentError as exc:
        raise AnsibleFilterError("kiro.platform.emergency_summary: %s" % exc)


class FilterModule(object):
    def filters(self):
        return {"emergency_summary": emergency_summary}
