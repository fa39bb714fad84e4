"""The emergency rollback's summary, post-mortem and evidence (module_utils/emergency/incident/)."""

import json
import os
import tarfile

import pytest

from ansible_collections.kiro.platform.plugins.module_utils.emergency import incident

STARTED = "2026-11-26T10:00:00.000Z"


def locked(finished="2026-11-26T10:00:04.500Z", changed=("a",)):
    return {"changed": True, "changed_files": list(changed), "errors": [], "finished": finished,
            "snapshot": {"id": "snap-1"}, "before": {"roots": []},
            "ansible_facts": {"kiro": {"summary": {"manual_mode": True}}}}


def hosts(**results):
    return dict((h.replace("_", "-"), {"environment": env, "result": r}) for h, (env, r) in results.items())


CENTRAL = {"finished_at": "2026-11-26T10:00:01.200Z", "elapsed": 0.8, "failures": [],
           "iam": [{"role": "kiro-agent", "action": "attached"}],
           "kubernetes": [{"kind": "Deployment", "namespace": "ops", "name": "agent", "action": "scaled_down",
                           "replicas_before": 3}]}


def test_every_host_locked_and_switches_engaged_is_complete():
    s = incident.summarize("INC-1", "agent deleting pods", "alice", STARTED,
                           hosts(dev_1=("development", locked()), prod_1=("production", locked("2026-11-26T10:00:07.250Z"))),
                           central=CENTRAL,
                           ledger=[{"item": "development", "failed": False, "entry": {"event": "override_set"}},
                                   {"item": "production", "failed": False, "entry": {"event": "override_set"}}])
    assert s["complete"] and s["failed"] == []
    assert s["counts"]["locked"] == 2 and s["counts"]["targeted"] == 2
    assert s["safe_at"] == "2026-11-26T10:00:07.250Z" and s["time_to_safe_seconds"] == 7.25
    assert "IAM role kiro-agent: deny-all policy attached" in s["done"]
    assert "Kubernetes Deployment ops/agent scaled down (was 3 replicas)" in s["done"]
    assert "ledger production: override_set" in s["done"]
    assert s["lines"][-1] == "Complete: every step succeeded."


def test_unreachable_partial_and_failed_hosts_are_listed_with_what_still_covers_them():
    partial = dict(locked(), errors=[{"path": "/w/.kiro/settings/mcp.json", "msg": "cannot parse mcp.json"}])
    s = incident.summarize("INC-2", "r", "bob", STARTED, hosts(
        dev_1=("development", locked()),
        dev_2=("development", partial),
        stg_1=("staging", {"unreachable": True, "msg": "Failed to connect to the host via ssh: refused\nmore"}),
        prod_1=("production", {"failed": True, "msg": "MODULE FAILURE"}),
        prod_2=("production", None)),
        central=CENTRAL, ledger=[{"environment": "staging", "event": "override_set", "ok": True}])
    assert not s["complete"]
    assert s["counts"] == {"locked": 1, "partial": 1, "unreachable": 1, "failed": 1, "not_run": 1, "would_lock": 0,
                           "targeted": 5}
    assert "dev-2: locked except: cannot parse mcp.json" in s["failed"]
    assert "stg-1: unreachable: Failed to connect to the host via ssh: refused" in s["failed"]
    assert [u["host"] for u in s["unreachable"]] == ["stg-1", "prod-2"]
    cover = s["unreachable"][0]["covered_by"]
    assert any("IAM deny-all inline policy on role(s) kiro-agent" in c for c in cover)
    assert any("manual override in the ledger of staging" in c for c in cover)
    text = "\n".join(s["lines"])
    assert "NOT REACHED stg-1 (staging)" in text and "still covered by: IAM deny-all" in text
    assert "--limit stg-1" in text and text.endswith("everything else was done.")


def test_failed_central_switches_and_ledger_writes_make_it_incomplete():
    central = {"failed": True, "msg": "1 item failed", "failures": ["role gone: NoSuchEntity"], "iam": [
        {"role": "gone", "action": "failed"}], "kubernetes": []}
    s = incident.summarize("INC-3", "r", "a", STARTED, hosts(h=("development", locked())), central=central,
                           ledger=[{"item": "development", "failed": True, "msg": "S3 unreachable"}])
    assert "central switch: role gone: NoSuchEntity" in s["failed"]
    assert "ledger development: override_set not recorded: S3 unreachable" in s["failed"]
    assert s["coverage"] == []  # nothing held: no role denied, no override recorded


def test_notifications_join_the_summary():
    s = incident.summarize("INC-4", "r", "a", STARTED, hosts(h=("development", locked())))
    s = incident.add_notifications(s, [{"type": "slack", "name": "oncall", "ok": True},
                                       {"type": "sns", "name": "pager", "ok": False, "error": "connection refused"}])
    assert "slack notification oncall sent" in s["done"]
    assert "sns notification pager failed: connection refused" in s["failed"] and not s["complete"]


def test_check_mode_predicts():
    s = incident.summarize("INC-5", "r", "a", STARTED, hosts(h=("development", dict(locked(), changed_files=["x"]))),
                           check_mode=True)
    assert s["counts"]["would_lock"] == 1 and s["done"][0] == "would lock 1 of 1 host(s) down"
    assert s["lines"][1].startswith("CHECK MODE: nothing was changed")


