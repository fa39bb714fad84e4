# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What playbooks/emergency_rollback.yml checks before it starts and reports when it ends.

Reads the summary of emergency.incident.summarize and the results the playbook
registers; the lockdown, the switches and the records themselves are elsewhere.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kiro.platform.plugins.module_utils.rollout import words

EXAMPLE = {"incident_id": "INC-42", "reason": "agent scaling down production deployments"}


def request_problem(incident_id, reason, min_length=None):
    """Why the request cannot start (nothing has changed yet), or "" when it can.

    The incident id is matched exactly; a reason that is blank or looks cut short by
    ``-e "reason=a b c"`` (Ansible keeps ``a``) is refused with the quoting that works.
    """
    problems = [words.incident_problem(incident_id)]
    if reason is None or (isinstance(reason, str) and not reason.strip()):
        problems.append("reason is missing")
    else:
        problems.append(words.reason_problem(reason, "reason", min_length, EXAMPLE["reason"]))
    problems = [p for p in problems if p]
    if not problems:
        return ""
    return "%s. Give both as JSON, which keeps every word: ansible-playbook ... playbooks/emergency_rollback.yml %s" % (
        "; ".join(problems), words.quoted(EXAMPLE))


def headline(summary):
    """The one-line notification text: hosts locked down of those targeted, and the problems."""
    failed = summary.get("failed") or []
    return "Kiro emergency rollback %s: %s of %s hosts locked down%s" % (
        summary.get("incident_id"), summary["counts"]["locked"], summary["counts"]["targeted"],
        ", %d problem(s)" % len(failed) if failed else "")


def incident_details(summary, environment, postmortem=None):
    """The details of the incident_opened ledger entry of ``environment``."""
    central = summary.get("central") or {}
    return {
        "incident_id": summary.get("incident_id"),
        "reason": summary.get("reason"),
        "postmortem": postmortem,
        "hosts": [host for host, record in (summary.get("hosts") or {}).items()
                  if (record or {}).get("environment") == environment],
        "unreachable": [item.get("host") for item in summary.get("unreachable") or []
                        if item.get("environment") == environment],
        "kubernetes": [item for item in central.get("kubernetes") or [] if item.get("action") != "unchanged"],
        "iam_roles": [item.get("role") for item in central.get("iam") or []],
    }


def outcome(summary, record, opened):
    """How the emergency rollback ended: everything done, or what could not be.

    ``summary``: the playbook's summary; ``record``: the registered incident result
    (its summary, with the notifications, replaces ``summary`` when it was written);
    ``opened``: the registered results of the incident_opened appends.
    Returns {"complete", "lines" (the summary to print), "message"}.
    """
    record = record or {}
    final = record.get("summary") or summary
    not_opened = [r.get("item") for r in opened or [] if r.get("failed")]
    complete = bool(final.get("complete")) and not record.get("failed") and not not_opened
    problems = list(final.get("failed") or [])
    if record.get("failed"):
        problems.append("post-mortem and evidence not written: %s" % (record.get("msg") or ""))
    problems.extend("incident_opened not recorded in %s" % env for env in not_opened)
    incident_id = final.get("incident_id")
    if complete:
        message = ("Emergency rollback %s complete. Post-mortem: %s. Lift the override with %s."
                   % (incident_id, record.get("postmortem", "(check mode)"), words.clear_command(incident_id)))
    else:
        message = "Emergency rollback %s INCOMPLETE: %s" % (incident_id, "; ".join(problems))
    return {"complete": complete, "lines": final.get("lines") or [], "message": message}
