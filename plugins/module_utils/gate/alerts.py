# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Prometheus alerting rules from gate criteria: the gate, watched continuously.

One alerting rule per Prometheus criterion, firing when the criterion's pass
condition no longer holds, with the SAME threshold the gate uses: ``pass: "> 0.9"``
becomes ``(<query>) <= 0.9``. A criterion with a ``warn`` condition gets two rules
of the same name: ``severity: warning`` when the pass condition fails (the gate
would say warn or fail) and ``severity: critical`` when the warn condition fails
too (the gate would say fail).

Not every criterion can be an alert: other providers, conditions on ``savings``
or ``change`` (they need a baseline window) and range queries (the gate
aggregates over a window, an alert sees one instant) are returned in ``skipped``
with the reason.

Pure Python: no Ansible import.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.kiro.platform.plugins.module_utils.gate import criteria as criteria_mod

PREFIX = "KiroGate"
GROUP = "kiro-gates-%s"
# The comparison that holds exactly when the gate's comparison does not.
NEGATE = {">": "<=", ">=": "<", "<": ">=", "<=": ">", "==": "!=", "!=": "=="}
_DURATION = re.compile(r"^(?:\d+(?:ms|s|m|h|d|w|y))+\Z")
_LABEL = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\Z")
_WORD = re.compile(r"[^A-Za-z0-9]+")


def alert_name(criterion_name):
    """``autonomous_success_rate`` -> ``KiroGateAutonomousSuccessRate``."""
    parts = [part for part in _WORD.split(str(criterion_name)) if part]
    return PREFIX + "".join(part[0].upper() + part[1:] for part in parts)


def normalise_query(query):
    """One line: whitespace runs outside string literals become one space, ``#``
    comments are dropped (joined onto one line they would swallow the rest)."""
    out = []
    quote = None
    pending_space = False
    text = str(query)
    i = 0
    while i < len(text):
        char = text[i]
        if quote:
            out.append(char)
            if char == "\\" and quote != "`" and i + 1 < len(text):
                out.append(text[i + 1])
                i += 1
            elif char == quote:
                quote = None
        elif char == "#":
            while i < len(text) and text[i] != "\n":
                i += 1
            pending_space = True
            continue
        elif char.isspace():
            pending_space = True
        else:
            if pending_space and out:
                out.append(" ")
            pending_space = False
            out.append(char)
            if char in "\"'`":
                quote = char
        i += 1
    return "".join(out)


