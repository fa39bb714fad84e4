# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pre-filled post-mortem of an emergency rollback (Markdown): the facts from the
summary and the ledgers' timeline, and the sections left for the incident owner.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

TIMELINE_ENTRIES = 40


def _cell(value):
    return str(value if value is not None else "").replace("|", "\\|").replace("\n", " ")


def timeline(ledgers, limit=TIMELINE_ENTRIES):
    """The newest ``limit`` entries of every environment's ledger, oldest first."""
    entries = [e for env_entries in (ledgers or {}).values() for e in (env_entries or []) if isinstance(e, dict)]
    entries.sort(key=lambda e: (str(e.get("ts")), e.get("environment") or "", e.get("seq") or 0))
    return entries[-limit:]


def _details(entry):
    details = entry.get("details") or {}
    keep = ("incident_id", "reason", "verdict", "to_phase", "level", "approver", "hosts_failed", "failed")
    return ", ".join("%s=%s" % (k, details[k]) for k in keep if details.get(k) not in (None, "", []))


def markdown(summary, ledgers, evidence_name, evidence_sha256, inventory=None):
    """The pre-filled post-mortem (Markdown)."""
    s = summary
    out = ["# Post-mortem: %s - %s" % (s["incident_id"], s["reason"]), "",
           "_Pre-filled by playbooks/emergency_rollback.yml. The sections marked TODO are for the incident owner._",
           "", "| | |", "|---|---|",
           "| Incident | %s |" % _cell(s["incident_id"]),
           "| Reason given | %s |" % _cell(s["reason"]),
           "| Run by | %s |" % _cell(s["actor"]),
           "| Started (UTC) | %s |" % _cell(s["started"]),
           "| Last host locked (UTC) | %s |" % _cell(s["safe_at"] or "-"),
           "| Time to safe | %s |" % ("%.1f s" % s["time_to_safe_seconds"] if s["time_to_safe_seconds"] is not None
                                      else "-"),
           "| Hosts locked down | %d of %d |" % (s["counts"]["locked"], s["counts"]["targeted"]),
           "| Evidence | %s (sha256 %s) |" % (evidence_name, evidence_sha256),
           "", "## What the emergency rollback did", ""]
    out.extend("- %s" % line for line in s["done"])
    out += ["", "### Hosts", "", "| host | environment | status | detail | snapshot |", "|---|---|---|---|---|"]
    for host, record in sorted(s["hosts"].items()):
        snap = (record.get("snapshot") or {}).get("id") or "-"
        out.append("| %s | %s | %s | %s | %s |" % (_cell(host), _cell(record["environment"]), record["status"],
                                                   _cell(record["detail"]), _cell(snap)))
    out += ["", "## What could not be done", ""]
    if s["failed"]:
        out.extend("- %s" % line for line in s["failed"])
    else:
        out.append("Nothing: every step succeeded.")
    if s["unreachable"]:
        out += ["", "Hosts not reached, and what still covers them:", ""]
        for item in s["unreachable"]:
            out.append("- **%s** (%s): %s. Covered by: %s." % (item["host"], item["environment"], item["detail"],
                                                               "; ".join(item["covered_by"]) or "nothing"))
    out += ["", "## Timeline (from the ledgers, UTC)", "",
            "| time | environment | phase | event | actor | details |", "|---|---|---|---|---|---|"]
    for entry in timeline(ledgers):
        out.append("| %s | %s | %s | %s | %s | %s |" % (_cell(entry.get("ts")), _cell(entry.get("environment")),
                                                        _cell(entry.get("phase")), _cell(entry.get("event")),
                                                        _cell(entry.get("actor")), _cell(_details(entry))))
    inventory_arg = "-i %s " % inventory if inventory else ""
    out += ["", "## Impact", "", "TODO: who and what was affected, for how long.",
            "", "## Root cause", "", "TODO: what the agent did, and why it could.",
            "", "## Contributing factors", "", "TODO",
            "", "## What went well, what went badly", "", "TODO",
            "", "## Action items", "", "| action | owner | due |", "|---|---|---|", "| TODO | | |",
            "", "## Recovery", "",
            "1. Fix the root cause; bring unreachable hosts back and run the emergency rollback again for them "
            "(`--limit HOST`).",
            "2. Lift the override (this also removes the IAM deny policy and resumes what was suspended): "
            "`ansible-playbook %splaybooks/clear_override.yml -e incident_id=%s -e approver=NAME "
            "-e '{\"reason\": \"WHY, in a sentence\"}'` (JSON: a `reason=a b c` extra var keeps only `a`)."
            % (inventory_arg, s["incident_id"]),
            "3. Re-apply the phase (`playbooks/phaseN.yml`), or put a host's previous configuration back from the "
            "snapshot listed above with `kiro.platform.snapshot` (`operation: restore`).", ""]
    return "\n".join(out)
