# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which manual overrides an incident set, from the ledger states (playbooks/clear_override.yml)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


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
