# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The contract every metric provider implements.

A provider is constructed once per gate evaluation with its connection
settings (``settings``: the gate's ``providers.<name>`` mapping: endpoints,
credentials, timeout, retries), validates each criterion that uses it before
anything is queried, and measures a criterion on demand. Providers know
nothing about Ansible.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.kiro.platform.plugins.module_utils.common.errors import Unavailable
from ansible_collections.kiro.platform.plugins.module_utils.gate.errors import CriterionError


class Measurement:
    """One measurement of one criterion.

    value     the number the condition is checked against (None = no data)
    baseline  for baseline comparisons (savings = 1 - value / baseline)
    samples   how many underlying data points produced ``value`` (for min_samples)
    series    [[timestamp, number], ...] for charts (optional)
    raw       the provider's answer, JSON-serialisable and free of credentials,
              kept in the evidence bundle
    details   small JSON-serialisable facts for the report (e.g. per-server tools)
    """

    def __init__(self, value=None, baseline=None, samples=None, series=None, raw=None, details=None):
        self.value = None if value is None else float(value)
        self.baseline = None if baseline is None else float(baseline)
        self.samples = samples if samples is not None else (0 if value is None else 1)
        self.series = series or []
        self.raw = raw
        self.details = details or {}

    def as_dict(self):
        return {"value": self.value, "baseline": self.baseline, "samples": self.samples,
                "series": self.series, "details": self.details}


class Context:
    """What a provider may need beyond its criterion and settings.

    environment  the environment name (development | staging | production)
    phase        the phase number being gated
    hosts        {hostname: {"facts": <ansible_facts.kiro or None>, "ok": bool,
                  "targeted": bool}} for run_stats and kiro_compliance
    policy       the environment's safety policy (kiro_compliance)
    base_dir     directory relative paths in criteria resolve against
    now          evaluation start, seconds since the epoch (UTC)
    """

    def __init__(self, environment="development", phase=1, hosts=None, policy=None, base_dir=".", now=None):
        self.environment = environment
        self.phase = phase
        self.hosts = hosts or {}
        self.policy = policy or {}
        self.base_dir = base_dir
        self.now = now if now is not None else time.time()


class Provider:
    """Subclass per provider; register it in providers/__init__.py."""

    name = None
    # Criterion keys this provider requires / accepts (besides the common ones).
    required = ()
    optional = ()
    # Settings keys accepted under providers.<name> (besides timeout and retries).
    settings_keys = ()
    default_timeout = 10.0
    default_retries = 2

    def __init__(self, settings=None):
        self.settings = dict(settings or {})
        unknown = sorted(set(self.settings) - set(self.settings_keys) - {"timeout", "retries", "backoff"})
        if unknown:
            raise CriterionError("providers.%s" % self.name, "unknown setting(s) %s" % ", ".join(unknown))
        self.timeout = float(self.settings.get("timeout", self.default_timeout))
        self.retries = int(self.settings.get("retries", self.default_retries))
        self.backoff = float(self.settings.get("backoff", 0.5))

    def validate(self, criterion):
        """Raise CriterionError naming the criterion when a parameter is missing or wrong."""
        params = criterion.params
        for key in self.required:
            if params.get(key) in (None, "", [], {}):
                raise CriterionError(criterion.name, "provider %s needs '%s'" % (self.name, key))
        unknown = sorted(set(params) - set(self.required) - set(self.optional))
        if unknown:
            raise CriterionError(criterion.name, "provider %s does not take %s" % (self.name, ", ".join(unknown)))

    def measure(self, criterion, context):
        """Return a Measurement, or raise ProviderError. Must honour self.timeout."""
        raise NotImplementedError

    def call(self, func, *args, **kwargs):
        """Run ``func`` with this provider's retries and exponential backoff."""
        attempt = 0
        while True:
            try:
                return func(*args, **kwargs)
            except Unavailable as exc:
                if not exc.retryable or attempt >= self.retries:
                    raise
            attempt += 1
            time.sleep(self.backoff * (2 ** (attempt - 1)))
