"""cloudwatch provider (and the shared _aws helpers) against moto_server and a
status-only HTTP server."""

import datetime
import json
import os
import sys
import time

import pytest

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), *[os.pardir] * 4)))

from fixtures import local_http, moto_aws  # noqa: E402

from ansible_collections.kiro.platform.plugins.module_utils.gate import criteria, engine  # noqa: E402
from ansible_collections.kiro.platform.plugins.module_utils.gate.errors import (  # noqa: E402
    CriterionError, ProviderError)
from ansible_collections.kiro.platform.plugins.module_utils.gate.providers import _aws  # noqa: E402
from ansible_collections.kiro.platform.plugins.module_utils.gate.providers.base import Context  # noqa: E402
from ansible_collections.kiro.platform.plugins.module_utils.gate.providers.cloudwatch import (  # noqa: E402
    CloudWatchProvider)

import botocore.exceptions  # noqa: E402

UTC = datetime.timezone.utc


@pytest.fixture
def aws(moto):
    moto.reset()
    return moto


def put(server, minutes_ago_values, metric="Errors", dimensions=None, namespace="Kiro/Gates"):
    """Datapoints at now - N minutes."""
    now = datetime.datetime.now(UTC)
    dims = [{"Name": k, "Value": v} for k, v in (dimensions or {"env": "staging"}).items()]
    server.client("cloudwatch").put_metric_data(Namespace=namespace, MetricData=[
        {"MetricName": metric, "Dimensions": dims, "Value": float(value),
         "Timestamp": now - datetime.timedelta(minutes=minutes)} for minutes, value in minutes_ago_values])


def criterion(**extra):
    data = {"name": "errors", "provider": "cloudwatch", "pass": "< 5", "aggregate": "max",
            "metric": {"namespace": "Kiro/Gates", "metric_name": "Errors", "dimensions": {"env": "staging"},
                       "stat": "Maximum", "period": 60}}
    data.update(extra)
    return data


def evaluate(item, settings):
    report = engine.evaluate([item], {"cloudwatch": settings}, Context())
    return report["criteria"][0]


def measure(item, settings):
    provider = CloudWatchProvider(settings)
    crit = criteria.Criterion(item)
    provider.validate(crit)
    return provider.measure(crit, Context())


# --- pass / fail / no data ----------------------------------------------------

def test_datapoints_in_window_pass(aws):
    put(aws, [(3, 1), (13, 4), (23, 2)])
    result = evaluate(criterion(), aws.settings())
    assert result["verdict"] == "pass"
    assert result["value"] == 4.0
    assert result["samples"] == 3
    measurement = result["measurements"][0]
    # series is chronological (oldest first) whatever order CloudWatch answers in
    assert [v for _unused, v in measurement["series"]] == [2.0, 4.0, 1.0]
    times = [t for t, _unused in measurement["series"]]
    assert times == sorted(times) and all(isinstance(t, float) for t in times)
    raw = result["raw"][0]["MetricDataResults"][0]
    assert raw["Id"] == "m0" and raw["Values"] == [2.0, 4.0, 1.0]
    assert all(isinstance(t, str) and t.endswith("Z") for t in raw["Timestamps"])
    json.dumps(result["raw"])  # evidence must be serialisable


def test_value_above_threshold_fails(aws):
    put(aws, [(3, 1), (8, 9)])
    result = evaluate(criterion(), aws.settings())
    assert result["verdict"] == "fail"
    assert result["value"] == 9.0


def test_default_aggregate_is_the_latest_datapoint(aws):
    put(aws, [(2, 7), (12, 1)])
    item = criterion()
    del item["aggregate"]
    result = evaluate(item, aws.settings())
    assert result["value"] == 7.0  # the most recent, not the first answered
    assert result["verdict"] == "fail"


