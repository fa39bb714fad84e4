"""kiro.platform.gate's action plugin run directly: a real gate over a file criterion and run stats."""

import json
import os

import pytest

from ansible.errors import AnsibleActionFail

from ansible_collections.kiro.platform.plugins.action.gate import ActionModule

TOKEN = "prom-Tok3n-Gq81Xv"


def criteria(path):
    return [
        {"name": "satisfaction", "provider": "file", "path": path, "query": "[].score", "aggregate": "mean",
         "pass": "> 4.0"},
        {"name": "config_deployment", "provider": "run_stats", "pass": "== 1"},
    ]


@pytest.fixture
def survey(tmp_path):
    path = tmp_path / "satisfaction.json"
    path.write_text(json.dumps([{"score": 4.5}, {"score": 4.3}]))
    return str(path)


def hostvars(*ok):
    return {"hostvars": dict((name, {"kiro_config_result": {"changed": True, "failed": not good}})
                             for name, good in ok)}


def test_a_passing_gate_reports_its_verdict_and_writes_every_report(action, survey, tmp_path):
    plugin = action(ActionModule, {"phase": 2, "environment": "development", "criteria": criteria(survey),
                                   "hosts": ["web1", "web2"], "providers": {"prometheus": {"bearer_token": TOKEN}}})
    result = plugin.run(task_vars=hostvars(("web1", True), ("web2", True)))
    assert (result["verdict"], result["passed"], result["phase"], result["environment"]) == \
        ("pass", True, 2, "development")
    by_name = dict((c["name"], c) for c in result["criteria"])
    assert by_name["satisfaction"]["value"] == pytest.approx(4.4)
    assert by_name["config_deployment"]["value"] == 1.0
    reports = result["reports"]
    assert os.path.dirname(reports["json"]) == str(tmp_path / "reports" / "development")
    for key in ("json", "markdown", "junit", "html", "evidence"):
        with open(reports[key], "rb") as handle:
            assert TOKEN.encode() not in handle.read(), key
    assert "satisfaction" in result["markdown"] and result["changed"] is False


def test_a_failed_host_fails_run_stats_and_the_gate(action, survey):
    plugin = action(ActionModule, {"phase": 2, "environment": "development", "criteria": criteria(survey),
                                   "hosts": ["web1", "web2"]})
    result = plugin.run(task_vars=hostvars(("web1", True), ("web2", False)))
    assert result["verdict"] == "fail" and result["passed"] is False
    assert [c["verdict"] for c in result["criteria"] if c["name"] == "config_deployment"] == ["fail"]


def test_validate_only_queries_nothing_and_lists_the_criteria(action, tmp_path):
    plugin = action(ActionModule, {"phase": 1, "environment": "staging", "validate_only": True,
                                   "criteria": criteria(str(tmp_path / "absent.json"))})
    result = plugin.run(task_vars={})
    assert result == {"changed": False, "valid": True, "criteria": ["satisfaction", "config_deployment"]}
    assert not (tmp_path / "reports").exists()


def test_an_unknown_provider_is_misconfiguration_naming_phase_and_environment(action):
    plugin = action(ActionModule, {"phase": 3, "environment": "staging",
                                   "criteria": [{"name": "x", "provider": "nagios", "pass": "> 1"}]})
    with pytest.raises(AnsibleActionFail, match="gate phase 3 in staging is misconfigured.*nagios"):
        plugin.run(task_vars={})


def test_argument_errors_come_from_the_documentation_with_secrets_masked(action):
    plugin = action(ActionModule, {"phase": TOKEN, "environment": "dev", "criteria": [],
                                   "providers": {"prometheus": {"bearer_token": TOKEN}}, "colour": "red"})
    with pytest.raises(AnsibleActionFail) as caught:
        plugin.run(task_vars={})
    message = str(caught.value)
    assert message.startswith("kiro.platform.gate: ")
    assert "phase" in message and "colour" in message
    # The int conversion error quotes the value, which is also a provider secret.
    assert TOKEN not in message and "********" in message


def test_the_ledger_anchor_goes_into_the_result_and_the_json_report(action, survey):
    anchor = {"seq": 4, "sha256": "ab" * 32}
    plugin = action(ActionModule, {"phase": 2, "environment": "development", "criteria": criteria(survey),
                                   "hosts": ["web1"], "ledger_anchor": dict(anchor)})
    result = plugin.run(task_vars=hostvars(("web1", True)))
    assert result["ledger_anchor"] == anchor
    with open(result["reports"]["json"], encoding="utf-8") as handle:
        assert json.load(handle)["ledger_anchor"] == anchor


def test_a_malformed_ledger_anchor_is_misconfiguration_and_nothing_is_written(action, survey, tmp_path):
    plugin = action(ActionModule, {"phase": 2, "environment": "development", "criteria": criteria(survey),
                                   "ledger_anchor": {"seq": 4, "sha256": "not-a-digest"}})
    with pytest.raises(AnsibleActionFail, match="gate phase 2 in development is misconfigured.*ledger_anchor.*64 hex"):
        plugin.run(task_vars={})
    assert not (tmp_path / "reports").exists()


def test_a_ledger_anchor_without_its_sha256_is_an_argument_error(action, survey):
    plugin = action(ActionModule, {"phase": 2, "environment": "development", "criteria": criteria(survey),
                                   "ledger_anchor": {"seq": 4}})
    with pytest.raises(AnsibleActionFail, match="kiro.platform.gate: .*sha256"):
        plugin.run(task_vars={})
