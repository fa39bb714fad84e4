"""What playbooks/emergency_rollback.yml checks and reports (module_utils/rollout/emergency_rollback.py)."""

import pytest

from ansible_collections.kiro.platform.plugins.module_utils.emergency import incident
from ansible_collections.kiro.platform.plugins.module_utils.rollout import emergency_rollback as er


@pytest.mark.parametrize("incident_id, reason, problem", [
    ("INC-42", "agent deleting pods", ""),
    ("a" * 64, "agent deleting pods", ""),
    ("", "agent deleting pods", "incident_id is missing"),
    ("INC 42", "agent deleting pods", "incident_id 'INC 42' must be 1-64 letters"),
    ("-INC", "agent deleting pods", "incident_id '-INC' must be 1-64 letters"),
    ("a" * 65, "agent deleting pods", "incident_id '%s' must be 1-64 letters" % ("a" * 65)),
    (None, "agent deleting pods", "incident_id is missing"),
    # "$" in the id's pattern matched before a trailing newline: the id is matched exactly now.
    ("INC-42\n", "agent deleting pods", "incident_id 'INC-42\\n' must be 1-64 letters"),
    ("INC-42", "   ", "reason is missing"),
    ("INC-42", None, "reason is missing"),
    # What -e "reason=agent scaling down production deployments" leaves of the reason.
    ("INC-42", "agent", "reason 'agent' looks cut short (one word"),
    ("INC-42", "pods gone", "reason 'pods gone' looks cut short (9 characters"),
])
def test_the_request_needs_a_valid_incident_id_and_a_reason(incident_id, reason, problem):
    found = er.request_problem(incident_id, reason)
    if not problem:
        assert found == ""
    else:
        assert found.startswith(problem)
        # The refusal shows the form that keeps every word, and nothing was done.
        assert found.endswith("""-e '{"incident_id": "INC-42", "reason": "agent scaling down production deployments"}'""")


def test_the_shortest_reason_is_a_variable():
    assert er.request_problem("INC-42", "pods gone", min_length=5) == ""
    assert er.request_problem("INC-42", "pods gone", min_length="20").startswith("reason 'pods gone' looks cut short")
    with pytest.raises(ValueError, match="rollout_reason_min_length must be a whole number"):
        er.request_problem("INC-42", "pods gone", min_length="ten")


def lockdown(finished="2025-03-01T08:00:05.000Z", **extra):
    return dict({"changed": True, "changed_files": ["/ws/.kiro/settings/mcp.json"], "errors": [],
                 "finished": finished}, **extra)


CENTRAL = {"iam": [{"role": "kiro-agent-prod", "action": "attached"}],
           "kubernetes": [{"kind": "CronJob", "namespace": "ops", "name": "agent", "action": "suspended"},
                          {"kind": "Deployment", "namespace": "ops", "name": "bot", "action": "unchanged"}],
           "failures": []}


def summary(hosts, central=None, ledger=None):
    return incident.summarize("INC-42", "agent deleting pods", "alice", "2025-03-01T08:00:00.000Z", hosts,
                              central=central, ledger=ledger)


HOSTS = {"dev-1": {"environment": "development", "result": lockdown()},
         "prod-1": {"environment": "production", "result": lockdown()},
         "prod-2": {"environment": "production", "result": {"unreachable": True, "msg": "ssh timeout"}}}


def test_the_headline_counts_hosts_and_problems():
    assert er.headline(summary(HOSTS)) == "Kiro emergency rollback INC-42: 2 of 3 hosts locked down, 1 problem(s)"
    clean = dict((h, v) for h, v in HOSTS.items() if h != "prod-2")
    assert er.headline(summary(clean)) == "Kiro emergency rollback INC-42: 2 of 2 hosts locked down"


def test_the_incident_details_are_the_environments_own():
    out = er.incident_details(summary(HOSTS, central=CENTRAL), "production", "incidents/INC-42/postmortem.md")
    assert out == {"incident_id": "INC-42", "reason": "agent deleting pods",
                   "postmortem": "incidents/INC-42/postmortem.md", "hosts": ["prod-1", "prod-2"],
                   "unreachable": ["prod-2"], "kubernetes": [CENTRAL["kubernetes"][0]],
                   "iam_roles": ["kiro-agent-prod"]}
    dev = er.incident_details(summary(HOSTS), "development")
    assert (dev["hosts"], dev["unreachable"], dev["kubernetes"], dev["iam_roles"], dev["postmortem"]) == \
        (["dev-1"], [], [], [], None)


def test_complete_only_when_the_summary_the_record_and_every_ledger_are():
    clean = summary({"dev-1": HOSTS["dev-1"]})
    record = {"changed": True, "postmortem": "incidents/INC-42/postmortem.md", "summary": clean}
    opened = [{"item": "development", "changed": True}]
    out = er.outcome(clean, record, opened)
    assert out["complete"] is True and out["lines"] == clean["lines"]
    assert out["message"] == ("Emergency rollback INC-42 complete. Post-mortem: incidents/INC-42/postmortem.md. "
                              "Lift the override with playbooks/clear_override.yml -e incident_id=INC-42 "
                              "-e approver=NAME -e '{\"reason\": \"WHY, in a sentence\"}'.")
    check_mode = er.outcome(clean, {"changed": False}, opened)
    assert "Post-mortem: (check mode)." in check_mode["message"]


def test_incomplete_lists_everything_that_could_not_be_done():
    partial = summary(HOSTS)
    record = {"failed": True, "msg": "disk full"}
    opened = [{"item": "development", "changed": True}, {"item": "production", "failed": True, "msg": "412"}]
    out = er.outcome(partial, record, opened)
    assert out["complete"] is False
    assert out["message"] == ("Emergency rollback INC-42 INCOMPLETE: %s; post-mortem and evidence not written: "
                              "disk full; incident_opened not recorded in production" % "; ".join(partial["failed"]))
    # the record's summary (with the notifications) replaces the playbook's
    noted = dict(partial, failed=["webhook notification incident-bot failed"], complete=False, lines=["x"])
    out = er.outcome(partial, {"summary": noted, "postmortem": "p.md"}, [])
    assert out["lines"] == ["x"]
    assert out["message"] == "Emergency rollback INC-42 INCOMPLETE: webhook notification incident-bot failed"
