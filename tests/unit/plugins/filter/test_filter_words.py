"""The filters the playbooks check the operator's words with, and the gate/level filters, as Jinja calls them."""

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.kiro.platform.plugins.filter.emergency import FilterModule as EmergencyFilters
from ansible_collections.kiro.platform.plugins.filter.rollout import FilterModule

FILTERS = dict(FilterModule().filters(), **EmergencyFilters().filters())


def test_an_unknown_autonomy_level_names_the_variable_and_the_levels():
    assert FILTERS["autonomy_level"]("conservative") == "conservative"
    with pytest.raises(AnsibleFilterError) as caught:
        FILTERS["autonomy_level"]("autopilot")
    assert str(caught.value) == ("kiro.platform.autonomy_level: kiro_config_level: 'autopilot' is not an autonomy level; "
                                 "use one of manual, supervised, conservative, supervised_autonomous, full")
    with pytest.raises(AnsibleFilterError, match="rollback_level: None is not an autonomy level"):
        FILTERS["autonomy_level"](None, "rollback_level")


def test_gate_overrides_merge_keeps_the_environments_keys():
    environment = {"basic_automation_success": {"provider": "file", "path": "m.json", "query": "rate"},
                   "mcp_integrations_operational": {"exclude": ["github"]}}
    merged = FILTERS["gate_overrides_merge"](environment, {"basic_automation_success": {"pass": "> 0.99"}})
    assert merged == {"basic_automation_success": {"provider": "file", "path": "m.json", "query": "rate",
                                                   "pass": "> 0.99"},
                      "mcp_integrations_operational": {"exclude": ["github"]}}
    with pytest.raises(AnsibleFilterError, match="gate_overrides_merge: criterion gate_overrides: must map"):
        FILTERS["gate_overrides_merge"]({}, ["x"])


def test_the_phase_problem_names_the_variable():
    assert FILTERS["rollout_phase_problem"]("3") == ""
    assert FILTERS["rollout_phase_problem"]("three") == (
        "rollout_phase must be a phase number from 1 to 5 (for example -e rollout_phase=3), not 'three'")
    with pytest.raises(AnsibleFilterError, match="rollout_phase must be a phase number .*not 'three'"):
        FILTERS["rollout_phase"]("three")


def test_approval_clear_and_request_problems_pass_the_minimum_length_through():
    assert FILTERS["rollout_approval_problems"](None, None) == []
    assert FILTERS["rollout_approval_problems"]("alice", "known")[0].startswith(
        "gate_approval_reason 'known' looks cut short")
    assert FILTERS["rollout_approval_problems"]("alice", "known", 3) == ["gate_approval_reason 'known' looks cut short"
                                                                         " (one word; a reason needs at least two words "
                                                                         "and 3 characters): Ansible splits -e "
                                                                         "\"gate_approval_reason=a few words\" on the "
                                                                         "spaces and keeps only the first word. Quote it "
                                                                         "as JSON: -e '{\"gate_approval_reason\": "
                                                                         "\"known ...\"}' (rollout_reason_min_length "
                                                                         "sets the minimum)"]
    assert FILTERS["rollout_clear_problems"]("INC-1", "carol", "fixed it", 5) == []
    assert FILTERS["rollout_clear_problems"]("INC-1", "carol", "fixed it")[0].startswith("reason 'fixed it' looks cut")
    assert FILTERS["emergency_request_problem"]("INC-1", "pods gone", 5) == ""
    with pytest.raises(AnsibleFilterError, match="rollout_reason_min_length must be a whole number"):
        FILTERS["emergency_request_problem"]("INC-1", "pods gone", "x")
    with pytest.raises(AnsibleFilterError, match="rollout_reason_min_length must be a whole number"):
        FILTERS["rollout_clear_problems"]("INC-1", "carol", "fixed it", "x")


def test_the_rollback_filter_takes_the_reason():
    out = FILTERS["rollout_rollback"]("x", {}, ["development"], "hooks")
    assert out["refusals"][0].startswith("rollback_phase must be a phase number")
    assert out["refusals"][1].startswith("rollback_reason 'hooks' looks cut short")


def test_a_migration_needs_the_environment_who_and_a_whole_reason():
    migrate = FILTERS["rollout_migrate_problems"]
    assert migrate("development", "alice", "signing the ledger written by release 0.1") == []
    problems = migrate(" ", "\t", "signing")
    assert [p.split(" ", 1)[0] for p in problems] == ["ledger_environment", "actor", "reason"]
    assert "looks cut short" in problems[2] and '{"reason": "signing ..."}' in problems[2]
