"""The sentences every output shares (here: the result line names what blocks the gate)."""

from ansible_collections.kiro.platform.plugins.module_utils.gate.report import html, markdown

from fixtures.gate_reports import make_report


def test_outcome_line_names_the_blockers():
    assert "Result: blocked, failed: cost_savings\n" in markdown.render(make_report())
    data = make_report(verdict="inconclusive")
    assert "Result: blocked, inconclusive (fail-closed): health_endpoint" in html.render(data)
