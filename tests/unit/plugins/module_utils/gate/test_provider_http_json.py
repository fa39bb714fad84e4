"""The http_json provider against a real local HTTP server."""

import json
import time

import pytest

from ansible_collections.kiro.platform.plugins.module_utils.gate import engine
from ansible_collections.kiro.platform.plugins.module_utils.gate.criteria import Criterion
from ansible_collections.kiro.platform.plugins.module_utils.common.errors import InvalidInput, Unavailable
from ansible_collections.kiro.platform.plugins.module_utils.common import http
from ansible_collections.kiro.platform.plugins.module_utils.gate.providers.base import Context
from ansible_collections.kiro.platform.plugins.module_utils.gate.providers.http_json import HttpJsonProvider

from fixtures import servers

HEALTH = {
    "success_rate": 0.97,
    "latencies_ms": [100, 120, 140, 160, 180],
    "checks": [{"name": "db", "ok": True}, {"name": "cache", "ok": True},
               {"name": "queue", "ok": False}, {"name": "mcp", "ok": True}],
    "cost": {"this_month": 75, "last_month": 100},
    "nothing": None,
    "status": "green",
}


def evaluate(items, fast, **settings):
    fast.update(settings)
    return engine.evaluate(items, {"http_json": fast}, Context(now=time.time()))


def one(result):
    assert len(result["criteria"]) == 1
    return result["criteria"][0]


@pytest.fixture
def health(json_server):
    json_server.route("/health", HEALTH)
    return json_server.url + "/health"


def test_pass(health, fast):
    result = evaluate([{"name": "rate", "provider": "http_json", "url": health, "query": "success_rate",
                        "pass": "> 0.95", "warn": "> 0.9"}], fast)
    crit = one(result)
    assert crit["value"] == 0.97 and crit["samples"] == 1 and crit["verdict"] == "pass"
    assert result["verdict"] == "pass" and result["passed"] is True
    assert crit["raw"][0]["result"] == 0.97


def test_warn_needs_an_approver(health, fast):
    item = {"name": "rate", "provider": "http_json", "url": health, "query": "success_rate",
            "pass": "> 0.99", "warn": "> 0.95"}
    result = evaluate([item], fast)
    assert one(result)["verdict"] == "warn"
    assert result["verdict"] == "warn" and result["passed"] is False and result["needs_approval"] is True
    approved = engine.evaluate([item], {"http_json": fast}, Context(), approver="alice", reason="known blip")
    assert approved["verdict"] == "warn" and approved["passed"] is True


def test_fail(health, fast):
    crit = one(evaluate([{"name": "rate", "provider": "http_json", "url": health, "query": "success_rate",
                          "pass": "> 0.99"}], fast))
    assert crit["verdict"] == "fail" and crit["measurements"][0]["outcome"] == "fail"


def test_whole_document_without_query(json_server, fast):
    json_server.route("/number", 42)
    crit = one(evaluate([{"name": "n", "provider": "http_json", "url": json_server.url + "/number",
                          "pass": "== 42"}], fast))
    assert crit["value"] == 42.0 and crit["verdict"] == "pass"


def test_http_500_is_retried_then_an_error(json_server, fast):
    json_server.route("/broken", {"error": "database unavailable"}, status=500)
    result = evaluate([{"name": "rate", "provider": "http_json", "url": json_server.url + "/broken",
                        "query": "success_rate", "pass": "> 0.9"}], fast, retries=2)
    crit = one(result)
    assert len(json_server.hits("/broken")) == 3  # first try + 2 retries
    assert crit["measurements"][0]["outcome"] == "error"
    assert "HTTP 500" in crit["error"] and "database unavailable" in crit["error"]
    assert crit["verdict"] == "fail" and result["verdict"] == "fail"


def test_error_with_on_no_data_inconclusive(json_server, fast):
    json_server.route("/broken", "oops", status=503, content_type="text/plain")
    crit = one(evaluate([{"name": "rate", "provider": "http_json", "url": json_server.url + "/broken",
                          "pass": "> 0.9", "on_no_data": "inconclusive"}], fast))
    assert crit["verdict"] == "inconclusive" and "HTTP 503" in crit["reason"]


def test_timeout_is_retried_then_an_error(json_server, fast):
    json_server.route("/slow", HEALTH, delay=1.5)
    started = time.time()
    result = evaluate([{"name": "rate", "provider": "http_json", "url": json_server.url + "/slow",
                        "query": "success_rate", "pass": "> 0.9"}], fast, timeout=0.3)
    elapsed = time.time() - started
    crit = one(result)
    assert "timed out after 0.3 s" in crit["error"]
    assert len(json_server.hits("/slow")) == 2  # retried once
    assert crit["verdict"] == "fail"
    assert elapsed < 2.5  # gave up after 2 x 0.3 s; waiting for both answers would take >= 3 s


