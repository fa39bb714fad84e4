# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Evaluate a gate: validate everything, then measure all criteria concurrently.

Per measurement the outcome is pass | warn | fail | nodata | insufficient | error.
Per criterion (Argo Rollouts analysis semantics):
  - more ``fail`` outcomes than ``failure_limit``            -> fail
  - more consecutive nodata/insufficient/error outcomes than
    ``consecutive_error_limit``, or no usable measurement    -> on_no_data (fail | inconclusive | pass)
  - any ``warn``                                             -> warn
  - otherwise                                                -> pass
The gate: fail if any enforced (non dry-run) criterion fails; else inconclusive
if any is inconclusive, or if none is enforced (every criterion dry_run: score
None); else warn if any warns; else pass. A warn (and, with
fail_closed false, an inconclusive) passes only with a named approver and a reason.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import concurrent.futures
import threading
import time

from ansible_collections.kiro.platform.plugins.module_utils.common.errors import Unavailable
from ansible_collections.kiro.platform.plugins.module_utils.common import clock, secrets
from ansible_collections.kiro.platform.plugins.module_utils.gate import criteria as criteria_mod
from ansible_collections.kiro.platform.plugins.module_utils.gate import providers as registry
from ansible_collections.kiro.platform.plugins.module_utils.gate.errors import CriterionError, ProviderError


VERDICTS = ("pass", "warn", "fail", "inconclusive")
NO_EVIDENCE = ("nodata", "insufficient", "error")


def utc(ts):
    return clock.iso(ts)


def prepare(items, settings):
    """Validate the criteria and build their providers. Raises CriterionError."""
    settings = settings or {}
    if not isinstance(settings, dict):
        raise CriterionError("providers", "must be a mapping of provider name to settings")
    for name in settings:
        if registry.load(name) is None:
            raise CriterionError("providers.%s" % name, "unknown provider; known: %s" % ", ".join(registry.names()))
    loaded = criteria_mod.load(items)
    providers = {}
    for criterion in loaded:
        cls = registry.load(criterion.provider)
        if cls is None:
            raise CriterionError(criterion.name, "unknown provider '%s'; known: %s"
                                 % (criterion.provider, ", ".join(registry.names())))
        if criterion.provider not in providers:
            providers[criterion.provider] = cls(settings.get(criterion.provider))
        providers[criterion.provider].validate(criterion)
    return loaded, providers


def _what(criterion):
    """What a criterion measures, in one line for reports (credentials masked)."""
    params = criterion.params
    for key in ("query", "metric", "path", "url", "config", "kind", "measure"):
        if params.get(key):
            value = params[key]
            if key == "url":
                value = secrets.url(value)
            return value if isinstance(value, str) else str(secrets.config(value))
    return criterion.provider


def classify(criterion, measurement):
    if measurement.value is None:
        return "nodata"
    if measurement.samples < criterion.min_samples:
        return "insufficient"
    passed = criterion.pass_.holds(measurement.value, measurement.baseline)
    if passed is None:
        return "nodata"
    if passed:
        return "pass"
    if criterion.warn is not None and criterion.warn.holds(measurement.value, measurement.baseline):
        return "warn"
    return "fail"


def _measure_with_watchdog(provider, criterion, context):
    """Providers honour their own timeout; this bounds a provider that does not."""
    # A measurement may make a few calls (a baseline window, pages), each with retries.
    per_call = provider.timeout * (provider.retries + 1) + provider.backoff * (2 ** provider.retries)
    budget = getattr(provider, "calls_per_measurement", 3) * per_call + 5
    box = {}

    def target():
        try:
            box["result"] = provider.measure(criterion, context)
        except BaseException as exc:  # reported as the measurement's error
            box["error"] = exc

    thread = threading.Thread(target=target, name="measure-%s" % criterion.name)
    thread.daemon = True
    thread.start()
    thread.join(budget)
    if thread.is_alive():
        raise ProviderError("no answer within %.0f s" % budget, retryable=False)
    if "error" in box:
        error = box["error"]
        if isinstance(error, Exception):
            raise error
        raise ProviderError("%s: %s" % (type(error).__name__, error), retryable=False)
    return box["result"]


