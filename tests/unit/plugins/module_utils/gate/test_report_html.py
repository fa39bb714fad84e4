"""The HTML page and its SVG charts (as text; test_report_chromium.py renders it)."""

import re
import xml.etree.ElementTree as ET

from ansible_collections.kiro.platform.plugins.module_utils.gate.report import chart, html, junit, markdown

from fixtures.gate_reports import make_report, measurement


def test_html_banner_cards_and_charts():
    page = html.render(make_report())
    assert page.startswith("<!DOCTYPE html>")
    assert 'class="banner v-fail"' in page and ">FAIL<" in page and "41.7" in page
    assert page.count('<section class="card') == 6
    # one chart per criterion with data; the no-data one says so
    assert page.count("<svg") == 5
    assert page.count('class="nodata-box">no data<') == 1
    svgs = dict((m.group(1), m.group(0)) for m in
                re.finditer(r'<svg[^>]*data-criterion="([^"]+)"[^>]*>.*?</svg>', page, re.S))
    assert set(svgs) == {"autonomous_success_rate", "p95_latency_ms", "cost_savings", "developer_satisfaction",
                         "mcp_tools_available"}
    success = svgs["autonomous_success_rate"]
    assert 'class="threshold threshold-pass"' in success and 'data-value="0.9"' in success
    assert 'class="threshold threshold-warn"' in success and 'data-value="0.85"' in success
    assert 'stroke-dasharray' in success and 'class="pass-region"' in success
    assert success.count('class="point"') == 3
    latency = svgs["p95_latency_ms"]
    assert "series of the last measurement (12 points)" in latency
    assert 'data-value="800.0"' in latency
    between = svgs["developer_satisfaction"]
    assert between.count("threshold-pass") == 2
    assert 'data-value="0.2"' in svgs["cost_savings"]
    for svg in svgs.values():
        ET.fromstring(svg)  # well-formed


def test_html_is_self_contained_and_escaped():
    data = make_report()
    data["criteria"][0]["description"] = '<script>alert("x")</script>'
    page = html.render(data)
    assert "<script" not in page
    assert "&lt;script&gt;" in page
    assert "Survey &lt;score&gt; &amp; &quot;mood&quot;" in page
    assert not re.search(r'\s(?:src|href)\s*=', page)
    assert "url(" not in page and "@import" not in page
    assert "<link" not in page


def test_html_all_none_and_empty():
    data = make_report(verdict="inconclusive")
    for criterion in data["criteria"]:
        criterion["value"] = criterion["baseline"] = criterion["samples"] = None
        criterion["measurements"] = []
        criterion["values"] = []
    page = html.render(data)
    assert "<svg" not in page and page.count('class="nodata-box">no data<') == 6
    empty = {"phase": None, "environment": None, "verdict": None, "criteria": None}
    assert "No criteria." in html.render(empty)
    assert markdown.render(empty).startswith("## Gate phase ? in ?: INCONCLUSIVE")
    assert ET.fromstring(junit.render(empty)).find("testsuite").get("tests") == "0"


def test_html_bare_measurement_draws_no_absurd_threshold():
    criterion = make_report()["criteria"][5]
    criterion["condition"], criterion["thresholds"] = ">= -1e308", [-1e308]
    svg = chart.svg(criterion)
    assert svg and "threshold" not in svg and "e+308" not in svg


def test_many_measurements_and_sparse_criteria_render():
    data = make_report()
    values = [0.9 + 0.005 * (i % 7) if i % 5 else None for i in range(25)]
    data["criteria"][0]["measurements"] = [
        measurement(i + 1, v, "nodata" if v is None else ("pass" if v > 0.9 else "fail"))
        for i, v in enumerate(values)]
    data["criteria"].append({"name": "bare"})
    data["criteria"].append({"name": "odd", "value": "n/a", "measurements": None, "thresholds": None,
                             "verdict": "weird", "condition": "> 1", "series": "x"})
    page = html.render(data)
    svg = re.search(r'<svg[^>]*data-criterion="autonomous_success_rate".*?</svg>', page, re.S).group(0)
    ET.fromstring(svg)
    assert svg.count('class="nodata"') == 5 and svg.count('class="point"') == 20
    labels = re.findall(r'>(#\d+)</text>', svg)
    assert labels[0] == "#1" and labels[-1] == "#25" and len(labels) <= 7
    assert page.count('<section class="card') == 8
    markdown.render(data)
    ET.fromstring(junit.render(data))


def test_chart_reads_conditions_as_the_engine_does():
    # conditions.parse accepts no space after the subject; the chart shades the same regions
    criterion = make_report()["criteria"][2]
    criterion["condition"] = "savings>=0.20"
    svg = chart.svg(criterion)
    assert 'class="pass-region"' in svg and 'data-value="0.2"' in svg
    criterion = make_report()["criteria"][0]
    criterion["condition"], criterion["warn_condition"] = "value>0.9", "value>0.85"
    svg = chart.svg(criterion)
    assert 'class="pass-region"' in svg and 'class="warn-region"' in svg
    assert 'class="threshold threshold-warn"' in svg and 'data-value="0.85"' in svg
