"""The Markdown summary: headline, table, failures and warnings."""

from ansible_collections.kiro.platform.plugins.module_utils.gate.report import markdown

from fixtures.gate_reports import make_report


def test_markdown_headline_table_and_failures():
    text = markdown.render(make_report())
    lines = text.splitlines()
    assert lines[0] == "## Gate phase 2 in development: FAIL (score 41.7)"
    rows = [line for line in lines if line.startswith("| ") and not line.startswith("| Criterion")]
    assert len(rows) == 6
    for criterion in make_report()["criteria"]:
        assert sum(1 for row in rows if row.startswith("| %s" % criterion["name"])) == 1
    assert "| developer_satisfaction (dry run) | FAIL |" in text
    assert "| cost_savings | FAIL | savings 0.125 (1400 vs 1600) | savings >= 0.20 | 30 | cost_explorer |" in text
    assert "| health_endpoint | INCONCLUSIVE | no data |" in text
    section = text.split("### Failures and warnings", 1)[1]
    assert "autonomous_success_rate" not in section and "mcp_tools_available" not in section
    for name in ("p95_latency_ms (WARN)", "cost_savings (FAIL)", "health_endpoint (INCONCLUSIVE)",
                 "developer_satisfaction (FAIL, dry run)"):
        assert "- " + name in section
    assert "HTTP 503" in section and "stopped after 2 measurement(s) by consecutive_error_limit" in section
    assert "Approved by" not in text
    assert all(len(line) <= 400 for line in lines)


def test_markdown_approver_and_clean_pass():
    data = make_report(verdict="warn", approver="alice")
    text = markdown.render(data)
    assert "Approved by alice: known CloudWatch lag" in text
    assert "Result: passed with approval" in text
    clean = make_report(verdict="pass")
    clean["criteria"] = [clean["criteria"][0]]
    clean["score"] = 100.0
    text = markdown.render(clean)
    assert text.startswith("## Gate phase 2 in development: PASS (score 100.0)")
    assert text.rstrip().endswith("None.")


def test_markdown_escapes_pipes():
    data = make_report()
    data["criteria"][0]["condition"] = "> 0.9 | evil"
    assert "> 0.9 \\| evil" in markdown.render(data)
