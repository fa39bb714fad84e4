"""The gate engine (gate/engine.py, gate/criteria.py): verdicts, policies, validation,
the watchdog and concurrency, with a scripted in-test provider and the real ``file``
provider."""

import collections
import json
import threading
import time

import pytest

from ansible_collections.kiro.platform.plugins.module_utils.gate import criteria, engine
from ansible_collections.kiro.platform.plugins.module_utils.gate import providers as registry
from ansible_collections.kiro.platform.plugins.module_utils.gate.errors import CriterionError, ProviderError
from ansible_collections.kiro.platform.plugins.module_utils.gate.providers.base import (
    Context, Measurement, Provider)


# --- a scripted provider ---------------------------------------------------------

class ScriptProvider(Provider):
    """Answers each criterion from its ``steps``, one step per measurement (the last repeats).

    A step is a number (value), None (no data), a mapping (Measurement keyword
    arguments: value, baseline, samples), "error" (ProviderError), "boom"
    (RuntimeError), "keyerror" (KeyError), "exit" (SystemExit), "hang" (blocks
    until the test ends) or "sleep:<seconds>:<value>".
    """

    name = "script"
    required = ("steps",)
    optional = ("note",)
    settings_keys = ("label",)
    default_timeout = 1.0
    default_retries = 0

    # set per test by the fixture (a fresh subclass each time)
    calls = None
    lock = None
    release = None

    def measure(self, criterion, context):
        cls = type(self)
        # the fixture sets a Lock per test
        with cls.lock:  # pylint: disable=not-context-manager
            index = cls.calls[criterion.name]
            cls.calls[criterion.name] += 1
        steps = criterion.params["steps"]
        step = steps[min(index, len(steps) - 1)]
        if isinstance(step, dict):
            return Measurement(**step)
        if step is None or isinstance(step, (int, float)):
            return Measurement(value=step)
        if step == "error":
            raise ProviderError("scripted outage %d" % (index + 1))
        if step == "boom":
            raise RuntimeError("provider bug")
        if step == "keyerror":
            return {}["missing"]
        if step == "exit":
            raise SystemExit(3)
        if step == "bare":
            return 1.0  # not a Measurement: a provider bug
        if step == "hang":
            cls.release.wait(60)
            return Measurement(value=1)
        if step.startswith("sleep:"):
            _unused, seconds, value = step.split(":")
            time.sleep(float(seconds))
            return Measurement(value=float(value))
        raise AssertionError("unknown step %r" % (step,))


@pytest.fixture
def script(monkeypatch):
    """Register a fresh ScriptProvider subclass as provider "script"; it counts calls."""
    cls = type("Script", (ScriptProvider,), {"calls": collections.Counter(), "lock": threading.Lock(),
                                             "release": threading.Event()})
    original = registry.load
    monkeypatch.setitem(registry.REGISTRY, "script", ("<test>", "Script"))
    monkeypatch.setattr(registry, "load", lambda name: cls if name == "script" else original(name))
    try:
        yield cls
    finally:
        cls.release.set()


def crit(name="c", steps=(1.0,), **extra):
    data = {"name": name, "provider": "script", "steps": list(steps), "pass": "> 0.9"}
    data.update(extra)
    return data


class Sleeps:
    def __init__(self):
        self.calls = []

    def __call__(self, seconds):
        self.calls.append(seconds)


def run(items, settings=None, **kwargs):
    kwargs.setdefault("sleep", Sleeps())
    return engine.evaluate(items, settings or {}, Context(environment="staging", phase=2), **kwargs)


def one(item, **kwargs):
    report = run([item], **kwargs)
    assert len(report["criteria"]) == 1
    return report["criteria"][0]


# --- pass / warn / fail / inconclusive --------------------------------------------

def test_pass(script):
    result = one(crit(steps=[0.95]))
    assert result["verdict"] == "pass"
    assert result["value"] == 0.95
    assert result["measurements"][0]["outcome"] == "pass"
    assert result["reason"] is None and result["error"] is None
    assert result["condition"] == "> 0.9" and result["thresholds"] == [0.9]


def test_warn(script):
    result = one(crit(steps=[0.87], warn="> 0.85"))
    assert result["verdict"] == "warn"
    assert result["warn_condition"] == "> 0.85"
    assert result["measurements"][0]["outcome"] == "warn"


