"""cost_explorer provider against moto_server (seeded GetCostAndUsage answers).

moto binds each seeded answer to the exact request body of its first consumer
and answers later identical requests the same; an unmatched request takes the
next queued answer, or an empty one. The provider asks for the window first,
then the baseline, so tests seed in that order.
"""

import datetime
import os
import sys

import pytest

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), *[os.pardir] * 4)))

from fixtures import local_http, moto_aws  # noqa: E402

from ansible_collections.kiro.platform.plugins.module_utils.gate import criteria, engine  # noqa: E402
from ansible_collections.kiro.platform.plugins.module_utils.gate.errors import (  # noqa: E402
    CriterionError, ProviderError)
from ansible_collections.kiro.platform.plugins.module_utils.gate.providers.base import Context  # noqa: E402
from ansible_collections.kiro.platform.plugins.module_utils.gate.providers.cost_explorer import (  # noqa: E402
    CostExplorerProvider)

UTC = datetime.timezone.utc
NOW = datetime.datetime(2024, 3, 31, 12, 0, tzinfo=UTC).timestamp()
WINDOW_START = datetime.date(2024, 3, 1)     # now - 30 days
BASELINE_START = datetime.date(2024, 1, 31)  # now - 60 days


@pytest.fixture
def aws(moto):
    moto.reset()
    return moto


def savings(**extra):
    data = {"name": "cost_savings", "provider": "cost_explorer", "metric": "UnblendedCost",
            "pass": "savings >= 0.20"}
    data.update(extra)
    return data


def evaluate(item, settings):
    report = engine.evaluate([item], {"cost_explorer": settings}, Context(environment="staging", now=NOW))
    return report["criteria"][0]


def measure(item, settings, now=NOW):
    provider = CostExplorerProvider(settings)
    crit = criteria.Criterion(item)
    provider.validate(crit)
    return provider.measure(crit, Context(now=now))


def seed_window_and_baseline(server, window_total, baseline_total=100.0, days=30):
    server.seed_cost_and_usage(moto_aws.cost_result([window_total / days] * days, WINDOW_START),
                               moto_aws.cost_result([baseline_total / days] * days, BASELINE_START))


def test_savings_of_25_percent_pass(aws):
    seed_window_and_baseline(aws, 75.0)
    result = evaluate(savings(), aws.settings())
    assert result["verdict"] == "pass"
    assert result["value"] == pytest.approx(75.0)
    assert result["baseline"] == pytest.approx(100.0)
    assert result["samples"] == 30
    measurement = result["measurements"][0]
    assert measurement["details"]["window"] == {"start": "2024-03-01", "end": "2024-03-31"}
    assert measurement["details"]["baseline_window"] == {"start": "2024-01-31", "end": "2024-03-01"}
    assert measurement["details"]["unit"] == "USD"
    series = measurement["series"]
    assert len(series) == 30 and [t for t, _unused in series] == sorted(t for t, _unused in series)
    assert series[0][0] == datetime.datetime(2024, 3, 1, tzinfo=UTC).timestamp()
    assert sum(v for _unused, v in series) == pytest.approx(75.0)
    raw = result["raw"][0]
    assert len(raw["ResultsByTime"]) == 30 and len(raw["baseline"]["ResultsByTime"]) == 30


def test_savings_of_10_percent_fail(aws):
    seed_window_and_baseline(aws, 90.0)
    result = evaluate(savings(), aws.settings())
    assert result["verdict"] == "fail"
    assert (result["value"], result["baseline"]) == (pytest.approx(90.0), pytest.approx(100.0))


def test_savings_of_10_percent_warn(aws):
    seed_window_and_baseline(aws, 90.0)
    result = evaluate(savings(warn="savings >= 0.05"), aws.settings())
    assert result["verdict"] == "warn"


def test_window_is_asked_first_and_answers_stay_bound(aws):
    # only one answer queued: the window takes it, the baseline gets moto's empty answer
    aws.seed_cost_and_usage(moto_aws.cost_result([2.5] * 30, WINDOW_START))
    first = measure(savings(), aws.settings())
    assert first.value == pytest.approx(75.0)
    assert first.baseline is None and first.details["baseline_periods"] == 0
    result = evaluate(savings(), aws.settings())  # same requests: same (bound) answers
    assert result["value"] == pytest.approx(75.0)
    assert result["verdict"] == "fail" and result["reason"] == "no data"