def test_dimensions_select_the_series(aws):
    put(aws, [(3, 1)], dimensions={"env": "staging"})
    put(aws, [(3, 50)], dimensions={"env": "production"})
    assert evaluate(criterion(), aws.settings())["value"] == 1.0
    item = criterion()
    item["metric"] = dict(item["metric"], dimensions={"env": "production"})
    assert evaluate(item, aws.settings())["value"] == 50.0


def test_no_datapoints_is_no_data(aws):
    put(aws, [(3, 1)], metric="Other")
    measurement = measure(criterion(), aws.settings())
    assert measurement.value is None and measurement.samples == 0 and measurement.series == []
    result = evaluate(criterion(), aws.settings())
    assert result["verdict"] == "fail"  # fail-closed by default
    assert result["reason"] == "no data"
    assert evaluate(criterion(on_no_data="inconclusive"), aws.settings())["verdict"] == "inconclusive"


def test_window_bounds_the_datapoints(aws):
    put(aws, [(3, 1), (150, 40)])
    assert evaluate(criterion(), aws.settings())["samples"] == 1  # default window: last hour
    result = evaluate(criterion(window={"start": "-3h", "end": "-2h"}), aws.settings())
    assert result["value"] == 40.0 and result["samples"] == 1
    assert result["verdict"] == "fail"


def test_min_samples_counts_datapoints(aws):
    put(aws, [(3, 1), (8, 1)])
    result = evaluate(criterion(min_samples=3), aws.settings())
    assert result["verdict"] == "fail"
    assert "too few samples (2 < min_samples 3)" in result["reason"]


def test_raw_metric_data_query(aws):
    put(aws, [(3, 2), (9, 3)])
    query = [{"Id": "errors", "ReturnData": True, "MetricStat": {
        "Metric": {"Namespace": "Kiro/Gates", "MetricName": "Errors",
                   "Dimensions": [{"Name": "env", "Value": "staging"}]},
        "Period": 60, "Stat": "Sum"}}]
    result = evaluate({"name": "errors", "provider": "cloudwatch", "pass": "== 5", "aggregate": "sum",
                       "query": query}, aws.settings())
    assert result["verdict"] == "pass" and result["value"] == 5.0
    assert result["raw"][0]["MetricDataResults"][0]["Id"] == "errors"


# --- baseline -----------------------------------------------------------------

def test_baseline_window_comparison(aws):
    # latency now ~105 ms, an hour earlier ~100 ms
    put(aws, [(5, 104), (15, 106)], metric="Latency")
    put(aws, [(125, 99), (135, 101)], metric="Latency")
    item = criterion(**{"pass": "change <= 0.10", "aggregate": "mean", "baseline": {"start": "-3h", "end": "-2h"}})
    item["metric"] = dict(item["metric"], metric_name="Latency", stat="Average")
    result = evaluate(item, aws.settings())
    assert result["value"] == pytest.approx(105.0)
    assert result["baseline"] == pytest.approx(100.0)
    assert result["verdict"] == "pass"
    assert result["raw"][0]["baseline"]["MetricDataResults"][0]["Values"] == [101.0, 99.0]  # oldest first
    put(aws, [(10, 200)], metric="Latency")  # the window's mean is now ~138: 38 % above baseline
    result = evaluate(item, aws.settings())
    assert result["verdict"] == "fail"
    assert result["baseline"] == pytest.approx(100.0)


def test_change_condition_without_baseline_uses_preceding_window(aws):
    put(aws, [(5, 50)], metric="Latency")
    put(aws, [(70, 100)], metric="Latency")  # the hour before the default window
    item = criterion(**{"pass": "change <= -0.25"})
    item["metric"] = dict(item["metric"], metric_name="Latency")
    measurement = measure(item, aws.settings())
    assert (measurement.value, measurement.baseline) == (50.0, 100.0)
    start = datetime.datetime.fromisoformat(measurement.details["baseline_window"]["start"][:-1])
    end = datetime.datetime.fromisoformat(measurement.details["window"]["start"][:-1])
    assert end - start == datetime.timedelta(hours=1)


