"""The kiro.platform rollout filters (plugins/filter/rollout.py) through their FilterModule."""

import json
import os

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.kiro.platform.plugins.filter import rollout as rollout_filters
from ansible_collections.kiro.platform.plugins.filter.alert_rules import FilterModule as AlertFilters
from ansible_collections.kiro.platform.plugins.filter.emergency import FilterModule as EmergencyFilters
from ansible_collections.kiro.platform.plugins.filter.rollout import FilterModule

FILTERS = FilterModule().filters()


def call(name, *args, **kwargs):
    return FILTERS[name](*args, **kwargs)


def state(phase=0, passed=(), override=None, gate=None):
    return {"phase": phase, "passed_phases": list(passed), "override": override or {"active": False},
            "last_gate": gate}


def test_every_filter_is_exported_and_documented():
    # Each filter of the collection has its own <name>.yml doc (ansible-doc -t filter); the
    # ones not in emergency.py or alert_rules.py are this file's.
    here = os.path.join(os.path.dirname(rollout_filters.__file__))
    documented = set(name[:-4] for name in os.listdir(here) if name.endswith(".yml"))
    others = set(EmergencyFilters().filters()) | set(AlertFilters().filters())
    assert set(FILTERS) == documented - others
    assert {"plan_cap", "rollout_phase", "rollout_status_html", "plan_environments"} <= set(FILTERS)


def test_plan_cap_and_effective_policy_follow_the_plan():
    assert call("plan_cap", "production", "4") == "conservative"
    assert call("plan_cap", "staging", 1) == "manual"
    policy = call("effective_policy", {"max_autonomy": "full"}, "production", 4)
    assert policy["max_autonomy"] == "conservative" and policy["forbid_auto_approve_mutating"] is True
    with pytest.raises(AnsibleFilterError, match="kiro.platform.effective_policy: .*unknown key"):
        call("effective_policy", {"max_autonomy": "full", "colour": "red"}, "production", 4)
    with pytest.raises(AnsibleFilterError, match="kiro.platform.plan_cap: "):
        call("plan_cap", "production", 9)


def test_compose_profile_deploys_content_inert_at_a_level_without_hooks_or_mcp():
    content = {"hooks": [{"name": "cost", "when": {"type": "userTriggered"}, "then": {"type": "askAgent"}}],
               "mcp_servers": [{"name": "aws-api", "command": "uvx"}]}
    profile = call("compose_profile", content, {"agent_autonomy": "Supervised", "hooks_enabled": False,
                                                "mcp_enabled": False})
    assert [h["enabled"] for h in profile["hooks"]] == [False]
    assert [s["disabled"] for s in profile["mcp_servers"]] == [True]
    with pytest.raises(AnsibleFilterError, match="kiro.platform.compose_profile: .*unknown key"):
        call("compose_profile", content, {"speed": "ludicrous"})


def test_rollout_phase_and_its_refusals():
    assert call("rollout_phase", "4")["apply"] == ("production",)
    with pytest.raises(AnsibleFilterError, match="rollout_phase must be a phase number from 1 to 5 .*, not 6"):
        call("rollout_phase", 6)
    refusals = call("rollout_refusals", 4, {"staging": state(3, (1, 2, 3))})
    assert len(refusals) == 1 and "needs a named approver and a reason" in refusals[0]
    assert call("rollout_refusals", 4, {"staging": state(3, (1, 2, 3))}, "alice", "CAB-1 approved the change") == []
    override = {"active": True, "ts": "t", "incident_id": "INC-1", "reason": "r"}
    assert "INC-1" in call("rollout_refusals", 1, {"development": state(override=override)})[0]


def test_rollout_rollback_of_the_current_phase():
    plan = call("rollout_rollback", "", {"production": state(4, (4,))}, ["production"])
    assert (plan["number"], plan["to_phase"], plan["levels"], plan["refusals"]) == \
        (4, 3, {"production": "manual"}, [])
    assert call("rollout_rollback", None, {}, ["staging"])["refusals"][0].startswith("nothing to roll back")


def test_rollout_rollback_verdicts_from_hostvars():
    hostvars = {"web1": {"rollback_facts": {"ansible_facts": {}}, "rollback_violations": []},
                "web2": {"rollback_error": "disk full"},
                "web3": {"rollback_facts": {"unreachable": True, "msg": "ssh refused"}}}
    assert call("rollout_rollback_verdicts", ["web1", "web2", "web3", "web4"], hostvars) == {
        "web1": "ok", "web2": "failed: disk full", "web3": "not rolled back: ssh refused",
        "web4": "not rolled back: unreachable, or the play did not run there"}
    assert call("rollout_rollback_verdicts", ["web4"], hostvars, check_mode=True) == {"web4": "ok"}


def test_policy_violations_names_the_auto_approved_mutating_tool():
    facts = {"roots": [{"path": "/srv/app/.kiro", "scope": "workspace", "errors": [], "mcp_servers": [
        {"name": "aws-api", "disabled": False, "auto_approve": ["delete_stack"], "read_only": True}]}]}
    found = call("policy_violations", facts, {"max_autonomy": "full"}, host="web1")
    assert [(v["host"], v["rule"], v["item"]) for v in found] == \
        [("web1", "auto_approve_mutating", "mcpServers.aws-api.autoApprove.delete_stack")]


def test_host_results_and_drill():
    hostvars = {"a": {"kiro_config_result": {"changed": True}}, "b": {"kiro_config_result": {"failed": True}}}
    assert call("rollout_host_results", ["a", "b", "c"], hostvars) == {"ok": ["a"], "failed": ["b", "c"]}
    assert call("drill_passed", {"a": {"rolled_back": True, "reapplied": "true"}}) == 1
    assert call("drill_passed", {"a": {"rolled_back": True, "reapplied": False}}) == 0
    assert call("drill_passed", {}) == 0


def test_status_lines_and_page():
    result = {"item": "staging", "state": state(3, (1, 2, 3), gate={"phase": 3, "verdict": "pass", "ts": "T1"}),
              "lock": None, "entries": [{"ts": "T1", "event": "gate_passed", "phase": 3, "actor": "<alice>",
                                         "details": {"score": 100}}]}
    assert call("rollout_status_lines", [result]) == [
        "staging: phase 3 (Staging deployment); last gate: phase 3 pass at T1; lock: free; override: none; "
        "ledger: unknown"]
    page = call("rollout_status_html", [result])
    assert "&lt;alice&gt;" in page and "<alice>" not in page and "score=100" in page
    anchored = dict(result, anchor={"seq": 7, "sha256": "ab" * 32}, chain_ok=True, bad_seq=None)
    assert call("rollout_status_lines", [anchored])[0].endswith("; ledger: seq 7, sha256 %s, verified" % ("ab" * 32))
    assert "Ledger anchor: <code>seq 7, sha256 %s, verified</code>" % ("ab" * 32) in call("rollout_status_html",
                                                                                          [anchored])
    broken = dict(anchored, chain_ok=False, bad_seq=3)
    assert call("rollout_status_lines", [broken])[0].endswith("DOES NOT VERIFY (seq 3)")
    json.dumps(page)
