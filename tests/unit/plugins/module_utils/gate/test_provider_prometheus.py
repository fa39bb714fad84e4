"""The prometheus provider against a real Prometheus with 8 days of history."""

import json
import time

import pytest

from ansible_collections.kiro.platform.plugins.module_utils.gate import engine
from ansible_collections.kiro.platform.plugins.module_utils.gate.criteria import Criterion
from ansible_collections.kiro.platform.plugins.module_utils.common.errors import InvalidInput, Unavailable
from ansible_collections.kiro.platform.plugins.module_utils.common import http
from ansible_collections.kiro.platform.plugins.module_utils.gate.providers.base import Context
from ansible_collections.kiro.platform.plugins.module_utils.gate.providers.prometheus import PrometheusProvider

from fixtures import servers

SUCCESS_RATE = ('sum(increase(kiro_operations_total{env="%s",outcome="success"}[1d]))'
                ' / sum(increase(kiro_operations_total{env="%s"}[1d]))')
OPERATIONS = 'sum(increase(kiro_operations_total{env="%s"}[1d]))'


def settings(url, **extra):
    out = {"url": url, "timeout": 2, "retries": 1, "backoff": 0.05}
    out.update(extra)
    return {"prometheus": out}


def evaluate(items, prometheus_settings, environment="development"):
    return engine.evaluate(items, prometheus_settings, Context(environment=environment, now=time.time()))


def by_name(result):
    return dict((c["name"], c) for c in result["criteria"])


def rate_of(env):
    ok, bad = servers.OPERATIONS[env]
    return ok / float(ok + bad)


# -- the success-rate gate, end to end ----------------------------------------

def test_success_rate_passes_fails_and_warns_through_the_engine(prometheus):
    items = [
        {"name": "dev_rate", "provider": "prometheus", "query": SUCCESS_RATE % ("development", "development"),
         "pass": "> 0.90"},
        {"name": "staging_rate", "provider": "prometheus", "query": SUCCESS_RATE % ("staging", "staging"),
         "pass": "> 0.90"},
        {"name": "staging_rate_warn", "provider": "prometheus", "query": SUCCESS_RATE % ("staging", "staging"),
         "pass": "> 0.90", "warn": "> 0.75"},
    ]
    result = evaluate(items, settings(prometheus.url))
    got = by_name(result)
    assert got["dev_rate"]["value"] == pytest.approx(rate_of("development"))  # 0.95
    assert got["dev_rate"]["verdict"] == "pass"
    assert got["staging_rate"]["value"] == pytest.approx(rate_of("staging"))  # 0.80
    assert got["staging_rate"]["verdict"] == "fail"
    assert got["staging_rate_warn"]["verdict"] == "warn"
    assert result["verdict"] == "fail" and result["passed"] is False
    # The evidence keeps Prometheus' data, and the chart a point at the query time.
    assert got["dev_rate"]["raw"][0]["resultType"] == "vector"
    assert got["dev_rate"]["measurements"][0]["series"][0][1] == pytest.approx(0.95)


def test_success_rate_alone_passes_the_gate(prometheus):
    items = [{"name": "dev_rate", "provider": "prometheus",
              "query": SUCCESS_RATE % ("development", "development"), "pass": "> 0.90", "warn": "> 0.85"}]
    result = evaluate(items, settings(prometheus.url))
    assert result["verdict"] == "pass" and result["passed"] is True and result["score"] == 100.0


def test_samples_query_gives_min_samples_the_number_of_operations(prometheus):
    per_day = sum(servers.OPERATIONS["development"]) * 1440  # 20 operations a minute
    items = [
        {"name": "enough", "provider": "prometheus", "query": SUCCESS_RATE % ("development", "development"),
         "samples_query": OPERATIONS % "development", "pass": "> 0.9", "min_samples": 50},
        {"name": "too_few", "provider": "prometheus", "query": SUCCESS_RATE % ("development", "development"),
         "samples_query": OPERATIONS % "development", "pass": "> 0.9", "min_samples": 10 ** 6},
    ]
    got = by_name(evaluate(items, settings(prometheus.url)))
    # increase() extrapolates a little at the window edges
    assert abs(got["enough"]["samples"] - per_day) <= per_day * 0.01
    assert got["enough"]["verdict"] == "pass"
    assert got["too_few"]["verdict"] == "fail"
    assert got["too_few"]["measurements"][0]["outcome"] == "insufficient"
    assert "too few samples" in got["too_few"]["reason"]


