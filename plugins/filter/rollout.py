# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters over the rollout plan: autonomy caps, capped policies, composed profiles, the
operator's words (phase numbers, approvals, reasons), and how phase runs, gates and rollbacks end."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.kiro.platform.plugins.module_utils.gate import criteria as gate_criteria
from ansible_collections.kiro.platform.plugins.module_utils.gate.errors import CriterionError
from ansible_collections.kiro.platform.plugins.module_utils.kiro import policy, profile
from ansible_collections.kiro.platform.plugins.module_utils.kiro.errors import KiroError
from ansible_collections.kiro.platform.plugins.module_utils.rollout import outcome as rollout_outcome_mod
from ansible_collections.kiro.platform.plugins.module_utils.rollout import override as rollout_override
from ansible_collections.kiro.platform.plugins.module_utils.rollout import plan as rollout_plan
from ansible_collections.kiro.platform.plugins.module_utils.rollout import status as rollout_status
from ansible_collections.kiro.platform.plugins.module_utils.rollout import words as rollout_words


def _wrap(func):
    def run(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except (KiroError, CriterionError, ValueError) as exc:
            raise AnsibleFilterError("kiro.platform.%s: %s" % (func.__name__, exc))
    run.__name__ = func.__name__
    return run


def plan_cap(environment, phase):
    return policy.plan_cap(environment, int(phase))


def effective_policy(safety_policy, environment, phase):
    return policy.effective(safety_policy, environment, int(phase))


def compose_profile(content, level):
    return profile.compose(content, level)


def plan_environments(available=None):
    return rollout_plan.environments(available)


def rollout_phase(number, environments=None):
    if environments is None:
        return rollout_plan.phase(number)
    return rollout_plan.for_inventory(number, environments)


def rollout_already_passed(number, states, gated):
    return rollout_plan.already_passed(number, states, gated)


def rollout_phase_problem(number, variable="rollout_phase"):
    return rollout_words.phase_problem(number, variable)


def rollout_refusals(number, states, approver=None, reason=None, min_length=None):
    return rollout_plan.refusals(number, states, approver, reason, min_length)


def rollout_approval_problems(approver, reason, min_length=None):
    return rollout_words.approval_problems(approver, reason, min_length=min_length)


def rollout_migrate_problems(environment, actor, reason, min_length=None):
    return rollout_words.migrate_problems(environment, actor, reason, min_length)


def rollout_rollback(number, states, environments, reason=None, min_length=None):
    return rollout_plan.rollback(None if number in (None, "") else number, states, environments, reason, min_length)


def rollout_rollback_verdicts(hosts, hostvars, check_mode=False):
    seen = {}
    for host in hosts:
        values = hostvars.get(host) or {}
        seen[host] = {"error": values.get("rollback_error"), "facts": values.get("rollback_facts"),
                      "violations": values.get("rollback_violations")}
    return rollout_plan.rollback_verdicts(seen, check_mode=bool(check_mode))


def policy_violations(kiro_facts, safety_policy, host=None):
    return policy.violations(kiro_facts, safety_policy, host=host)


def rollout_host_results(hosts, hostvars, result_var="kiro_config_result"):
    results = dict((h, (hostvars.get(h) or {}).get(result_var)) for h in hosts)
    return rollout_plan.host_results(list(hosts), results)


def drill_passed(per_host):
    return rollout_plan.drill_passed(per_host)


def rollout_drill_report(hosts, hostvars, result_var="rollout_drill"):
    return rollout_plan.drill_report(dict((h, (hostvars.get(h) or {}).get(result_var)) for h in hosts))


def rollout_outcome(number, gate_results, on_failure="stop"):
    return rollout_outcome_mod.phase_outcome(number, gate_results, on_failure)


def rollout_rollback_announcement(rollback):
    return rollout_outcome_mod.rollback_announcement(rollback)


def rollout_rollback_outcome(verdicts, rollback, groups):
    return rollout_outcome_mod.rollback_outcome(rollback, verdicts, groups)


def rollout_override_scope(states, incident_id):
    return rollout_override.scope(states, incident_id)


def rollout_clear_problems(incident_id, approver, reason, min_length=None):
    return rollout_override.clear_problems(incident_id, approver, reason, min_length)


def gate_overrides_merge(environment_overrides, run_overrides):
    return gate_criteria.layer(environment_overrides, run_overrides)


def autonomy_level(name, variable="kiro_config_level"):
    return policy.check_level(name, variable)


def gate_failing_criteria(criteria):
    return rollout_outcome_mod.failing_criteria(criteria)


def gate_stop_message(result):
    return rollout_outcome_mod.gate_stop_message(result)


def rollout_status_lines(results):
    return rollout_status.lines(results)


def rollout_status_html(results):
    return rollout_status.page(results)


class FilterModule(object):
    def filters(self):
        return {
            "plan_cap": _wrap(plan_cap),
            "effective_policy": _wrap(effective_policy),
            "compose_profile": _wrap(compose_profile),
            "plan_environments": _wrap(plan_environments),
            "rollout_phase": _wrap(rollout_phase),
            "rollout_already_passed": _wrap(rollout_already_passed),
            "rollout_phase_problem": _wrap(rollout_phase_problem),
            "rollout_refusals": _wrap(rollout_refusals),
            "rollout_approval_problems": _wrap(rollout_approval_problems),
            "rollout_migrate_problems": _wrap(rollout_migrate_problems),
            "rollout_rollback": _wrap(rollout_rollback),
            "rollout_rollback_verdicts": _wrap(rollout_rollback_verdicts),
            "policy_violations": _wrap(policy_violations),
            "rollout_host_results": _wrap(rollout_host_results),
            "drill_passed": _wrap(drill_passed),
            "rollout_drill_report": _wrap(rollout_drill_report),
            "rollout_outcome": _wrap(rollout_outcome),
            "rollout_rollback_announcement": _wrap(rollout_rollback_announcement),
            "rollout_rollback_outcome": _wrap(rollout_rollback_outcome),
            "rollout_override_scope": _wrap(rollout_override_scope),
            "rollout_clear_problems": _wrap(rollout_clear_problems),
            "gate_overrides_merge": _wrap(gate_overrides_merge),
            "autonomy_level": _wrap(autonomy_level),
            "gate_failing_criteria": _wrap(gate_failing_criteria),
            "gate_stop_message": _wrap(gate_stop_message),
            "rollout_status_lines": _wrap(rollout_status_lines),
            "rollout_status_html": _wrap(rollout_status_html),
        }
