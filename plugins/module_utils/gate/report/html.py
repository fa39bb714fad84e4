# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The HTML report for people: one self-contained page (no script, no external resource)
with a verdict banner, the run's facts and one card per criterion, each with its chart."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.kiro.platform.plugins.module_utils.gate.report import chart, summary, values
from ansible_collections.kiro.platform.plugins.module_utils.gate.report.values import escape

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
    verdict = summary.verdict(criterion)
    dry = bool(criterion.get("dry_run"))
    parts = ['<section class="card c-%s%s" data-verdict="%s">' % (verdict, " dry" if dry else "", verdict),
             "<h2>%s %s%s</h2>" % (escape(criterion.get("name")), _badge(verdict),
                                   ' <span class="badge dry">DRY RUN</span>' if dry else "")]
    if criterion.get("description"):
        parts.append('<p class="desc">%s</p>' % escape(values.short(criterion["description"], 300)))
    drawn = chart.svg(criterion)
    if drawn:
        parts.append(drawn)
    else:
        parts.append('<div class="nodata-box">no data</div>')
    rows = [("Measured", summary.measured_text(criterion)), ("Pass", criterion.get("condition") or "?")]
    if criterion.get("warn_condition"):
        rows.append(("Warn", criterion["warn_condition"]))
    if criterion.get("baseline") is not None and summary.subject(criterion.get("condition")) == "value":
        rows.append(("Baseline", values.fmt_num(criterion["baseline"])))
    rows.append(("Samples", "-" if criterion.get("samples") is None else criterion["samples"]))
    rows.append(("Provider", criterion.get("provider") or "?"))
    if criterion.get("weight") is not None and not dry:
        rows.append(("Weight", values.fmt_num(criterion["weight"])))
    parts.append("<dl>")
    for key, value in rows:
        parts.append("<dt>%s</dt><dd>%s</dd>" % (escape(key), escape(value)))
    if criterion.get("query"):
        parts.append("<dt>Query</dt><dd><code>%s</code></dd>" % escape(values.short(criterion["query"], 400)))
    parts.append("</dl>")
    if verdict != "pass" or criterion.get("error"):
        parts.append('<p class="reason r-%s">%s</p>' % (verdict, escape(values.short(summary.explain(criterion), 600))))
    measurements = [m for m in (criterion.get("measurements") or []) if isinstance(m, dict)]
    if measurements:
        parts.append("<details><summary>%d measurement%s</summary><table class=\"m\"><tr><th>#</th>"
                     "<th>started</th><th>value</th><th>samples</th><th>outcome</th><th>s</th></tr>"
                     % (len(measurements), "" if len(measurements) == 1 else "s"))
        for entry in measurements:
            parts.append("<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>" % (
                escape(entry.get("index")), escape(entry.get("started") or ""),
                escape(values.fmt_num(entry.get("value"))),
                escape("-" if entry.get("samples") is None else entry.get("samples")),
                escape(entry.get("outcome") or "") + (" &mdash; %s" % escape(values.short(entry["error"], 200))
                                                      if entry.get("error") else ""),
                escape(values.fmt_num(entry.get("elapsed")) if entry.get("elapsed") is not None else "")))
        parts.append("</table></details>")
    if criterion.get("details"):
        text = json.dumps(values.jsonable(criterion["details"]), indent=1, sort_keys=True, ensure_ascii=False)
        if len(text) > 2000:
            text = text[:2000] + "\n..."
        parts.append("<details><summary>details</summary><pre>%s</pre></details>" % escape(text))
    parts.append("</section>")
    return "".join(parts)


def render(report):
    """One self-contained page: verdict banner, facts, one card (with a chart) per criterion."""
    verdict = summary.verdict(report)
    criteria = report.get("criteria") or []
    title = summary.headline(report)
    counts = {}
    for criterion in criteria:
        key = "dry run" if criterion.get("dry_run") else summary.verdict(criterion)
        counts[key] = counts.get(key, 0) + 1
    meta = [("Environment", report.get("environment") or "?"), ("Phase", summary.phase_label(report)),
            ("Started", report.get("started") or "?"), ("Finished", report.get("finished") or "?"),
            ("Duration", values.fmt_duration(report.get("duration"))),
            ("Fail-closed", "yes" if report.get("fail_closed", True) else "no")]
    if report.get("approver"):
        meta.append(("Approver", "%s: %s" % (report["approver"], report.get("approval_reason") or "")))
    elif report.get("needs_approval"):
        meta.append(("Approver", "needed (none given)"))
    out = ["<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">",
           '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'; '
           'img-src data:">',
           '<meta name="viewport" content="width=device-width,initial-scale=1">',
           "<title>%s</title><style>%s</style></head><body>" % (escape(title), _CSS),
           '<header class="banner v-%s" id="banner" data-verdict="%s">' % (verdict, verdict),
           '<div class="verdict">%s</div>' % escape(verdict.upper()),
           '<div><div class="what">Gate phase %s in %s</div><div class="result">%s</div></div>'
           % (escape(summary.phase_label(report)), escape(report.get("environment") or "?"),
              escape(summary.outcome_line(report))),
           '<div class="score">score<b>%s</b></div></header><main>' % escape(values.fmt_score(report.get("score"))),
           '<div class="meta">']
    for key, value in meta:
        out.append("<div><span>%s</span>%s</div>" % (escape(key), escape(value)))
    out.append("</div>")
    order = ["pass", "warn", "fail", "inconclusive", "dry run"]
    out.append('<p class="counts">%d criteria: %s</p>' % (len(criteria), " &middot; ".join(
        "<b>%d</b>%s" % (counts[k], escape(k)) for k in order if counts.get(k))))
    out.append('<div class="cards">')
    # problems first, so the eye lands on what blocks the gate
    rank = {"fail": 0, "inconclusive": 1, "warn": 2, "pass": 3}
    ordered = sorted(criteria, key=lambda c: (1 if c.get("dry_run") else 0, rank[summary.verdict(c)]))
    for criterion in ordered:
        out.append(_card(criterion))
    if not criteria:
        out.append("<p>No criteria.</p>")
    out.append("</div><footer>")
    if report.get("evidence_sha256"):
        out.append("Evidence bundle sha256: <code>%s</code><br>" % escape(report["evidence_sha256"]))
    if report.get("ledger_anchor"):
        out.append('<span id="ledger-anchor">Ledger anchor: seq <b>%s</b>, sha256 <code>%s</code></span><br>' % (
            escape(report["ledger_anchor"].get("seq")), escape(report["ledger_anchor"].get("sha256"))))
    out.append("Generated by kiro.platform gate.</footer></main></body></html>\n")
    return "".join(out)
