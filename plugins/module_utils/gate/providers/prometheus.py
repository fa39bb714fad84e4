# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""prometheus: PromQL through the HTTP API (GET /api/v1/query and /api/v1/query_range).

Criterion keys:
  query            (required) PromQL
  range            e.g. "1h", "7d": a range query over [now - range, now]
  step             range query resolution (default range / 60, at least 15 s)
  baseline_query   a second query giving the baseline (same mode as ``query``:
                   instant, or over the same range when ``range`` is set)
  baseline_offset  e.g. "7d": the baseline is ``query`` evaluated ``offset`` earlier
  samples_query    optional PromQL whose value (summed over series) is the sample
                   count checked against min_samples, e.g. the number of operations
                   behind a success rate; without it samples = number of series
                   (instant query) or of points (range query)

The value is ``aggregate`` (default last) over the values of all result
series (instant query), over all points of all series (range query), or the
scalar. NaN and +-Inf are ignored; an empty result is "no data".

Settings (providers.prometheus): url (required), bearer_token, username,
password, headers, verify_tls (default true), ca_file, timeout, retries, backoff.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math
import re
import urllib.parse

from ansible_collections.kiro.platform.plugins.module_utils.gate import criteria as criteria_mod
from ansible_collections.kiro.platform.plugins.module_utils.gate.errors import CriterionError, ProviderError
from ansible_collections.kiro.platform.plugins.module_utils.common import http
from ansible_collections.kiro.platform.plugins.module_utils.gate.providers.base import Measurement, Provider

MAX_POINTS = 500
MAX_SERIES = 500
MIN_STEP = 15.0
_DURATION = re.compile(r"^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$")


def duration(value, where, key):
    """Seconds in a Prometheus duration ("90s", "1h30m", "7d") or a number of seconds."""
    if isinstance(value, bool) or value in (None, ""):
        raise CriterionError(where, "%s must be a duration such as '1h' or '7d'" % key)
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value).strip())
        if not match or not any(match.groups()):
            raise CriterionError(where, "%s must be a duration such as '30m', '1h' or '7d', not %r" % (key, value))
        factors = (365 * 86400.0, 7 * 86400.0, 86400.0, 3600.0, 60.0, 1.0, 0.001)
        seconds = sum(int(g) * f for g, f in zip(match.groups(), factors) if g)
    if not math.isfinite(seconds) or seconds <= 0:
        raise CriterionError(where, "%s must be a positive duration" % key)
    return seconds


def _seconds(step):
    """A step for the API: "60s", or float seconds when not whole."""
    return "%ds" % step if float(step).is_integer() else "%.3f" % step


def _finite(text):
    try:
        number = float(text)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


class _Answer:
    """One query's answer reduced to numbers."""

    def __init__(self, data, values, samples, points):
        self.data = data          # the answer's ``data`` (trimmed for the evidence)
        self.values = values      # finite numbers to aggregate
        self.samples = samples    # series (instant) or points (range)
        self.points = points      # [[ts, value], ...] for charts, or None