def test_instant_vector_samples_count_series_and_aggregate(prometheus):
    # Two series (one per env): samples = 2, aggregate over the series values.
    query = ('sum by (env) (increase(kiro_operations_total{outcome="success"}[1d]))'
             ' / sum by (env) (increase(kiro_operations_total[1d]))')
    items = [{"name": "worst_env", "provider": "prometheus", "query": query, "aggregate": "min",
              "pass": "> 0.9", "min_samples": 2},
             {"name": "best_env", "provider": "prometheus", "query": query, "aggregate": "max",
              "pass": "> 0.9", "min_samples": 3}]
    got = by_name(evaluate(items, settings(prometheus.url)))
    assert got["worst_env"]["samples"] == 2
    assert got["worst_env"]["value"] == pytest.approx(0.80)
    assert got["worst_env"]["verdict"] == "fail"
    assert got["best_env"]["value"] == pytest.approx(0.95)
    assert got["best_env"]["measurements"][0]["outcome"] == "insufficient"


# -- range queries ------------------------------------------------------------

def test_range_query_points_are_samples(prometheus):
    items = [
        {"name": "depth", "provider": "prometheus", "query": 'kiro_queue_depth{env="development"}',
         "range": "1h", "aggregate": "max", "pass": "<= 9", "min_samples": 50},
        {"name": "depth_strict", "provider": "prometheus", "query": 'kiro_queue_depth{env="development"}',
         "range": "1h", "aggregate": "max", "pass": "<= 9", "min_samples": 62},
        {"name": "depth_mean", "provider": "prometheus", "query": 'kiro_queue_depth{env="development"}',
         "range": "1h", "step": "5m", "aggregate": "mean", "pass": "between 0 and 9"},
    ]
    got = by_name(evaluate(items, settings(prometheus.url)))
    depth = got["depth"]
    # default step = 1h / 60 = 60 s: 61 points over [now - 1h, now]
    assert depth["samples"] == 61
    assert depth["value"] == 9.0
    assert depth["verdict"] == "pass"
    series = depth["measurements"][0]["series"]
    assert len(series) == 61
    assert [p[0] for p in series] == sorted(p[0] for p in series)
    assert series[-1][0] - series[0][0] == pytest.approx(3600, abs=1)
    assert depth["details"]["step"] == 60
    assert depth["raw"][0]["resultType"] == "matrix"
    assert got["depth_strict"]["verdict"] == "fail"
    assert got["depth_strict"]["measurements"][0]["outcome"] == "insufficient"
    assert got["depth_mean"]["samples"] == 13  # 5 m step over an hour
    assert 0 <= got["depth_mean"]["value"] <= 9


def test_long_range_raw_is_truncated_to_500_points(prometheus):
    items = [{"name": "week", "provider": "prometheus", "query": 'kiro_queue_depth{env="development"}',
              "range": "7d", "step": "60s", "aggregate": "count", "pass": "> 10000"}]
    got = by_name(evaluate(items, settings(prometheus.url)))["week"]
    assert got["samples"] == 7 * 1440 + 1
    assert got["verdict"] == "pass"
    series = got["raw"][0]["result"][0]
    assert len(series["values"]) == 500 and series["truncated_from"] == 7 * 1440 + 1
    assert len(got["measurements"][0]["series"]) == 500


def test_range_step_default_is_at_least_15s():
    provider = PrometheusProvider({"url": "http://127.0.0.1:9"})
    crit = Criterion({"name": "c", "provider": "prometheus", "query": "up", "range": "10m", "pass": "> 0"})
    assert provider._plan(crit) == (600.0, 15.0, None)
    crit = Criterion({"name": "c", "provider": "prometheus", "query": "up", "range": "2h", "pass": "> 0",
                      "baseline_offset": "1w"})
    assert provider._plan(crit) == (7200.0, 120.0, 7 * 86400.0)


