"""Prometheus alerting rules from gate criteria: the same threshold as the gate, negated."""

import operator
import re

import pytest
import yaml

from ansible_collections.kiro.platform.plugins.module_utils.gate import alerts, conditions
from ansible_collections.kiro.platform.plugins.module_utils.gate.errors import CriterionError

Q = 'sum(kiro_x{env="production"})'
PY_OPS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le,
          "==": operator.eq, "!=": operator.ne}


def prom(name="success_rate", query=Q, condition="> 0.9", **extra):
    item = {"name": name, "provider": "prometheus", "query": query, "pass": condition,
            "description": "Share of operations that succeeded"}
    item.update(extra)
    return item


def only_rule(item, **kwargs):
    document, skipped = alerts.rules([item], "production", **kwargs)
    assert skipped == []
    rules = document["groups"][0]["rules"]
    assert len(rules) == 1
    return rules[0]


def fires(expr, query, value):
    """Evaluate our generated expression for one scalar value of ``query`` in Python."""
    q = re.escape("(%s)" % query)
    between = re.match(r"^%s < (\S+) or %s > (\S+)$" % (q, q), expr)
    if between:
        return value < float(between.group(1)) or value > float(between.group(2))
    match = re.match(r"^%s (<=|>=|==|!=|<|>) (\S+)$" % q, expr)
    assert match, expr
    return PY_OPS[match.group(1)](value, float(match.group(2)))


@pytest.mark.parametrize("condition, expr_tail", [
    ("> 0.9", "<= 0.9"),
    (">= 0.9", "< 0.9"),
    ("< 30", ">= 30"),
    ("<= 30", "> 30"),
    ("== 0", "!= 0"),
    ("!= 1", "== 1"),
    ("> 0.90", "<= 0.9"),
    ("<= 1e-3", "> 0.001"),
    ("> -2.5", "<= -2.5"),
    ("value >= 100", "< 100"),
])
def test_every_operator_negated_with_the_same_threshold(condition, expr_tail):
    rule = only_rule(prom(condition=condition))
    assert rule["expr"] == "(%s) %s" % (Q, expr_tail)
    parsed = conditions.parse(condition)
    threshold = parsed.low
    # Around the threshold, the alert fires exactly when the gate's condition does not hold.
    for value in (threshold - 1, threshold - 1e-6, threshold, threshold + 1e-6, threshold + 1):
        assert fires(rule["expr"], Q, value) is (not parsed.holds(value)), (condition, value)


def test_between_becomes_outside_the_band():
    rule = only_rule(prom(condition="between 4 and 5"))
    assert rule["expr"] == "(%s) < 4 or (%s) > 5" % (Q, Q)
    parsed = conditions.parse("between 4 and 5")
    for value in (3.9, 4, 4.5, 5, 5.1):
        assert fires(rule["expr"], Q, value) is (not parsed.holds(value))


def test_number_formatting():
    assert alerts.number(30.0) == "30"
    assert alerts.number(0.85) == "0.85"
    assert alerts.number(-1) == "-1"
    assert alerts.number(1e-9) == "1e-09"
    assert float(alerts.number(0.1 + 0.2)) == 0.1 + 0.2  # no precision lost


@pytest.mark.parametrize("name, expected", [
    ("autonomous_success_rate", "KiroGateAutonomousSuccessRate"),
    ("mttr_minutes", "KiroGateMttrMinutes"),
    ("kpi_autonomous_success_rate", "KiroGateKpiAutonomousSuccessRate"),
    ("p95.latency-ms", "KiroGateP95LatencyMs"),
    ("zero_downtime", "KiroGateZeroDowntime"),
    ("MTTR", "KiroGateMTTR"),
])
def test_alert_names(name, expected):
    assert alerts.alert_name(name) == expected
    assert re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", alerts.alert_name(name))


