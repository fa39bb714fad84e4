"""One run's gate changes (-e gate_overrides) merge into an environment's, criterion by criterion."""

import pytest

from ansible_collections.kiro.platform.plugins.module_utils.gate import criteria
from ansible_collections.kiro.platform.plugins.module_utils.gate.errors import CriterionError

DEFAULTS = [
    {"name": "success_rate", "provider": "prometheus", "query": "rate(ok[7d])", "pass": "> 0.9", "min_samples": 50},
    {"name": "incidents", "provider": "prometheus", "query": "sum(incidents)", "pass": "== 0"},
]
# What the sandbox inventory does: read the same measurement from a file.
ENVIRONMENT = {"success_rate": {"provider": "file", "path": "metrics.json", "query": "automation_success_rate"},
               "incidents": {"provider": "file", "path": "metrics.json", "query": "security_incidents"}}


def by_name(items):
    return dict((item["name"], item) for item in items)


def test_a_run_that_changes_a_threshold_keeps_the_environments_provider_and_query():
    merged = criteria.layer(ENVIRONMENT, {"success_rate": {"pass": "> 0.99"}})
    assert merged["success_rate"] == {"provider": "file", "path": "metrics.json", "query": "automation_success_rate",
                                      "pass": "> 0.99"}
    assert merged["incidents"] == ENVIRONMENT["incidents"]
    final = by_name(criteria.merge(DEFAULTS, merged))["success_rate"]
    assert final == {"name": "success_rate", "provider": "file", "path": "metrics.json",
                     "query": "automation_success_rate", "pass": "> 0.99", "min_samples": 50}


def test_null_removes_and_a_new_name_adds():
    merged = criteria.layer(ENVIRONMENT, {"incidents": None, "extra": {"provider": "run_stats", "pass": "== 1"}})
    assert merged["incidents"] is None and merged["extra"] == {"provider": "run_stats", "pass": "== 1"}
    assert sorted(by_name(criteria.merge(DEFAULTS, merged))) == ["extra", "success_rate"]
    # A criterion the environment removed comes back whole from the run's change.
    back = criteria.layer({"incidents": None}, {"incidents": {"pass": "== 1"}})
    assert back == {"incidents": {"pass": "== 1"}}


def test_a_run_that_names_another_provider_starts_from_the_common_keys():
    merged = criteria.layer({"success_rate": {"provider": "file", "path": "m.json", "query": "q", "weight": 2}},
                            {"success_rate": {"provider": "http_json", "url": "http://localhost/m", "query": "rate"}})
    assert merged["success_rate"] == {"provider": "http_json", "weight": 2, "url": "http://localhost/m",
                                      "query": "rate"}


def test_nothing_given_changes_nothing_and_inputs_are_not_touched():
    before = dict((k, dict(v)) for k, v in ENVIRONMENT.items())
    assert criteria.layer(ENVIRONMENT, None) == ENVIRONMENT
    assert criteria.layer(None, {}) == {}
    criteria.layer(ENVIRONMENT, {"success_rate": {"pass": "> 0.5"}})
    assert ENVIRONMENT == before


@pytest.mark.parametrize("environment, run, message", [
    ([], {}, "rollout_gate_overrides: must map criterion names"),
    ({}, "x", "gate_overrides: must map criterion names"),
    ({}, {"success_rate": "> 0.5"}, "success_rate: gate_overrides: an override must be a mapping"),
])
def test_a_malformed_layer_is_named(environment, run, message):
    with pytest.raises(CriterionError, match=message):
        criteria.layer(environment, run)
