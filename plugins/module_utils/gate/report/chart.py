# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Inline SVG charts for the HTML report: a criterion's measured values (or the series of
its last measurement) against its pass and warn thresholds, with the pass and warn regions shaded."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math

from ansible_collections.kiro.platform.plugins.module_utils.common import clock
from ansible_collections.kiro.platform.plugins.module_utils.gate.report import summary, values
from ansible_collections.kiro.platform.plugins.module_utils.gate.report.values import escape

COLOURS = {"pass": "#1e7b34", "warn": "#a85b00", "fail": "#c62828", "inconclusive": "#5b6472"}
_OUTCOME_COLOURS = {"pass": COLOURS["pass"], "warn": "#d98a00", "fail": COLOURS["fail"]}
_THRESHOLD_LIMIT = 1e15  # '>= -1e308' (a bare measurement) draws no line


def _usable_threshold(value):
    return value is not None and abs(value) < _THRESHOLD_LIMIT


def plot_data(criterion):
    """What to plot: {"points": [(x, y, outcome)], "caption", "subject", "time"} or None (no data).

    Several measurements -> their values over the measurement index (what the
    verdict judged). One measurement whose series has more than one point ->
    that series. Baseline conditions plot the derived savings/change.
    """
    subject = summary.subject(criterion.get("condition"))
    measurements = [m for m in (criterion.get("measurements") or []) if isinstance(m, dict)]
    points = []
    for pos, entry in enumerate(measurements):
        y = summary.subject_value(subject, entry.get("value"), entry.get("baseline"))
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
                x, y = item[0], values.number(item[1])
            elif isinstance(item, dict):
                x, y = item.get("timestamp", item.get("t", pos)), values.number(item.get("value", item.get("v")))
            else:
                x, y = pos, values.number(item)
            if values.number(x) is None:
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
    value = summary.subject_value(subject, criterion.get("value"), criterion.get("baseline"))
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
        number = values.number(value)
        if number is not None and number > 1e8:
            if number > 1e11:  # milliseconds
                number /= 1000.0
            return clock.moment(number).strftime("%m-%d %H:%M")
        return values.fmt_num(value)
    return "#%s" % value


def svg(criterion, width=520, height=210):
    """An inline SVG of the measured values against the threshold line(s); None when no data."""
    data = plot_data(criterion)
    if data is None:
        return None
    points = data["points"]
    subject = data["subject"]
    passes = summary.condition(criterion.get("condition"))
    warns = summary.condition(criterion.get("warn_condition"))
    if passes and passes.subject != subject:
        passes = None
    if warns and warns.subject != subject:
        warns = None
    pass_lines = [t for t in (values.number(t) for t in (criterion.get("thresholds") or [])) if _usable_threshold(t)]
    if not pass_lines and passes:
        pass_lines = [t for t in passes.threshold() if _usable_threshold(t)]
    warn_lines = [t for t in (warns.threshold() if warns else []) if _usable_threshold(t) and t not in pass_lines]

    ys = [p[1] for p in points if p[1] is not None] + pass_lines + warn_lines
    low, high = min(ys), max(ys)
    if high == low:
        pad = abs(high) * 0.1 or 1.0
    else:
        pad = (high - low) * 0.12
    low, high = low - pad, high + pad

    xs_numeric = [(values.number(p[0]) if values.number(p[0]) is not None else i) for i, p in enumerate(points)]
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
    title = "%s: %s against %s" % (name, data["caption"], summary.condition_text(criterion))
    out = ['<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 %d %d" width="%d" height="%d" '
           'role="img" aria-label="%s" data-criterion="%s" preserveAspectRatio="xMidYMid meet">'
           % (width, height, width, height, escape(title), escape(name)),
           "<title>%s</title>" % escape(title),
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
        op, nums = cond.op, cond.threshold()
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
                   % (left - 6, y + 4, escape(values.fmt_num(tick))))

    for value, colour, kind in ([(t, COLOURS["pass"], "pass") for t in pass_lines]
                                + [(t, "#c07800", "warn") for t in warn_lines]):
        y = sy(value)
        out.append('<line class="threshold threshold-%s" x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="%s" '
                   'stroke-width="1.6" stroke-dasharray="6 4" data-value="%s"/>'
                   % (kind, left, left + plot_w, y, y, colour, escape(value)))
        out.append('<text x="%d" y="%.1f" font-size="11" text-anchor="end" fill="%s">%s %s</text>'
                   % (left + plot_w - 4, y - 4, colour, kind, escape(values.fmt_num(value))))

    # the line, broken where there is no data
    path, pen = [], False
    for (_x, y, _outcome), xn in zip(points, xs_numeric):
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
                       'stroke="#8c959f" stroke-width="1.6"/></g>'
                       % (escape(_x_label(x, data["time"])), cx - 4, cy - 4))
        elif dots:
            colour = _OUTCOME_COLOURS.get(outcome, "#24292f")
            out.append('<circle class="point" cx="%.1f" cy="%.1f" r="4" fill="%s" stroke="#fff" stroke-width="1">'
                       '<title>%s: %s</title></circle>'
                       % (sx(xn), sy(y), colour, escape(_x_label(x, data["time"])),
                          escape(values.fmt_num(y) + (" (%s)" % outcome if outcome else ""))))

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
                   % (sx(xn), height - 10, anchor, escape(_x_label(label, data["time"]))))
    out.append("</svg>")
    return "".join(out)