def test_fail_when_warn_does_not_hold_either(script):
    result = one(crit(steps=[0.80], warn="> 0.85"))
    assert result["verdict"] == "fail"


def test_inconclusive_no_data(script):
    result = one(crit(steps=[None], on_no_data="inconclusive"))
    assert result["verdict"] == "inconclusive"
    assert result["measurements"][0]["outcome"] == "nodata"
    assert result["reason"] == "no data"


def test_gate_report_shape(script):
    report = run([crit("a", [1.0]), crit("b", [1.0])])
    assert report["verdict"] == "pass" and report["passed"] is True
    assert report["phase"] == 2 and report["environment"] == "staging"
    assert report["score"] == 100.0
    assert [c["name"] for c in report["criteria"]] == ["a", "b"]
    assert report["needs_approval"] is False
    json.dumps(report)  # JSON-serialisable


# --- on_no_data for no data, too few samples and provider errors -----------------

@pytest.mark.parametrize("policy", ["fail", "inconclusive", "pass"])
@pytest.mark.parametrize("step, outcome, reason", [
    (None, "nodata", "no data"),
    ({"value": 0.99, "samples": 3}, "insufficient", "too few samples (3 < min_samples 10)"),
    ("error", "error", "scripted outage 1"),
])
def test_on_no_data(script, policy, step, outcome, reason):
    result = one(crit(steps=[step], on_no_data=policy, min_samples=10))
    assert result["verdict"] == policy
    assert result["measurements"][0]["outcome"] == outcome
    assert result["reason"] == reason


def test_on_no_data_defaults_to_fail(script):
    result = one(crit(steps=["error"]))
    assert result["verdict"] == "fail"
    assert result["error"] == "scripted outage 1"


def test_min_samples_met(script):
    result = one(crit(steps=[{"value": 0.99, "samples": 10}], min_samples=10))
    assert result["verdict"] == "pass" and result["samples"] == 10


def test_min_samples_zero_still_needs_a_value(script):
    assert one(crit(steps=[{"value": 0.99, "samples": 0}], min_samples=0))["verdict"] == "pass"
    assert one(crit(name="d", steps=[None], min_samples=0))["verdict"] == "fail"


# --- count, interval, failure_limit ------------------------------------------------

def test_count_and_interval_use_injected_sleep(script):
    sleeps = Sleeps()
    result = one(crit(steps=[0.95, 0.96, 0.97, 0.98], count=4, interval=7.5), sleep=sleeps)
    assert sleeps.calls == [7.5, 7.5, 7.5]  # between measurements, not before the first
    assert script.calls["c"] == 4
    assert result["values"] == [0.95, 0.96, 0.97, 0.98]
    assert result["value"] == 0.98 and result["verdict"] == "pass"
    assert [m["index"] for m in result["measurements"]] == [1, 2, 3, 4]


def test_one_fail_within_failure_limit_passes(script):
    result = one(crit(steps=[1, 0, 1, 1, 1], count=5, failure_limit=1))
    assert result["verdict"] == "pass"
    assert [m["outcome"] for m in result["measurements"]] == ["pass", "fail", "pass", "pass", "pass"]
    assert script.calls["c"] == 5
    assert result["stopped"] is None


def test_failures_beyond_limit_fail_and_stop_early(script):
    sleeps = Sleeps()
    result = one(crit(steps=[0, 0, 1, 1, 1], count=5, failure_limit=1, interval=60), sleep=sleeps)
    assert result["verdict"] == "fail"
    assert result["stopped"] == "failure_limit"
    assert script.calls["c"] == 2
    assert len(result["measurements"]) == 2
    assert sleeps.calls == [60]


def test_failure_limit_zero_stops_at_first_fail(script):
    result = one(crit(steps=[1, 0, 1], count=3))
    assert result["verdict"] == "fail" and script.calls["c"] == 2


def test_warn_among_passes_is_warn(script):
    result = one(crit(steps=[1, 0.87, 1], count=3, warn="> 0.85"))
    assert result["verdict"] == "warn"


# --- consecutive_error_limit -----------------------------------------------------------

