"""The file provider: JSON, YAML and CSV files with jmespath."""

import json
import os

import pytest

from ansible_collections.kiro.platform.plugins.module_utils.gate import engine
from ansible_collections.kiro.platform.plugins.module_utils.gate.errors import CriterionError
from ansible_collections.kiro.platform.plugins.module_utils.gate.providers.base import Context
from ansible_collections.kiro.platform.plugins.module_utils.gate.providers.file import parse_csv

DEV_SCORES = [4.5, 4.0, 5.0, 4.2, 3.8, 4.6, 4.4, 4.9, 4.1, 4.3, 4.7, 4.5]
STAGING_SCORES = [2.0, 3.0, 2.5]


@pytest.fixture
def metrics(tmp_path):
    rows = ["environment,team,score,comment"]
    rows += ["development,team%d,%s,fine" % (i, s) for i, s in enumerate(DEV_SCORES)]
    rows += ["staging,team%d,%s," % (i, s) for i, s in enumerate(STAGING_SCORES)]
    (tmp_path / "satisfaction.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "cost.json").write_text(json.dumps({"months": [{"month": "2024-05", "usd": 1000},
                                                               {"month": "2024-06", "usd": 750}],
                                                    "savings": {"current": 750, "baseline": 1000}}))
    (tmp_path / "incidents.yaml").write_text("incidents:\n  - {severity: 1, open: false}\n"
                                             "  - {severity: 3, open: true}\n  - {severity: 2, open: true}\n"
                                             "reviewed: 2024-06-01\n")
    return tmp_path


def run(items, base_dir):
    return engine.evaluate(items, {}, Context(base_dir=str(base_dir)))


def by_name(result):
    return dict((c["name"], c) for c in result["criteria"])


def test_csv_satisfaction_mean_with_min_samples(metrics):
    query = "[?environment=='%s'].score"
    items = [{"name": "developer_satisfaction", "provider": "file", "path": "satisfaction.csv",
              "query": query % "development", "aggregate": "mean", "pass": "> 4.0", "min_samples": 10},
             {"name": "staging_satisfaction", "provider": "file", "path": "satisfaction.csv",
              "query": query % "staging", "aggregate": "mean", "pass": "> 2.0", "min_samples": 10}]
    result = run(items, metrics)
    got = by_name(result)
    dev = got["developer_satisfaction"]
    assert dev["value"] == pytest.approx(sum(DEV_SCORES) / len(DEV_SCORES))
    assert dev["samples"] == 12 and dev["verdict"] == "pass"
    staging = got["staging_satisfaction"]
    assert staging["samples"] == 3
    assert staging["measurements"][0]["outcome"] == "insufficient" and staging["verdict"] == "fail"
    assert "too few samples (3 < min_samples 10)" in staging["reason"]
    assert result["verdict"] == "fail"
    # the evidence names the file and its digest
    assert dev["raw"][0]["path"] == str(metrics / "satisfaction.csv")
    assert len(dev["raw"][0]["sha256"]) == 64


def test_csv_below_threshold_fails(metrics):
    got = run([{"name": "s", "provider": "file", "path": "satisfaction.csv", "aggregate": "min",
                "query": "[?environment=='development'].score", "pass": ">= 4.0"}], metrics)["criteria"][0]
    assert got["value"] == 3.8 and got["verdict"] == "fail"


def test_csv_cells():
    rows = parse_csv("a,b,c,d\n1,x, 2.5 ,\n-3e2,007,NaN,\n")
    assert rows == [{"a": 1.0, "b": "x", "c": 2.5, "d": None}, {"a": -300.0, "b": 7.0, "c": "NaN", "d": None}]


def test_json_and_yaml_with_jmespath(metrics):
    items = [{"name": "latest_cost", "provider": "file", "path": "cost.json", "query": "months[-1].usd",
              "pass": "< 800"},
             {"name": "total_cost", "provider": "file", "path": "cost.json", "query": "months[].usd",
              "aggregate": "sum", "pass": "== 1750"},
             {"name": "open_incidents", "provider": "file", "path": "incidents.yaml",
              "query": "length(incidents[?open])", "pass": "<= 1", "warn": "<= 2"},
             {"name": "worst_open", "provider": "file", "path": "incidents.yaml",
              "query": "incidents[?open].severity", "aggregate": "min", "pass": ">= 2"}]
    got = by_name(run(items, metrics))
    assert got["latest_cost"]["value"] == 750.0 and got["latest_cost"]["verdict"] == "pass"
    assert got["total_cost"]["value"] == 1750.0 and got["total_cost"]["samples"] == 2
    assert got["open_incidents"]["value"] == 2.0 and got["open_incidents"]["verdict"] == "warn"
    assert got["worst_open"]["value"] == 2.0 and got["worst_open"]["verdict"] == "pass"


