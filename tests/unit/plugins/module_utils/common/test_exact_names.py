"""Names and ids are matched exactly: a pattern anchored with "$" also matches before a trailing
newline, so "INC-42\n" or a hook name "x\n" would pass and end up in file names and ledger entries."""

import pytest

from ansible_collections.kiro.platform.plugins.module_utils.common import clock, names
from ansible_collections.kiro.platform.plugins.module_utils.emergency.incident import summary
from ansible_collections.kiro.platform.plugins.module_utils.emergency.notify import channels
from ansible_collections.kiro.platform.plugins.module_utils.gate import alerts, criteria
from ansible_collections.kiro.platform.plugins.module_utils.kiro import agents, hooks, mcp, steering, workflows
from ansible_collections.kiro.platform.plugins.module_utils.ledger import entries

PATTERNS = [
    (names.INCIDENT_ID, "INC-42"),
    (entries._ENVIRONMENT, "production"),
    (entries._SHA256, "0" * 64),
    (criteria.NAME_RE, "basic_automation_success"),
    (alerts._DURATION, "10m"),
    (alerts._LABEL, "severity"),
    (channels._TOPIC_ARN, "arn:aws:sns:us-east-1:123456789012:kiro-alerts"),
    (steering.NAME_RE, "workflows"),
    (mcp.NAME_RE, "aws-docs"),
    (agents.NAME_RE, "ops"),
    (workflows.NAME_RE, "nightly"),
    (workflows.TOOL_RE, "aws___describe"),
    (hooks.NAME_RE, "cost-optimization"),
    (clock._ISO, "2025-03-01T08:00:00.000Z"),
]


@pytest.mark.parametrize("pattern, good", PATTERNS, ids=[p.pattern[:30] for p, _unused in PATTERNS])
def test_a_trailing_newline_does_not_slip_through(pattern, good):
    assert pattern.match(good)
    assert not pattern.match(good + "\n")


def test_an_incident_id_with_a_trailing_newline_is_refused():
    with pytest.raises(summary.IncidentError, match="incident_id 'INC-42\\\\n' must be"):
        summary.check_incident_id("INC-42\n")


def test_the_ledger_refuses_an_override_for_an_incident_id_with_a_newline():
    with pytest.raises(entries.LedgerError, match="details.incident_id"):
        entries.new_entry(None, "production", 0, "override_set", "alice", "run-1", details={"incident_id": "INC-42\n"})
    assert entries.new_entry(None, "production", 0, "override_set", "alice", "run-1",
                             details={"incident_id": "INC-42"})["details"]["incident_id"] == "INC-42"
