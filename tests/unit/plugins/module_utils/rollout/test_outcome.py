"""How a gate, a phase run and a rollback end (module_utils/rollout/outcome.py)."""

from ansible_collections.kiro.platform.plugins.module_utils.rollout import outcome, plan


def gate(env, passed, verdict=None, criteria=(), approval=False, score=1.0):
    return {"phase": 1, "environment": env, "passed": passed, "verdict": verdict or ("pass" if passed else "fail"),
            "score": score, "needs_approval": approval, "criteria": list(criteria),
            "reports": {"html": "reports/%s/phase1.html" % env}}


CRITERIA = [{"name": "config_deployment", "verdict": "fail"}, {"name": "mttr", "verdict": "pass"},
            {"name": "cost", "verdict": "fail", "dry_run": True}, {"name": "incidents", "verdict": "inconclusive"}]


def test_failing_criteria_leave_out_passes_and_dry_runs():
    assert outcome.failing_criteria(CRITERIA) == ["config_deployment", "incidents"]
    assert outcome.failing_criteria([]) == [] and outcome.failing_criteria(None) == []


def test_the_gate_stop_message_says_what_failed_and_where_the_report_is():
    text = outcome.gate_stop_message(gate("development", False, criteria=CRITERIA, score=0.5))
    assert text == ("Gate phase 1 in development: FAIL (score 0.5). Not passing: config_deployment, incidents. "
                    "Report: reports/development/phase1.html")


def test_the_gate_stop_message_says_how_to_approve_a_warn():
    text = outcome.gate_stop_message(gate("staging", False, "warn", approval=True, score=0.86))
    assert text.startswith("Gate phase 1 in staging: WARN (score 0.86). It needs approval: run again with "
                           "-e gate_approver=NAME -e '{\"gate_approval_reason\": \"WHY, in a sentence\"}'. "
                           "Not passing: . Report: ")


def test_a_phase_passes_when_every_gate_passed():
    out = outcome.phase_outcome("5", [gate("development", True), gate("staging", True)], "rollback")
    assert out == {"passed": True, "rollback": False, "failed": [],
                   "message": "Phase 5 passed in development, staging."}


def test_a_failed_gate_rolls_back_only_when_asked():
    results = [gate("development", False), gate("staging", True)]
    stopped = outcome.phase_outcome(5, results)
    assert (stopped["passed"], stopped["rollback"], stopped["failed"]) == (False, False, ["development"])
    assert stopped["message"] == ("Phase 5 did not pass its gate in development (left applied: "
                                  "rollout_on_failure=stop). Reports: reports/development/phase1.html, "
                                  "reports/staging/phase1.html")
    rolled = outcome.phase_outcome(5, results, "rollback")
    assert rolled["rollback"] is True and "in development (rolled back). Reports:" in rolled["message"]


def states(phase):
    return dict((env, {"phase": phase, "passed_phases": list(range(1, phase + 1)), "override": {}})
                for env in plan.ENVIRONMENTS)


def test_the_rollback_announcement_names_each_environment_and_level():
    three = plan.rollback(3, states(3), list(plan.ENVIRONMENTS))
    assert outcome.rollback_announcement(three) == (
        "Rolling back phase 3 (Staging deployment): staging -> phase 2 profile at manual. "
        "The ledger goes back to phase 2, recording the reason \"rollback requested\".")
    five = plan.rollback(5, states(5), list(plan.ENVIRONMENTS))
    assert outcome.rollback_announcement(five) == (
        "Rolling back phase 5 (Optimisation and scaling): development -> phase 5 profile at conservative; "
        "staging -> phase 5 profile at conservative; production -> phase 5 profile at conservative. "
        "The ledger goes back to phase 4, recording the reason \"rollback requested\".")


GROUPS = {"development": ["d1", "d2"], "staging": ["s1"], "production": ["p1"]}


def test_a_rollback_is_complete_when_every_host_verified():
    five = plan.rollback(5, states(5), list(plan.ENVIRONMENTS))
    out = outcome.rollback_outcome(five, {"d1": "ok", "d2": "ok", "p1": "ok", "s1": "ok"}, GROUPS)
    assert out == {"complete": True, "verified": ["development", "staging", "production"], "message": (
        "Phase 5 rolled back in development, staging, production (4 host(s) verified); the ledger is back at "
        "phase 4. Re-apply with playbooks/phase5.yml.")}


def test_the_ledger_moves_back_only_where_every_host_rolled_back():
    five = plan.rollback(5, states(5), list(plan.ENVIRONMENTS))
    verdicts = {"d1": "ok", "d2": "failed: mcp.json is not JSON", "p1": "not rolled back: unreachable", "s1": "ok"}
    out = outcome.rollback_outcome(five, verdicts, GROUPS)
    assert out["complete"] is False and out["verified"] == ["staging"]
    assert out["message"] == (
        "Rollback of phase 5 did not take everywhere (the ledger was not moved back where it did not): "
        "d2: failed: mcp.json is not JSON; p1: not rolled back: unreachable. Fix those hosts and run the rollback "
        "again with -e rollback_phase=5; hosts already rolled back do not change.")