def test_rule_shape_labels_and_annotations():
    rule = only_rule(prom(), phase=2, for_="15m", labels={"team": "platform"})
    assert list(rule) == ["alert", "expr", "for", "labels", "annotations"]
    assert rule["alert"] == "KiroGateSuccessRate"
    assert rule["for"] == "15m"
    assert rule["labels"] == {"criterion": "success_rate", "environment": "production", "phase": "2",
                              "severity": "critical", "team": "platform"}
    assert all(isinstance(v, str) for v in rule["labels"].values())
    assert set(rule["annotations"]) == {"summary", "description"}
    assert "success_rate" in rule["annotations"]["summary"]
    assert "> 0.9" in rule["annotations"]["summary"]
    description = rule["annotations"]["description"]
    assert description.startswith("Share of operations that succeeded.")
    assert "'> 0.9'" in description and "phase 2" in description and "{{ $value }}" in description


def test_phase_label_absent_without_phase():
    rule = only_rule(prom())
    assert "phase" not in rule["labels"]


def test_warn_gives_a_warning_and_a_critical_rule():
    document, skipped = alerts.rules([prom(condition="> 0.90", warn="> 0.85")], "staging", phase=2)
    assert skipped == []
    rules = document["groups"][0]["rules"]
    assert [(r["alert"], r["labels"]["severity"], r["expr"]) for r in rules] == [
        ("KiroGateSuccessRate", "warning", "(%s) <= 0.9" % Q),
        ("KiroGateSuccessRate", "critical", "(%s) <= 0.85" % Q),
    ]
    assert "would not pass" in rules[0]["annotations"]["description"]
    assert "would fail" in rules[1]["annotations"]["description"]


def test_skipped_kinds_are_listed_with_reasons():
    items = [
        prom(name="kept"),
        {"name": "cost", "provider": "cost_explorer", "metric": "UnblendedCost", "pass": "savings >= 0.2"},
        {"name": "survey", "provider": "file", "path": "x.csv", "query": "[*].score", "pass": "> 4"},
        {"name": "deploy", "provider": "run_stats", "pass": "== 1"},
        prom(name="prom_savings", condition="savings >= 0.2", baseline_offset="7d"),
        prom(name="prom_change", condition="change < 0.1", baseline_offset="7d"),
        prom(name="prom_warn_change", condition="> 1", warn="change > -0.1", baseline_offset="7d"),
        prom(name="prom_range", range="1h", aggregate="mean"),
    ]
    document, skipped = alerts.rules(items, "production", phase=3)
    assert [r["alert"] for r in document["groups"][0]["rules"]] == ["KiroGateKept"]
    reasons = dict((s["name"], s["reason"]) for s in skipped)
    assert list(reasons) == ["cost", "survey", "deploy", "prom_savings", "prom_change", "prom_warn_change",
                             "prom_range"]
    assert "not Prometheus" in reasons["cost"] and "not Prometheus" in reasons["survey"]
    assert "savings" in reasons["prom_savings"] and "baseline" in reasons["prom_savings"]
    assert "change" in reasons["prom_change"] and "change" in reasons["prom_warn_change"]
    assert "range" in reasons["prom_range"]
    assert all(s["phase"] == 3 for s in skipped)
    assert dict((s["name"], s["provider"]) for s in skipped)["deploy"] == "run_stats"


def test_multi_line_query_is_one_line():
    query = ('sum(increase(kiro_operations_total{env="production",outcome="success"}[7d]))\n'
             '  / sum(increase(kiro_operations_total{env="production"}[7d]))\n')
    rule = only_rule(prom(query=query))
    assert "\n" not in rule["expr"]
    assert rule["expr"] == ('(sum(increase(kiro_operations_total{env="production",outcome="success"}[7d]))'
                            ' / sum(increase(kiro_operations_total{env="production"}[7d]))) <= 0.9')


def test_normalise_keeps_string_literals_and_drops_comments():
    query = ('histogram_quantile(0.95,   # p95\n'
             '\tsum by (le) (rate(x_bucket{job="a  b",path=~"/x #y"}[5m])))  \n')
    assert alerts.normalise_query(query) == 'histogram_quantile(0.95, sum by (le) (rate(x_bucket{job="a  b",path=~"/x #y"}[5m])))'
    assert alerts.normalise_query('x{a="q\\"  #"}\n # end') == 'x{a="q\\"  #"}'
    assert alerts.normalise_query("x{a='b  c'}\n\n  or   y") == "x{a='b  c'} or y"