def number(value):
    """A threshold as PromQL writes it: 30.0 -> 30, 0.9 -> 0.9."""
    value = float(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def negated_expr(query, condition):
    """The PromQL that returns the series for which ``condition`` does not hold."""
    query = normalise_query(query)
    if condition.op == "between":
        return "(%s) < %s or (%s) > %s" % (query, number(condition.low), query, number(condition.high))
    return "(%s) %s %s" % (query, NEGATE[condition.op], number(condition.low))


def _describe(condition):
    if condition.op == "between":
        return "between %s and %s" % (number(condition.low), number(condition.high))
    return "%s %s" % (condition.op, number(condition.low))


def _skip_reason(criterion):
    if criterion.provider != "prometheus":
        return "provider %s is not Prometheus" % criterion.provider
    if criterion.needs_baseline:
        return "a %s condition compares against a baseline window" % (
            criterion.pass_.subject if criterion.pass_.needs_baseline else criterion.warn.subject)
    if criterion.params.get("query") in (None, ""):
        return "no query"
    if criterion.params.get("range") not in (None, ""):
        return "a range query is aggregated over its window; an instant alert would not match the gate"
    return None


def _labels(extra, severity, environment, phase, name):
    labels = {}
    for key, value in (extra or {}).items():
        if not _LABEL.match(str(key)):
            raise ValueError("label name %r is not a Prometheus label name" % (key,))
        labels[str(key)] = str(value)
    labels.update(severity=severity, environment=str(environment), criterion=name)
    if phase is not None:
        labels["phase"] = str(phase)
    return dict(sorted(labels.items()))


def _rule(criterion, condition, severity, environment, phase, for_, labels):
    where = "phase %s gate in %s" % (phase, environment) if phase is not None else "gate in %s" % environment
    verdict = "fail" if severity == "critical" else "not pass"
    description = criterion.description.strip().rstrip(".") if criterion.description else criterion.name
    text = ("%s. The %s needs the value %s (condition '%s'); for %s it has not been "
            "(now {{ $value }}), so the gate would %s." % (description, where, _describe(condition),
                                                           condition.text, for_, verdict))
    return {
        "alert": alert_name(criterion.name),
        "expr": negated_expr(criterion.params["query"], condition),
        "for": for_,
        "labels": _labels(labels, severity, environment, phase, criterion.name),
        "annotations": {
            "summary": "Kiro gate criterion %s no longer meets %s in %s" % (
                criterion.name, _describe(condition), environment),
            "description": text,
        },
    }


def criterion_rules(item, environment, phase=None, for_="10m", labels=None):
    """(rules, skip reason or None) for one criterion mapping.

    Only Prometheus criteria are validated: the others are the gate's business.
    """
    if isinstance(item, dict) and item.get("provider") != "prometheus":
        return [], "provider %s is not Prometheus" % item.get("provider")
    criterion = criteria_mod.Criterion(item)
    reason = _skip_reason(criterion)
    if reason:
        return [], reason
    if criterion.warn is None:
        return [_rule(criterion, criterion.pass_, "critical", environment, phase, for_, labels)], None
    return [_rule(criterion, criterion.pass_, "warning", environment, phase, for_, labels),
            _rule(criterion, criterion.warn, "critical", environment, phase, for_, labels)], None


def _check(environment, for_):
    if not isinstance(environment, str) or not environment:
        raise ValueError("environment must be a name such as 'production'")
    if not isinstance(for_, str) or not _DURATION.match(for_):
        raise ValueError("for_ must be a Prometheus duration such as '10m', not %r" % (for_,))


def rules(criteria, environment, phase=None, for_="10m", labels=None):
    """The rules document for one list of criteria and the criteria left out.

    Returns ``(document, skipped)``: document is ``{"groups": [{"name":
    "kiro-gates-<environment>", "rules": [...]}]}``; skipped is a list of
    ``{"name", "phase", "provider", "reason"}``.
    """
    _check(environment, for_)
    out = []
    skipped = []
    for item in criteria or []:
        made, reason = criterion_rules(item, environment, phase, for_, labels)
        if reason:
            skipped.append({"name": item.get("name"), "phase": phase, "provider": item.get("provider"),
                            "reason": reason})
        out.extend(made)
    return {"groups": [{"name": GROUP % environment, "rules": out}]}, skipped


def _phase_key(key):
    try:
        return int(key)
    except (TypeError, ValueError):
        raise ValueError("phase %r is not a number" % (key,))


def rules_by_phase(by_phase, environment, phases=None, overrides=None, for_="10m", labels=None):
    """Like :func:`rules` for ``{phase: [criteria]}``, one group for every phase.

    ``overrides`` maps a phase to ``{criterion name: changes}`` and is applied with
    :func:`criteria.merge` (the gate's own semantics: null removes a criterion, a
    new name adds one, a new provider drops the old provider's keys).
    ``phases`` selects (and orders) the phases; None means all, in order.
    """
    _check(environment, for_)
    if not isinstance(by_phase, dict):
        raise ValueError("criteria by phase must map a phase number to a list of criteria")
    table = dict((_phase_key(k), v) for k, v in by_phase.items())
    changes = dict((_phase_key(k), v) for k, v in (overrides or {}).items())
    if phases is None:
        selected = sorted(table)
    else:
        selected = [_phase_key(p) for p in (phases if isinstance(phases, (list, tuple)) else [phases])]
    out = []
    skipped = []
    for phase in selected:
        if phase not in table:
            raise ValueError("there are no criteria for phase %s" % phase)
        merged = criteria_mod.merge(table[phase], changes.get(phase))
        document, left = rules(merged, environment, phase, for_, labels)
        out.extend(document["groups"][0]["rules"])
        skipped.extend(left)
    return {"groups": [{"name": GROUP % environment, "rules": out}]}, skipped


__all__ = ["alert_name", "normalise_query", "negated_expr", "rules", "rules_by_phase"]
