# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rollout plan as data: where each phase applies, where it is gated, what it needs.

A phase playbook refuses to start (before anything changes) when an environment it
touches has a manual override active, when what the plan requires has not passed,
or when a production promotion has no named approver.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

ENVIRONMENTS = ("development", "staging", "production")

PHASES = {
    1: {"name": "Foundation", "apply": ("development",), "gate": ("development",), "requires": ()},
    # Staging is prepared: its configuration is deployed inert (the plan caps it at manual).
    2: {"name": "Enhanced automation", "apply": ("development", "staging"), "gate": ("development",),
        "requires": (("development", 1),)},
    3: {"name": "Staging deployment", "apply": ("staging",), "gate": ("staging",),
        "requires": (("development", 2),)},
    4: {"name": "Production deployment", "apply": ("production",), "gate": ("production",),
        "requires": (("staging", 3),), "approval": True},
    5: {"name": "Optimisation and scaling", "apply": ENVIRONMENTS, "gate": ENVIRONMENTS,
        "requires": (("production", 4),)},
}


def phase(number):
    try:
        number = int(number)
    except (TypeError, ValueError):
        number = None
    if number not in PHASES:
        raise ValueError("unknown phase %r: the rollout has phases 1 to 5" % (number,))
    return dict(PHASES[number], number=number)


def refusals(number, states, approver=None, reason=None):
    """Why phase ``number`` may not start, given each environment's ledger state.

    ``states`` maps environment -> state (ledger state.derive output).
    Returns a list of messages, each saying what is wrong and what to do.
    """
    info = phase(number)
    out = []
    touched = sorted(set(info["apply"]) | set(info["gate"]))
    for env in touched:
        override = (states.get(env) or {}).get("override") or {}
        if override.get("active"):
            out.append("%s is under a manual override since %s (incident %s: %s). Run "
                       "playbooks/clear_override.yml -e incident_id=%s -e approver=NAME -e reason=WHY first."
                       % (env, override.get("ts"), override.get("incident_id"), override.get("reason"),
                          override.get("incident_id")))
    for env, needed in info["requires"]:
        passed = (states.get(env) or {}).get("passed_phases") or []
        if needed not in passed:
            out.append("phase %d needs phase %d passed in %s, and the ledger shows %s. Run playbooks/phase%d.yml "
                       "(and pass its gate) first." % (info["number"], needed, env,
                                                       "phases %s passed" % passed if passed else "none passed",
                                                       needed))
    if info.get("approval") and not (approver and reason):
        out.append("phase %d promotes to production: name the approver and the reason with "
                   "-e gate_approver=NAME -e \"gate_approval_reason=WHY\"." % info["number"])
    return out


def host_ok(result):
    """Whether a host's registered apply result says it was configured."""
    return isinstance(result, dict) and not result.get("failed") and not result.get("unreachable") \
        and not result.get("skipped")


def host_results(hosts, results):
    """{"ok": [...], "failed": [...]} from each host's registered result (None when absent)."""
    ok = [h for h in hosts if host_ok(results.get(h))]
    return {"ok": ok, "failed": [h for h in hosts if h not in ok]}


def drill_passed(per_host):
    """1 when every host's disaster-recovery drill rolled back and re-applied byte-exact, else 0."""
    results = list((per_host or {}).values())
    if not results or any(not isinstance(r, dict) for r in results):
        return 0
    return int(all(r.get("rolled_back") in (True, "True", "true") and r.get("reapplied") in (True, "True", "true")
                   for r in results))
