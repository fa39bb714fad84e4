# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sentences every gate report shares: the headline, the result line, what was
measured against which condition, and why a criterion did not pass."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kiro.platform.plugins.module_utils.gate import conditions
from ansible_collections.kiro.platform.plugins.module_utils.gate.report import values

VERDICTS = ("pass", "warn", "fail", "inconclusive")


def verdict(item):
    """The verdict of a report or a criterion; anything unknown reads as inconclusive."""
    found = item.get("verdict")
    return found if found in VERDICTS else "inconclusive"


def phase_label(report):
    phase = report.get("phase")
    return "?" if phase is None else str(phase)


def condition(text):
    """The parsed condition, or None when ``text`` is not one."""
    try:
        return conditions.parse(text)
    except ValueError:
        return None


def subject(text):
    """value | savings | change: what a condition text compares."""
    parsed = condition(text)
    return parsed.subject if parsed else "value"


def subject_value(name, value, baseline):
    """What a condition on subject ``name`` compares, from a measured value and its baseline; None without."""
    return conditions.subject_value(name, values.number(value), values.number(baseline))


def measured_text(criterion):
    """'0.93', or 'savings 0.23 (1,230 vs 1,600)' for baseline conditions."""
    value = criterion.get("value")
    if value is None:
        return "no data"
    name = subject(criterion.get("condition"))
    if name == "value":
        return values.fmt_num(value)
    derived = subject_value(name, value, criterion.get("baseline"))
    return "%s %s (%s vs %s)" % (name, values.fmt_num(derived), values.fmt_num(value),
                                 values.fmt_num(criterion.get("baseline")))


def condition_text(criterion):
    text = criterion.get("condition") or "?"
    if criterion.get("warn_condition"):
        text += " (warn %s)" % criterion["warn_condition"]
    return text


def elapsed(criterion):
    """Seconds spent measuring ``criterion``, all its measurements together."""
    total = 0.0
    for entry in criterion.get("measurements") or []:
        seconds = values.number(entry.get("elapsed")) if isinstance(entry, dict) else None
        total += seconds or 0.0
    return total


def explain(criterion):
    """Why a criterion did not pass, in one line."""
    word = verdict(criterion)
    parts = []
    if criterion.get("reason"):
        parts.append(str(criterion["reason"]))
    elif criterion.get("error"):
        parts.append(str(criterion["error"]))
    if word == "fail" and criterion.get("value") is not None:
        parts.append("measured %s, needs %s" % (measured_text(criterion), criterion.get("condition")))
    elif word == "warn":
        parts.append("measured %s: misses %s, within warn %s" % (
            measured_text(criterion), criterion.get("condition"), criterion.get("warn_condition")))
    elif word == "inconclusive" and not parts:
        parts.append("no usable measurement")
    measurements = criterion.get("measurements") or []
    if criterion.get("stopped"):
        parts.append("stopped after %d measurement(s) by %s" % (len(measurements), criterion["stopped"]))
    outcomes = [m.get("outcome") for m in measurements if isinstance(m, dict)]
    if len(outcomes) > 1:
        counts = {}
        for outcome in outcomes:
            counts[outcome] = counts.get(outcome, 0) + 1
        parts.append("outcomes: " + ", ".join("%d %s" % (n, o) for o, n in sorted(counts.items(), key=str)))
    if criterion.get("dry_run"):
        parts.append("dry run, not enforced")
    return "; ".join(parts) if parts else word


def headline(report):
    return "Gate phase %s in %s: %s (score %s)" % (
        phase_label(report), report.get("environment") or "?", verdict(report).upper(),
        values.fmt_score(report.get("score")))


def outcome_line(report):
    word = verdict(report)
    if report.get("passed"):
        if report.get("approver"):
            return "Result: passed with approval"
        return "Result: passed"
    if report.get("needs_approval"):
        return "Result: blocked until a named approver gives a reason"
    names = [str(c.get("name")) for c in report.get("criteria") or []
             if not c.get("dry_run") and verdict(c) == word]
    which = ", ".join(names[:3]) + (" and %d more" % (len(names) - 3) if len(names) > 3 else "")
    if word == "inconclusive" and not [c for c in report.get("criteria") or [] if not c.get("dry_run")]:
        return "Result: blocked, inconclusive: no criterion is enforced (every one is dry_run)"
    if word == "inconclusive":
        return "Result: blocked, inconclusive (fail-closed): %s" % which if which else \
            "Result: blocked, inconclusive (fail-closed)"
    if word == "fail" and which:
        return "Result: blocked, failed: %s" % which
    return "Result: blocked"
