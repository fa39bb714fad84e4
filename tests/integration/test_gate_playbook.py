"""playbooks/gate.yml on the sandbox: verdicts, reports, approval, misconfiguration."""

import hashlib
import json
import os
import xml.etree.ElementTree as ET

import pytest

from conftest import run_playbook


@pytest.fixture(scope="module")
def applied(tmp_path_factory):
    """A sandbox with phase 1 applied (the gate reads what is deployed)."""
    sandbox = tmp_path_factory.mktemp("gate") / "sandbox"
    sandbox.mkdir()
    result = run_playbook("phase1.yml", sandbox)
    assert result.rc == 0, result.out + result.err
    return sandbox


def gate(sandbox, reports, *args):
    return run_playbook("gate.yml", sandbox, "-e", "rollout_phase=1", "-e", "rollout_report_dir=%s" % reports, *args)


def only_report(reports, suffix):
    found = [os.path.join(reports, "development", f) for f in os.listdir(os.path.join(reports, "development"))
             if f.endswith(suffix)]
    assert len(found) == 1, found
    return found[0]


def test_phase1_gate_passes_and_writes_every_report(applied, tmp_path):
    reports = tmp_path / "reports"
    result = gate(applied, reports)
    assert result.rc == 0, result.out + result.err
    report = json.load(open(only_report(reports, ".json")))
    assert report["verdict"] == "pass" and report["passed"] is True
    names = {c["name"]: c for c in report["criteria"]}
    assert set(names) == {"config_deployment", "mcp_integrations_operational", "basic_automation_success",
                          "critical_security_issues", "policy_compliance"}
    # Real measurements: both sandbox hosts configured, the stand-in MCP servers answered.
    assert names["config_deployment"]["value"] == 1.0 and names["config_deployment"]["samples"] == 2
    assert names["mcp_integrations_operational"]["value"] == 1.0
    assert names["policy_compliance"]["value"] == 0.0
    with open(only_report(reports, ".evidence.tar.gz"), "rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == report["evidence_sha256"]
    suite = ET.parse(only_report(reports, ".xml")).getroot()
    assert len(suite.findall(".//testcase")) == 5 and not suite.findall(".//failure")
    assert "<svg" in open(only_report(reports, ".html")).read()
    assert "| config_deployment | PASS |" in result.out
    # The report anchors the ledger as it stood: gate.yml appends nothing, so its last entry.
    with open(os.path.join(str(applied), "ledger", "development.jsonl"), "rb") as handle:
        last = json.loads(handle.read().splitlines()[-1])
    assert report["ledger_anchor"] == {"seq": last["seq"], "sha256": last["sha256"]}
    assert ("Ledger anchor: seq %d, sha256 %s" % (last["seq"], last["sha256"])) in result.out


def test_failing_metric_fails_the_gate_and_names_it(applied, tmp_path):
    metrics = json.load(open(os.path.join(os.path.dirname(__file__), "..", "..", "sandbox", "metrics",
                                          "development.json")))
    metrics["automation_success_rate"] = 0.61
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(metrics))
    reports = tmp_path / "reports"
    result = gate(applied, reports, "-e", "sandbox_metrics_file=%s" % bad)
    assert result.rc != 0
    assert "FAIL" in result.out and "Not passing: basic_automation_success" in result.out
    report = json.load(open(only_report(reports, ".json")))
    assert report["verdict"] == "fail"


def test_warn_needs_a_named_approver(applied, tmp_path):
    overrides = tmp_path / "warn.yml"
    overrides.write_text("gate_overrides:\n    basic_automation_success:\n"
                         "      provider: file\n      path: '{{ sandbox_metrics_file }}'\n"
                         "      query: automation_success_rate\n      pass: '> 0.95'\n      warn: '> 0.90'\n")
    refused = gate(applied, tmp_path / "r1", "-e", "@%s" % overrides)
    assert refused.rc != 0 and "needs approval" in refused.out.replace("\n", " ")
    approved = gate(applied, tmp_path / "r2", "-e", "@%s" % overrides, "-e", "gate_approver=alice",
                    "-e", '{"gate_approval_reason": "known dip during the migration"}')
    assert approved.rc == 0, approved.out
    report = json.load(open(only_report(tmp_path / "r2", ".json")))
    assert report["verdict"] == "warn" and report["passed"] is True and report["approver"] == "alice"
    assert report["approval_reason"] == "known dip during the migration"


def test_misconfigured_gate_queries_nothing(applied, tmp_path):
    overrides = tmp_path / "bad.yml"
    overrides.write_text("gate_overrides:\n    critical_security_issues:\n"
                         "      provider: promethus\n      query: up\n")
    reports = tmp_path / "reports"
    result = gate(applied, reports, "-e", "@%s" % overrides)
    assert result.rc != 0
    assert "criterion critical_security_issues: unknown provider 'promethus'" in result.out
    assert "nothing was queried" in result.out
    assert not reports.exists()


def test_unknown_phase_is_refused(applied, tmp_path):
    result = run_playbook("gate.yml", applied, "-e", "rollout_phase=7")
    assert result.rc != 0 and "-e rollout_phase=1..5" in result.out