def test_errors_then_recovery_within_limit_pass(script):
    result = one(crit(steps=["error", None, 1, 1, 1], count=5, consecutive_error_limit=2))
    assert result["verdict"] == "pass"
    assert [m["outcome"] for m in result["measurements"]] == ["error", "nodata", "pass", "pass", "pass"]
    assert script.calls["c"] == 5
    assert result["error"] == "scripted outage 1"  # still reported


@pytest.mark.parametrize("policy", ["fail", "inconclusive", "pass"])
def test_errors_beyond_limit_give_on_no_data_and_stop(script, policy):
    result = one(crit(steps=[1, "error", "error", "error", 1], count=5, consecutive_error_limit=2,
                      on_no_data=policy))
    assert result["verdict"] == policy
    assert result["stopped"] == "consecutive_error_limit"
    assert script.calls["c"] == 4


def test_non_consecutive_errors_do_not_add_up(script):
    result = one(crit(steps=["error", 1, "error", 1, "error", 1], count=6, consecutive_error_limit=1))
    assert result["verdict"] == "pass" and script.calls["c"] == 6


def test_default_consecutive_error_limit_zero(script):
    result = one(crit(steps=[1, "error", 1], count=3, on_no_data="inconclusive"))
    assert result["verdict"] == "inconclusive"
    assert result["stopped"] == "consecutive_error_limit" and script.calls["c"] == 2


# --- provider exceptions and the watchdog -------------------------------------------------

@pytest.mark.parametrize("step, message", [("boom", "RuntimeError: provider bug"),
                                           ("keyerror", "KeyError: 'missing'"),
                                           ("bare", "AttributeError: 'float' object has no attribute 'value'")])
def test_provider_bug_is_an_error_outcome(script, step, message):
    report = run([crit("bad", [step]), crit("good", [1])])
    bad, good = report["criteria"]
    assert bad["measurements"][0]["outcome"] == "error"
    assert bad["error"] == message
    assert bad["verdict"] == "fail"
    assert good["verdict"] == "pass"
    assert report["verdict"] == "fail"


def test_provider_system_exit_is_an_error_outcome(script):
    result = one(crit(steps=["exit"]))
    assert result["measurements"][0]["outcome"] == "error"


def test_watchdog_bounds_a_hanging_provider(script):
    # budget = calls_per_measurement (3) * (timeout * (retries + 1) + backoff * 2**retries) + 5
    settings = {"script": {"timeout": 0.01, "retries": 0, "backoff": 0}}
    budget = 3 * 0.01 + 5
    started = time.time()
    report = run([crit("stuck", ["hang"]), crit("fine", [1])], settings=settings)
    elapsed = time.time() - started
    stuck, fine = report["criteria"]
    assert stuck["measurements"][0]["outcome"] == "error"
    assert stuck["error"] == "no answer within 5 s"
    assert stuck["verdict"] == "fail" and fine["verdict"] == "pass"
    assert budget - 0.1 <= elapsed < budget + 1.0
    assert stuck["measurements"][0]["elapsed"] < budget + 0.5


# --- progress -------------------------------------------------------------------------------

def test_progress_once_per_measurement(script):
    seen = []
    lock = threading.Lock()

    def progress(criterion, i, n, entry):
        with lock:
            seen.append((criterion.name, i, n, entry["outcome"]))

    run([crit("a", [1, 1, 1], count=3), crit("b", [0, 0, 1, 1], count=4, failure_limit=1)], progress=progress)
    assert sorted(s for s in seen if s[0] == "a") == [("a", 1, 3, "pass"), ("a", 2, 3, "pass"), ("a", 3, 3, "pass")]
    # b stops after its second fail: two calls of progress, still out of 4
    assert sorted(s for s in seen if s[0] == "b") == [("b", 1, 4, "fail"), ("b", 2, 4, "fail")]


# --- dry_run, weights, score, gate precedence ------------------------------------------------

def test_dry_run_reported_but_not_enforced(script):
    report = run([crit("enforced", [1]), crit("trial", [0], dry_run=True, weight=5)])
    assert report["verdict"] == "pass" and report["passed"] is True
    trial = report["criteria"][1]
    assert trial["verdict"] == "fail" and trial["dry_run"] is True
    assert report["score"] == 100.0  # dry-run criteria carry no weight


