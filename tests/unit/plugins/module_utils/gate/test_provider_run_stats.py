"""The run_stats provider: hosts ok / hosts targeted in this run."""

import pytest

from ansible_collections.kiro.platform.plugins.module_utils.gate import engine
from ansible_collections.kiro.platform.plugins.module_utils.gate.errors import CriterionError
from ansible_collections.kiro.platform.plugins.module_utils.gate.providers.base import Context

HOSTS = {
    "web1": {"targeted": True, "ok": True, "facts": None},
    "web2": {"targeted": True, "ok": True, "facts": None},
    "web3": {"targeted": True, "ok": False, "facts": None},
    "web4": {"targeted": True},                # no "ok": it did not report success
    "web5": {"targeted": False, "ok": False},   # not in this run: does not count
    "web6": {"ok": True},                      # listed without "targeted": part of the run
}


def run(hosts, **params):
    item = dict({"name": "config_deployment", "provider": "run_stats", "pass": ">= 1.0"}, **params)
    return engine.evaluate([item], {}, Context(hosts=hosts))["criteria"][0]


def test_ratio_is_ok_over_targeted():
    result = run(HOSTS)
    assert result["value"] == pytest.approx(3.0 / 5)
    assert result["samples"] == 5
    assert result["verdict"] == "fail"
    assert result["details"]["failed_hosts"] == ["web3", "web4"]
    assert result["raw"] == [result["details"]]


def test_all_hosts_ok_passes():
    hosts = dict(("h%d" % i, {"targeted": True, "ok": True}) for i in range(4))
    result = run(hosts)
    assert result["value"] == 1.0 and result["verdict"] == "pass"


@pytest.mark.parametrize("measure, value", [("ok", 3), ("failed", 2), ("targeted", 5), ("ratio", 0.6)])
def test_measures(measure, value):
    result = run(HOSTS, measure=measure, **{"pass": ">= 0"})
    assert result["value"] == pytest.approx(value)
    assert result["samples"] == 5


def test_failed_count_with_a_zero_tolerance_gate():
    assert run(HOSTS, measure="failed", **{"pass": "== 0"})["verdict"] == "fail"
    good = dict((h, dict(e, ok=True)) for h, e in HOSTS.items())
    assert run(good, measure="failed", **{"pass": "== 0"})["verdict"] == "pass"


def test_no_targeted_host_is_no_data():
    result = run({"web5": {"targeted": False, "ok": True}})
    assert result["value"] is None and result["samples"] == 0
    assert result["verdict"] == "fail"
    assert run({}, on_no_data="inconclusive")["verdict"] == "inconclusive"


def test_unknown_measure_is_rejected_before_measuring():
    with pytest.raises(CriterionError, match="measure must be one of ratio, ok, failed, targeted"):
        engine.prepare([{"name": "x", "provider": "run_stats", "pass": "> 0", "measure": "percent"}], {})
    with pytest.raises(CriterionError, match="does not take query"):
        engine.prepare([{"name": "x", "provider": "run_stats", "pass": "> 0", "query": "up"}], {})
