"""Which environments clearing an incident's override touches (module_utils/rollout/override.py)."""

from ansible_collections.kiro.platform.plugins.module_utils.rollout import override


def state(active, *incidents):
    return {"override": {"active": active, "incidents": list(incidents)}}


def test_only_environments_under_this_incidents_active_override():
    states = {"development": state(True, "INC-1"), "staging": state(True, "INC-2"),
              "production": state(True, "INC-2", "INC-1")}
    out = override.scope(states, "INC-1")
    assert out["environments"] == ["development", "production"]
    assert out["other_incidents"] == ["INC-2"]


def test_no_override_anywhere():
    states = {"development": state(False), "staging": {"override": None}, "production": {}}
    assert override.scope(states, "INC-1") == {"environments": [], "other_incidents": []}


def test_other_incidents_are_listed_once_in_order_of_appearance():
    states = {"development": state(True, "INC-3", "INC-1"), "staging": state(True, "INC-2", "INC-3")}
    assert override.scope(states, "INC-9") == {"environments": [], "other_incidents": ["INC-3", "INC-1", "INC-2"]}
