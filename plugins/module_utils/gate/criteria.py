# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Criteria as data, and their validation (all of it before any query)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math
import re

from ansible_collections.kiro.platform.plugins.module_utils.gate import conditions
from ansible_collections.kiro.platform.plugins.module_utils.gate.errors import CriterionError

ON_NO_DATA = ("fail", "inconclusive", "pass")
AGGREGATES = ("last", "mean", "sum", "min", "max", "count", "median", "p95")
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*\Z")

# Keys every criterion may carry; everything else belongs to its provider.
COMMON = {
    "name": None, "description": "", "provider": None, "pass": None, "warn": None,
    "on_no_data": "fail", "min_samples": 1, "count": 1, "interval": 0, "failure_limit": 0,
    "consecutive_error_limit": 0, "dry_run": False, "weight": 1, "aggregate": "last",
}


def _number(value, name, key, minimum=0, integer=False):
    if isinstance(value, bool):
        raise CriterionError(name, "%s must be a number" % key)
    try:
        number = int(value) if integer else float(value)
    except (TypeError, ValueError):
        raise CriterionError(name, "%s must be a number, not %r" % (key, value))
    if integer and float(value) != number:
        raise CriterionError(name, "%s must be a whole number" % key)
    if not math.isfinite(number):
        raise CriterionError(name, "%s must be a finite number, not %r" % (key, value))
    if number < minimum:
        raise CriterionError(name, "%s must be >= %s" % (key, minimum))
    return number


class Criterion:
    """A validated criterion. ``params`` holds the provider-specific keys."""

    def __init__(self, data, require_condition=True):
        if not isinstance(data, dict):
            raise CriterionError("?", "a criterion must be a mapping")
        name = data.get("name")
        if not isinstance(name, str) or not NAME_RE.match(name):
            raise CriterionError(repr(name), "name must be a word such as 'autonomous_success_rate'")
        self.name = name
        self.description = data.get("description") or ""
        self.provider = data.get("provider")
        if not isinstance(self.provider, str) or not self.provider:
            raise CriterionError(name, "provider is required")
        if data.get("pass") in (None, ""):
            if require_condition:
                raise CriterionError(name, "a pass condition is required (e.g. pass: '> 0.9')")
            data = dict(data, **{"pass": ">= -1e308"})  # a bare measurement (the metric lookup)
        try:
            self.pass_ = conditions.parse(data["pass"])
            self.warn = conditions.parse(data["warn"]) if data.get("warn") not in (None, "") else None
        except ValueError as exc:
            raise CriterionError(name, str(exc))
        self.on_no_data = data.get("on_no_data") or "fail"
        if self.on_no_data not in ON_NO_DATA:
            raise CriterionError(name, "on_no_data must be one of %s" % ", ".join(ON_NO_DATA))
        self.aggregate = data.get("aggregate") or "last"
        if self.aggregate not in AGGREGATES:
            raise CriterionError(name, "aggregate must be one of %s" % ", ".join(AGGREGATES))
        self.min_samples = _number(data.get("min_samples", 1), name, "min_samples", 0, integer=True)
        self.count = _number(data.get("count", 1), name, "count", 1, integer=True)
        self.interval = _number(data.get("interval", 0), name, "interval", 0)
        self.failure_limit = _number(data.get("failure_limit", 0), name, "failure_limit", 0, integer=True)
        self.consecutive_error_limit = _number(data.get("consecutive_error_limit", 0), name,
                                               "consecutive_error_limit", 0, integer=True)
        self.weight = _number(data.get("weight", 1), name, "weight", 0)
        dry_run = data.get("dry_run", False)
        if not isinstance(dry_run, bool):
            raise CriterionError(name, "dry_run must be true or false")
        self.dry_run = dry_run
        self.params = dict((k, v) for k, v in data.items() if k not in COMMON)

    @property
    def needs_baseline(self):
        return self.pass_.needs_baseline or (self.warn is not None and self.warn.needs_baseline)

    def definition(self):
        """The criterion as declared (for reports and the evidence bundle)."""
        out = {"name": self.name, "description": self.description, "provider": self.provider,
               "pass": str(self.pass_), "warn": str(self.warn) if self.warn else None,
               "on_no_data": self.on_no_data, "min_samples": self.min_samples, "count": self.count,
               "interval": self.interval, "failure_limit": self.failure_limit,
               "consecutive_error_limit": self.consecutive_error_limit, "dry_run": self.dry_run,
               "weight": self.weight, "aggregate": self.aggregate}
        out.update(self.params)
        return out