def test_dry_run_inconclusive_not_enforced(script):
    report = run([crit("enforced", [0.87], warn="> 0.8"), crit("trial", ["error"], dry_run=True,
                                                               on_no_data="inconclusive")])
    assert report["verdict"] == "warn"


@pytest.mark.parametrize("steps", [[0], [1]])
def test_a_gate_of_dry_run_criteria_only_is_inconclusive_and_does_not_pass(script, steps):
    # Nothing enforced measured anything: no evidence the phase may go on, whatever the trials said.
    report = run([crit("trial", steps, dry_run=True), crit("other", [1], dry_run=True)])
    assert report["verdict"] == "inconclusive" and report["passed"] is False and report["score"] is None
    assert [c["dry_run"] for c in report["criteria"]] == [True, True]


def test_weights_and_score(script):
    report = run([crit("p", [1], weight=3),                    # pass: 1.0
                  crit("w", [0.87], warn="> 0.8", weight=2),   # warn: 0.5
                  crit("f", [0], weight=1),                    # fail: 0
                  crit("i", [None], on_no_data="inconclusive", weight=4)])  # inconclusive: 0
    assert report["score"] == round(100.0 * (3 + 1) / 10, 1)
    assert [c["weight"] for c in report["criteria"]] == [3, 2, 1, 4]


def test_zero_weights_score_100(script):
    assert run([crit("a", [0], weight=0)])["score"] == 100.0


@pytest.mark.parametrize("verdicts, expected", [
    (["pass", "pass"], "pass"),
    (["pass", "warn"], "warn"),
    (["warn", "inconclusive", "pass"], "inconclusive"),
    (["warn", "inconclusive", "fail", "pass"], "fail"),
    (["fail", "inconclusive"], "fail"),
    (["inconclusive", "warn"], "inconclusive"),
])
def test_gate_precedence(script, verdicts, expected):
    steps = {"pass": [1], "warn": [0.87], "fail": [0], "inconclusive": [None]}
    items = [crit("c%d" % i, steps[v], warn="> 0.8", on_no_data="inconclusive") for i, v in enumerate(verdicts)]
    report = run(items)
    assert [c["verdict"] for c in report["criteria"]] == verdicts
    assert report["verdict"] == expected
    assert engine.verdict_of(report["criteria"]) == expected


# --- approval and fail_closed ------------------------------------------------------------------

WARN = dict(steps=[0.87], warn="> 0.8")


@pytest.mark.parametrize("approver, reason, passed", [
    (None, None, False), ("alice", None, False), (None, "known flake", False), ("", "known flake", False),
    ("alice", "", False), ("  ", "known flake", False), ("alice", " \t ", False), ("alice", "known flake", True)])
def test_warn_passes_only_with_approver_and_reason(script, approver, reason, passed):
    report = run([crit(**WARN)], approver=approver, reason=reason)
    assert report["verdict"] == "warn" and report["needs_approval"] is True
    assert report["passed"] is passed
    assert report["approver"] == (approver if passed else None)
    assert report["approval_reason"] == (reason if passed else None)


def test_inconclusive_fail_closed_never_passes(script):
    report = run([crit(steps=[None], on_no_data="inconclusive")], approver="alice", reason="ok")
    assert report["verdict"] == "inconclusive" and report["passed"] is False
    assert report["needs_approval"] is False


@pytest.mark.parametrize("steps, fail_closed", [([None], True), ([0], False), ([1], True)])
def test_approver_recorded_only_when_it_decided(script, steps, fail_closed):
    report = run([crit(steps=steps, on_no_data="inconclusive")], approver="alice", reason="ok",
                 fail_closed=fail_closed)
    assert report["needs_approval"] is False
    assert report["approver"] is None and report["approval_reason"] is None


def test_inconclusive_not_fail_closed_passes_with_approval(script):
    item = crit(steps=[None], on_no_data="inconclusive")
    without = run([item], fail_closed=False)
    assert without["passed"] is False and without["needs_approval"] is True
    assert without["fail_closed"] is False
    approved = run([item], fail_closed=False, approver="alice", reason="metrics backend migrating")
    assert approved["verdict"] == "inconclusive" and approved["passed"] is True
    assert approved["approver"] == "alice"


def test_fail_never_passes_even_with_approval(script):
    report = run([crit(steps=[0])], fail_closed=False, approver="alice", reason="please")
    assert report["verdict"] == "fail" and report["passed"] is False and report["needs_approval"] is False


