"""The kiro.platform.alert_rules filter (plugins/filter/alert_rules.py)."""

import pytest
import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.kiro.platform.plugins.filter.alert_rules import FilterModule

alert_rules = FilterModule().filters()["alert_rules"]

CRITERIA = [
    {"name": "autonomous_success_rate", "provider": "prometheus", "description": "Share that succeeded",
     "query": "sum(rate(ok[5m]))\n  / sum(rate(all[5m]))", "pass": "> 0.90", "warn": "> 0.85"},
    {"name": "satisfaction", "provider": "file", "path": "{{ undefined_here }}", "pass": "> 4"},
]


def rules(text):
    return yaml.safe_load(text)["groups"][0]["rules"]


def test_a_prometheus_criterion_becomes_warning_and_critical_rules_with_the_gates_threshold():
    text = alert_rules(CRITERIA, "production", phase=2, labels={"team": "sre"})
    assert text.startswith("# Kiro gate alerting rules for production")
    assert "#   phase 2 satisfaction (file): provider file is not Prometheus" in text
    warning, critical = rules(text)
    assert warning["alert"] == critical["alert"] == "KiroGateAutonomousSuccessRate"
    assert warning["expr"] == "(sum(rate(ok[5m])) / sum(rate(all[5m]))) <= 0.9"
    assert critical["expr"] == "(sum(rate(ok[5m])) / sum(rate(all[5m]))) <= 0.85"
    assert (warning["labels"]["severity"], critical["labels"]["severity"]) == ("warning", "critical")
    assert warning["labels"]["phase"] == "2" and warning["labels"]["team"] == "sre"
    assert yaml.safe_load(text)["groups"][0]["name"] == "kiro-gates-production"


def test_a_mapping_of_phases_with_overrides():
    table = {1: [dict(CRITERIA[0], name="mcp_up", warn=None)], "2": CRITERIA}
    text = alert_rules(table, "staging", phase=[1], overrides={1: {"mcp_up": {"pass": "== 1"}}})
    (rule,) = rules(text)
    assert rule["alert"] == "KiroGateMcpUp" and rule["expr"].endswith(" != 1")


@pytest.mark.parametrize("criteria,message", [
    ("not criteria", "expects a list of criteria"),
    ({1: CRITERIA}, "there are no criteria for phase 3"),
])
def test_bad_input_is_a_filter_error(criteria, message):
    with pytest.raises(AnsibleFilterError, match="kiro.platform.alert_rules: .*%s" % message):
        alert_rules(criteria, "staging", phase=3)
