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

from ansible_collections.kiro.platform.plugins.module_utils.kiro import policy
from ansible_collections.kiro.platform.plugins.module_utils.rollout import words

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


def phase(number, variable="rollout_phase"):
    problem = words.phase_problem(number, variable)
    if problem:
        raise ValueError(problem)
    number = int(str(number).strip())
    return dict(PHASES[number], number=number)


def environments(available=None):
    """The plan's environments in plan order (the playbooks' one list of them); with
    ``available`` (say, the inventory's groups), only those it has."""
    return [env for env in ENVIRONMENTS if available is None or env in available]


def for_inventory(number, available):
    """The phase's plan with ``apply`` and ``gate`` cut to the environments ``available`` has
    (an inventory per environment is fine); ``requires`` names other environments and is kept."""
    info = phase(number)
    return dict(info, apply=[env for env in info["apply"] if env in available],
                gate=[env for env in info["gate"] if env in available])


def already_passed(number, states, gated):
    """Whether the ledger shows phase ``number`` passed in every environment of ``gated``."""
    number = phase(number)["number"]
    return all(number in [int(p) for p in ((states.get(env) or {}).get("passed_phases") or [])]
               for env in gated or [])


def refusals(number, states, approver=None, reason=None, min_length=None):
    """Why phase ``number`` may not start, given each environment's ledger state.

    ``states`` maps environment -> state (ledger state.derive output); ``approver`` and
    ``reason``: gate_approver and gate_approval_reason (None when not given), checked
    whenever given (blank, or a reason cut short by -e "k=v" splitting, is refused).
    Returns a list of messages, each saying what is wrong and what to do.
    """
    info = phase(number)
    out = []
    touched = sorted(set(info["apply"]) | set(info["gate"]))
    for env in touched:
        override = (states.get(env) or {}).get("override") or {}
        if override.get("active"):
            out.append("%s is under a manual override since %s (incident %s: %s). Run %s first."
                       % (env, override.get("ts"), override.get("incident_id"), override.get("reason"),
                          words.clear_command(override.get("incident_id"))))
    for env, needed in info["requires"]:
        passed = (states.get(env) or {}).get("passed_phases") or []
        if needed not in passed:
            out.append("phase %d needs phase %d passed in %s, and the ledger shows %s. Run playbooks/phase%d.yml "
                       "(and pass its gate) first." % (info["number"], needed, env,
                                                       "phases %s passed" % passed if passed else "none passed",
                                                       needed))
    out.extend(words.approval_problems(approver, reason, required=bool(info.get("approval")), min_length=min_length,
                                       what="phase %d promotes to production, which" % info["number"]))
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


def drill_report(per_host):
    """The drill result the rollback_drill criterion reads: {"passed": 1 or 0, "hosts": per_host}."""
    return {"passed": drill_passed(per_host), "hosts": dict(per_host or {})}


# The plan's rollback table: where a phase's rollback applies, which phase's profile it
# deploys there and at which autonomy level (None: the level the plan gives that
# environment at that phase). Every rollback goes back to phase ``number - 1`` in the ledger.
ROLLBACKS = {
    # manual operations: hooks and MCP servers disabled, the configuration kept for a later attempt
    1: {"environments": ("development",), "content": 1, "level": "manual"},
    # autonomous operations off, monitoring (hooks, read-only MCP) kept: supervised only
    2: {"environments": ("development",), "content": 2, "level": "supervised"},
    # staging back to its phase-2 profile (prepared, inert); development keeps its progress
    3: {"environments": ("staging",), "content": 2, "level": None},
    # production to manual at once; staging and development keep their progress
    4: {"environments": ("production",), "content": 4, "level": "manual"},
    # every environment back to conservative operation, the phase-5 capabilities kept
    5: {"environments": ENVIRONMENTS, "content": 5, "level": "conservative"},
}


def current_phase(states, environments):
    """The highest phase the ledger shows in any of ``environments`` (0 when none passed)."""
    return max([int((states.get(env) or {}).get("phase") or 0) for env in environments] or [0])


DEFAULT_ROLLBACK_REASON = "rollback requested"


def rollback(number, states, available, reason=None, min_length=None):
    """What ``playbooks/rollback.yml`` does, and why it may not.

    ``number``: the phase to roll back (rollback_phase), or None for the current phase of
    ``available`` (the environments the inventory has); ``states``: environment -> ledger
    state; ``reason``: rollback_reason (None: "rollback requested"), refused when blank or
    cut short. Returns {number, name, environments, content, levels (environment -> level),
    to_phase, reason, refusals}; ``refusals`` lists messages (empty when it may go ahead).
    """
    available = environments(available or [])
    problems = [] if reason is None else [p for p in [words.reason_problem(
        reason, "rollback_reason", min_length, "why the phase goes back")] if p]
    if number not in (None, "") and words.phase_problem(number, "rollback_phase"):
        return {"number": 0, "environments": [], "levels": {}, "reason": reason,
                "refusals": [words.phase_problem(number, "rollback_phase")] + problems}
    if number in (None, ""):
        number = current_phase(states, available)
        if number == 0:
            return {"number": 0, "environments": [], "levels": {}, "reason": reason, "refusals": [
                "nothing to roll back: the ledger shows no phase passed in %s. Name the phase with "
                "-e rollback_phase=N to roll back one that was applied but never passed its gate."
                % (", ".join(available) or "this inventory's environments")] + problems}
    info = phase(number, "rollback_phase")
    table = ROLLBACKS[info["number"]]
    targets = [env for env in table["environments"] if env in available]
    out = {"number": info["number"], "name": info["name"], "environments": targets,
           "content": table["content"], "to_phase": info["number"] - 1, "refusals": problems,
           "reason": DEFAULT_ROLLBACK_REASON if reason is None else reason,
           "levels": dict((env, table["level"] or policy.plan_cap(env, table["content"])) for env in targets)}
    if not targets:
        out["refusals"].append("phase %d rolls back %s, and this inventory has none of them: use the inventory of "
                               "that environment (for example -i inventories/%s)."
                               % (info["number"], " and ".join(table["environments"]), table["environments"][0]))
    for env in targets:
        override = (states.get(env) or {}).get("override") or {}
        if override.get("active"):
            # The lockdown is stricter than any rollback: re-applying a profile would undo it.
            out["refusals"].append(
                "%s is locked down under the manual override of incident %s, which is stricter than any rollback. "
                "Lift it with %s, then roll back."
                % (env, override.get("incident_id"), words.clear_command(override.get("incident_id"))))
    return out


def rollback_verdicts(per_host, check_mode=False):
    """host -> "ok" or why the rollback did not take there.

    ``per_host``: host -> {error, facts (the registered kiro_facts result), violations},
    None for a host that never ran. A host is rolled back when the profile applied,
    its configuration was re-read, and nothing in it is above the rolled-back level.
    In check mode nothing was applied, so only the apply's prediction counts.
    """
    out = {}
    for host, seen in sorted((per_host or {}).items()):
        seen = seen or {}
        facts = seen.get("facts")
        if seen.get("error"):
            out[host] = "failed: %s" % seen["error"]
        elif check_mode:
            out[host] = "ok"
        elif not isinstance(facts, dict) or facts.get("unreachable") or facts.get("failed") or facts.get("skipped"):
            out[host] = "not rolled back: %s" % ((facts or {}).get("msg") or "unreachable, or the play did not run there")
        elif seen.get("violations"):
            out[host] = "did not take: %s" % "; ".join("%s (%s)" % (v.get("detail"), v.get("item"))
                                                       for v in seen["violations"][:5])
        else:
            out[host] = "ok"
    return out
