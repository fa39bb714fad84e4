# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How a gate, a phase run and a rollback end, and what they tell the operator.

Plain functions over the results the playbooks register (the gate's return
values, the rollback's per-host verdicts), so the messages are tested here and
the playbooks only print them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.kiro.platform.plugins.module_utils.rollout import words


def failing_criteria(criteria):
    """Names of the criteria that did not pass; a dry-run criterion never counts."""
    return [c.get("name") for c in criteria or [] if c.get("verdict") != "pass" and not c.get("dry_run")]


def gate_stop_message(result):
    """Why the phase_gate role stops the play: verdict, score, approval, what failed, the report."""
    text = "Gate phase %s in %s: %s (score %s)." % (
        result.get("phase"), result.get("environment"), str(result.get("verdict")).upper(),
        "n/a" if result.get("score") is None else result.get("score"))
    if result.get("needs_approval"):
        text += " It needs approval: run again with -e gate_approver=NAME %s." % words.quoted(
            {"gate_approval_reason": "WHY, in a sentence"})
    criteria = result.get("criteria") or []
    failing = ", ".join(failing_criteria(criteria))
    if criteria and all(c.get("dry_run") for c in criteria):
        failing = "no criterion is enforced (every one is dry_run), so nothing was measured that could pass"
    return "%s Not passing: %s. Report: %s" % (text, failing, (result.get("reports") or {}).get("html"))


def phase_outcome(number, gate_results, on_failure="stop"):
    """What a phase run decided from its gate verdicts (one per gated environment).

    Returns {"passed", "rollback" (a gate failed and ``on_failure`` is rollback),
    "failed" (the environments whose gate did not pass), "message"}.
    """
    number = int(number)
    results = list(gate_results or [])
    failed = [r.get("environment") for r in results if not r.get("passed")]
    rollback = bool(failed) and on_failure == "rollback"
    if failed:
        message = "Phase %d did not pass its gate in %s (%s). Reports: %s" % (
            number, ", ".join(failed),
            "rolled back" if rollback else "left applied: rollout_on_failure=%s" % (on_failure or "stop"),
            ", ".join(str((r.get("reports") or {}).get("html")) for r in results))
    else:
        message = "Phase %d passed in %s." % (number, ", ".join(r.get("environment") for r in results))
    return {"passed": not failed, "rollback": rollback, "failed": failed, "message": message}


def rollback_announcement(plan):
    """What a rollback (rollout.plan.rollback's result) is about to do, in one sentence."""
    steps = "; ".join("%s -> phase %s profile at %s" % (env, plan["content"], plan["levels"][env])
                      for env in plan["environments"])
    return "Rolling back phase %s (%s): %s. The ledger goes back to phase %s, recording the reason %s." % (
        plan["number"], plan["name"], steps, plan["to_phase"], json.dumps(plan.get("reason"), ensure_ascii=False))


def rollback_outcome(plan, verdicts, groups):
    """How a rollback ended, from each host's verdict (rollout.plan.rollback_verdicts).

    ``groups``: environment -> its hosts. Returns {"complete" (every host rolled back),
    "verified" (the environments whose every host did: only there the ledger moves
    back), "message"}.
    """
    verdicts = dict(verdicts or {})
    verified = [env for env in plan["environments"]
                if all(verdicts.get(host) == "ok" for host in groups.get(env) or [])]
    problems = ["%s: %s" % (host, verdict) for host, verdict in verdicts.items() if verdict != "ok"]
    if problems:
        message = ("Rollback of phase %d did not take everywhere (the ledger was not moved back where it did not): "
                   "%s. Fix those hosts and run the rollback again with -e rollback_phase=%d; hosts already rolled "
                   "back do not change." % (plan["number"], "; ".join(problems), plan["number"]))
    else:
        message = ("Phase %d rolled back in %s (%d host(s) verified); the ledger is back at phase %d. Re-apply with "
                   "playbooks/phase%d.yml." % (plan["number"], ", ".join(plan["environments"]), len(verdicts),
                                               plan["to_phase"], plan["number"]))
    return {"complete": not problems, "verified": verified, "message": message}