def test_group_name_and_document():
    document, _unused = alerts.rules([prom()], "staging")
    assert list(document) == ["groups"]
    assert [g["name"] for g in document["groups"]] == ["kiro-gates-staging"]
    empty, _unused = alerts.rules([], "staging")
    assert empty == {"groups": [{"name": "kiro-gates-staging", "rules": []}]}


@pytest.mark.parametrize("kwargs, message", [
    ({"environment": ""}, "environment"),
    ({"for_": "ten minutes"}, "duration"),
    ({"labels": {"bad-label": "x"}}, "label"),
])
def test_bad_arguments(kwargs, message):
    args = {"criteria": [prom()], "environment": "production"}
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        alerts.rules(**args)


def test_invalid_criterion_raises():
    with pytest.raises(CriterionError, match="not a condition"):
        alerts.rules([prom(condition="more than 3")], "production")


def test_by_phase_merge_and_selection():
    table = {
        1: [prom(name="a", condition="> 0.85"), prom(name="b", condition="== 0")],
        "2": [prom(name="a", condition="> 0.9", warn="> 0.85"), prom(name="c", condition="< 30")],
        3: [prom(name="d", condition="< 30")],
    }
    overrides = {"2": {"c": {"pass": "< 20"}, "new": {"provider": "prometheus", "query": "up", "pass": "== 1"}},
                 1: {"b": None, "a": {"provider": "file", "path": "m.json", "query": "a"}}}
    document, skipped = alerts.rules_by_phase(table, "production", phases=[2, 1], overrides=overrides)
    rules = document["groups"][0]["rules"]
    assert [(r["alert"], r["labels"]["phase"], r["labels"]["severity"]) for r in rules] == [
        ("KiroGateA", "2", "warning"), ("KiroGateA", "2", "critical"), ("KiroGateC", "2", "critical"),
        ("KiroGateNew", "2", "critical")]
    assert rules[2]["expr"].endswith(") >= 20")  # the override's threshold
    assert rules[3]["expr"] == "(up) != 1"
    # b removed by null; a moved to another provider (its query dropped) -> skipped
    assert [(s["name"], s["phase"], s["provider"]) for s in skipped] == [("a", 1, "file")]
    everything, _unused = alerts.rules_by_phase(table, "production")
    assert [r["labels"]["phase"] for r in everything["groups"][0]["rules"]] == ["1", "1", "2", "2", "2", "3"]
    with pytest.raises(ValueError, match="no criteria for phase 4"):
        alerts.rules_by_phase(table, "production", phases=[4])


def test_filter_renders_stable_yaml():
    from ansible_collections.kiro.platform.plugins.filter.alert_rules import alert_rules
    from ansible.errors import AnsibleFilterError

    table = {2: [prom(condition="> 0.9", warn="> 0.85"),
                 {"name": "cost", "provider": "cost_explorer", "pass": "savings >= 0.2"}]}
    text = alert_rules(table, "production", [2], "5m", overrides={2: {"success_rate": {"pass": "> 0.95"}}})
    assert text == alert_rules(table, "production", [2], "5m", overrides={2: {"success_rate": {"pass": "> 0.95"}}})
    assert text.startswith("# Kiro gate alerting rules for production")
    assert "#   phase 2 cost (cost_explorer): provider cost_explorer is not Prometheus" in text
    document = yaml.safe_load(text)
    rules = document["groups"][0]["rules"]
    assert [r["expr"] for r in rules] == ["(%s) <= 0.95" % Q, "(%s) <= 0.85" % Q]
    assert all(r["for"] == "5m" for r in rules)
    # a plain list, with a phase label and list-shaped overrides
    text = alert_rules([prom()], "staging", 4, overrides={"success_rate": {"pass": "< 3"}})
    rule = yaml.safe_load(text)["groups"][0]["rules"][0]
    assert rule["labels"]["phase"] == "4" and rule["expr"] == "(%s) >= 3" % Q
    with pytest.raises(AnsibleFilterError, match="kiro.platform.alert_rules"):
        alert_rules("nope", "staging")
    with pytest.raises(AnsibleFilterError, match="duration"):
        alert_rules([prom()], "staging", None, "soon")