def test_yaml_dates_keep_the_evidence_json_serialisable(metrics):
    result = run([{"name": "doc", "provider": "file", "path": "incidents.yaml", "query": "[length(incidents)]",
                   "pass": "== 3"}], metrics)
    assert result["criteria"][0]["verdict"] == "pass"
    json.dumps(result)


def test_format_override_and_absolute_path(metrics):
    target = metrics / "report.txt"
    target.write_text("ok: 1\nvalue: 0.93\n")
    items = [{"name": "yaml_txt", "provider": "file", "path": str(target), "format": "yaml", "query": "value",
              "pass": "> 0.9"}]
    got = engine.evaluate(items, {}, Context(base_dir="/nonexistent"))["criteria"][0]
    assert got["value"] == 0.93 and got["verdict"] == "pass"


def test_relative_path_resolves_against_base_dir(metrics, tmp_path_factory):
    (metrics / "sub").mkdir()
    (metrics / "sub" / "n.json").write_text("5")
    item = {"name": "n", "provider": "file", "path": "sub/n.json", "pass": "== 5"}
    assert run([item], metrics)["criteria"][0]["verdict"] == "pass"
    other = tmp_path_factory.mktemp("elsewhere")
    crit = run([item], other)["criteria"][0]
    assert crit["verdict"] == "fail" and os.path.join(str(other), "sub", "n.json") in crit["error"]


def test_baseline_query(metrics):
    got = run([{"name": "savings", "provider": "file", "path": "cost.json", "query": "savings.current",
                "baseline_query": "savings.baseline", "pass": "savings >= 0.20"}], metrics)["criteria"][0]
    assert got["value"] == 750.0 and got["baseline"] == 1000.0 and got["verdict"] == "pass"
    got = run([{"name": "savings", "provider": "file", "path": "cost.json", "query": "savings.current",
                "baseline_query": "savings.baseline", "pass": "savings >= 0.30"}], metrics)["criteria"][0]
    assert got["verdict"] == "fail"


def test_missing_file(metrics):
    result = run([{"name": "gone", "provider": "file", "path": "nope.json", "pass": "> 0"}], metrics)
    crit = result["criteria"][0]
    assert crit["measurements"][0]["outcome"] == "error"
    assert str(metrics / "nope.json") in crit["error"] and "not found" in crit["error"]
    assert crit["verdict"] == "fail" and result["verdict"] == "fail"
    lenient = run([{"name": "gone", "provider": "file", "path": "nope.json", "pass": "> 0",
                    "on_no_data": "inconclusive"}], metrics)
    assert lenient["verdict"] == "inconclusive"


@pytest.mark.parametrize("name, content, words", [
    ("bad.json", '{"score": 4.5,', "as json"),
    ("bad.yaml", "score: [4.5\nother: {", "as yaml"),
    ("bad.csv", "environment,score\ndevelopment,4.5,extra\n", "row 2 has 3 fields"),
    ("bad.csv", 'environment,score\n"development,4.5\n', "as csv"),
    ("binary.json", b"\xff\xfe\x00garbage", "as json"),
])
def test_corrupt_file_names_the_file_and_the_error(metrics, name, content, words):
    path = metrics / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    crit = run([{"name": "corrupt", "provider": "file", "path": name, "pass": "> 0"}], metrics)["criteria"][0]
    assert crit["verdict"] == "fail"
    assert str(path) in crit["error"] and "cannot parse" in crit["error"] and words in crit["error"], crit["error"]


def test_non_numeric_selection_is_an_error(metrics):
    crit = run([{"name": "rows", "provider": "file", "path": "satisfaction.csv", "query": "[0]",
                 "pass": "> 0"}], metrics)["criteria"][0]
    assert "expected a number, got an object" in crit["error"] and crit["verdict"] == "fail"


def test_invalid_criteria_are_rejected(metrics):
    for extra, words in (({"path": "x.txt"}, "format"),
                         ({"path": "x.json", "format": "xml"}, "format must be one of"),
                         ({"path": "x.json", "query": "[?"}, "jmespath"),
                         ({"path": "x.json", "url": "http://x"}, "does not take url")):
        item = {"name": "bad_file", "provider": "file", "pass": "> 0"}
        item.update(extra)
        with pytest.raises(CriterionError) as caught:
            run([item], metrics)
        assert words in str(caught.value) and "bad_file" in str(caught.value)