def test_baseline_without_data_is_no_data(aws):
    put(aws, [(5, 50)], metric="Latency")
    item = criterion(**{"pass": "change <= 0.1", "baseline": {"start": "-3h", "end": "-2h"}})
    item["metric"] = dict(item["metric"], metric_name="Latency")
    result = evaluate(item, aws.settings())
    assert result["value"] == 50.0 and result["baseline"] is None
    assert result["verdict"] == "fail" and result["reason"] == "no data"


# --- errors -------------------------------------------------------------------

def test_provider_down_fails_closed():
    settings = dict(moto_aws.DUMMY_KEYS, endpoint_url=local_http.closed_url(), region="us-east-1", **local_http.FAST)
    started = time.time()
    result = evaluate(criterion(), settings)
    assert result["verdict"] == "fail"
    assert "GetMetricData failed" in result["error"]
    assert time.time() - started < 10
    assert evaluate(criterion(on_no_data="inconclusive"), settings)["verdict"] == "inconclusive"
    with pytest.raises(ProviderError) as info:
        measure(criterion(), settings)
    assert info.value.retryable is True


@pytest.mark.parametrize("status,code,retryable,attempts", [
    (503, "ServiceUnavailable", True, 2),
    (400, "Throttling", True, 2),
    (403, "AccessDeniedException", False, 1),
    (400, "InvalidParameterValue", False, 1),
])
def test_aws_errors_are_retried_only_when_it_can_help(status, code, retryable, attempts):
    secret = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYSECRET"
    server = moto_aws.StatusServer(status, code, "echoing %s back" % secret).start()
    try:
        settings = {"endpoint_url": server.url, "region": "eu-west-1", "aws_access_key_id": "AKIAKIROTEST",
                    "aws_secret_access_key": secret, "aws_session_token": "SESSION-TOKEN-123",
                    "timeout": 1, "retries": 1, "backoff": 0.05}
        with pytest.raises(ProviderError) as info:
            measure(criterion(), settings)
        assert info.value.retryable is retryable
        # botocore makes one attempt per provider attempt: the provider owns retries
        assert len(server.requests) == attempts
        message = str(info.value)
        assert code in message and str(status) in message
        assert secret not in message and "SESSION-TOKEN-123" not in message and "AKIAKIROTEST" not in message
    finally:
        server.stop()


def test_translate_maps_botocore_errors():
    provider = CloudWatchProvider({"aws_access_key_id": "AKIAX", "aws_secret_access_key": "s3cr3t-value",
                                   "endpoint_url": "http://user:pw@127.0.0.1:9"})

    def client_error(code, status):
        return botocore.exceptions.ClientError(
            {"Error": {"Code": code, "Message": "bad s3cr3t-value"}, "ResponseMetadata": {"HTTPStatusCode": status}},
            "GetMetricData")

    assert _aws.translate(client_error("InternalFailure", 500), provider, "x").retryable is True
    assert _aws.translate(client_error("Whatever", 502), provider, "x").retryable is True
    assert _aws.translate(client_error("Unknown", 429), provider, "x").retryable is True
    assert _aws.translate(client_error("ThrottlingException", 400), provider, "x").retryable is True
    denied = _aws.translate(client_error("AccessDenied", 403), provider, "x")
    assert denied.retryable is False and "s3cr3t-value" not in str(denied) and "AccessDenied" in str(denied)
    for exc in (botocore.exceptions.EndpointConnectionError(endpoint_url="http://user:pw@127.0.0.1:9"),
                botocore.exceptions.ConnectTimeoutError(endpoint_url="http://127.0.0.1:9"),
                botocore.exceptions.ReadTimeoutError(endpoint_url="http://127.0.0.1:9")):
        error = _aws.translate(exc, provider, "GetMetricData")
        assert error.retryable is True, exc
        assert "pw@" not in str(error)
    assert _aws.translate(botocore.exceptions.NoCredentialsError(), provider, "x").retryable is False
    assert _aws.translate(botocore.exceptions.ProfileNotFound(profile="p"), provider, "x").retryable is False


