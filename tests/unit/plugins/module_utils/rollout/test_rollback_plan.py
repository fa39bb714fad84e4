"""The plan's rollback table (module_utils/rollout/plan.py): what each phase's rollback does, and refusals."""

import pytest

from ansible_collections.kiro.platform.plugins.module_utils.rollout import plan

ALL = ["development", "staging", "production"]


def state(phase=0, override=None):
    return {"phase": phase, "passed_phases": list(range(1, phase + 1)),
            "override": {"active": bool(override), "incident_id": override}}


@pytest.mark.parametrize("number, environments, content, levels", [
    (1, ["development"], 1, {"development": "manual"}),
    (2, ["development"], 2, {"development": "supervised"}),
    # staging back to its phase-2 profile, which the plan keeps inert there (manual)
    (3, ["staging"], 2, {"staging": "manual"}),
    (4, ["production"], 4, {"production": "manual"}),
    (5, ALL, 5, {"development": "conservative", "staging": "conservative", "production": "conservative"}),
])
def test_each_phase_rolls_back_as_the_plan_says(number, environments, content, levels):
    out = plan.rollback(number, dict((e, state(5)) for e in ALL), ALL)
    assert out["refusals"] == []
    assert (out["environments"], out["content"], out["levels"], out["to_phase"]) == \
        (environments, content, levels, number - 1)


def test_the_default_is_the_highest_current_phase_of_the_inventory():
    states = {"development": state(2), "staging": state(3), "production": state(0)}
    assert plan.rollback(None, states, ALL)["number"] == 3
    assert plan.rollback("", states, ["development"])["number"] == 2


def test_nothing_to_roll_back_is_refused_with_what_to_do():
    out = plan.rollback(None, {"development": state(0)}, ["development"])
    assert out["number"] == 0 and "nothing to roll back" in out["refusals"][0]
    assert "-e rollback_phase=N" in out["refusals"][0]


def test_an_inventory_without_the_environment_is_refused_naming_it():
    out = plan.rollback(4, {"staging": state(3)}, ["staging"])
    assert out["environments"] == []
    assert "production" in out["refusals"][0] and "inventories/production" in out["refusals"][0]


def test_an_active_override_refuses_a_rollback_naming_the_incident():
    states = {"production": state(4, override="INC-7")}
    out = plan.rollback(4, states, ["production"])
    assert len(out["refusals"]) == 1
    assert "INC-7" in out["refusals"][0] and "clear_override.yml" in out["refusals"][0]


def test_an_unknown_phase_is_refused_naming_rollback_phase():
    out = plan.rollback(7, {}, ALL)
    assert out["environments"] == [] and out["refusals"] == [
        "rollback_phase must be a phase number from 1 to 5 (for example -e rollback_phase=3), not 7"]


def test_verdicts_say_why_a_host_did_not_roll_back():
    facts_ok = {"ansible_facts": {"kiro": {}}, "changed": False}
    out = plan.rollback_verdicts({
        "a": {"facts": facts_ok, "violations": []},
        "b": {"error": "cannot parse mcp.json"},
        "c": {"facts": {"unreachable": True, "msg": "ssh: connection refused"}},
        "d": {"facts": facts_ok, "violations": [{"detail": "hook is enabled under the cap manual", "item": "hooks.x"}]},
        "e": None,
    })
    assert out["a"] == "ok"
    assert out["b"] == "failed: cannot parse mcp.json"
    assert out["c"] == "not rolled back: ssh: connection refused"
    assert out["d"].startswith("did not take: hook is enabled under the cap manual (hooks.x)")
    assert out["e"].startswith("not rolled back")
    assert plan.rollback_verdicts({"x": {"facts": None}}, check_mode=True) == {"x": "ok"}
