# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWS Cost Explorer through GetCostAndUsage.

    provider: cost_explorer
    metric: UnblendedCost               # the default
    granularity: DAILY                  # or MONTHLY
    window: {start: -30d, end: now}     # the default
    baseline: {start: -60d, end: -30d}  # the default when a condition uses savings/change
    filter: {Dimensions: {Key: SERVICE, Values: [Amazon Bedrock]}}   # a CE Expression
    pass: "savings >= 0.20"             # savings = 1 - window / baseline

The value is the total cost of the window (the sum of every period's amount),
the baseline likewise. Cost Explorer works in whole UTC days with an exclusive
end, so times are cut to their day: ``-30d .. now`` is the 30 complete days
before today.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import time

from ansible_collections.kiro.platform.plugins.module_utils.gate.errors import CriterionError, ProviderError
from ansible_collections.kiro.platform.plugins.module_utils.gate.providers import _aws
from ansible_collections.kiro.platform.plugins.module_utils.gate.providers.base import Measurement, Provider

METRICS = ("AmortizedCost", "BlendedCost", "NetAmortizedCost", "NetUnblendedCost", "NormalizedUsageAmount",
           "UnblendedCost", "UsageQuantity")
GRANULARITIES = ("DAILY", "MONTHLY")
DEFAULT_WINDOW = ("-30d", "now")
DEFAULT_BASELINE = ("-60d", "-30d")
MAX_PAGES = 100


class CostExplorerProvider(Provider):
    name = "cost_explorer"
    required = ()
    optional = ("metric", "granularity", "window", "baseline", "filter")
    settings_keys = _aws.SETTINGS_KEYS

    def __init__(self, settings=None):
        super(CostExplorerProvider, self).__init__(settings)
        _aws.check_settings(self)
        # Cost Explorer answers from us-east-1 whatever region the data lives in.
        self._client = _aws.ClientCache(self, "ce", default_region="us-east-1")

    def validate(self, criterion):
        super(CostExplorerProvider, self).validate(criterion)
        params = criterion.params
        if params.get("metric", "UnblendedCost") not in METRICS:
            raise CriterionError(criterion.name, "metric must be one of %s" % ", ".join(METRICS))
        if params.get("granularity", "DAILY") not in GRANULARITIES:
            raise CriterionError(criterion.name, "granularity must be DAILY or MONTHLY")
        if params.get("filter") is not None and not isinstance(params["filter"], dict):
            raise CriterionError(criterion.name, "filter must be a Cost Explorer Expression mapping, e.g. "
                                 "{Dimensions: {Key: SERVICE, Values: [Amazon Bedrock]}}")
        if criterion.aggregate not in ("last", "sum"):
            # "last" is the criteria default, so it cannot be told apart from "not set"
            raise CriterionError(criterion.name, "cost_explorer always measures the total over the window; "
                                 "leave aggregate unset (or sum)")
        self._periods(criterion, time.time())

    @staticmethod
    def _periods(criterion, now):
        """The window and the baseline (or None) as (start_date, end_date); raises CriterionError."""
        params = criterion.params
        periods = []
        for key, default in (("window", DEFAULT_WINDOW), ("baseline", DEFAULT_BASELINE)):
            given = params.get(key)
            if key == "baseline" and given is None and not criterion.needs_baseline:
                periods.append(None)
                continue
            partial = key == "baseline" and isinstance(given, dict) and set(given) != {"start", "end"}
            if given is not None and (not isinstance(given, dict) or partial):
                raise CriterionError(criterion.name, "%s must be a mapping such as {start: %s, end: %s}"
                                     % ((key,) + default))
            try:
                start, end = _aws.parse_window(given, now, default[0], default[1])
            except ValueError as exc:
                raise CriterionError(criterion.name, "%s %s" % (key, exc))
            start, end = start.date(), end.date()
            if start >= end:
                raise CriterionError(criterion.name, "%s must span at least one whole day (Cost Explorer "
                                     "counts whole UTC days, end excluded)" % key)
            periods.append((start, end))
        return periods[0], periods[1]

    def measure(self, criterion, context):
        params = criterion.params
        metric = params.get("metric", "UnblendedCost")
        window, baseline_window = self._periods(criterion, context.now)
        client = self._client.get()
        # window first, then baseline: the order is part of the contract with
        # recorded answers (moto binds a seeded result to its first request)
        amounts, periods = self._fetch(client, criterion, metric, window)
        total = sum(amounts) if amounts else None
        raw = {"window": _period_dict(window), "ResultsByTime": periods}
        details = {"metric": metric, "granularity": params.get("granularity", "DAILY"),
                   "window": _period_dict(window), "estimated": any(p.get("Estimated") for p in periods)}
        unit = _unit(periods, metric)
        if unit:
            details["unit"] = unit
        baseline = None
        if baseline_window is not None:
            base_amounts, base_periods = self._fetch(client, criterion, metric, baseline_window)
            baseline = sum(base_amounts) if base_amounts else None
            raw["baseline"] = {"window": _period_dict(baseline_window), "ResultsByTime": base_periods}
            details["baseline_window"] = _period_dict(baseline_window)
            details["baseline_periods"] = len(base_amounts)
        series = []
        for period in periods:
            amount = _amount(period, metric)
            if amount is not None:
                start = datetime.date.fromisoformat(period["TimePeriod"]["Start"][:10])
                series.append([_aws.epoch(start), amount])
        series.sort(key=lambda point: point[0])
        return Measurement(value=total, baseline=baseline, samples=len(amounts), series=series, raw=raw,
                           details=details)

    def _fetch(self, client, criterion, metric, period):
        """The amounts of each period, and the periods as answered (JSON-ready)."""
        params = criterion.params
        kwargs = {"TimePeriod": {"Start": period[0].isoformat(), "End": period[1].isoformat()},
                  "Granularity": params.get("granularity", "DAILY"), "Metrics": [metric]}
        if params.get("filter"):
            kwargs["Filter"] = params["filter"]
        periods = []
        for _page in range(MAX_PAGES):
            answer = _aws.aws_call(self, "GetCostAndUsage", client.get_cost_and_usage, **kwargs)
            periods.extend(_aws.jsonable(answer.get("ResultsByTime") or []))
            token = answer.get("NextPageToken")
            if not token:
                break
            kwargs["NextPageToken"] = token
        else:
            raise ProviderError("cost_explorer: GetCostAndUsage kept paginating after %d pages" % MAX_PAGES,
                                retryable=False)
        amounts = [a for a in (_amount(p, metric) for p in periods) if a is not None]
        return amounts, periods


def _amount(period, metric):
    try:
        return float(((period.get("Total") or {}).get(metric) or {})["Amount"])
    except (KeyError, TypeError, ValueError):
        return None


def _unit(periods, metric):
    for period in periods:
        unit = ((period.get("Total") or {}).get(metric) or {}).get("Unit")
        if unit:
            return unit
    return None


def _period_dict(period):
    return {"start": period[0].isoformat(), "end": period[1].isoformat()}