def test_http_404_is_not_retried(json_server, fast):
    crit = one(evaluate([{"name": "rate", "provider": "http_json", "url": json_server.url + "/missing",
                          "pass": "> 0.9"}], fast, retries=3))
    assert len(json_server.hits("/missing")) == 1
    assert "HTTP 404" in crit["error"] and crit["verdict"] == "fail"


def test_connection_refused_is_retried(closed_port, fast):
    crit = one(evaluate([{"name": "rate", "provider": "http_json", "url": "http://127.0.0.1:%d/x" % closed_port,
                          "pass": "> 0.9"}], fast))
    assert "connection refused" in crit["error"] and crit["verdict"] == "fail"


def test_retryable_classification(json_server, fast):
    json_server.route("/e500", {}, status=500)
    json_server.route("/e429", {}, status=429)
    json_server.route("/e403", {}, status=403)
    fast["retries"] = 0
    provider = HttpJsonProvider(fast)
    crit = Criterion({"name": "c", "provider": "http_json", "url": "http://x/", "pass": "> 0"})
    for path, retryable in (("/e500", True), ("/e429", True), ("/e403", False)):
        crit.params["url"] = json_server.url + path
        with pytest.raises(Unavailable) as caught:
            provider.measure(crit, Context())
        assert caught.value.retryable is retryable, path


def test_jmespath_list_aggregate_mean_and_min_samples(health, fast):
    items = [
        {"name": "latency", "provider": "http_json", "url": health, "query": "latencies_ms",
         "aggregate": "mean", "pass": "< 150", "min_samples": 5},
        {"name": "latency_p95", "provider": "http_json", "url": health, "query": "latencies_ms",
         "aggregate": "p95", "pass": "<= 180"},
        {"name": "latency_needs_more", "provider": "http_json", "url": health, "query": "latencies_ms",
         "aggregate": "mean", "pass": "< 150", "min_samples": 6},
        {"name": "checks_ok", "provider": "http_json", "url": health, "query": "checks[].ok",
         "aggregate": "mean", "pass": ">= 0.75"},
    ]
    got = dict((c["name"], c) for c in engine.evaluate(items, {"http_json": fast}, Context())["criteria"])
    assert got["latency"]["value"] == 140.0 and got["latency"]["samples"] == 5
    assert got["latency"]["verdict"] == "pass"
    assert got["latency"]["measurements"][0]["series"] == [[0, 100.0], [1, 120.0], [2, 140.0], [3, 160.0],
                                                           [4, 180.0]]
    assert got["latency_p95"]["value"] == 180.0
    assert got["latency_needs_more"]["measurements"][0]["outcome"] == "insufficient"
    assert got["latency_needs_more"]["verdict"] == "fail"
    # booleans count as 1 / 0: 3 of 4 checks ok
    assert got["checks_ok"]["value"] == 0.75 and got["checks_ok"]["samples"] == 4


def test_null_and_empty_list_are_no_data(health, fast):
    items = [{"name": "null", "provider": "http_json", "url": health, "query": "nothing", "pass": "> 0"},
             {"name": "empty", "provider": "http_json", "url": health, "query": "checks[?name=='x'].ok",
              "pass": "> 0", "on_no_data": "inconclusive"}]
    got = dict((c["name"], c) for c in engine.evaluate(items, {"http_json": fast}, Context())["criteria"])
    assert got["null"]["measurements"][0]["outcome"] == "nodata" and got["null"]["verdict"] == "fail"
    assert got["empty"]["verdict"] == "inconclusive"


@pytest.mark.parametrize("query, words", [
    ("checks", "item 0 of the result is an object"),
    ("status", 'got text "green"'),
    ("cost", "got an object"),
])
def test_non_numeric_result_is_a_clear_error_not_retried(health, fast, query, words, json_server):
    crit = one(evaluate([{"name": "odd", "provider": "http_json", "url": health, "query": query,
                          "pass": "> 0"}], fast, retries=3))
    assert words in crit["error"], crit["error"]
    assert len(json_server.hits("/health")) == 1
    assert crit["verdict"] == "fail"


def test_answer_that_is_not_json(json_server, fast):
    json_server.route("/html", "<html>login</html>", content_type="text/html")
    crit = one(evaluate([{"name": "html", "provider": "http_json", "url": json_server.url + "/html",
                          "pass": "> 0"}], fast, retries=3))
    assert "not JSON" in crit["error"] and len(json_server.hits("/html")) == 1


def test_baseline_query(health, fast):
    crit = one(evaluate([{"name": "savings", "provider": "http_json", "url": health, "query": "cost.this_month",
                          "baseline_query": "cost.last_month", "pass": "savings >= 0.2"}], fast))
    assert crit["value"] == 75.0 and crit["baseline"] == 100.0 and crit["verdict"] == "pass"


