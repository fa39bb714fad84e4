# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which manual overrides an incident set, from the ledger states (playbooks/clear_override.yml)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kiro.platform.plugins.module_utils.rollout import words


def _override(state):
    return (state or {}).get("override") or {}


def scope(states, incident_id):
    """What clearing ``incident_id``'s override touches.

    ``states``: environment -> ledger state, in the order to report. Returns
    {"environments": those under an active override of this incident,
    "other_incidents": every other incident with an active override anywhere, in
    order of appearance (while one is left, the IAM deny stays on the agents' roles)}.
    """
    environments, others = [], []
    for env, state in (states or {}).items():
        override = _override(state)
        incidents = list(override.get("incidents") or [])
        if override.get("active") and incident_id in incidents:
            environments.append(env)
        for other in incidents:
            if other != incident_id and other not in others:
                others.append(other)
    return {"environments": environments, "other_incidents": others}


def clear_problems(incident_id, approver, reason, min_length=None):
    """Why the override cannot be cleared with these words (nothing has changed yet): a list.

    The incident id is matched exactly, the approver and the reason may not be blank, and
    a reason cut short by ``-e "reason=a b c"`` (Ansible keeps ``a``) is refused.
    """
    problems = [words.incident_problem(incident_id), words.name_problem(approver, "approver"),
                words.reason_problem(reason, "reason", min_length, "root cause fixed, see the post-mortem")]
    problems = [p for p in problems if p]
    if problems:
        problems.append("Give them as JSON, which keeps every word: ansible-playbook ... %s"
                        % words.clear_command(incident_id if not words.incident_problem(incident_id) else "INC-42"))
    return problems
