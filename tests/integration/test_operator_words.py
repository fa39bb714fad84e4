"""The operator's words are recorded as they said them: real ansible-playbook runs on the sandbox.

Ansible splits a key=value extra var on spaces: -e "reason=agent scaling down production
deployments" sets reason to "agent". The playbooks refuse such a cut reason (with the quoting
that works), refuse blank approvers and reasons, take an incident id exactly, and record the
JSON form's words byte for byte in the ledger.
"""

import json

import pytest

from conftest import ledger, run_playbook, text

REASON = "agent scaling down production deployments"
INCIDENT = {"incident_id": "INC-42", "reason": REASON}
# The emergency run locks down the development hosts only (the sandbox has workspaces there);
# the override still goes into every environment's ledger.
TARGETS = ("-e", "emergency_targets=development")


def events(sandbox, environment, event):
    return [e for e in ledger(sandbox, environment) if e["event"] == event]


@pytest.fixture(scope="module")
def applied(tmp_path_factory):
    sandbox = tmp_path_factory.mktemp("words") / "sandbox"
    sandbox.mkdir()
    run = run_playbook("phase1.yml", sandbox)
    assert run.rc == 0, run.out[-3000:]
    return sandbox


def test_the_readmes_old_form_is_refused_with_the_quoting_hint_and_changes_nothing(applied):
    before = dict((env, ledger(applied, env)) for env in ("development", "staging", "production"))
    run = run_playbook("emergency_rollback.yml", applied, "-e", "incident_id=INC-42",
                       "-e", "reason=agent scaling down production deployments", *TARGETS)
    assert run.rc != 0
    said = text(run)
    assert "Nothing was changed: reason 'agent' looks cut short (one word;" in said
    assert "keeps only the first word" in said
    assert """-e '{"incident_id": "INC-42", "reason": "agent scaling down production deployments"}'""" in said
    assert dict((env, ledger(applied, env)) for env in before) == before


def test_an_incident_id_with_a_trailing_newline_is_refused(applied):
    run = run_playbook("emergency_rollback.yml", applied, "-e", json.dumps({"incident_id": "INC-42\n",
                                                                            "reason": REASON}), *TARGETS)
    assert run.rc != 0 and "incident_id 'INC-42\\n' must be 1-64 letters" in text(run)
    assert events(applied, "development", "override_set") == []


@pytest.fixture(scope="module")
def emergency(applied):
    # The form the README prints, passed as one argument exactly as a shell passes it.
    run = run_playbook("emergency_rollback.yml", applied, "-e", json.dumps(INCIDENT), *TARGETS)
    assert run.rc == 0, run.out[-3000:]
    return run


def test_the_json_form_records_the_whole_reason_and_prints_it_back(applied, emergency):
    assert 'Incident INC-42: recording the reason "%s"' % REASON in text(emergency)
    for env in ("development", "staging", "production"):
        (entry,) = events(applied, env, "override_set")
        assert entry["details"]["reason"] == REASON and entry["details"]["incident_id"] == "INC-42"


def test_the_readmes_mixed_form_works_as_printed(applied, emergency, tmp_path):
    # -e incident_id=INC-42 -e '{"reason": "..."}': the k=v part has no space, the reason is JSON.
    run = run_playbook("emergency_rollback.yml", applied, "--check", "-e", "incident_id=INC-43",
                       "-e", '{"reason": "%s"}' % REASON, *TARGETS)
    assert run.rc == 0, run.out[-3000:]
    assert 'Incident INC-43: recording the reason "%s"' % REASON in text(run)


@pytest.mark.parametrize("words, problem", [
    (["-e", "incident_id=INC-42", "-e", "approver=carol", "-e", "reason=root cause fixed, see the post-mortem"],
     "reason 'root' looks cut short (one word;"),
    (["-e", json.dumps({"incident_id": "INC-42", "approver": "   ", "reason": "root cause fixed"})],
     "approver is missing or blank"),
    (["-e", json.dumps({"incident_id": "INC-42", "approver": "carol", "reason": " \t "})],
     "reason is missing or blank"),
    (["-e", json.dumps({"incident_id": "INC-42\n", "approver": "carol", "reason": "root cause fixed"})],
     "incident_id 'INC-42\\n' must be 1-64 letters"),
])
def test_clearing_refuses_cut_blank_or_inexact_words(applied, emergency, words, problem):
    run = run_playbook("clear_override.yml", applied, *words)
    assert run.rc != 0 and "Nothing was changed: %s" % problem in text(run)
    assert """-e approver=NAME -e '{"reason": "WHY, in a sentence"}'""" in text(run)
    assert events(applied, "development", "override_cleared") == []


def test_clearing_with_the_printed_form_records_the_words_as_given(applied, emergency):
    reason = "root cause fixed, see the post-mortem"
    run = run_playbook("clear_override.yml", applied, "-e", "incident_id=INC-42", "-e", "approver=carol",
                       "-e", json.dumps({"reason": reason}))
    assert run.rc == 0, run.out[-3000:]
    assert 'Incident INC-42: "carol" clears the override, recording the reason "%s"' % reason in text(run)
    for env in ("development", "staging", "production"):
        (entry,) = events(applied, env, "override_cleared")
        assert entry["details"] == {"incident_id": "INC-42", "approver": "carol", "reason": reason}


def test_a_rollback_reason_is_refused_when_cut_and_recorded_whole(applied, emergency):
    # Runs after the override was cleared (module order): phase 1 passed in development.
    cut = run_playbook("rollback.yml", applied, "-e", "rollback_reason=hooks too noisy in development")
    assert cut.rc != 0
    assert "Rollback refused (nothing was changed): rollback_reason 'hooks' looks cut short" in text(cut)
    assert events(applied, "development", "rolled_back") == []
    reason = "hooks too noisy in development"
    run = run_playbook("rollback.yml", applied, "-e", json.dumps({"rollback_reason": reason}))
    assert run.rc == 0, run.out[-3000:]
    assert 'recording the reason "%s"' % reason in text(run)
    (entry,) = events(applied, "development", "rolled_back")
    assert entry["details"]["reason"] == reason


def test_a_gate_approval_reason_cut_short_is_refused_before_anything_is_evaluated(applied, tmp_path):
    reports = tmp_path / "reports"
    run = run_playbook("gate.yml", applied, "-e", "rollout_phase=1", "-e", "gate_approver=alice",
                       "-e", "gate_approval_reason=known dip during the migration",
                       "-e", "rollout_report_dir=%s" % reports)
    assert run.rc != 0
    assert "Gate phase 1 in development was not evaluated: gate_approval_reason 'known' looks cut short" in text(run)
    assert not reports.exists()


def test_a_blank_production_approver_is_refused_by_the_phase_preflight(applied):
    words = {"gate_approver": " ", "gate_approval_reason": "CHG-1234 approved by the CAB"}
    run = run_playbook("phase4.yml", applied, "-e", json.dumps(words))
    assert run.rc != 0
    assert "gate_approver is missing or blank" in text(run)
    cut = run_playbook("phase4.yml", applied, "-e", "gate_approver=alice", "-e", "gate_approval_reason=CHG-1234 approved")
    assert cut.rc != 0 and "gate_approval_reason 'CHG-1234' looks cut short" in text(cut)
    assert """-e '{"gate_approval_reason": "CHG-1234 ..."}'""" in text(cut)
    assert events(applied, "production", "started") == []
