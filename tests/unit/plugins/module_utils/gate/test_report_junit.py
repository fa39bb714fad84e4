"""JUnit XML: counts, one testcase per criterion, hostile text."""

import xml.etree.ElementTree as ET

import pytest

from ansible_collections.kiro.platform.plugins.module_utils.gate.report import junit

from fixtures.gate_reports import make_report


def test_junit_counts_and_cases():
    root = ET.fromstring(junit.render(make_report()))
    suites = root.findall("testsuite") if root.tag == "testsuites" else [root]
    assert len(suites) == 1
    suite = suites[0]
    assert suite.get("name") == "gate.phase2.development"
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors"), suite.get("skipped")) == \
        ("6", "1", "1", "1")
    cases = dict((c.get("name"), c) for c in suite.findall("testcase"))
    assert len(cases) == 6
    assert cases["autonomous_success_rate"].get("classname") == "prometheus"
    assert float(cases["autonomous_success_rate"].get("time")) == pytest.approx(0.75)
    assert cases["cost_savings"].find("failure") is not None
    assert "needs savings >= 0.20" in cases["cost_savings"].find("failure").get("message")
    assert cases["health_endpoint"].find("error") is not None
    assert cases["developer_satisfaction"].find("skipped").get("message") == "dry run: verdict fail"
    assert cases["developer_satisfaction"].find("failure") is None
    warn = cases["p95_latency_ms"]
    assert warn.find("failure") is None and warn.find("error") is None and warn.find("skipped") is None
    assert "WARNING" in warn.find("system-out").text
    assert cases["mcp_tools_available"].find("failure") is None
    failures = sum(1 for c in cases.values() if c.find("failure") is not None)
    errors = sum(1 for c in cases.values() if c.find("error") is not None)
    skipped = sum(1 for c in cases.values() if c.find("skipped") is not None)
    assert (failures, errors, skipped) == (1, 1, 1)


def test_junit_survives_hostile_text():
    data = make_report()
    data["criteria"][2]["reason"] = 'bad \x00\x1b[31m <tag> & "quotes" \ud800'
    data["environment"] = "dev<&>"
    root = ET.fromstring(junit.render(data).encode("utf-8"))
    assert root.find("testsuite").get("name") == "gate.phase2.dev<&>"
