"""The operator's words: reasons and approvers taken whole, phases and incident ids exact."""

import pytest

from ansible_collections.kiro.platform.plugins.module_utils.rollout import override, plan, words

ALL = list(plan.ENVIRONMENTS)


def states(phase):
    return dict((env, {"phase": phase, "passed_phases": list(range(1, phase + 1)), "override": {}}) for env in ALL)


@pytest.mark.parametrize("reason, problem", [
    ("agent scaling down production deployments", ""),
    ("  agent scaling down  ", ""),
    # What -e "reason=agent scaling down production deployments" leaves (Ansible splits k=v on spaces).
    ("agent", "reason 'agent' looks cut short (one word;"),
    ("agent-scaling-down-production", "reason 'agent-scaling-down-production' looks cut short (one word;"),
    ("pods gone", "reason 'pods gone' looks cut short (9 characters;"),
    ("", "reason is missing or blank"),
    (" \t\n", "reason is missing or blank"),
    (None, "reason is missing or blank"),
    (42, "reason must be text, not int 42"),
])
def test_a_reason_is_taken_whole_or_refused_with_the_quoting_that_works(reason, problem):
    found = words.reason_problem(reason)
    assert found.startswith(problem) if problem else found == ""
    if problem.startswith("reason '"):
        assert "Ansible splits -e \"reason=a few words\" on the spaces and keeps only the first word" in found
        assert "Quote it as JSON: -e '{\"reason\": " in found and "rollout_reason_min_length" in found


def test_the_minimum_length_is_a_variable_and_checked():
    assert words.reason_problem("pods gone", min_length=5) == ""
    assert words.reason_problem("pods gone", min_length="9") == ""
    assert words.reason_problem("pods gone now", min_length=20).startswith("reason 'pods gone now' looks cut short")
    for bad in ("ten", 0, -1, True, 2.5):
        with pytest.raises(ValueError, match="rollout_reason_min_length must be a whole number"):
            words.reason_problem("pods gone", min_length=bad)


def test_the_printed_hint_quotes_a_single_quote_for_the_shell():
    assert words.quoted({"reason": "it's down"}) == "-e '{\"reason\": \"it'\\''s down\"}'"
    assert words.quoted({"reason": "Ausfall in München"}) == "-e '{\"reason\": \"Ausfall in München\"}'"


@pytest.mark.parametrize("value, ok", [
    (1, True), (5, True), ("3", True), (" 3 ", True),
    ("three", False), ("x", False), ("3.5", False), (3.0, False), (0, False), (6, False), ("", False),
    (None, False), (True, False), ("٣", False),
])
def test_a_phase_is_a_number_from_1_to_5_and_the_error_names_the_variable(value, ok):
    found = words.phase_problem(value, "rollback_phase")
    if ok:
        assert found == ""
    else:
        assert found == ("rollback_phase must be a phase number from 1 to 5 (for example -e rollback_phase=3), not %r"
                         % (value,))


def test_a_non_numeric_phase_to_plan_names_rollout_phase():
    with pytest.raises(ValueError, match=r"rollout_phase must be a phase number from 1 to 5 .*not 'three'"):
        plan.phase("three")


@pytest.mark.parametrize("incident_id, problem", [
    ("INC-42", ""),
    ("INC-42\n", "incident_id 'INC-42\\n' must be 1-64 letters"),
    ("INC-42 ", "incident_id 'INC-42 ' must be 1-64 letters"),
    ("   ", "incident_id is missing"),
    (None, "incident_id is missing"),
])
def test_an_incident_id_is_matched_exactly(incident_id, problem):
    found = words.incident_problem(incident_id)
    assert found.startswith(problem) if problem else found == ""


def test_clearing_an_override_refuses_blank_or_cut_words():
    assert override.clear_problems("INC-42", "carol", "root cause fixed, see the post-mortem") == []
    blank = override.clear_problems("INC-42", "   ", "\t")
    assert blank[0].startswith("approver is missing or blank") and blank[1].startswith("reason is missing or blank")
    assert blank[-1].endswith("playbooks/clear_override.yml -e incident_id=INC-42 -e approver=NAME "
                              "-e '{\"reason\": \"WHY, in a sentence\"}'")
    cut = override.clear_problems("INC-42", "carol", "root")
    assert cut[0].startswith("reason 'root' looks cut short")
    newline = override.clear_problems("INC-42\n", "carol", "root cause fixed")
    assert newline[0].startswith("incident_id 'INC-42\\n' must be") and "incident_id=INC-42 " in newline[-1]


def test_a_phase_refuses_a_blank_or_cut_approval_wherever_given():
    ok = states(3)
    assert plan.refusals(4, ok, "alice", "CHG-1234 approved by the CAB") == []
    assert plan.refusals(1, ok) == []  # not needed, not given
    blank = plan.refusals(4, ok, "  ", "CHG-1234 approved by the CAB")
    assert blank == ["gate_approver is missing or blank: name who approves, for example -e gate_approver=alice"]
    cut = plan.refusals(4, ok, "alice", "CHG-1234")
    assert len(cut) == 1 and cut[0].startswith("gate_approval_reason 'CHG-1234' looks cut short (one word;")
    assert "-e '{\"gate_approval_reason\": \"CHG-1234 ...\"}'" in cut[0]
    # A warn approval given to any phase is checked the same way.
    assert plan.refusals(1, ok, "alice", "known")[0].startswith("gate_approval_reason 'known' looks cut short")
    missing = plan.refusals(4, ok, "alice", None)
    assert missing == ["phase 4 promotes to production, which needs a named approver and a reason: "
                       "-e gate_approver=NAME -e '{\"gate_approval_reason\": \"WHY, in a sentence\"}'."]


def test_a_rollback_reason_is_refused_when_cut_and_recorded_whole_otherwise():
    cut = plan.rollback(3, states(3), ALL, reason="hooks")
    assert cut["refusals"][0].startswith("rollback_reason 'hooks' looks cut short")
    whole = plan.rollback(3, states(3), ALL, reason="hooks too noisy in staging")
    assert whole["refusals"] == [] and whole["reason"] == "hooks too noisy in staging"
    assert plan.rollback(3, states(3), ALL)["reason"] == "rollback requested"
    blank = plan.rollback(3, states(3), ALL, reason="  ")
    assert blank["refusals"][0].startswith("rollback_reason is missing or blank")


def test_a_non_numeric_rollback_phase_is_a_refusal_naming_rollback_phase():
    out = plan.rollback("x", states(3), ALL)
    assert out["refusals"] == ["rollback_phase must be a phase number from 1 to 5 (for example -e rollback_phase=3), "
                               "not 'x'"]


def test_the_override_messages_print_a_clear_command_that_works():
    locked = dict(states(3), staging={"phase": 3, "passed_phases": [1, 2, 3], "override": {
        "active": True, "incident_id": "INC-9", "reason": "agents deleting pods", "ts": "t"}})
    text = " ".join(plan.refusals(3, locked)) + " ".join(plan.rollback(3, locked, ALL)["refusals"])
    assert "-e reason=WHY" not in text
    assert text.count("playbooks/clear_override.yml -e incident_id=INC-9 -e approver=NAME "
                      "-e '{\"reason\": \"WHY, in a sentence\"}'") == 2