class PrometheusProvider(Provider):
    name = "prometheus"
    required = ("query",)
    optional = ("range", "step", "baseline_query", "baseline_offset", "samples_query")
    settings_keys = ("url", "bearer_token", "username", "password", "headers", "verify_tls", "ca_file")

    def __init__(self, settings=None):
        super(PrometheusProvider, self).__init__(settings)
        where = "providers.%s" % self.name
        url = self.settings.get("url")
        self.url = http.check_url(url, where) if url not in (None, "") else None
        self.client = http.client_from_settings(self.name, self.timeout, self.settings, where)

    # -- validation ---------------------------------------------------------
    def _plan(self, criterion):
        """Check the criterion; return (range, step, baseline_offset) in seconds (None when unset)."""
        params = criterion.params
        if not self.url:
            raise CriterionError(criterion.name, "provider prometheus needs a server: set providers.prometheus.url")
        for key in ("query", "baseline_query", "samples_query"):
            if key in params and (not isinstance(params[key], str) or not params[key].strip()):
                raise CriterionError(criterion.name, "%s must be a PromQL expression (text)" % key)
        window = duration(params["range"], criterion.name, "range") if params.get("range") not in (None, "") else None
        step = None
        if params.get("step") not in (None, ""):
            if window is None:
                raise CriterionError(criterion.name, "step is only meaningful with range")
            step = duration(params["step"], criterion.name, "step")
        elif window is not None:
            step = max(MIN_STEP, window / 60.0)
        if window is not None and window / step > 11000:
            raise CriterionError(criterion.name, "range / step gives more than 11000 points (Prometheus' limit); "
                                 "use a larger step")
        offset = None
        if params.get("baseline_offset") not in (None, ""):
            offset = duration(params["baseline_offset"], criterion.name, "baseline_offset")
        if offset is not None and params.get("baseline_query") not in (None, ""):
            raise CriterionError(criterion.name, "set baseline_query or baseline_offset, not both")
        return window, step, offset

    def validate(self, criterion):
        super(PrometheusProvider, self).validate(criterion)
        self._plan(criterion)

    # -- querying ------------------------------------------------------------
    def _endpoint(self, path):
        parts = urllib.parse.urlsplit(self.url)
        return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/") + path, parts.query, ""))

    def _get(self, path, params):
        document = self.call(self.client.get_json, self._endpoint(path), params)
        where = "%s: %s" % (self.name, path)
        if not isinstance(document, dict):
            raise ProviderError("%s: unexpected answer (not an object)" % where, retryable=False)
        if document.get("status") != "success":
            raise ProviderError(self.client.scrub("%s: status %s: %s" % (
                where, document.get("status"), document.get("error") or "no error given")), retryable=False)
        data = document.get("data")
        if not isinstance(data, dict) or "resultType" not in data:
            raise ProviderError("%s: unexpected answer (no data.resultType)" % where, retryable=False)
        return data

    def _instant(self, query, at):
        data = self._get("/api/v1/query", [("query", query), ("time", "%.3f" % at)])
        return self._reduce(data)

    def _range(self, query, start, end, step):
        data = self._get("/api/v1/query_range", [("query", query), ("start", "%.3f" % start),
                                                 ("end", "%.3f" % end), ("step", _seconds(step))])
        return self._reduce(data)

    def _reduce(self, data):
        kind = data.get("resultType")
        result = data.get("result")
        if kind == "scalar":
            if not isinstance(result, list) or len(result) != 2:
                raise ProviderError("%s: malformed scalar answer" % self.name, retryable=False)
            number = _finite(result[1])
            values = [] if number is None else [number]
            return _Answer(data, values, len(values), None)
        if kind not in ("vector", "matrix") or not isinstance(result, list):
            raise ProviderError("%s: the query returned a %s, not a number or series" % (self.name, kind),
                                retryable=False)
        if kind == "vector":
            values = []
            for series in result:
                pair = series.get("value") if isinstance(series, dict) else None
                number = _finite(pair[1]) if isinstance(pair, list) and len(pair) == 2 else None
                if number is not None:
                    values.append(number)
            trimmed = dict(data, result=result[:MAX_SERIES])
            if len(result) > MAX_SERIES:
                trimmed["series_truncated_from"] = len(result)
            return _Answer(trimmed, values, len(values), None)
        # matrix: every finite point of every series
        values, per_series, trimmed_result = [], [], []
        for series in result:
            pairs = series.get("values") if isinstance(series, dict) else None
            pairs = pairs if isinstance(pairs, list) else []
            points = []
            for pair in pairs:
                number = _finite(pair[1]) if isinstance(pair, list) and len(pair) == 2 else None
                if number is not None:
                    points.append([float(pair[0]), number])
            values.extend(p[1] for p in points)
            per_series.append(points)
            if len(trimmed_result) < MAX_SERIES and isinstance(series, dict):
                copy = dict(series, values=pairs[-MAX_POINTS:])
                if len(pairs) > MAX_POINTS:
                    copy["truncated_from"] = len(pairs)
                trimmed_result.append(copy)
        trimmed = dict(data, result=trimmed_result)
        if len(result) > MAX_SERIES:
            trimmed["series_truncated_from"] = len(result)
        return _Answer(trimmed, values, len(values), per_series)

    def _chart(self, answer, how, value, at):
        """[[ts, value], ...]: the single series, the per-timestamp aggregate, or the value at ``at``."""
        series = [s for s in (answer.points or []) if s]
        if not series:
            return [[at, value]] if value is not None else []
        if len(series) == 1:
            chart = series[0]
        else:
            by_ts = {}
            for points in series:
                for ts, number in points:
                    by_ts.setdefault(ts, []).append(number)
            chart = [[ts, criteria_mod.aggregate(by_ts[ts], how)] for ts in sorted(by_ts)]
        return chart[-MAX_POINTS:]

    def _evaluate(self, query, end, window, step):
        if window is None:
            return self._instant(query, end)
        return self._range(query, end - window, end, step)

    def measure(self, criterion, context):
        window, step, offset = self._plan(criterion)
        params = criterion.params
        now = float(context.now)
        how = criterion.aggregate

        main = self._evaluate(params["query"], now, window, step)
        value = criteria_mod.aggregate(main.values, how) if main.values else None
        raw = dict(main.data)
        details = {"result_type": main.data.get("resultType"), "series": len(main.data.get("result") or [])
                   if main.data.get("resultType") != "scalar" else 1}
        if window is not None:
            details.update({"start": now - window, "end": now, "step": step})
        else:
            details["time"] = now

        baseline = None
        if params.get("baseline_query") not in (None, ""):
            answer = self._evaluate(params["baseline_query"], now, window, step)
            baseline = criteria_mod.aggregate(answer.values, how) if answer.values else None
            raw["baseline"] = answer.data
        elif offset is not None:
            answer = self._evaluate(params["query"], now - offset, window, step)
            baseline = criteria_mod.aggregate(answer.values, how) if answer.values else None
            raw["baseline"] = answer.data
            details["baseline_time"] = now - offset

        samples = main.samples
        if params.get("samples_query") not in (None, ""):
            answer = self._instant(params["samples_query"], now)
            samples = int(round(sum(answer.values))) if answer.values else 0
            raw["samples"] = answer.data
            details["samples_query"] = samples

        if value is None:
            return Measurement(value=None, baseline=baseline, samples=0, series=[], raw=raw, details=details)
        return Measurement(value=value, baseline=baseline, samples=samples,
                           series=self._chart(main, how, value, now), raw=raw, details=details)
