# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The state of an environment, derived from its ledger alone (nothing else is stored)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kiro.platform.plugins.module_utils.ledger.entries import PROGRESS_EVENTS, OverrideActive


def _no_override():
    return {"active": False, "incident_id": None, "reason": None, "actor": None, "ts": None, "expires": None,
            "incidents": []}


def derive(entries, environment=None):
    """{environment, phase, passed_phases, last_gate, override, last_event, entries}.

    - phase: the highest phase whose gate_passed is not undone by a later rolled_back;
      a rolled_back entry returns to its ``details.to_phase`` (phases above it are undone).
    - override: the latest override_set whose incident has no override_cleared yet. While
      any incident's override is active, phase playbooks must refuse to run.
    - started, applied, approved, incident_opened and lock_broken are history only.
    """
    passed = set()
    last_gate = None
    overrides = {}  # incident_id -> the override_set entry, in the order they were set
    last_event = None
    for entry in entries:
        event = entry.get("event")
        details = entry.get("details") or {}
        if event == "gate_passed":
            passed.add(entry["phase"])
        elif event == "rolled_back":
            to_phase = details.get("to_phase")
            if not isinstance(to_phase, int) or isinstance(to_phase, bool):
                to_phase = max(entry["phase"] - 1, 0)
            passed = set(p for p in passed if p <= to_phase)
        elif event == "override_set":
            overrides.pop(details.get("incident_id"), None)
            overrides[details.get("incident_id")] = entry
        elif event == "override_cleared":
            overrides.pop(details.get("incident_id"), None)
        if event in ("gate_passed", "gate_failed"):
            last_gate = {"phase": entry["phase"], "verdict": "pass" if event == "gate_passed" else "fail",
                         "ts": entry["ts"], "report_sha256": entry.get("report_sha256")}
        last_event = {"event": event, "phase": entry["phase"], "ts": entry["ts"], "actor": entry["actor"]}
    override = _no_override()
    if overrides:
        latest = list(overrides.values())[-1]
        details = latest.get("details") or {}
        override = {"active": True, "incident_id": details.get("incident_id"), "reason": details.get("reason"),
                    "actor": latest["actor"], "ts": latest["ts"], "expires": details.get("expires"),
                    "incidents": list(overrides)}
    if entries:
        environment = entries[0].get("environment", environment)
    return {
        "environment": environment,
        "phase": max(passed) if passed else 0,
        "passed_phases": sorted(passed),
        "last_gate": last_gate,
        "override": override,
        "last_event": last_event,
        "entries": len(entries),
    }


def refuse_under_override(entries, event, environment):
    """Raise OverrideActive when ``event`` claims progress while ``entries`` show an active override.

    Backends call it on the entries they are about to extend, under the writer's lock (local)
    or before a conditional write of exactly those entries (S3), so an override set by the
    kill switch in between is never missed.
    """
    if event not in PROGRESS_EVENTS:
        return
    override = derive(entries, environment)["override"]
    if override["active"]:
        raise OverrideActive(environment, event, override["incident_id"], override["incidents"])
