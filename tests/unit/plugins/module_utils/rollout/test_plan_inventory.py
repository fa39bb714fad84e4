"""The plan as the playbooks read it (module_utils/rollout/plan.py): the environments, a phase
cut to an inventory, a phase already passed, the drill result."""

import pytest

from ansible_collections.kiro.platform.plugins.module_utils.rollout import plan


def test_the_environments_come_in_plan_order_and_only_those_the_inventory_has():
    assert plan.environments() == ["development", "staging", "production"]
    groups = {"all": [], "ungrouped": [], "production": ["p1"], "development": ["d1"], "prometheus": ["m1"]}
    assert plan.environments(groups) == ["development", "production"]
    assert plan.environments(["staging"]) == ["staging"]
    assert plan.environments([]) == []


def test_a_phase_cut_to_the_inventory_keeps_what_it_requires():
    full = plan.phase(5)
    cut = plan.for_inventory(5, {"staging": [], "all": []})
    assert (cut["apply"], cut["gate"]) == (["staging"], ["staging"])
    assert cut["requires"] == full["requires"] == (("production", 4),)
    assert (cut["number"], cut["name"]) == (5, "Optimisation and scaling")
    assert plan.for_inventory("2", ["development"])["apply"] == ["development"]
    assert plan.for_inventory(4, ["production"])["approval"] is True


def test_an_unknown_phase_is_refused_even_cut_to_an_inventory():
    with pytest.raises(ValueError, match="rollout_phase must be a phase number from 1 to 5"):
        plan.for_inventory(6, ["development"])


def passed(*phases):
    return {"passed_phases": list(phases)}


def test_a_phase_already_passed_only_where_every_gated_environment_shows_it():
    states = {"development": passed(1, 2), "staging": passed(1), "production": {}}
    assert plan.already_passed(2, states, ["development"]) is True
    assert plan.already_passed("1", states, ["development", "staging"]) is True
    assert plan.already_passed(2, states, ["development", "staging"]) is False
    assert plan.already_passed(5, states, ["production"]) is False
    # an environment without a ledger state has passed nothing
    assert plan.already_passed(1, states, ["nowhere"]) is False


def test_the_drill_report_says_passed_only_when_every_host_came_back():
    good = {"rolled_back": True, "reapplied": True, "changed_by_rollback": 3}
    assert plan.drill_report({"s1": good, "s2": good}) == {"passed": 1, "hosts": {"s1": good, "s2": good}}
    assert plan.drill_report({"s1": good, "s2": None}) == {"passed": 0, "hosts": {"s1": good, "s2": None}}
    assert plan.drill_report({}) == {"passed": 0, "hosts": {}}
