# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Gate reports: JSON (machines), Markdown (operators, AWX), JUnit XML (CI),
a self-contained HTML page with inline SVG charts (people), and the evidence
bundle (raw provider answers + the gate definition) whose sha256 goes in the
ledger.

Everything written goes through ``common.secrets.redact`` first: values under secret-like
keys, URL credentials and query strings, ``Bearer`` tokens and the caller's
explicit secrets never reach a file. Standard library only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import hashlib
import html as html_mod
import json
import math
import os
import re
import xml.etree.ElementTree as ET

from ansible_collections.kiro.platform.plugins.module_utils.common import archive, clock, fileio
from ansible_collections.kiro.platform.plugins.module_utils.common import secrets as secrets_mod

VERDICTS = ("pass", "warn", "fail", "inconclusive")

FILE_MODE = 0o640
EVIDENCE_MODE = 0o600
DIR_MODE = 0o750

# ---------------------------------------------------------------------------
# Small formatting helpers
# ---------------------------------------------------------------------------

def _is_num(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _float(value):
    """A finite float, or None."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if math.isnan(number) or math.isinf(number):
        return None
    return number


def fmt_num(value):
    """Short human text for a number; 'no data' for None."""
    if value is None:
        return "no data"
    if not _is_num(value):
        return str(value)
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return str(value)
    if float(value).is_integer() and abs(value) < 1e15:
        return "{:,}".format(int(value)) if abs(value) >= 10000 else str(int(value))
    if abs(value) >= 1000:
        return "{:,.1f}".format(value)
    if abs(value) >= 1:
        return ("%.3f" % value).rstrip("0").rstrip(".")
    return "%.4g" % value


def _score(score):
    number = _float(score)
    return "%.1f" % number if number is not None else "n/a"


def _duration(seconds):
    number = _float(seconds)
    if number is None:
        return "n/a"
    if number < 60:
        return "%.1f s" % number
    minutes, secs = divmod(int(round(number)), 60)
    if minutes < 60:
        return "%d min %02d s" % (minutes, secs)
    hours, minutes = divmod(minutes, 60)
    return "%d h %02d min" % (hours, minutes)


def _short(text, limit=160):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _phase_label(report):
    phase = report.get("phase")
    return "?" if phase is None else str(phase)


def _verdict(value):
    return value if value in VERDICTS else "inconclusive"


def _subject(condition):
    """value | savings | change: what a condition text compares."""
    text = (condition or "").strip().lower()
    for subject in ("savings", "change"):
        if text.startswith(subject):
            return subject
    return "value"


def _subject_value(subject, value, baseline):
    value, baseline = _float(value), _float(baseline)
    if value is None:
        return None
    if subject == "value":
        return value
    if baseline in (None, 0.0):
        return None
    return 1.0 - value / baseline if subject == "savings" else value / baseline - 1.0


def measured_text(criterion):
    """'0.93', or 'savings 0.23 (1,230 vs 1,600)' for baseline conditions."""
    value = criterion.get("value")
    if value is None:
        return "no data"
    subject = _subject(criterion.get("condition"))
    if subject == "value":
        return fmt_num(value)
    derived = _subject_value(subject, value, criterion.get("baseline"))
    return "%s %s (%s vs %s)" % (subject, fmt_num(derived), fmt_num(value), fmt_num(criterion.get("baseline")))


def condition_text(criterion):
    text = criterion.get("condition") or "?"
    if criterion.get("warn_condition"):
        text += " (warn %s)" % criterion["warn_condition"]
    return text


def _elapsed(criterion):
    total = 0.0
    for entry in criterion.get("measurements") or []:
        number = _float(entry.get("elapsed")) if isinstance(entry, dict) else None
        total += number or 0.0
    return total


def explain(criterion):
    """Why a criterion did not pass, in one line."""
    verdict = _verdict(criterion.get("verdict"))
    parts = []
    if criterion.get("reason"):
        parts.append(str(criterion["reason"]))
    elif criterion.get("error"):
        parts.append(str(criterion["error"]))
    if verdict == "fail" and criterion.get("value") is not None:
        parts.append("measured %s, needs %s" % (measured_text(criterion), criterion.get("condition")))
    elif verdict == "warn":
        parts.append("measured %s: misses %s, within warn %s" % (
            measured_text(criterion), criterion.get("condition"), criterion.get("warn_condition")))
    elif verdict == "inconclusive" and not parts:
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
    return "; ".join(parts) if parts else verdict


def headline(report):
    return "Gate phase %s in %s: %s (score %s)" % (
        _phase_label(report), report.get("environment") or "?", _verdict(report.get("verdict")).upper(),
        _score(report.get("score")))


def outcome_line(report):
    verdict = _verdict(report.get("verdict"))
    if report.get("passed"):
        if report.get("approver"):
            return "Result: passed with approval"
        return "Result: passed"
    if report.get("needs_approval"):
        return "Result: blocked until a named approver gives a reason"
    names = [str(c.get("name")) for c in report.get("criteria") or []
             if not c.get("dry_run") and _verdict(c.get("verdict")) == verdict]
    which = ", ".join(names[:3]) + (" and %d more" % (len(names) - 3) if len(names) > 3 else "")
    if verdict == "inconclusive":
        return "Result: blocked, inconclusive (fail-closed): %s" % which if which else \
            "Result: blocked, inconclusive (fail-closed)"
    if verdict == "fail" and which:
        return "Result: blocked, failed: %s" % which
    return "Result: blocked"


# ---------------------------------------------------------------------------
# Markdown
# ---------------------------------------------------------------------------

def _md_cell(text, limit=60):
    text = _short(text, limit)
    return text.replace("\\", "\\\\").replace("|", "\\|")


def markdown(report):
    """The operator summary (play output, AWX): headline, table, failures."""
    lines = ["## " + headline(report), "", outcome_line(report)]
    when = report.get("started")
    if when:
        lines.append("Started %s, took %s" % (when, _duration(report.get("duration"))))
    if report.get("approver"):
        lines.append("Approved by %s: %s" % (_short(report["approver"], 60),
                                             _short(report.get("approval_reason") or "", 100)))
    if report.get("evidence_sha256"):
        lines.append("Evidence sha256: %s" % report["evidence_sha256"])
    lines += ["", "| Criterion | Verdict | Measured | Condition | Samples | Provider |",
              "|---|---|---|---|---|---|"]
    criteria = report.get("criteria") or []
    for criterion in criteria:
        name = str(criterion.get("name"))
        if criterion.get("dry_run"):
            name += " (dry run)"
        samples = criterion.get("samples")
        lines.append("| %s | %s | %s | %s | %s | %s |" % (
            _md_cell(name), _verdict(criterion.get("verdict")).upper(), _md_cell(measured_text(criterion)),
            _md_cell(condition_text(criterion)), "-" if samples is None else _md_cell(samples),
            _md_cell(criterion.get("provider") or "?")))
    if not criteria:
        lines.append("| (no criteria) | | | | | |")
    lines += ["", "### Failures and warnings", ""]
    problems = [c for c in criteria if _verdict(c.get("verdict")) != "pass"]
    for criterion in problems:
        label = _verdict(criterion.get("verdict")).upper()
        if criterion.get("dry_run"):
            label += ", dry run"
        lines.append("- %s (%s): %s" % (criterion.get("name"), label, _short(explain(criterion), 300)))
    if not problems:
        lines.append("None.")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# JUnit XML
# ---------------------------------------------------------------------------

_XML_BAD = re.compile(u"[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _x(text):
    return _XML_BAD.sub("?", "" if text is None else str(text))


def junit(report):
    """JUnit XML: one testsuite, one testcase per criterion."""
    criteria = report.get("criteria") or []
    counts = {"failures": 0, "errors": 0, "skipped": 0}
    suite_name = "gate.phase%s.%s" % (_phase_label(report), report.get("environment") or "unknown")
    cases = []
    for criterion in criteria:
        verdict = _verdict(criterion.get("verdict"))
        case = ET.Element("testcase", {
            "classname": _x(criterion.get("provider") or "unknown"), "name": _x(criterion.get("name")),
            "time": "%.3f" % _elapsed(criterion)})
        summary = "measured %s; condition %s; samples %s; verdict %s" % (
            measured_text(criterion), condition_text(criterion), criterion.get("samples"), verdict)
        if criterion.get("dry_run"):
            counts["skipped"] += 1
            ET.SubElement(case, "skipped", {"message": "dry run: verdict %s" % verdict})
        elif verdict == "fail":
            counts["failures"] += 1
            node = ET.SubElement(case, "failure", {"message": _x(_short(explain(criterion), 500)), "type": "fail"})
            node.text = _x(summary)
        elif verdict == "inconclusive":
            counts["errors"] += 1
            node = ET.SubElement(case, "error", {"message": _x(_short(explain(criterion), 500)),
                                                 "type": "inconclusive"})
            node.text = _x(summary)
        out = ET.SubElement(case, "system-out")
        if verdict == "warn" and not criterion.get("dry_run"):
            out.text = _x("WARNING: %s\n%s" % (explain(criterion), summary))
        else:
            out.text = _x(summary)
        cases.append(case)
    attrs = {"name": _x(suite_name), "tests": str(len(criteria)), "failures": str(counts["failures"]),
             "errors": str(counts["errors"]), "skipped": str(counts["skipped"]),
             "time": "%.3f" % (_float(report.get("duration")) or 0.0)}
    if report.get("started"):
        attrs["timestamp"] = _x(report["started"])
    root = ET.Element("testsuites", dict((k, attrs[k]) for k in ("name", "tests", "failures", "errors", "time")))
    suite = ET.SubElement(root, "testsuite", attrs)
    props = ET.SubElement(suite, "properties")
    for key in ("verdict", "passed", "score", "approver", "approval_reason", "fail_closed", "needs_approval",
                "evidence_sha256"):
        if report.get(key) is not None:
            ET.SubElement(props, "property", {"name": key, "value": _x(report[key])})
    suite.extend(cases)
    out = ET.SubElement(suite, "system-out")
    out.text = _x(headline(report) + "\n" + outcome_line(report))
    if hasattr(ET, "indent"):
        ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# ---------------------------------------------------------------------------
# HTML with inline SVG charts
# ---------------------------------------------------------------------------

COLOURS = {"pass": "#1e7b34", "warn": "#a85b00", "fail": "#c62828", "inconclusive": "#5b6472"}
_OUTCOME_COLOURS = {"pass": COLOURS["pass"], "warn": "#d98a00", "fail": COLOURS["fail"]}
_THRESHOLD_LIMIT = 1e15  # '>= -1e308' (a bare measurement) draws no line


def _e(text):
    return html_mod.escape("" if text is None else str(text), quote=True)


def _parse_condition(text):
    """(subject, op, [numbers]) or None."""
    if not text:
        return None
    match = re.match(r"^\s*(?:(value|savings|change)\s+)?(>=|<=|==|!=|>|<)\s*([-+0-9.eE]+)\s*$", str(text))
    if match:
        number = _float(match.group(3))
        return None if number is None else (match.group(1) or "value", match.group(2), [number])
    match = re.match(r"^\s*(?:(value|savings|change)\s+)?between\s+([-+0-9.eE]+)\s+and\s+([-+0-9.eE]+)\s*$",
                     str(text))
    if match:
        low, high = _float(match.group(2)), _float(match.group(3))
        if low is None or high is None:
            return None
        return (match.group(1) or "value", "between", [low, high])
    return None


def _usable_threshold(number):
    return number is not None and abs(number) < _THRESHOLD_LIMIT


def chart_data(criterion):
    """What to plot: {"points": [(x, y, outcome)], "labels", "caption", "subject"} or None (no data).

    Several measurements -> their values over the measurement index (what the
    verdict judged). One measurement whose series has more than one point ->
    that series. Baseline conditions plot the derived savings/change.
    """
    subject = _subject(criterion.get("condition"))
    measurements = [m for m in (criterion.get("measurements") or []) if isinstance(m, dict)]
    points = []
    for pos, entry in enumerate(measurements):
        y = _subject_value(subject, entry.get("value"), entry.get("baseline"))
        points.append((entry.get("index") or pos + 1, y, entry.get("outcome")))
    with_value = [p for p in points if p[1] is not None]
    if len(with_value) >= 2:
        return {"points": points, "caption": "%d measurements (%s)" % (len(points), subject),
                "subject": subject, "time": False}
    last = None
    for entry in reversed(measurements):
        if entry.get("series"):
            last = entry
            break
    if subject == "value" and last is not None:
        series = []
        numeric_x = True
        for pos, item in enumerate(last.get("series") or []):
            if isinstance(item, (list, tuple)) and len(item) >= 2:
                x, y = item[0], _float(item[1])
            elif isinstance(item, dict):
                x, y = item.get("timestamp", item.get("t", pos)), _float(item.get("value", item.get("v")))
            else:
                x, y = pos, _float(item)
            if _float(x) is None:
                numeric_x = False
            series.append((x, y, None))
        if sum(1 for p in series if p[1] is not None) > 1:
            if not numeric_x:
                series = [(pos, p[1], None) for pos, p in enumerate(series)]
            return {"points": series, "caption": "series of the last measurement (%d points)" % len(series),
                    "subject": subject, "time": numeric_x}
    if with_value:
        return {"points": points, "caption": "%d measurement%s (%s)" % (
            len(points), "" if len(points) == 1 else "s", subject), "subject": subject, "time": False}
    value = _subject_value(subject, criterion.get("value"), criterion.get("baseline"))
    if value is not None:
        return {"points": [(1, value, criterion.get("verdict"))], "caption": "measured value (%s)" % subject,
                "subject": subject, "time": False}
    return None


def _nice_ticks(low, high, count=4):
    span = high - low
    if span <= 0:
        return [low]
    raw = span / count
    magnitude = 10 ** math.floor(math.log10(raw))
    for step in (1, 2, 2.5, 5, 10):
        if raw <= step * magnitude:
            step *= magnitude
            break
    first = math.ceil(low / step) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9 and len(ticks) < 12:
        ticks.append(round(value, 12))
        value += step
    return ticks


def _x_label(value, is_time):
    if is_time:
        number = _float(value)
        if number is not None and number > 1e8:
            if number > 1e11:  # milliseconds
                number /= 1000.0
            return datetime.datetime.fromtimestamp(number, datetime.timezone.utc).strftime("%m-%d %H:%M")
        return fmt_num(value)
    return "#%s" % value


def svg_chart(criterion, width=520, height=210):
    """An inline SVG of the measured values against the threshold line(s); None when no data."""
    data = chart_data(criterion)
    if data is None:
        return None
    points = data["points"]
    subject = data["subject"]
    passes = _parse_condition(criterion.get("condition"))
    warns = _parse_condition(criterion.get("warn_condition"))
    if passes and passes[0] != subject:
        passes = None
    if warns and warns[0] != subject:
        warns = None
    pass_lines = [t for t in (_float(t) for t in (criterion.get("thresholds") or [])) if _usable_threshold(t)]
    if not pass_lines and passes:
        pass_lines = [t for t in passes[2] if _usable_threshold(t)]
    warn_lines = [t for t in (warns[2] if warns else []) if _usable_threshold(t) and t not in pass_lines]

    ys = [p[1] for p in points if p[1] is not None] + pass_lines + warn_lines
    low, high = min(ys), max(ys)
    if high == low:
        pad = abs(high) * 0.1 or 1.0
    else:
        pad = (high - low) * 0.12
    low, high = low - pad, high + pad

    xs_numeric = [(_float(p[0]) if _float(p[0]) is not None else i) for i, p in enumerate(points)]
    x_low, x_high = min(xs_numeric), max(xs_numeric)
    left, right, top, bottom = 58, 14, 12, 30
    plot_w, plot_h = width - left - right, height - top - bottom

    def sx(x):
        if x_high == x_low:
            return left + plot_w / 2.0
        return left + (x - x_low) / float(x_high - x_low) * plot_w

    def sy(y):
        y = min(max(y, low), high)
        return top + (high - y) / float(high - low) * plot_h

    name = criterion.get("name") or "criterion"
    title = "%s: %s against %s" % (name, data["caption"], condition_text(criterion))
    out = ['<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 %d %d" width="%d" height="%d" '
           'role="img" aria-label="%s" data-criterion="%s" preserveAspectRatio="xMidYMid meet">'
           % (width, height, width, height, _e(title), _e(name)),
           "<title>%s</title>" % _e(title),
           '<rect x="%d" y="%d" width="%d" height="%d" fill="#fbfbfc" stroke="#d0d4da"/>' % (left, top, plot_w, plot_h)]

    def band(y_from, y_to, colour, opacity, label):
        y_from, y_to = max(min(y_from, high), low), max(min(y_to, high), low)
        if y_to <= y_from:
            return
        if label == "pass-region":  # hide the warn band underneath
            out.append('<rect x="%d" y="%.1f" width="%d" height="%.1f" fill="#fbfbfc"/>'
                       % (left, sy(y_to), plot_w, sy(y_from) - sy(y_to)))
        out.append('<rect class="%s" x="%d" y="%.1f" width="%d" height="%.1f" fill="%s" fill-opacity="%s"/>'
                   % (label, left, sy(y_to), plot_w, sy(y_from) - sy(y_to), colour, opacity))

    def region(cond, colour, opacity, label):
        if not cond:
            return
        op, nums = cond[1], cond[2]
        if op in (">", ">="):
            band(nums[0], high, colour, opacity, label)
        elif op in ("<", "<="):
            band(low, nums[0], colour, opacity, label)
        elif op == "between":
            band(nums[0], nums[1], colour, opacity, label)

    region(warns, "#f0b000", "0.13", "warn-region")
    region(passes, COLOURS["pass"], "0.12", "pass-region")

    for tick in _nice_ticks(low, high):
        y = sy(tick)
        out.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#e3e6ea"/>' % (left, left + plot_w, y, y))
        out.append('<text x="%d" y="%.1f" font-size="11" text-anchor="end" fill="#57606a">%s</text>'
                   % (left - 6, y + 4, _e(fmt_num(tick))))

    for value, colour, kind in ([(t, COLOURS["pass"], "pass") for t in pass_lines]
                                + [(t, "#c07800", "warn") for t in warn_lines]):
        y = sy(value)
        out.append('<line class="threshold threshold-%s" x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="%s" '
                   'stroke-width="1.6" stroke-dasharray="6 4" data-value="%s"/>'
                   % (kind, left, left + plot_w, y, y, colour, _e(value)))
        out.append('<text x="%d" y="%.1f" font-size="11" text-anchor="end" fill="%s">%s %s</text>'
                   % (left + plot_w - 4, y - 4, colour, kind, _e(fmt_num(value))))

    # the line, broken where there is no data
    path, pen = [], False
    for (x, y, _outcome), xn in zip(points, xs_numeric):
        if y is None:
            pen = False
            continue
        path.append("%s%.1f,%.1f" % ("L" if pen else "M", sx(xn), sy(y)))
        pen = True
    if path:
        out.append('<path class="series" d="%s" fill="none" stroke="#24292f" stroke-width="1.8" '
                   'stroke-linejoin="round"/>' % " ".join(path))
    dots = len(points) <= 60
    for (x, y, outcome), xn in zip(points, xs_numeric):
        if y is None:
            cx, cy = sx(xn), top + plot_h - 8
            out.append('<g class="nodata"><title>%s: no data</title><path d="M%.1f,%.1f l8,8 m0,-8 l-8,8" '
                       'stroke="#8c959f" stroke-width="1.6"/></g>' % (_e(_x_label(x, data["time"])), cx - 4, cy - 4))
        elif dots:
            colour = _OUTCOME_COLOURS.get(outcome, "#24292f")
            out.append('<circle class="point" cx="%.1f" cy="%.1f" r="4" fill="%s" stroke="#fff" stroke-width="1">'
                       '<title>%s: %s</title></circle>'
                       % (sx(xn), sy(y), colour, _e(_x_label(x, data["time"])),
                          _e(fmt_num(y) + (" (%s)" % outcome if outcome else ""))))

    # x labels: every point when few, else five evenly spaced positions
    if len(points) <= 6 or not data["time"]:
        step = max(1, int(math.ceil((len(points) - 1) / 5.0))) if len(points) > 6 else 1
        label_at = [(xs_numeric[i], points[i][0]) for i in range(0, len(points), step)]
        if len(points) > 6 and (len(points) - 1) % step:
            label_at.append((xs_numeric[-1], points[-1][0]))
    else:
        label_at = [(x_low + k * (x_high - x_low) / 4.0,) * 2 for k in range(5)]
    for pos, (xn, label) in enumerate(label_at):
        anchor = "middle"
        if len(label_at) > 1 and pos == 0:
            anchor = "start"
        elif len(label_at) > 1 and pos == len(label_at) - 1:
            anchor = "end"
        out.append('<text x="%.1f" y="%d" font-size="11" text-anchor="%s" fill="#57606a">%s</text>'
                   % (sx(xn), height - 10, anchor, _e(_x_label(label, data["time"]))))
    out.append("</svg>")
    return "".join(out)


_CSS = """
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 -apple-system,"Segoe UI",Roboto,"DejaVu Sans",Arial,sans-serif;color:#1f2328;
background:#f2f4f7}
main{max-width:1160px;margin:0 auto;padding:0 20px 40px}
.banner{color:#fff;padding:22px 28px;display:flex;align-items:center;gap:28px;flex-wrap:wrap}
.banner .verdict{font-size:46px;font-weight:800;letter-spacing:2px}
.banner .what{font-size:20px;font-weight:600}
.banner .result{font-size:16px;opacity:.95}
.banner .score{margin-left:auto;text-align:right}
.banner .score b{display:block;font-size:40px;line-height:1}
.v-pass{background:#1e7b34}.v-warn{background:#a85b00}.v-fail{background:#c62828}.v-inconclusive{background:#5b6472}
.meta{display:flex;flex-wrap:wrap;gap:8px 26px;margin:16px 0;padding:12px 16px;background:#fff;
border:1px solid #d0d4da;border-radius:8px}
.meta div span{color:#57606a;margin-right:6px}
.counts{margin:0 0 14px;color:#444c56}
.counts b{margin-right:4px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(540px,1fr));gap:16px}
.card{background:#fff;border:1px solid #d0d4da;border-left:8px solid #5b6472;border-radius:8px;padding:14px 16px}
.card.c-pass{border-left-color:#1e7b34}.card.c-warn{border-left-color:#d98a00}
.card.c-fail{border-left-color:#c62828}.card.c-inconclusive{border-left-color:#5b6472}
.card.dry{border-style:dashed;opacity:.9}
.card h2{font-size:17px;margin:0 0 2px;display:flex;align-items:center;gap:8px;flex-wrap:wrap;word-break:break-word}
.badge{display:inline-block;color:#fff;font-size:12px;font-weight:700;padding:2px 9px;border-radius:10px;
letter-spacing:.5px}
.badge.dry{background:#fff;color:#57606a;border:1px dashed #57606a}
.desc{color:#57606a;margin:0 0 8px;font-size:14px}
.chart{width:100%;height:auto;display:block;margin:4px 0 8px}
.nodata-box{height:120px;display:flex;align-items:center;justify-content:center;background:#f6f8fa;
border:1px dashed #c3c8cf;color:#57606a;font-size:18px;margin:4px 0 8px}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:0;font-size:14px}
dt{color:#57606a}dd{margin:0;word-break:break-word}
.reason{margin:8px 0 0;padding:6px 10px;background:#fff4f4;border-left:3px solid #c62828;font-size:14px;
word-break:break-word}
.reason.r-warn{background:#fff8e6;border-left-color:#d98a00}.reason.r-inconclusive{background:#f3f4f6;
border-left-color:#5b6472}
code{font:12.5px/1.4 ui-monospace,"DejaVu Sans Mono",monospace;background:#f6f8fa;padding:1px 4px;border-radius:4px}
details{margin-top:8px;font-size:13px}
table.m{border-collapse:collapse;width:100%;margin-top:4px}
table.m td,table.m th{border-bottom:1px solid #eaeef2;padding:2px 6px;text-align:left;vertical-align:top}
pre{white-space:pre-wrap;word-break:break-word;font-size:12px;background:#f6f8fa;padding:6px;margin:4px 0 0}
footer{margin-top:22px;color:#57606a;font-size:13px;word-break:break-all}
"""


def _badge(verdict):
    return '<span class="badge v-%s">%s</span>' % (verdict, verdict.upper())


def _card(criterion):
    verdict = _verdict(criterion.get("verdict"))
    dry = bool(criterion.get("dry_run"))
    parts = ['<section class="card c-%s%s" data-verdict="%s">' % (verdict, " dry" if dry else "", verdict),
             "<h2>%s %s%s</h2>" % (_e(criterion.get("name")), _badge(verdict),
                                    ' <span class="badge dry">DRY RUN</span>' if dry else "")]
    if criterion.get("description"):
        parts.append('<p class="desc">%s</p>' % _e(_short(criterion["description"], 300)))
    chart = svg_chart(criterion)
    if chart:
        parts.append(chart)
    else:
        parts.append('<div class="nodata-box">no data</div>')
    rows = [("Measured", measured_text(criterion)), ("Pass", criterion.get("condition") or "?")]
    if criterion.get("warn_condition"):
        rows.append(("Warn", criterion["warn_condition"]))
    if criterion.get("baseline") is not None and _subject(criterion.get("condition")) == "value":
        rows.append(("Baseline", fmt_num(criterion["baseline"])))
    rows.append(("Samples", "-" if criterion.get("samples") is None else criterion["samples"]))
    rows.append(("Provider", criterion.get("provider") or "?"))
    if criterion.get("weight") is not None and not dry:
        rows.append(("Weight", fmt_num(criterion["weight"])))
    parts.append("<dl>")
    for key, value in rows:
        parts.append("<dt>%s</dt><dd>%s</dd>" % (_e(key), _e(value)))
    if criterion.get("query"):
        parts.append("<dt>Query</dt><dd><code>%s</code></dd>" % _e(_short(criterion["query"], 400)))
    parts.append("</dl>")
    if verdict != "pass" or criterion.get("error"):
        parts.append('<p class="reason r-%s">%s</p>' % (verdict, _e(_short(explain(criterion), 600))))
    measurements = [m for m in (criterion.get("measurements") or []) if isinstance(m, dict)]
    if measurements:
        parts.append("<details><summary>%d measurement%s</summary><table class=\"m\"><tr><th>#</th>"
                     "<th>started</th><th>value</th><th>samples</th><th>outcome</th><th>s</th></tr>"
                     % (len(measurements), "" if len(measurements) == 1 else "s"))
        for entry in measurements:
            parts.append("<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>" % (
                _e(entry.get("index")), _e(entry.get("started") or ""), _e(fmt_num(entry.get("value"))),
                _e("-" if entry.get("samples") is None else entry.get("samples")),
                _e(entry.get("outcome") or "") + (" &mdash; %s" % _e(_short(entry["error"], 200))
                                                  if entry.get("error") else ""),
                _e(fmt_num(entry.get("elapsed")) if entry.get("elapsed") is not None else "")))
        parts.append("</table></details>")
    if criterion.get("details"):
        text = json.dumps(_jsonable(criterion["details"]), indent=1, sort_keys=True, ensure_ascii=False)
        if len(text) > 2000:
            text = text[:2000] + "\n..."
        parts.append("<details><summary>details</summary><pre>%s</pre></details>" % _e(text))
    parts.append("</section>")
    return "".join(parts)


def html(report):
    """One self-contained page: verdict banner, facts, one card (with a chart) per criterion."""
    verdict = _verdict(report.get("verdict"))
    criteria = report.get("criteria") or []
    title = headline(report)
    counts = {}
    for criterion in criteria:
        key = "dry run" if criterion.get("dry_run") else _verdict(criterion.get("verdict"))
        counts[key] = counts.get(key, 0) + 1
    meta = [("Environment", report.get("environment") or "?"), ("Phase", _phase_label(report)),
            ("Started", report.get("started") or "?"), ("Finished", report.get("finished") or "?"),
            ("Duration", _duration(report.get("duration"))),
            ("Fail-closed", "yes" if report.get("fail_closed", True) else "no")]
    if report.get("approver"):
        meta.append(("Approver", "%s: %s" % (report["approver"], report.get("approval_reason") or "")))
    elif report.get("needs_approval"):
        meta.append(("Approver", "needed (none given)"))
    out = ["<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">",
           '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'; '
           'img-src data:">',
           '<meta name="viewport" content="width=device-width,initial-scale=1">',
           "<title>%s</title><style>%s</style></head><body>" % (_e(title), _CSS),
           '<header class="banner v-%s" id="banner" data-verdict="%s">' % (verdict, verdict),
           '<div class="verdict">%s</div>' % _e(verdict.upper()),
           '<div><div class="what">Gate phase %s in %s</div><div class="result">%s</div></div>'
           % (_e(_phase_label(report)), _e(report.get("environment") or "?"), _e(outcome_line(report))),
           '<div class="score">score<b>%s</b></div></header><main>' % _e(_score(report.get("score"))),
           '<div class="meta">']
    for key, value in meta:
        out.append("<div><span>%s</span>%s</div>" % (_e(key), _e(value)))
    out.append("</div>")
    order = ["pass", "warn", "fail", "inconclusive", "dry run"]
    out.append('<p class="counts">%d criteria: %s</p>' % (len(criteria), " &middot; ".join(
        "<b>%d</b>%s" % (counts[k], _e(k)) for k in order if counts.get(k))))
    out.append('<div class="cards">')
    # problems first, so the eye lands on what blocks the gate
    rank = {"fail": 0, "inconclusive": 1, "warn": 2, "pass": 3}
    ordered = sorted(criteria, key=lambda c: (1 if c.get("dry_run") else 0, rank[_verdict(c.get("verdict"))]))
    for criterion in ordered:
        out.append(_card(criterion))
    if not criteria:
        out.append("<p>No criteria.</p>")
    out.append("</div><footer>")
    if report.get("evidence_sha256"):
        out.append("Evidence bundle sha256: <code>%s</code><br>" % _e(report["evidence_sha256"]))
    out.append("Generated by kiro.platform gate.</footer></main></body></html>\n")
    return "".join(out)


# ---------------------------------------------------------------------------
# Files and the evidence bundle
# ---------------------------------------------------------------------------

def _jsonable(obj):
    """Plain JSON: tuples as lists, non-finite floats as text, unknown objects as text."""
    if isinstance(obj, dict):
        return dict((str(k) if not isinstance(k, str) else k, _jsonable(v)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (set, frozenset)):
        return sorted((_jsonable(v) for v in obj), key=str)
    if isinstance(obj, float) and (math.isnan(obj) or math.isinf(obj)):
        return str(obj)
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, bytes):
        return obj.decode("utf-8", "replace")
    return str(obj)


def dump_json(obj):
    return (json.dumps(_jsonable(obj), indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _safe_name(text, fallback):
    text = re.sub(r"[^A-Za-z0-9._-]+", "_", str(text if text is not None else "")).strip("._")
    return text or fallback


def _make_dirs(path):
    """Create missing directories with mode 0750 (whatever the umask)."""
    missing = []
    current = os.path.abspath(path)
    while not os.path.isdir(current):
        missing.append(current)
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    for directory in reversed(missing):
        try:
            os.mkdir(directory, DIR_MODE)
        except OSError:
            if not os.path.isdir(directory):
                raise
        os.chmod(directory, DIR_MODE)



def gate_document(report, gate_definition=None):
    """gate.json: the definition (criteria + provider settings); built from the report when not given."""
    if gate_definition is None:
        return {"phase": report.get("phase"), "environment": report.get("environment"),
                "fail_closed": report.get("fail_closed"),
                "criteria": [c.get("definition") or {"name": c.get("name"), "provider": c.get("provider"),
                                                      "pass": c.get("condition"), "warn": c.get("warn_condition")}
                             for c in report.get("criteria") or []],
                "thresholds": dict((str(c.get("name")), c.get("thresholds")) for c in report.get("criteria") or []),
                "providers": {}}
    if isinstance(gate_definition, (list, tuple)):
        return {"criteria": list(gate_definition)}
    return gate_definition


def evidence_bundle(report, gate_definition=None, mtime=0):
    """The tar.gz bytes (deterministic for the same input): report.json, gate.json,
    raw/<criterion>.json and manifest.json (sha256 of every other member).
    ``report`` and ``gate_definition`` must already be redacted."""
    members = [("report.json", dump_json(report)),
               ("gate.json", dump_json(gate_document(report, gate_definition)))]
    used = set()
    for criterion in report.get("criteria") or []:
        name = _safe_name(criterion.get("name"), "criterion")
        candidate, n = name, 2
        while candidate in used:
            candidate, n = "%s-%d" % (name, n), n + 1
        used.add(candidate)
        members.append(("raw/%s.json" % candidate, dump_json({
            "name": criterion.get("name"), "provider": criterion.get("provider"), "query": criterion.get("query"),
            "raw": criterion.get("raw")})))
    return archive.evidence_tar_gz(members, mtime)


def write_all(report, report_dir, secrets=(), gate_definition=None, now=None):
    """Write every report of one gate evaluation, redacted, atomically.

    ``<report_dir>/<environment>/phase<N>-<YYYYmmddTHHMMSSZ>.{evidence.tar.gz,json,md,xml,html}``;
    files 0640 (the evidence bundle 0600), directories 0750. Returns the paths,
    the bundle's sha256 and the Markdown text.
    """
    moment = clock.moment(now)
    stamp = clock.compact(moment)
    clean = secrets_mod.redact(report, secrets)
    definition = secrets_mod.redact(gate_document(report, gate_definition), secrets)
    clean.pop("evidence_sha256", None)
    directory = os.path.join(report_dir, _safe_name(clean.get("environment"), "unknown"))
    _make_dirs(directory)
    os.chmod(directory, DIR_MODE)
    base = os.path.join(directory, "phase%s-%s" % (_safe_name(clean.get("phase"), "0"), stamp))
    paths = {"evidence": base + ".evidence.tar.gz", "json": base + ".json", "markdown": base + ".md",
             "junit": base + ".xml", "html": base + ".html"}

    bundle = evidence_bundle(clean, definition, mtime=int(moment.timestamp()))
    digest = hashlib.sha256(bundle).hexdigest()
    fileio.atomic_write(paths["evidence"], bundle, EVIDENCE_MODE)

    final = dict(clean)
    final["evidence_sha256"] = digest
    text = markdown(final)
    fileio.atomic_write(paths["json"], dump_json(final), FILE_MODE)
    fileio.atomic_write(paths["markdown"], text.encode("utf-8"), FILE_MODE)
    fileio.atomic_write(paths["junit"], junit(final).encode("utf-8"), FILE_MODE)
    fileio.atomic_write(paths["html"], html(final).encode("utf-8"), FILE_MODE)
    result = dict(paths)
    result["evidence_sha256"] = digest
    result["markdown_text"] = text
    return result
