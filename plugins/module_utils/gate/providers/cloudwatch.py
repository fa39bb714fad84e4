# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""CloudWatch metrics through GetMetricData.

A criterion names one metric::

    provider: cloudwatch
    metric: {namespace: Kiro, metric_name: Errors, dimensions: {env: staging},
             stat: Average, period: 300}
    window: {start: -1h, end: now}      # the default
    aggregate: max                      # over the datapoints (default: last)
    pass: "< 5"

or passes MetricDataQuery entries as AWS spells them (``query: [{Id: ..., ...}]``);
when several queries return data their datapoints are pooled. ``baseline:
{start, end}`` measures the same query over another window (for ``savings`` /
``change`` conditions; when such a condition has no baseline, the window of
the same length just before ``window`` is used).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.kiro.platform.plugins.module_utils.gate.criteria import aggregate
from ansible_collections.kiro.platform.plugins.module_utils.gate.errors import CriterionError, ProviderError
from ansible_collections.kiro.platform.plugins.module_utils.gate.providers import _aws
from ansible_collections.kiro.platform.plugins.module_utils.gate.providers.base import Measurement, Provider

METRIC_KEYS = ("namespace", "metric_name", "dimensions", "stat", "period", "unit")
MAX_PAGES = 100


class CloudWatchProvider(Provider):
    name = "cloudwatch"
    required = ()
    optional = ("metric", "query", "window", "baseline")
    settings_keys = _aws.SETTINGS_KEYS

    def __init__(self, settings=None):
        super(CloudWatchProvider, self).__init__(settings)
        _aws.check_settings(self)
        self._client = _aws.ClientCache(self, "cloudwatch")

    # --- validation ----------------------------------------------------------

    def validate(self, criterion):
        super(CloudWatchProvider, self).validate(criterion)
        self._queries(criterion)
        self._windows(criterion, time.time())

    def _queries(self, criterion):
        """The MetricDataQueries for a criterion; raises CriterionError."""
        params = criterion.params
        metric, query = params.get("metric"), params.get("query")
        if (metric in (None, {})) == (query in (None, [], {})):
            raise CriterionError(criterion.name, "provider cloudwatch needs either 'metric' (namespace, "
                                 "metric_name, ...) or 'query' (MetricDataQuery entries), not both")
        if metric not in (None, {}):
            return [self._metric_query(criterion.name, metric)]
        queries = [query] if isinstance(query, dict) else query
        if not isinstance(queries, list):
            raise CriterionError(criterion.name, "query must be a MetricDataQuery mapping or a list of them")
        ids = set()
        for entry in queries:
            if not isinstance(entry, dict) or not entry.get("Id"):
                raise CriterionError(criterion.name, "every query entry needs an Id (MetricDataQuery as AWS "
                                     "spells it: Id, MetricStat or Expression, ReturnData)")
            if not (entry.get("MetricStat") or entry.get("Expression")):
                raise CriterionError(criterion.name, "query entry %s needs MetricStat or Expression" % entry["Id"])
            if entry["Id"] in ids:
                raise CriterionError(criterion.name, "query Id %s is used twice" % entry["Id"])
            ids.add(entry["Id"])
        if not any(entry.get("ReturnData", True) for entry in queries):
            raise CriterionError(criterion.name, "no query entry has ReturnData true: nothing would be measured")
        return queries

    @staticmethod
    def _metric_query(name, metric):
        if not isinstance(metric, dict):
            raise CriterionError(name, "metric must be a mapping (namespace, metric_name, dimensions, stat, period)")
        unknown = sorted(set(metric) - set(METRIC_KEYS))
        if unknown:
            raise CriterionError(name, "metric does not take %s (it takes %s)" % (", ".join(unknown),
                                                                                  ", ".join(METRIC_KEYS)))
        for key in ("namespace", "metric_name"):
            if not isinstance(metric.get(key), str) or not metric[key]:
                raise CriterionError(name, "metric needs '%s'" % key)
        dimensions = metric.get("dimensions") or {}
        if isinstance(dimensions, dict):
            dimensions = [{"Name": str(k), "Value": str(v)} for k, v in sorted(dimensions.items())]
        elif not (isinstance(dimensions, list)
                  and all(isinstance(d, dict) and set(d) == {"Name", "Value"} for d in dimensions)):
            raise CriterionError(name, "metric.dimensions must be a mapping such as {env: staging}")
        stat = metric.get("stat", "Average")
        if not isinstance(stat, str) or not stat:
            raise CriterionError(name, "metric.stat must be a statistic such as Average, Sum, Maximum or p99")
        period = metric.get("period", 300)
        if isinstance(period, bool) or not isinstance(period, int) or period < 1 \
                or (period >= 60 and period % 60) or (period < 60 and period not in (1, 5, 10, 30)):
            raise CriterionError(name, "metric.period must be 1, 5, 10, 30 or a multiple of 60 seconds")
        stat_query = {"Metric": {"Namespace": metric["namespace"], "MetricName": metric["metric_name"],
                                 "Dimensions": dimensions},
                      "Period": period, "Stat": stat}
        if metric.get("unit"):
            stat_query["Unit"] = metric["unit"]
        return {"Id": "m0", "MetricStat": stat_query, "ReturnData": True}

    @staticmethod
    def _windows(criterion, now):
        """(window, baseline window or None); raises CriterionError."""
        params = criterion.params
        try:
            window = _aws.parse_window(params.get("window"), now, "-1h")
        except ValueError as exc:
            raise CriterionError(criterion.name, "window %s" % exc)
        baseline = params.get("baseline")
        if baseline is not None:
            if not isinstance(baseline, dict) or "start" not in baseline or "end" not in baseline:
                raise CriterionError(criterion.name, "baseline needs start and end, e.g. {start: -2h, end: -1h}")
            try:
                return window, _aws.parse_window(baseline, now, None, None)
            except ValueError as exc:
                raise CriterionError(criterion.name, "baseline %s" % exc)
        if criterion.needs_baseline:
            length = window[1] - window[0]
            return window, (window[0] - length, window[0])
        return window, None

    # --- measurement ---------------------------------------------------------

    def measure(self, criterion, context):
        queries = self._queries(criterion)
        window, baseline_window = self._windows(criterion, context.now)
        client = self._client.get()
        points, results = self._fetch(client, queries, window)
        value = aggregate([v for _unused, v in points], criterion.aggregate)
        raw = {"window": _window_dict(window), "MetricDataResults": results}
        details = {"window": _window_dict(window), "region": client.meta.region_name}
        baseline = None
        if baseline_window is not None:
            base_points, base_results = self._fetch(client, queries, baseline_window)
            baseline = aggregate([v for _unused, v in base_points], criterion.aggregate)
            raw["baseline"] = {"window": _window_dict(baseline_window), "MetricDataResults": base_results}
            details["baseline_window"] = _window_dict(baseline_window)
            details["baseline_samples"] = len(base_points)
        return Measurement(value=value, baseline=baseline, samples=len(points),
                           series=[[_aws.epoch(ts), v] for ts, v in points], raw=raw, details=details)

    def _fetch(self, client, queries, window):
        """Sorted [(datetime, value)] pooled over the returned results, and the
        results themselves (JSON-ready, timestamps ascending)."""
        kwargs = {"MetricDataQueries": queries, "StartTime": window[0], "EndTime": window[1],
                  "ScanBy": "TimestampAscending"}
        merged = {}
        order = []
        for _page in range(MAX_PAGES):
            answer = _aws.aws_call(self, "GetMetricData", client.get_metric_data, **kwargs)
            for result in answer.get("MetricDataResults") or []:
                status = result.get("StatusCode")
                if status in ("InternalError", "Forbidden"):
                    messages = "; ".join(m.get("Value", "") for m in result.get("Messages") or [])
                    raise ProviderError("cloudwatch: GetMetricData result %s: %s %s"
                                        % (result.get("Id"), status, messages), retryable=status == "InternalError")
                entry = merged.get(result.get("Id"))
                if entry is None:
                    entry = merged[result.get("Id")] = {"Id": result.get("Id"), "Label": result.get("Label"),
                                                        "points": []}
                    order.append(result.get("Id"))
                entry["StatusCode"] = status
                entry["points"].extend(zip(result.get("Timestamps") or [], result.get("Values") or []))
            token = answer.get("NextToken")
            if not token:
                break
            kwargs["NextToken"] = token
        else:
            raise ProviderError("cloudwatch: GetMetricData kept paginating after %d pages; narrow the window "
                                "or raise the period" % MAX_PAGES, retryable=False)
        pooled = []
        results = []
        for result_id in order:
            entry = merged[result_id]
            points = sorted((ts.astimezone(_aws.UTC), float(v)) for ts, v in entry["points"])
            pooled.extend(points)
            results.append({"Id": entry["Id"], "Label": entry["Label"], "StatusCode": entry["StatusCode"],
                            "Timestamps": [_aws.iso(ts) for ts, _unused in points], "Values": [v for _unused, v in points]})
        pooled.sort(key=lambda point: point[0])
        return pooled, results


def _window_dict(window):
    return {"start": _aws.iso(window[0]), "end": _aws.iso(window[1])}
