"""Gate semantics through playbooks/gate.yml on the sandbox: a gate of dry-run criteria only is
inconclusive (never a pass), and a run's -e gate_overrides merges into the environment's changes."""

import json
import os

import pytest

from conftest import run_playbook

PHASE1 = ("config_deployment", "mcp_integrations_operational", "basic_automation_success",
          "critical_security_issues", "policy_compliance")


@pytest.fixture(scope="module")
def applied(tmp_path_factory):
    sandbox = tmp_path_factory.mktemp("semantics") / "sandbox"
    sandbox.mkdir()
    result = run_playbook("phase1.yml", sandbox)
    assert result.rc == 0, result.out[-3000:]
    return sandbox


def gate(sandbox, reports, overrides):
    return run_playbook("gate.yml", sandbox, "-e", "rollout_phase=1", "-e", "rollout_report_dir=%s" % reports,
                        "-e", json.dumps({"gate_overrides": overrides}))


def report_of(reports):
    base = os.path.join(str(reports), "development")
    (name,) = [f for f in os.listdir(base) if f.endswith(".json") and f.startswith("phase1")]
    with open(os.path.join(base, name)) as handle:
        return json.load(handle)


def test_a_gate_whose_criteria_are_all_dry_run_is_inconclusive_and_stops(applied, tmp_path):
    reports = tmp_path / "reports"
    result = gate(applied, reports, dict((name, {"dry_run": True}) for name in PHASE1))
    assert result.rc != 0
    said = " ".join(result.out.split())
    assert "INCONCLUSIVE (score n/a)" in said and "no criterion is enforced (every one is dry_run)" in said
    report = report_of(reports)
    assert report["verdict"] == "inconclusive" and report["passed"] is False and report["score"] is None
    assert all(c["dry_run"] and c["verdict"] == "pass" for c in report["criteria"])


def test_a_runs_threshold_change_keeps_the_environments_provider(applied, tmp_path):
    # The sandbox inventory reads basic_automation_success from a file (0.93); the run only
    # raises the bar. Merged, the criterion still reads the file and fails on the threshold;
    # replaced, it would go back to Prometheus, which the sandbox does not have.
    reports = tmp_path / "reports"
    result = gate(applied, reports, {"basic_automation_success": {"pass": "> 0.99"}})
    assert result.rc != 0
    criterion = dict((c["name"], c) for c in report_of(reports)["criteria"])["basic_automation_success"]
    assert criterion["provider"] == "file" and criterion["value"] == 0.93
    assert criterion["verdict"] == "fail" and criterion["condition"] == "> 0.99" and not criterion["error"]
    lowered = gate(applied, tmp_path / "lowered", {"basic_automation_success": {"pass": "> 0.90"}})
    assert lowered.rc == 0, lowered.out[-3000:]
    assert report_of(tmp_path / "lowered")["verdict"] == "pass"