def test_headers_and_bearer_token_are_sent_and_never_leak(json_server, fast):
    token = "tok-SECRET-31337"
    json_server.route("/health", HEALTH)
    json_server.route("/private", servers.echo_authorization)
    items = [{"name": "rate", "provider": "http_json", "url": json_server.url + "/health", "query": "success_rate",
              "headers": {"X-Team": "platform"}, "pass": "> 0.9"},
             {"name": "private", "provider": "http_json", "url": json_server.url + "/private", "pass": "> 0"}]
    result = evaluate(items, fast, bearer_token=token, headers={"X-Tenant": "kiro"})
    got = dict((c["name"], c) for c in result["criteria"])
    assert got["rate"]["verdict"] == "pass"
    headers = json_server.hits("/health")[0]["headers"]
    assert headers["authorization"] == "Bearer " + token
    assert headers["x-team"] == "platform" and headers["x-tenant"] == "kiro"
    # the server echoed the token in its 401 answer; the message shows <redacted> instead
    assert "HTTP 401" in got["private"]["error"] and "<redacted>" in got["private"]["error"]
    assert len(json_server.hits("/private")) == 1
    assert token not in json.dumps(result)


def test_url_credentials_are_used_and_hidden(json_server, fast):
    json_server.route("/private", servers.echo_authorization)
    url = "http://robot:pw-SECRET-77@%s/private?token=qt-SECRET-88" % json_server.url[len("http://"):]
    result = evaluate([{"name": "private", "provider": "http_json", "url": url, "pass": "> 0"}], fast)
    error = one(result)["error"]
    assert "pw-SECRET-77" not in error and "qt-SECRET-88" not in error
    assert "token=<redacted>" in error and "robot" not in error
    assert json_server.hits("/private")[0]["headers"]["authorization"].startswith("Basic ")


def test_invalid_criteria_fail_before_any_request(json_server, fast):
    json_server.route("/health", HEALTH)
    bad = [
        ({"url": json_server.url + "/health", "query": "checks[?"}, "jmespath"),
        ({"url": "ftp://example.com/x"}, "http:// or https://"),
        ({}, "needs 'url'"),
        ({"url": json_server.url + "/health", "headers": "X-A: b"}, "headers"),
    ]
    for extra, words in bad:
        item = {"name": "bad_one", "provider": "http_json", "pass": "> 0"}
        item.update(extra)
        with pytest.raises(InvalidInput) as caught:
            engine.evaluate([item], {"http_json": fast}, Context())
        assert words in str(caught.value) and "bad_one" in str(caught.value)
    assert json_server.requests == []


def test_tls_verification_ca_file_and_verify_tls_false(tls_server, fast, monkeypatch):
    tls_server.reset()
    tls_server.route("/health", HEALTH)
    item = {"name": "rate", "provider": "http_json", "url": tls_server.url + "/health", "query": "success_rate",
            "pass": "> 0.9"}
    calls = []
    original = http.Client.get_json
    monkeypatch.setattr(http.Client, "get_json", lambda self, *a: calls.append(a) or original(self, *a))
    # A self-signed certificate is refused by default, and that is not retried.
    refused = one(evaluate([item], dict(fast), retries=3))
    assert "certificate verification failed" in refused["error"] and refused["verdict"] == "fail"
    assert len(calls) == 1 and tls_server.hits("/health") == []
    trusted = one(evaluate([item], dict(fast), ca_file=tls_server.cafile))
    assert trusted["verdict"] == "pass" and trusted["value"] == 0.97
    unverified = one(evaluate([item], dict(fast), verify_tls=False))
    assert unverified["verdict"] == "pass"
    missing_ca = one(evaluate([item], dict(fast), ca_file="/nonexistent/ca.pem"))
    assert "cannot load ca_file" in missing_ca["error"] and missing_ca["verdict"] == "fail"


def test_credentials_are_not_forwarded_on_a_redirect(json_server, fast):
    json_server.route("/moved", "", status=302, headers={"Location": json_server.url + "/landing"})
    json_server.route("/landing", HEALTH)
    crit = one(evaluate([{"name": "rate", "provider": "http_json", "url": json_server.url + "/moved",
                          "query": "success_rate", "headers": {"X-Team": "platform"}, "pass": "> 0.9"}],
                        fast, bearer_token="tok-redirect", headers={"X-Api-Key": "k-redirect"}))
    assert crit["verdict"] == "pass"
    first, landing = json_server.hits("/moved")[0]["headers"], json_server.hits("/landing")[0]["headers"]
    assert first["authorization"] == "Bearer tok-redirect" and first["x-api-key"] == "k-redirect"
    assert "authorization" not in landing and "x-api-key" not in landing
    assert landing["x-team"] == "platform"