def run_criterion(criterion, provider, context, progress=None, sleep=time.sleep):
    measurements = []
    raw = []
    failures = 0
    consecutive = 0
    stopped = None
    for index in range(criterion.count):
        if index:
            sleep(criterion.interval)
        started = time.time()
        entry = {"index": index + 1, "started": utc(started)}
        try:
            measurement = _measure_with_watchdog(provider, criterion, context)
            outcome = classify(criterion, measurement)
            entry.update(measurement.as_dict())
            raw.append(measurement.raw)
        except Unavailable as exc:
            outcome, entry["error"] = "error", str(exc)
        except Exception as exc:  # a provider bug must not pass or crash the gate
            outcome, entry["error"] = "error", "%s: %s" % (type(exc).__name__, exc)
        entry["outcome"] = outcome
        entry["elapsed"] = round(time.time() - started, 3)
        measurements.append(entry)
        if progress:
            progress(criterion, index + 1, criterion.count, entry)
        if outcome == "fail":
            failures += 1
        consecutive = consecutive + 1 if outcome in NO_EVIDENCE else 0
        if failures > criterion.failure_limit:
            stopped = "failure_limit"
            break
        if consecutive > criterion.consecutive_error_limit:
            stopped = "consecutive_error_limit"
            break
    outcomes = [m["outcome"] for m in measurements]
    usable = [m for m in measurements if m["outcome"] in ("pass", "warn", "fail")]
    if failures > criterion.failure_limit:
        verdict = "fail"
    elif stopped == "consecutive_error_limit" or not usable:
        verdict = criterion.on_no_data
    elif "warn" in outcomes:
        verdict = "warn"
    else:
        verdict = "pass"
    last = usable[-1] if usable else (measurements[-1] if measurements else {})
    errors = [m["error"] for m in measurements if m.get("error")]
    reason = None
    if verdict == criterion.on_no_data and not usable:
        reason = "; ".join(sorted(set(errors))) or (
            "too few samples (%s < min_samples %d)" % (last.get("samples"), criterion.min_samples)
            if "insufficient" in outcomes else "no data")
    return {
        "name": criterion.name, "description": criterion.description, "provider": criterion.provider,
        "query": _what(criterion),
        "condition": str(criterion.pass_), "warn_condition": str(criterion.warn) if criterion.warn else None,
        "verdict": verdict, "value": last.get("value"), "baseline": last.get("baseline"),
        "samples": last.get("samples"), "values": [m.get("value") for m in measurements],
        "measurements": measurements, "stopped": stopped, "error": errors[-1] if errors else None,
        "reason": reason, "dry_run": criterion.dry_run, "weight": criterion.weight,
        "thresholds": criterion.pass_.threshold(), "definition": secrets.config(criterion.definition()), "raw": raw,
        "details": last.get("details") or {},
    }


def verdict_of(results, fail_closed=True):
    enforced = [r for r in results if not r["dry_run"]]
    if not enforced:
        # Nothing was enforced (every criterion dry_run): no evidence the phase may go on.
        return "inconclusive"
    verdicts = set(r["verdict"] for r in enforced)
    if "fail" in verdicts:
        return "fail"
    if "inconclusive" in verdicts:
        return "inconclusive"
    if "warn" in verdicts:
        return "warn"
    return "pass"


def score_of(results):
    enforced = [r for r in results if not r["dry_run"]]
    if not enforced:
        return None
    total = sum(r["weight"] for r in enforced)
    if not total:
        return 100.0
    got = sum(r["weight"] * {"pass": 1.0, "warn": 0.5}.get(r["verdict"], 0.0) for r in enforced)
    return round(100.0 * got / total, 1)


def evaluate(items, settings, context, progress=None, max_workers=None, approver=None, reason=None,
             fail_closed=True, sleep=time.sleep):
    """Validate, measure, decide. Returns the report dict (without file paths)."""
    loaded, providers = prepare(items, settings)
    started = time.time()
    workers = max_workers or len(loaded)
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(run_criterion, c, providers[c.provider], context, progress, sleep) for c in loaded]
        results = [f.result() for f in futures]
    finished = time.time()
    verdict = verdict_of(results, fail_closed)
    # An approval is recorded only where it decided something.
    approvable = verdict == "warn" or (verdict == "inconclusive" and not fail_closed)
    # A blank approver or reason names no one and says nothing.
    approved = bool(str(approver or "").strip() and str(reason or "").strip()) and approvable
    if verdict == "pass":
        passed = True
    elif verdict == "warn" or (verdict == "inconclusive" and not fail_closed):
        passed = approved
    else:
        passed = False
    return {
        "phase": context.phase, "environment": context.environment, "verdict": verdict, "passed": passed,
        "score": score_of(results), "started": utc(started), "finished": utc(finished),
        "duration": round(finished - started, 3), "approver": approver if approved else None,
        "approval_reason": reason if approved else None, "fail_closed": fail_closed,
        "needs_approval": verdict in ("warn",) or (verdict == "inconclusive" and not fail_closed),
        "criteria": results,
    }


def measure(item, settings, context):
    """One bare measurement (for the metric lookup): Measurement or ProviderError."""
    criterion = criteria_mod.Criterion(dict(item, name=item.get("name") or "lookup"), require_condition=False)
    cls = registry.load(criterion.provider)
    if cls is None:
        raise CriterionError(criterion.name, "unknown provider '%s'; known: %s"
                             % (criterion.provider, ", ".join(registry.names())))
    provider = cls((settings or {}).get(criterion.provider))
    provider.validate(criterion)
    return provider.measure(criterion, context)