# -- no data ------------------------------------------------------------------

def test_empty_result_is_no_data_fail_closed_or_inconclusive(prometheus):
    query = 'kiro_operations_total{env="nowhere"}'
    closed = evaluate([{"name": "nothing", "provider": "prometheus", "query": query, "pass": "> 0"}],
                      settings(prometheus.url))
    crit = closed["criteria"][0]
    assert crit["measurements"][0]["outcome"] == "nodata"
    assert crit["value"] is None and crit["verdict"] == "fail" and crit["reason"] == "no data"
    assert closed["verdict"] == "fail"

    lenient = evaluate([{"name": "nothing", "provider": "prometheus", "query": query, "pass": "> 0",
                         "on_no_data": "inconclusive"}], settings(prometheus.url))
    assert lenient["criteria"][0]["verdict"] == "inconclusive"
    assert lenient["verdict"] == "inconclusive" and lenient["passed"] is False


def test_nan_is_ignored_and_means_no_data(prometheus):
    # No operations in this env: 0/0 -> NaN, which must not pass "< 1" or any other condition.
    items = [{"name": "nan_scalar", "provider": "prometheus", "query": "scalar(vector(0)) / 0 * 0", "pass": "< 1"},
             {"name": "inf", "provider": "prometheus", "query": "vector(1) / 0", "pass": "> 0"}]
    got = by_name(evaluate(items, settings(prometheus.url)))
    for name in ("nan_scalar", "inf"):
        assert got[name]["measurements"][0]["outcome"] == "nodata", got[name]
        assert got[name]["verdict"] == "fail"


def test_scalar_result(prometheus):
    got = evaluate([{"name": "s", "provider": "prometheus", "query": "scalar(vector(0.5))", "pass": "== 0.5"}],
                   settings(prometheus.url))["criteria"][0]
    assert got["value"] == 0.5 and got["verdict"] == "pass"


# -- baselines ----------------------------------------------------------------

def test_baseline_offset_compares_with_a_week_ago(prometheus):
    query = 'kiro_latency_seconds{env="development"}'
    items = [{"name": "latency_strict", "provider": "prometheus", "query": query, "baseline_offset": "7d",
              "pass": "change <= 0.10"},
             {"name": "latency_lenient", "provider": "prometheus", "query": query, "baseline_offset": "7d",
              "pass": "change <= 0.25"}]
    got = by_name(evaluate(items, settings(prometheus.url)))
    strict = got["latency_strict"]
    assert strict["value"] == pytest.approx(servers.LATENCY_AFTER)
    assert strict["baseline"] == pytest.approx(servers.LATENCY_BEFORE)
    assert strict["verdict"] == "fail"
    assert got["latency_lenient"]["verdict"] == "pass"
    assert strict["raw"][0]["baseline"]["resultType"] == "vector"
    assert strict["details"]["time"] - strict["details"]["baseline_time"] == pytest.approx(7 * 86400)


def test_baseline_offset_with_range_and_baseline_query(prometheus):
    items = [{"name": "range_offset", "provider": "prometheus", "query": 'kiro_latency_seconds{env="development"}',
              "range": "1h", "aggregate": "mean", "baseline_offset": "7d", "pass": "change between 0.19 and 0.21"},
             {"name": "other_query", "provider": "prometheus", "query": SUCCESS_RATE % ("staging", "staging"),
              "baseline_query": SUCCESS_RATE % ("development", "development"), "pass": "change >= -0.1"}]
    got = by_name(evaluate(items, settings(prometheus.url)))
    assert got["range_offset"]["baseline"] == pytest.approx(1.0)
    assert got["range_offset"]["verdict"] == "pass"
    assert got["other_query"]["baseline"] == pytest.approx(0.95)
    # 0.80 / 0.95 - 1 = -0.158 < -0.1
    assert got["other_query"]["verdict"] == "fail"