def test_pass_needs_no_approval(script):
    report = run([crit(steps=[1])])
    assert report["passed"] is True and report["approver"] is None


# --- validation before any query -------------------------------------------------------------

@pytest.mark.parametrize("bad, fragment", [
    (crit("bad", provider="nope"), "unknown provider 'nope'"),
    ({"name": "bad", "provider": "script", "pass": "> 1"}, "needs 'steps'"),
    (crit("bad", unexpected=1), "does not take unexpected"),
    (crit("bad", **{"pass": "=> 1"}), "is not a condition"),
    (crit("bad", warn="between 5 and 1"), "lower bound is above"),
    (crit("bad", on_no_data="maybe"), "on_no_data must be one of"),
    (crit("bad", count=-1), "count must be >= 1"),
    (crit("bad", count=0), "count must be >= 1"),
    (crit("bad", count=2.5), "whole number"),
    (crit("bad", failure_limit=-1), "failure_limit must be >= 0"),
    (crit("bad", interval="soon"), "interval must be a number"),
    (crit("bad", dry_run="yes"), "dry_run must be true or false"),
    (crit("bad", aggregate="mode"), "aggregate must be one of"),
    (crit("bad", weight=-1), "weight must be >= 0"),
    (crit("bad", **{"pass": None}), "a pass condition is required"),
    (crit("first", [1]), "is defined twice"),  # duplicate of the first criterion
])
def test_validation_before_any_query(script, bad, fragment):
    name = bad["name"]
    items = [crit("first", [1]), crit("second", [1]), bad, crit("last", [1])]
    with pytest.raises(CriterionError) as info:
        run(items)
    assert info.value.criterion == name
    assert fragment in info.value.detail
    assert ("criterion %s:" % name) in str(info.value)
    assert sum(script.calls.values()) == 0


def test_validation_of_provider_settings(script):
    with pytest.raises(CriterionError) as info:
        run([crit()], settings={"nope": {}})
    assert info.value.criterion == "providers.nope"
    with pytest.raises(CriterionError) as info:
        run([crit()], settings={"script": {"colour": "red"}})
    assert info.value.criterion == "providers.script" and "colour" in info.value.detail
    assert sum(script.calls.values()) == 0


@pytest.mark.parametrize("items", [[], None, {"name": "x"}])
def test_empty_gate_rejected(script, items):
    with pytest.raises(CriterionError, match="non-empty list"):
        run(items)


@pytest.mark.parametrize("name", [None, "", "has space", "-leading", 7])
def test_bad_names(script, name):
    with pytest.raises(CriterionError, match="name must be a word"):
        run([crit(name=name)])
    assert sum(script.calls.values()) == 0


@pytest.mark.parametrize("key", ["interval", "weight"])
def test_nan_numbers_rejected(script, key):
    with pytest.raises(CriterionError):
        run([crit(**{key: float("nan")})])


# --- concurrency --------------------------------------------------------------------------------

TEN_SLOW = [crit("slow%d" % i, ["sleep:0.3:1"]) for i in range(10)]


def test_ten_slow_criteria_run_concurrently(script):
    started = time.time()
    report = engine.evaluate(TEN_SLOW, {}, Context())  # real sleep, default max_workers
    elapsed = time.time() - started
    assert report["verdict"] == "pass"
    assert sum(script.calls.values()) == 10
    assert elapsed < 1.5
    assert 0.3 <= report["duration"] < 1.5


def test_ten_slow_criteria_sequential_with_one_worker(script):
    started = time.time()
    report = engine.evaluate(TEN_SLOW, {}, Context(), max_workers=1)
    elapsed = time.time() - started
    assert report["verdict"] == "pass"
    assert 2.9 <= elapsed < 4.5


def test_results_keep_declaration_order(script):
    items = [crit("c%d" % i, ["sleep:%s:1" % (0.05 * (5 - i))]) for i in range(5)]
    report = engine.evaluate(items, {}, Context())
    assert [c["name"] for c in report["criteria"]] == ["c0", "c1", "c2", "c3", "c4"]


# --- baseline comparisons ------------------------------------------------------------------------