def test_explicit_windows_monthly(aws):
    aws.seed_cost_and_usage(moto_aws.cost_result([1200.0], datetime.date(2024, 2, 1), days_per_period=29),
                            moto_aws.cost_result([1000.0], datetime.date(2024, 1, 1), days_per_period=31))
    item = savings(**{"pass": "change <= 0.25", "granularity": "MONTHLY",
                      "window": {"start": "2024-02-01", "end": "2024-03-01"},
                      "baseline": {"start": datetime.date(2024, 1, 1), "end": "2024-02-01"}})
    result = evaluate(item, aws.settings())
    assert result["verdict"] == "pass"  # +20 % <= +25 %
    assert (result["value"], result["baseline"], result["samples"]) == (1200.0, 1000.0, 1)
    details = result["measurements"][0]["details"]
    assert details["window"] == {"start": "2024-02-01", "end": "2024-03-01"}
    assert details["granularity"] == "MONTHLY"


def test_no_baseline_without_a_baseline_condition(aws):
    aws.seed_cost_and_usage(moto_aws.cost_result([3.0] * 30, WINDOW_START))
    measurement = measure(savings(**{"pass": "< 100"}), aws.settings())
    assert measurement.value == pytest.approx(90.0) and measurement.baseline is None
    assert "baseline" not in measurement.raw


def test_no_cost_data_is_no_data(aws):
    result = evaluate(savings(), aws.settings())
    assert result["value"] is None
    assert result["verdict"] == "fail" and result["reason"] == "no data"
    assert evaluate(savings(on_no_data="inconclusive"), aws.settings())["verdict"] == "inconclusive"


def test_filter_is_sent_and_a_bad_filter_is_not_retried(aws):
    aws.seed_cost_and_usage(moto_aws.cost_result([1.0] * 30, WINDOW_START))
    good = savings(**{"pass": "< 50", "filter": {"Dimensions": {"Key": "SERVICE", "Values": ["Amazon Bedrock"]}}})
    assert measure(good, aws.settings()).value == pytest.approx(30.0)
    bad = savings(**{"pass": "< 50", "filter": {"Dimension": {"Key": "SERVICE"}}})
    with pytest.raises(ProviderError) as info:
        measure(bad, aws.settings())
    assert info.value.retryable is False
    assert "Dimension" in str(info.value)


def test_request_carries_the_cost_explorer_dates():
    server = moto_aws.StatusServer(403, "AccessDeniedException", "not allowed").start()
    try:
        settings = dict(moto_aws.DUMMY_KEYS, endpoint_url=server.url, **local_http.FAST)
        item = savings(**{"filter": {"Dimensions": {"Key": "SERVICE", "Values": ["Amazon Bedrock"]}}})
        with pytest.raises(ProviderError) as info:
            measure(item, settings)
        assert info.value.retryable is False and "AccessDeniedException" in str(info.value)
        assert len(server.requests) == 1  # access errors are not retried
        request = server.requests[0]
        assert request["target"] == "AWSInsightsIndexService.GetCostAndUsage"
        assert request["body"] == {"TimePeriod": {"Start": "2024-03-01", "End": "2024-03-31"},
                                   "Granularity": "DAILY", "Metrics": ["UnblendedCost"],
                                   "Filter": {"Dimensions": {"Key": "SERVICE", "Values": ["Amazon Bedrock"]}}}
        assert "us-east-1" in request["authorization"]  # Cost Explorer's home region by default
    finally:
        server.stop()


def test_throttling_is_retried_then_reported():
    server = moto_aws.StatusServer(400, "LimitExceededException", "Rate exceeded").start()
    try:
        settings = dict(moto_aws.DUMMY_KEYS, endpoint_url=server.url, **local_http.FAST)
        result = evaluate(savings(), settings)
        assert result["verdict"] == "fail"
        assert "LimitExceededException" in result["error"]
        assert len(server.requests) == 2  # one retry (settings retries: 1)
    finally:
        server.stop()


def test_provider_down_fails_closed_or_inconclusive():
    settings = dict(moto_aws.DUMMY_KEYS, endpoint_url=local_http.closed_url(), **local_http.FAST)
    result = evaluate(savings(), settings)
    assert result["verdict"] == "fail"
    assert "GetCostAndUsage failed" in result["error"]
    assert "testing" not in result["error"]  # the dummy credentials never show
    assert evaluate(savings(on_no_data="inconclusive"), settings)["verdict"] == "inconclusive"


@pytest.mark.parametrize("change,fragment", [
    ({"metric": "Cost"}, "metric must be one of"),
    ({"granularity": "HOURLY"}, "granularity"),
    ({"aggregate": "mean"}, "total over the window"),
    ({"window": {"start": "2026-01-05T01:00:00Z", "end": "2026-01-05T07:00:00Z"}}, "at least one whole day"),
    ({"window": {"start": "-2x"}}, "window"),
    ({"baseline": {"start": "-60d"}}, "baseline must be a mapping"),
    ({"filter": "SERVICE=Bedrock"}, "Expression"),
    ({"query": "x"}, "does not take query"),
])
def test_invalid_criteria_are_rejected(change, fragment):
    with pytest.raises(CriterionError) as info:
        engine.prepare([savings(**change)], {})
    assert fragment in str(info.value) and "cost_savings" in str(info.value)
