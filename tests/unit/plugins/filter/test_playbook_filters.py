"""The filters the playbooks and roles call instead of Jinja programs: registered under their
documented names, thin over module_utils/rollout, errors as AnsibleFilterError."""

import glob
import os

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.kiro.platform.plugins.filter import emergency, rollout

FILTERS = dict(rollout.FilterModule().filters(), **emergency.FilterModule().filters())
DOCS = os.path.join(os.path.dirname(rollout.__file__))
NEW = ["plan_environments", "rollout_already_passed", "rollout_drill_report", "rollout_outcome",
       "rollout_rollback_announcement", "rollout_rollback_outcome", "rollout_override_scope",
       "gate_failing_criteria", "gate_stop_message", "emergency_request_problem", "emergency_headline",
       "emergency_incident_details", "emergency_outcome"]


def test_every_filter_has_its_doc_and_every_doc_a_filter():
    documented = set(os.path.basename(f)[:-4] for f in glob.glob(os.path.join(DOCS, "*.yml")))
    assert set(NEW) <= set(FILTERS)
    assert documented == set(FILTERS) - {"alert_rules"}


def test_plan_environments_of_the_inventory_or_all():
    assert FILTERS["plan_environments"](None) == ["development", "staging", "production"]
    assert FILTERS["plan_environments"]({"production": ["p1"], "all": ["p1"]}) == ["production"]


def test_rollout_phase_cut_to_the_groups():
    full = FILTERS["rollout_phase"](2)
    assert tuple(full["apply"]) == ("development", "staging")
    assert FILTERS["rollout_phase"](2, {"staging": []})["apply"] == ["staging"]
    with pytest.raises(AnsibleFilterError, match="kiro.platform.rollout_phase: rollout_phase must be a phase number from 1 to 5 .*, not 9"):
        FILTERS["rollout_phase"](9, {})


def test_already_passed_reads_the_states():
    states = {"development": {"passed_phases": [1]}}
    assert FILTERS["rollout_already_passed"]("1", states, ["development"]) is True
    assert FILTERS["rollout_already_passed"](2, states, ["development"]) is False
    with pytest.raises(AnsibleFilterError, match="rollout_already_passed"):
        FILTERS["rollout_already_passed"]("x", states, ["development"])


def test_the_drill_report_reads_each_hosts_result_from_hostvars():
    good = {"rolled_back": True, "reapplied": True}
    hostvars = {"s1": {"rollout_drill": good}, "s2": {}}
    assert FILTERS["rollout_drill_report"](["s1"], hostvars) == {"passed": 1, "hosts": {"s1": good}}
    assert FILTERS["rollout_drill_report"](["s1", "s2"], hostvars) == {"passed": 0, "hosts": {"s1": good, "s2": None}}
    assert FILTERS["rollout_drill_report"](["s2"], {"s2": {"mine": good}}, "mine")["passed"] == 1


def test_outcomes_and_messages_pass_through():
    result = {"phase": 1, "environment": "development", "passed": False, "verdict": "fail", "score": 0.0,
              "criteria": [{"name": "c", "verdict": "fail"}], "reports": {"html": "r.html"}}
    assert FILTERS["rollout_outcome"](1, [result], "rollback")["rollback"] is True
    assert FILTERS["gate_failing_criteria"](result["criteria"]) == ["c"]
    assert FILTERS["gate_stop_message"](result).endswith("Not passing: c. Report: r.html")
    rollback = {"number": 1, "name": "Foundation", "environments": ["development"], "content": 1,
                "levels": {"development": "manual"}, "to_phase": 0}
    assert "development -> phase 1 profile at manual" in FILTERS["rollout_rollback_announcement"](rollback)
    assert FILTERS["rollout_rollback_outcome"]({"d1": "ok"}, rollback, {"development": ["d1"]})["complete"] is True
    states = {"development": {"override": {"active": True, "incidents": ["INC-1"]}}}
    assert FILTERS["rollout_override_scope"](states, "INC-1")["environments"] == ["development"]


def test_emergency_filters_pass_through():
    assert FILTERS["emergency_request_problem"]("INC-1", "").startswith("reason is missing. ")
    summary = {"incident_id": "INC-1", "reason": "r", "counts": {"locked": 1, "targeted": 1}, "failed": [],
               "hosts": {"h": {"environment": "development"}}, "unreachable": [], "central": None,
               "complete": True, "lines": ["l"]}
    assert FILTERS["emergency_headline"](summary) == "Kiro emergency rollback INC-1: 1 of 1 hosts locked down"
    assert FILTERS["emergency_incident_details"](summary, "development")["hosts"] == ["h"]
    assert FILTERS["emergency_outcome"](summary, {"postmortem": "p.md"}, [])["complete"] is True