def aggregate(values, how):
    """Reduce a list of numbers; None when empty."""
    values = [float(v) for v in values if v is not None]
    if how == "count":
        return float(len(values))
    if not values:
        return None
    if how == "last":
        return values[-1]
    if how == "mean":
        return sum(values) / len(values)
    if how == "sum":
        return sum(values)
    if how == "min":
        return min(values)
    if how == "max":
        return max(values)
    ordered = sorted(values)
    if how == "median":
        mid = len(ordered) // 2
        return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2.0
    # p95, nearest rank
    rank = max(1, int(round(0.95 * len(ordered) + 0.49999)))
    return ordered[min(rank, len(ordered)) - 1]


def load(items):
    """Validate a list of criteria; names must be unique."""
    if not isinstance(items, list) or not items:
        raise CriterionError("gate", "a gate needs a non-empty list of criteria")
    out = []
    seen = set()
    for item in items:
        criterion = Criterion(item)
        if criterion.name in seen:
            raise CriterionError(criterion.name, "is defined twice in this gate")
        seen.add(criterion.name)
        out.append(criterion)
    return out


def merge(defaults, overrides):
    """Apply per-environment overrides to a phase's default criteria, by name.

    ``overrides`` maps a criterion name to the keys to change; ``null`` removes the
    criterion; a name not among the defaults adds a new criterion. When an override
    changes the provider, the default's provider-specific keys are dropped (so a
    Prometheus criterion can become a file criterion in the sandbox).
    """
    overrides = overrides or {}
    if not isinstance(overrides, dict):
        raise CriterionError("overrides", "must map criterion names to changes")
    out = []
    seen = set()
    for item in defaults or []:
        name = item.get("name") if isinstance(item, dict) else None
        seen.add(name)
        if name not in overrides:
            out.append(dict(item))
            continue
        change = overrides[name]
        if change is None:
            continue
        if not isinstance(change, dict):
            raise CriterionError(name, "an override must be a mapping (or null to remove the criterion)")
        if change.get("provider") not in (None, item.get("provider")):
            base = dict((k, v) for k, v in item.items() if k in COMMON)
        else:
            base = dict(item)
        base.update(change)
        base["name"] = name
        out.append(base)
    for name, change in overrides.items():
        if name not in seen and change is not None:
            if not isinstance(change, dict):
                raise CriterionError(name, "an added criterion must be a mapping")
            out.append(dict(change, name=name))
    return out


def layer(environment_overrides, run_overrides):
    """One overrides mapping: a run's changes (``-e gate_overrides``) over an environment's.

    Both map a criterion name to the keys to change (``null`` removes the criterion). A
    run's change merges its keys into the environment's change of that criterion, so
    ``-e '{"gate_overrides": {"x": {"pass": "> 0.95"}}}'`` changes the threshold and keeps
    the environment's provider and query; ``null`` removes the criterion; a change that
    names another provider than the environment's starts again from the common keys
    (as ``merge`` does with a default). The result is applied with ``merge``.
    """
    out = {}
    for label, given in (("rollout_gate_overrides", environment_overrides), ("gate_overrides", run_overrides)):
        if given is None:
            continue
        if not isinstance(given, dict):
            raise CriterionError(label, "must map criterion names to changes (or null), not %s"
                                 % type(given).__name__)
        for name, change in given.items():
            if change is not None and not isinstance(change, dict):
                raise CriterionError(name, "%s: an override must be a mapping (or null to remove the criterion)"
                                     % label)
            base = out.get(name)
            if change is None or not isinstance(base, dict):
                out[name] = None if change is None else dict(change)
                continue
            if change.get("provider") not in (None, base.get("provider")) and base.get("provider") is not None:
                base = dict((k, v) for k, v in base.items() if k in COMMON)
            out[name] = dict(base, **change)
    return out
