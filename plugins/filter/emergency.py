# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the emergency rollback: the request check, its summary from what the hosts and
switches reported, the notification headline, the ledger details and how it ended; and the
hosts a task of it (or of clear_override.yml) did not get done."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.kiro.platform.plugins.module_utils.emergency import incident
from ansible_collections.kiro.platform.plugins.module_utils.rollout import emergency_rollback


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


def emergency_not_done(targets, hostvars, result_var):
    return incident.not_done(dict((host, (hostvars.get(host) or {}).get(result_var)) for host in targets))


def emergency_request_problem(incident_id, reason, min_length=None):
    try:
        return emergency_rollback.request_problem(incident_id, reason, min_length)
    except ValueError as exc:
        raise AnsibleFilterError("kiro.platform.emergency_request_problem: %s" % exc)


def emergency_headline(summary):
    return emergency_rollback.headline(summary)


def emergency_incident_details(summary, environment, postmortem=None):
    return emergency_rollback.incident_details(summary, environment, postmortem)


def emergency_outcome(summary, record, opened):
    return emergency_rollback.outcome(summary, record, opened)


class FilterModule(object):
    def filters(self):
        return {
            "emergency_summary": emergency_summary,
            "emergency_not_done": emergency_not_done,
            "emergency_request_problem": emergency_request_problem,
            "emergency_headline": emergency_headline,
            "emergency_incident_details": emergency_incident_details,
            "emergency_outcome": emergency_outcome,
        }
