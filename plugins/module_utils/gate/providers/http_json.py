# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""http_json: GET a URL answering JSON, select with jmespath, reduce to a number.

Criterion keys:
  url             (required) http:// or https:// URL
  headers         extra request headers (merged over providers.http_json.headers)
  query           jmespath expression applied to the answer (default: the whole document)
  baseline_query  jmespath expression over the same answer giving the baseline
The selected result must be a number (samples = 1), a boolean (1 / 0), a
numeric string, or a list of those (aggregated with ``aggregate``; samples =
how many numbers). null or an empty list is "no data"; anything else is a
non-retryable error naming what came back.

Settings (providers.http_json): headers, bearer_token, username, password,
verify_tls (default true), ca_file, timeout, retries, backoff. Put credentials
in the settings, not in the criterion: criteria are copied into reports.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import math
import re

from ansible_collections.kiro.platform.plugins.module_utils.gate import criteria as criteria_mod
from ansible_collections.kiro.platform.plugins.module_utils.gate.errors import CriterionError, ProviderError
from ansible_collections.kiro.platform.plugins.module_utils.common import http, secrets
from ansible_collections.kiro.platform.plugins.module_utils.gate.providers.base import Measurement, Provider

try:
    import jmespath
    import jmespath.exceptions
    HAS_JMESPATH = True
except ImportError:  # reported by validate()
    HAS_JMESPATH = False

_NUMERIC = re.compile(r"^\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*$")
MAX_RAW_ITEMS = 500


# -- shared with the file provider -------------------------------------------

def compile_query(criterion, key):
    """The compiled jmespath expression of ``criterion.params[key]``, or None."""
    expression = criterion.params.get(key)
    if expression in (None, ""):
        return None
    if not HAS_JMESPATH:
        raise CriterionError(criterion.name, "the jmespath Python library is required for '%s'" % key)
    if not isinstance(expression, str):
        raise CriterionError(criterion.name, "%s must be a jmespath expression (text)" % key)
    try:
        return jmespath.compile(expression)
    except jmespath.exceptions.JMESPathError as exc:
        raise CriterionError(criterion.name, "%s is not a valid jmespath expression: %s"
                             % (key, " ".join(str(exc).split())))


def search(compiled, document, what):
    if compiled is None:
        return document
    try:
        return compiled.search(document)
    except jmespath.exceptions.JMESPathError as exc:
        raise ProviderError("%s: query failed: %s" % (what, " ".join(str(exc).split())), retryable=False)


def brief(value, limit=80):
    """What came back, in a few words."""
    kind = {dict: "an object", list: "a list", str: "text"}.get(type(value), type(value).__name__)
    try:
        text = json.dumps(value, sort_keys=True, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    if len(text) > limit:
        text = text[:limit] + "..."
    return "%s %s" % (kind, text)


def _number(item):
    """float, or None when ``item`` is not a number."""
    if isinstance(item, bool):
        return 1.0 if item else 0.0
    if isinstance(item, (int, float)):
        return float(item)
    if isinstance(item, str) and _NUMERIC.match(item):
        return float(item)
    return None


def numbers(result, what):
    """The finite numbers in a query result: (values, is_list).

    Raises ProviderError(retryable=False) for anything that is not a number
    or a list of numbers (nested lists are flattened, nulls skipped).
    """
    if result is None:
        return [], False
    if isinstance(result, list):
        values = []
        for index, item in enumerate(_flatten(result)):
            if item is None:
                continue
            number = _number(item)
            if number is None:
                raise ProviderError("%s: expected numbers, item %d of the result is %s"
                                    % (what, index, brief(item, 60)), retryable=False)
            if math.isfinite(number):
                values.append(number)
        return values, True
    number = _number(result)
    if number is None:
        hint = "; a query selecting a number (or a list of numbers) is needed" if isinstance(result, dict) else ""
        raise ProviderError("%s: expected a number, got %s%s" % (what, brief(result), hint), retryable=False)
    return ([number] if math.isfinite(number) else []), False


def _flatten(items):
    out = []
    for item in items:
        if isinstance(item, list):
            out.extend(_flatten(item))
        else:
            out.append(item)
    return out


def reduce(criterion, result, what):
    """(value, samples) of a query result, using the criterion's aggregate."""
    values, is_list = numbers(result, what)
    if not values:
        return None, 0
    return criteria_mod.aggregate(values, criterion.aggregate), len(values)


def trim(result):
    """A JSON-serialisable copy of a query result, lists cut to MAX_RAW_ITEMS."""
    if isinstance(result, list) and len(result) > MAX_RAW_ITEMS:
        result = {"items": result[:MAX_RAW_ITEMS], "truncated_from": len(result)}
    # YAML may hold dates and the like; NaN is not JSON
    return json.loads(json.dumps(result, default=str, allow_nan=True),
                      parse_constant=lambda name: None)


def as_series(values, is_list):
    """Chart points for a list result: [[index, value], ...]."""
    return [[index, value] for index, value in enumerate(values[:MAX_RAW_ITEMS])] if is_list else []


# -- the provider -------------------------------------------------------------

class HttpJsonProvider(Provider):
    name = "http_json"
    required = ("url",)
    optional = ("headers", "query", "baseline_query")
    settings_keys = ("headers", "bearer_token", "username", "password", "verify_tls", "ca_file")

    def __init__(self, settings=None):
        super(HttpJsonProvider, self).__init__(settings)
        where = "providers.%s" % self.name
        self.client = http.client_from_settings(self.name, self.timeout, self.settings, where)

    def validate(self, criterion):
        super(HttpJsonProvider, self).validate(criterion)
        http.check_url(criterion.params.get("url"), criterion.name)
        http.check_headers(criterion.params.get("headers"), criterion.name)
        compile_query(criterion, "query")
        compile_query(criterion, "baseline_query")

    def measure(self, criterion, context):
        params = criterion.params
        url = http.check_url(params.get("url"), criterion.name)
        headers = http.check_headers(params.get("headers"), criterion.name)
        query = compile_query(criterion, "query")
        baseline_query = compile_query(criterion, "baseline_query")
        what = "%s: %s" % (self.name, secrets.safe_url(url))

        document = self.call(self.client.get_json, url, None, headers)

        result = search(query, document, what)
        values, is_list = numbers(result, what)
        value = criteria_mod.aggregate(values, criterion.aggregate) if values else None
        baseline = None
        raw = {"url": secrets.safe_url(url), "result": trim(result)}
        if baseline_query is not None:
            baseline_result = search(baseline_query, document, what + " (baseline_query)")
            baseline, _count = reduce(criterion, baseline_result, what + " (baseline_query)")
            raw["baseline_result"] = trim(baseline_result)
        details = {"url": secrets.safe_url(url)}
        if is_list:
            details["items"] = len(values)
        return Measurement(value=value, baseline=baseline, samples=len(values), series=as_series(values, is_list),
                           raw=raw, details=details)