def test_a_bad_incident_id_is_refused():
    with pytest.raises(incident.IncidentError, match="incident_id"):
        incident.summarize("../etc", "r", "a", STARTED, {})


def test_the_record_is_written_in_a_new_directory_with_masked_secrets(tmp_path):
    reports = tmp_path / "reports" / "development"
    reports.mkdir(parents=True)
    (reports / "phase1-20261126T090000Z.json").write_text('{"verdict": "pass"}')
    (reports / "phase2-20261126T095000Z.json").write_text('{"verdict": "fail"}')
    (reports / "phase2-20261126T095000Z.md").write_text("# gate")
    (reports / "phase2-20261126T095000Z.evidence.tar.gz").write_bytes(b"x")
    result = dict(locked(), before={"roots": [{"mcp_servers": [{"name": "gh", "env": {"GITHUB_TOKEN": "ghp_s3cr3t"},
                                                                "url": "https://u:pw@h/x?token=abc"}]}]})
    summary = incident.summarize("INC-6", "r", "a", STARTED, hosts(dev_1=("development", result)))
    ledgers = {"development": [{"seq": 1, "ts": "2026-11-26T09:00:00.000Z", "environment": "development", "phase": 1,
                                "event": "gate_passed", "actor": "ci", "details": {"verdict": "pass"}},
                               {"seq": 2, "ts": "2026-11-26T10:00:02.000Z", "environment": "development", "phase": 1,
                                "event": "override_set", "actor": "a", "details": {"incident_id": "INC-6"}}]}
    first = incident.write(str(tmp_path / "incidents"), summary, {"dev-1": result}, ledgers,
                           reports_dir=str(tmp_path / "reports"), inventory="inventories/production")
    second = incident.write(str(tmp_path / "incidents"), summary, {"dev-1": result}, ledgers)
    assert first["directory"] != second["directory"]  # a rerun never overwrites a record
    assert oct(os.stat(first["evidence"]).st_mode & 0o777) == "0o600"
    with tarfile.open(first["evidence"]) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("manifest.json"))["sha256"]
        host = tar.extractfile("hosts/dev-1.json").read().decode()
    assert {"summary.json", "hosts/dev-1.json", "ledger/development.jsonl",
            "gate-reports/development/phase2-20261126T095000Z.json",
            "gate-reports/development/phase2-20261126T095000Z.md", "manifest.json"} <= set(names)
    assert "gate-reports/development/phase1-20261126T090000Z.json" not in names  # the last report only
    assert set(manifest) == set(names) - {"manifest.json", "hosts", "ledger", "gate-reports",
                                          "gate-reports/development"}
    for path in (first["evidence"], first["summary_json"], first["postmortem"]):
        data = open(path, "rb").read()
        assert b"ghp_s3cr3t" not in data and b"pw@" not in data and b"token=abc" not in data
    assert "<redacted>" in host
    post = open(first["postmortem"]).read()
    assert post.startswith("# Post-mortem: INC-6 - r")
    assert "| 2026-11-26T09:00:00.000Z | development | 1 | gate_passed | ci | verdict=pass |" in post
    assert "clear_override.yml -e incident_id=INC-6" in post and "-i inventories/production" in post
    assert first["evidence_sha256"] in post


def test_a_notify_task_that_failed_as_a_whole_makes_it_incomplete():
    s = incident.summarize("INC-7", "r", "a", STARTED, hosts(h=("development", locked())))
    s = incident.add_notifications(s, [], "'vault_slack_webhook' is undefined")
    assert s["failed"] == ["notifications not sent: 'vault_slack_webhook' is undefined"] and not s["complete"]


def test_targets_that_match_no_host_are_a_failure_not_a_complete_run():
    s = incident.summarize("INC-8", "r", "a", STARTED, {})
    assert not s["complete"] and s["counts"]["targeted"] == 0
    assert any(line.startswith("no host was targeted: emergency_targets (or --limit) matched no host") for line in s["failed"])
    assert "Complete: every step succeeded." not in s["lines"]


def test_a_host_locked_down_without_its_snapshot_is_locked_and_the_summary_names_the_directory():
    result = dict(locked(), snapshot=None,
                  snapshot_error={"path": "/home/dev/.kiro-platform/snapshots",
                                  "msg": "/home/dev/.kiro-platform/snapshots: No space left on device"})
    s = incident.summarize("INC-9", "r", "a", STARTED, hosts(dev_1=("development", result)))
    assert s["hosts"]["dev-1"]["status"] == "locked" and s["complete"]
    assert s["hosts"]["dev-1"]["snapshot_error"]["path"] == "/home/dev/.kiro-platform/snapshots"
    assert s["warnings"] == ["dev-1: no snapshot before the lockdown (the host was locked down all the same): "
                             "/home/dev/.kiro-platform/snapshots: No space left on device"]
    assert "WARNING: " + s["warnings"][0] in s["lines"]


def test_not_done_names_each_host_a_task_did_not_get_done():
    found = incident.not_done({"a": {"changed": True, "errors": []}, "b": None,
                               "c": {"unreachable": True, "msg": "ssh: refused"}, "d": {"failed": True, "msg": "boom"}})
    assert found == ["b: not run: the lockdown did not run there (not in the play, or --limit)",
                     "c: unreachable: ssh: refused", "d: failed: boom"]