def test_missing_baseline_is_no_data(prometheus):
    # 30 days ago there is no history at all: the baseline comparison cannot be made.
    got = evaluate([{"name": "old", "provider": "prometheus", "query": 'kiro_latency_seconds{env="development"}',
                     "baseline_offset": "30d", "pass": "change <= 0.5"}], settings(prometheus.url))["criteria"][0]
    assert got["baseline"] is None
    assert got["measurements"][0]["outcome"] == "nodata" and got["verdict"] == "fail"


# -- errors and credentials ---------------------------------------------------

@pytest.fixture
def count_requests(monkeypatch):
    calls = []
    original = http.Client.get_json

    def counting(self, url, params=None, headers=None):
        calls.append(url)
        return original(self, url, params, headers)

    monkeypatch.setattr(http.Client, "get_json", counting)
    return calls


def test_provider_down_is_an_error_verdict_after_retries(closed_port, count_requests):
    items = [{"name": "rate", "provider": "prometheus", "query": "up", "pass": "> 0"}]
    result = evaluate(items, settings("http://127.0.0.1:%d" % closed_port, retries=2))
    crit = result["criteria"][0]
    assert len(count_requests) == 3  # first try + 2 retries
    assert crit["measurements"][0]["outcome"] == "error"
    assert "connection refused" in crit["error"]
    assert "127.0.0.1:%d" % closed_port in crit["error"]
    assert crit["verdict"] == "fail" and result["verdict"] == "fail"


def test_bad_promql_is_not_retried(prometheus, count_requests):
    items = [{"name": "broken", "provider": "prometheus", "query": "sum(rate(", "pass": "> 0"}]
    crit = evaluate(items, settings(prometheus.url, retries=3))["criteria"][0]
    assert len(count_requests) == 1
    assert "HTTP 400" in crit["error"] and "parse error" in crit["error"]
    assert crit["verdict"] == "fail"


def test_credentials_never_appear_in_errors_or_the_result(closed_port, json_server):
    token = "tok-SECRET-4711"
    password = "pw-SECRET-0815"
    query_token = "qt-SECRET-1234"
    header_secret = "hk-SECRET-9999"
    items = [{"name": "rate", "provider": "prometheus", "query": "up", "pass": "> 0"}]
    down = evaluate(items, settings("http://admin:%s@127.0.0.1:%d/prom?api_key=%s"
                                    % (password, closed_port, query_token), bearer_token=token,
                                    headers={"X-Api-Key": header_secret}))
    # The server answers 401 and echoes what it got: that must be scrubbed too.
    json_server.route("/api/v1/query", servers.echo_authorization)
    echoed_bearer = evaluate(items, settings(json_server.url, bearer_token=token))
    echoed_basic = evaluate(items, settings(json_server.url, username="admin", password=password))
    echoed_userinfo = evaluate(items, settings("http://admin:%s@%s?api_key=%s" % (
        password, json_server.url[len("http://"):], query_token)))
    for result in (down, echoed_bearer, echoed_basic, echoed_userinfo):
        assert result["criteria"][0]["verdict"] == "fail"
        assert result["criteria"][0]["error"]
        dumped = json.dumps(result)
        for secret in (token, password, query_token, header_secret):
            assert secret not in dumped
    assert "connection refused" in down["criteria"][0]["error"]
    assert "api_key=<redacted>" in down["criteria"][0]["error"]
    assert "HTTP 401" in echoed_bearer["criteria"][0]["error"]
    assert "<redacted>" in echoed_bearer["criteria"][0]["error"]
    # ... and the credentials were really sent.
    sent = [r["headers"].get("authorization") for r in json_server.hits("/api/v1/query")]
    assert "Bearer %s" % token in sent
    assert any(s and s.startswith("Basic ") for s in sent)
    assert any("api_key=%s" % query_token in r["target"] for r in json_server.hits("/api/v1/query"))


