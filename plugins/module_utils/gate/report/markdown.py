# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Markdown summary operators read in the play output and in AWX."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kiro.platform.plugins.module_utils.gate.report import summary, values


def _cell(text, limit=60):
    text = values.short(text, limit)
    return text.replace("\\", "\\\\").replace("|", "\\|")


def render(report):
    """The operator summary: headline, result, one table row per criterion, then failures and warnings."""
    lines = ["## " + summary.headline(report), "", summary.outcome_line(report)]
    when = report.get("started")
    if when:
        lines.append("Started %s, took %s" % (when, values.fmt_duration(report.get("duration"))))
    if report.get("approver"):
        lines.append("Approved by %s: %s" % (values.short(report["approver"], 60),
                                             values.short(report.get("approval_reason") or "", 100)))
    if report.get("evidence_sha256"):
        lines.append("Evidence sha256: %s" % report["evidence_sha256"])
    if report.get("ledger_anchor"):
        anchor = report["ledger_anchor"]
        lines.append("Ledger anchor: seq %s, sha256 %s" % (anchor.get("seq"), anchor.get("sha256")))
    lines += ["", "| Criterion | Verdict | Measured | Condition | Samples | Provider |",
              "|---|---|---|---|---|---|"]
    criteria = report.get("criteria") or []
    for criterion in criteria:
        name = str(criterion.get("name"))
        if criterion.get("dry_run"):
            name += " (dry run)"
        samples = criterion.get("samples")
        lines.append("| %s | %s | %s | %s | %s | %s |" % (
            _cell(name), summary.verdict(criterion).upper(), _cell(summary.measured_text(criterion)),
            _cell(summary.condition_text(criterion)), "-" if samples is None else _cell(samples),
            _cell(criterion.get("provider") or "?")))
    if not criteria:
        lines.append("| (no criteria) | | | | | |")
    lines += ["", "### Failures and warnings", ""]
    problems = [c for c in criteria if summary.verdict(c) != "pass"]
    for criterion in problems:
        label = summary.verdict(criterion).upper()
        if criterion.get("dry_run"):
            label += ", dry run"
        lines.append("- %s (%s): %s" % (criterion.get("name"), label, values.short(summary.explain(criterion), 300)))
    if not problems:
        lines.append("None.")
    return "\n".join(lines) + "\n"