@pytest.mark.parametrize("step, verdict, outcome", [
    ({"value": 80, "baseline": 100}, "pass", "pass"),   # savings 0.19999999999999996 meets 0.2
    ({"value": 90, "baseline": 100}, "fail", "fail"),
    ({"value": 80}, "fail", "nodata"),                  # missing baseline
    ({"value": 80, "baseline": 0}, "fail", "nodata"),   # zero baseline
])
def test_savings_against_baseline(script, step, verdict, outcome):
    result = one(crit(steps=[step], **{"pass": "savings >= 0.2"}))
    assert result["verdict"] == verdict
    assert result["measurements"][0]["outcome"] == outcome
    if outcome == "nodata":
        assert result["reason"] == "no data"


@pytest.mark.parametrize("step, outcome", [
    ({"value": 110, "baseline": 100}, "pass"),
    ({"value": 115, "baseline": 100}, "warn"),
    ({"value": 130, "baseline": 100}, "fail"),
    ({"value": 110}, "nodata"),
    ({"value": 110, "baseline": 0.0}, "nodata"),
])
def test_change_against_baseline(script, step, outcome):
    result = one(crit(steps=[step], on_no_data="inconclusive", **{"pass": "change <= 0.1", "warn": "change <= 0.2"}))
    assert result["measurements"][0]["outcome"] == outcome
    assert result["verdict"] == (outcome if outcome != "nodata" else "inconclusive")
    if "baseline" in step:
        assert result["baseline"] == step["baseline"]


def test_criterion_needs_baseline():
    assert criteria.Criterion(crit(**{"pass": "savings >= 0.2"})).needs_baseline
    assert criteria.Criterion(crit(**{"pass": "> 1", "warn": "change < 0.1"})).needs_baseline
    assert not criteria.Criterion(crit()).needs_baseline


# --- criteria.merge ------------------------------------------------------------------------------

DEFAULTS = [
    {"name": "success_rate", "provider": "prometheus", "query": "sum(rate(x[5m]))", "range": "1h",
     "pass": "> 0.9", "warn": "> 0.85", "min_samples": 50},
    {"name": "latency", "provider": "prometheus", "query": "histogram_quantile(0.95, y)", "pass": "< 2"},
    {"name": "satisfaction", "provider": "file", "path": "s.csv", "query": "[].score", "pass": "> 4.0"},
]


def test_merge_changes_threshold_keeps_the_rest():
    merged = criteria.merge(DEFAULTS, {"success_rate": {"pass": "> 0.95"}})
    assert merged[0] == dict(DEFAULTS[0], **{"pass": "> 0.95"})
    assert merged[1:] == DEFAULTS[1:]


def test_merge_provider_switch_drops_provider_params():
    merged = criteria.merge(DEFAULTS, {"success_rate": {"provider": "file", "path": "rate.json",
                                                        "query": "rate"}})
    assert merged[0] == {"name": "success_rate", "provider": "file", "path": "rate.json", "query": "rate",
                         "pass": "> 0.9", "warn": "> 0.85", "min_samples": 50}
    assert "range" not in merged[0]


def test_merge_same_provider_keeps_params():
    merged = criteria.merge(DEFAULTS, {"latency": {"provider": "prometheus", "range": "1h"}})
    assert merged[1]["query"] == DEFAULTS[1]["query"] and merged[1]["range"] == "1h"


def test_merge_null_removes_and_new_name_adds():
    added = {"provider": "file", "path": "x.json", "pass": "== 0"}
    merged = criteria.merge(DEFAULTS, {"latency": None, "errors": added, "ghost": None})
    assert [m["name"] for m in merged] == ["success_rate", "satisfaction", "errors"]
    assert merged[-1] == dict(added, name="errors")


def test_merge_does_not_change_defaults():
    before = json.dumps(DEFAULTS, sort_keys=True)
    criteria.merge(DEFAULTS, {"success_rate": {"pass": "> 0.5", "provider": "file"}, "latency": None})
    assert json.dumps(DEFAULTS, sort_keys=True) == before
    assert criteria.merge(DEFAULTS, None) == DEFAULTS


@pytest.mark.parametrize("overrides, where", [
    ([{"name": "x"}], "overrides"), ({"latency": "> 3"}, "latency"), ({"new": "> 3"}, "new")])
def test_merge_rejects_bad_overrides(overrides, where):
    with pytest.raises(CriterionError) as info:
        criteria.merge(DEFAULTS, overrides)
    assert info.value.criterion == where


