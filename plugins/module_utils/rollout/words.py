# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The operator's words (reasons, approvers, incident ids, phase numbers) as the playbooks take them.

Ansible splits a ``key=value`` extra var on spaces: ``-e "reason=agent scaling down"``
sets ``reason`` to ``agent`` and drops the rest without a word. A reason that reaches a
playbook as one word, or shorter than ``min_length``, was most likely cut that way; it
is refused with the quoting that keeps it whole, before anything changes. Every check
returns "" (fine) or a message that names the variable and says what to give instead.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.kiro.platform.plugins.module_utils.emergency.incident.summary import (
    IncidentError, check_incident_id)

# The shortest reason taken (rollout_reason_min_length overrides it): "agent" is the first
# word of a cut reason; "INC-42 fix" is about the shortest reason that says anything.
MIN_LENGTH = 10


def quoted(values):
    """The ``-e`` argument that passes ``values`` (variable -> text) whole, as printed."""
    return "-e '%s'" % json.dumps(values, ensure_ascii=False).replace("'", "'\\''")


def clear_command(incident_id):
    """The command that lifts ``incident_id``'s manual override, as it works when pasted."""
    return "playbooks/clear_override.yml -e incident_id=%s -e approver=NAME %s" % (
        incident_id, quoted({"reason": "WHY, in a sentence"}))


def min_length_of(value):
    """``rollout_reason_min_length`` as an int >= 1 (None: the default)."""
    if value is None or value == "":
        return MIN_LENGTH
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if isinstance(value, bool) or number < 1 or str(number) != str(value).strip():
        raise ValueError("rollout_reason_min_length must be a whole number of characters >= 1, not %r" % (value,))
    return number


def reason_problem(value, variable="reason", min_length=None, example="what happened, in a sentence"):
    """Why ``value`` cannot be recorded as ``variable`` (a reason), or ""."""
    minimum = min_length_of(min_length)
    hint = quoted({variable: example})
    if value is None or (isinstance(value, str) and not value.strip()):
        return "%s is missing or blank: say why, for example %s" % (variable, hint)
    if not isinstance(value, str):
        return "%s must be text, not %s %r: give it as %s" % (variable, type(value).__name__, value, hint)
    text = value.strip()
    if len(text.split()) < 2 or len(text) < minimum:
        return ("%s %r looks cut short (%s; a reason needs at least two words and %d characters): "
                "Ansible splits -e \"%s=a few words\" on the spaces and keeps only the first word. "
                "Quote it as JSON: %s (rollout_reason_min_length sets the minimum)"
                % (variable, text, "one word" if len(text.split()) < 2 else "%d characters" % len(text),
                   minimum, variable, quoted({variable: text + " ..."})))
    return ""


def name_problem(value, variable="approver"):
    """Why ``value`` cannot be recorded as ``variable`` (who approves), or ""."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return "%s is missing or blank: name who approves, for example -e %s=alice" % (variable, variable)
    if not isinstance(value, str):
        return "%s must be a name, not %s %r" % (variable, type(value).__name__, value)
    return ""


def incident_problem(value, variable="incident_id"):
    """Why ``value`` is not an incident id (matched exactly: no space or newline around it), or ""."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return "%s is missing: give the incident, for example -e %s=INC-42" % (variable, variable)
    try:
        check_incident_id(value)
    except IncidentError as exc:
        return str(exc)
    return ""


def approval_problems(approver, reason, required=False, min_length=None, what="this run"):
    """What is wrong with ``gate_approver`` / ``gate_approval_reason`` (a list, empty when fine).

    Both are needed when ``required``; otherwise each one given is checked.
    """
    if required and (approver is None or reason is None):
        return ["%s needs a named approver and a reason: -e gate_approver=NAME %s."
                % (what, quoted({"gate_approval_reason": "WHY, in a sentence"}))]
    out = []
    if approver is not None:
        out.append(name_problem(approver, "gate_approver"))
    if reason is not None:
        out.append(reason_problem(reason, "gate_approval_reason", min_length, "WHY, in a sentence"))
    return [problem for problem in out if problem]


def migrate_problems(environment, actor, reason, min_length=None):
    """What is wrong with a ledger migration's ``ledger_environment``, ``actor`` and ``reason`` (empty when fine)."""
    out = []
    if not isinstance(environment, str) or not environment.strip():
        out.append("ledger_environment is missing or blank: name the ledger to sign, for example "
                   "-e ledger_environment=development")
    out.append(name_problem(actor, "actor"))
    out.append(reason_problem(reason, "reason", min_length, "why this ledger is signed now"))
    return [problem for problem in out if problem]


def phase_problem(value, variable="rollout_phase"):
    """Why ``value`` is not a phase number 1..5, naming ``variable`` and what it got, or ""."""
    if not isinstance(value, bool):
        text = str(value).strip() if value is not None else ""
        if text.isascii() and text.isdigit() and 1 <= int(text) <= 5:
            return ""
    return ("%s must be a phase number from 1 to 5 (for example -e %s=3), not %r"
            % (variable, variable, value))