def test_auth_headers_and_query_parameters_sent(json_server):
    answer = {"status": "success", "data": {"resultType": "vector",
                                            "result": [{"metric": {}, "value": [1, "3"]}]}}
    json_server.route("/prefix/api/v1/query", answer)
    json_server.route("/prefix/api/v1/query_range", {"status": "success", "data": {
        "resultType": "matrix", "result": [{"metric": {}, "values": [[1, "1"], [2, "NaN"], [3, "+Inf"], [4, "4"]]}]}})
    now = 1700000000.0
    provider = PrometheusProvider({"url": json_server.url + "/prefix/", "bearer_token": "abc",
                                   "headers": {"X-Scope-OrgID": "team-a"}, "timeout": 1})
    crit = Criterion({"name": "c", "provider": "prometheus", "query": "up == 1", "pass": "> 0"})
    provider.validate(crit)
    measurement = provider.measure(crit, Context(now=now))
    assert measurement.value == 3.0 and measurement.samples == 1
    hit = json_server.hits("/prefix/api/v1/query")[0]
    assert hit["headers"]["authorization"] == "Bearer abc"
    assert hit["headers"]["x-scope-orgid"] == "team-a"
    assert "query=up+%3D%3D+1" in hit["target"] and "time=1700000000.000" in hit["target"]

    ranged = Criterion({"name": "r", "provider": "prometheus", "query": "up", "range": "30m", "pass": "> 0",
                        "aggregate": "sum"})
    measurement = provider.measure(ranged, Context(now=now))
    # NaN and +Inf points are ignored
    assert measurement.value == 5.0 and measurement.samples == 2
    assert measurement.series == [[1.0, 1.0], [4.0, 4.0]]
    target = json_server.hits("/prefix/api/v1/query_range")[0]["target"]
    assert "start=1699998200.000" in target and "end=1700000000.000" in target and "step=30s" in target


def test_status_error_in_a_200_answer_is_a_provider_error(json_server):
    json_server.route("/api/v1/query", {"status": "error", "errorType": "execution", "error": "boom"})
    provider = PrometheusProvider({"url": json_server.url, "timeout": 1, "retries": 3, "backoff": 0.05})
    crit = Criterion({"name": "c", "provider": "prometheus", "query": "up", "pass": "> 0"})
    with pytest.raises(Unavailable) as caught:
        provider.measure(crit, Context())
    assert not caught.value.retryable and "boom" in str(caught.value)
    assert len(json_server.hits("/api/v1/query")) == 1


# -- validation ---------------------------------------------------------------

def test_missing_url_fails_validation_naming_the_criterion(json_server):
    items = [{"name": "needs_url", "provider": "prometheus", "query": "up", "pass": "> 0"}]
    with pytest.raises(InvalidInput) as caught:
        engine.evaluate(items, {"prometheus": {"timeout": 1}}, Context())
    assert "needs_url" in str(caught.value) and "url" in str(caught.value)
    with pytest.raises(InvalidInput):
        engine.evaluate(items, {}, Context())


@pytest.mark.parametrize("extra, words", [
    ({"range": "soon"}, "range"),
    ({"range": "1h", "step": "-5s"}, "step"),
    ({"step": "1m"}, "only meaningful with range"),
    ({"baseline_offset": "7d", "baseline_query": "up"}, "not both"),
    ({"lookback": "7d"}, "does not take lookback"),
    ({"range": "30d", "step": "15s"}, "11000"),
])
def test_bad_criteria_are_rejected_before_any_query(extra, words, count_requests):
    data = {"name": "bad", "provider": "prometheus", "query": "up", "pass": "> 0"}
    data.update(extra)
    with pytest.raises(InvalidInput) as caught:
        engine.evaluate([data], settings("http://127.0.0.1:9"), Context())
    assert words in str(caught.value) and "bad" in str(caught.value)
    assert count_requests == []


def test_bad_settings_are_rejected():
    with pytest.raises(InvalidInput):
        PrometheusProvider({"url": "ftp://example.com"})
    with pytest.raises(InvalidInput):
        PrometheusProvider({"url": "http://x", "verify_tls": "maybe"})
    with pytest.raises(InvalidInput):
        PrometheusProvider({"url": "http://x", "headers": ["a"]})
    with pytest.raises(InvalidInput):
        PrometheusProvider({"url": "http://x", "token": "t"})
    assert PrometheusProvider({"url": "http://x", "verify_tls": "false"}).client.verify_tls is False