def test_unknown_profile_is_a_non_retryable_error():
    with pytest.raises(ProviderError) as info:
        measure(criterion(), {"profile": "kiro-profile-that-does-not-exist", "region": "us-east-1"})
    assert info.value.retryable is False
    assert "kiro-profile-that-does-not-exist" in str(info.value)


# --- validation ---------------------------------------------------------------

@pytest.mark.parametrize("change,fragment", [
    ({"metric": None}, "either 'metric'"),
    ({"query": [{"Id": "a", "MetricStat": {}}]}, "not both"),
    ({"metric": {"namespace": "N", "metric_name": "M", "period": 90}}, "period"),
    ({"metric": {"namespace": "N", "metric_name": "M", "statistic": "Sum"}}, "does not take statistic"),
    ({"metric": {"namespace": "N"}}, "metric_name"),
    ({"window": {"start": "-1x"}}, "window"),
    ({"window": {"start": "now", "end": "-1h"}}, "before end"),
    ({"baseline": {"start": "-2h"}}, "baseline needs start and end"),
    ({"metric": None, "query": [{"MetricStat": {}}]}, "needs an Id"),
    ({"unexpected": 1}, "does not take unexpected"),
])
def test_invalid_criteria_are_rejected_before_any_query(change, fragment):
    item = criterion()
    for key, value in change.items():
        if value is None:
            item.pop(key)
        else:
            item[key] = value
    with pytest.raises(CriterionError) as info:
        engine.prepare([item], {"cloudwatch": {"endpoint_url": local_http.closed_url()}})
    assert fragment in str(info.value)
    assert "errors" in str(info.value)  # names the criterion


def test_invalid_settings_are_rejected():
    with pytest.raises(CriterionError, match="unknown setting"):
        CloudWatchProvider({"secret_key": "x"})
    with pytest.raises(CriterionError, match="go together"):
        CloudWatchProvider({"aws_access_key_id": "x"})
    with pytest.raises(CriterionError, match="endpoint_url"):
        CloudWatchProvider({"endpoint_url": "127.0.0.1:5000"})


# --- relative times -------------------------------------------------------------

def test_parse_time_relative_iso_and_dates():
    now = datetime.datetime(2024, 5, 31, 12, 0, tzinfo=UTC).timestamp()
    assert _aws.parse_time("now", now) == datetime.datetime(2024, 5, 31, 12, 0, tzinfo=UTC)
    assert _aws.parse_time("-30d", now) == datetime.datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    assert _aws.parse_time("-6h", now) == datetime.datetime(2024, 5, 31, 6, 0, tzinfo=UTC)
    assert _aws.parse_time("-15m", now) == datetime.datetime(2024, 5, 31, 11, 45, tzinfo=UTC)
    assert _aws.parse_time("now-1w", now) == datetime.datetime(2024, 5, 24, 12, 0, tzinfo=UTC)
    assert _aws.parse_time("2024-05-01", now) == datetime.datetime(2024, 5, 1, tzinfo=UTC)
    assert _aws.parse_time("2024-05-01T08:30:00Z", now) == datetime.datetime(2024, 5, 1, 8, 30, tzinfo=UTC)
    assert _aws.parse_time("2024-05-01T10:30:00+02:00", now) == datetime.datetime(2024, 5, 1, 8, 30, tzinfo=UTC)
    assert _aws.parse_time(datetime.date(2024, 5, 2), now) == datetime.datetime(2024, 5, 2, tzinfo=UTC)
    for bad in ("yesterday", "-30", "", None, 5):
        with pytest.raises(ValueError):
            _aws.parse_time(bad, now)
    assert _aws.parse_window(None, now, "-1h") == (datetime.datetime(2024, 5, 31, 11, tzinfo=UTC),
                                                   datetime.datetime(2024, 5, 31, 12, tzinfo=UTC))