# --- end to end with the real file provider ------------------------------------------------------

@pytest.fixture
def metrics_dir(tmp_path):
    (tmp_path / "rate.json").write_text(json.dumps({"rate": 0.95, "cost": {"now": 80, "before": 100}}))
    (tmp_path / "satisfaction.csv").write_text(
        "environment,score\ndevelopment,4.5\ndevelopment,4.1\nstaging,3.0\ndevelopment,4.3\n")
    return tmp_path


def file_context(directory):
    return Context(environment="development", phase=2, base_dir=str(directory))


def test_file_provider_end_to_end(metrics_dir):
    items = [
        {"name": "rate", "provider": "file", "path": "rate.json", "query": "rate", "pass": "> 0.9"},
        {"name": "cost_savings", "provider": "file", "path": str(metrics_dir / "rate.json"), "query": "cost.now",
         "baseline_query": "cost.before", "pass": "savings >= 0.2"},
        {"name": "satisfaction", "provider": "file", "path": "satisfaction.csv",
         "query": "[?environment=='development'].score", "aggregate": "mean", "pass": "> 4.0", "min_samples": 3},
        {"name": "too_few", "provider": "file", "path": "satisfaction.csv",
         "query": "[?environment=='staging'].score", "pass": "> 2", "min_samples": 3,
         "on_no_data": "inconclusive", "dry_run": True},
    ]
    report = engine.evaluate(items, {"file": {"retries": 0}}, file_context(metrics_dir))
    by = dict((c["name"], c) for c in report["criteria"])
    assert by["rate"]["verdict"] == "pass" and by["rate"]["value"] == 0.95
    assert by["cost_savings"]["verdict"] == "pass" and by["cost_savings"]["baseline"] == 100.0
    assert by["satisfaction"]["verdict"] == "pass"
    assert by["satisfaction"]["value"] == pytest.approx((4.5 + 4.1 + 4.3) / 3)
    assert by["satisfaction"]["samples"] == 3
    assert by["too_few"]["verdict"] == "inconclusive"
    assert by["too_few"]["reason"] == "too few samples (1 < min_samples 3)"
    assert report["verdict"] == "pass" and report["passed"] is True
    assert by["rate"]["raw"][0]["sha256"]
    json.dumps(report)


def test_file_provider_missing_file_and_bad_query(metrics_dir):
    items = [{"name": "gone", "provider": "file", "path": "gone.json", "pass": "> 1", "on_no_data": "inconclusive"},
             {"name": "not_a_number", "provider": "file", "path": "rate.json", "query": "cost", "pass": "> 1"}]
    report = engine.evaluate(items, {}, file_context(metrics_dir))
    gone, nan = report["criteria"]
    assert gone["verdict"] == "inconclusive" and "not found" in gone["reason"]
    assert nan["verdict"] == "fail" and "expected a number" in nan["error"]
    assert report["verdict"] == "fail"


def test_file_provider_validation_before_reading(metrics_dir, monkeypatch):
    from ansible_collections.kiro.platform.plugins.module_utils.gate.providers import file as file_mod
    reads = []
    monkeypatch.setattr(file_mod.FileProvider, "_read", lambda self, *a: reads.append(a))
    items = [{"name": "rate", "provider": "file", "path": "rate.json", "query": "rate", "pass": "> 0.9"},
             {"name": "broken", "provider": "file", "path": "rate.json", "query": "[?", "pass": "> 0.9"}]
    with pytest.raises(CriterionError) as info:
        engine.evaluate(items, {}, file_context(metrics_dir))
    assert info.value.criterion == "broken" and "jmespath" in info.value.detail
    assert reads == []


def test_merge_then_evaluate_with_file_provider(metrics_dir):
    defaults = [{"name": "rate", "provider": "prometheus", "query": "sum(rate(x[5m]))", "range": "1h",
                 "pass": "> 0.99"}]
    merged = criteria.merge(defaults, {"rate": {"provider": "file", "path": "rate.json", "query": "rate",
                                                "pass": "> 0.9"}})
    report = engine.evaluate(merged, {}, file_context(metrics_dir))
    assert report["verdict"] == "pass" and report["criteria"][0]["provider"] == "file"
