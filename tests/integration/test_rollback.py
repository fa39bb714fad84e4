"""playbooks/rollback.yml for real on a tmp sandbox: refusal, a rollback that did not take on one
host, the rollback once fixed (snapshot first, nothing deleted, verified), then re-applying the
phase restores the earlier state byte-exact."""

import json
import os
import shutil

import pytest

from conftest import run_playbook, text, tree, workspace

HOSTS = ("dev-workstation-1", "dev-workstation-2")


def events(sandbox, environment):
    path = os.path.join(str(sandbox), "ledger", "%s.jsonl" % environment)
    with open(path) as handle:
        return [json.loads(line) for line in handle if line.strip()]


def host_files(sandbox, host):
    return tree(os.path.join(str(sandbox), host), skip=("snapshots",))


@pytest.fixture(scope="module")
def walk(tmp_path_factory):
    sandbox = tmp_path_factory.mktemp("rollback") / "sandbox"
    sandbox.mkdir()
    out = {"sandbox": sandbox}
    out["nothing"] = run_playbook("rollback.yml", sandbox)
    out["phase1"] = run_playbook("phase1.yml", sandbox)
    out["applied"] = dict((h, host_files(sandbox, h)) for h in HOSTS)
    # An operator's own steering document, which a rollback must keep.
    own = os.path.join(workspace(sandbox, HOSTS[0]), ".kiro", "steering", "team-notes.md")
    with open(own, "w") as handle:
        handle.write("# Team notes\nkept by hand\n")
    out["applied"][HOSTS[0]] = host_files(sandbox, HOSTS[0])
    # dev-workstation-2 cannot be rolled back: its mcp.json does not parse.
    mcp = os.path.join(workspace(sandbox, HOSTS[1]), ".kiro", "settings", "mcp.json")
    shutil.copy(mcp, mcp + ".good")
    with open(mcp, "w") as handle:
        handle.write('{"mcpServers": {')
    out["broken"] = run_playbook("rollback.yml", sandbox, "-e", json.dumps({"rollback_reason": "hooks too noisy"}))
    out["events_after_broken"] = [e["event"] for e in events(sandbox, "development")]
    os.replace(mcp + ".good", mcp)
    out["fixed"] = run_playbook("rollback.yml", sandbox, "-e", json.dumps({"rollback_reason": "hooks too noisy"}))
    out["rolled_back"] = dict((h, host_files(sandbox, h)) for h in HOSTS)
    out["facts"] = run_playbook("../tests/integration/playbooks/kiro_facts_all.yml", sandbox, "-e", "facts_hosts=development")
    out["reapplied_run"] = run_playbook("phase1.yml", sandbox)
    out["reapplied"] = dict((h, host_files(sandbox, h)) for h in HOSTS)
    return out


def test_nothing_to_roll_back_is_refused_and_changes_nothing(walk):
    run = walk["nothing"]
    assert run.rc != 0
    assert "Rollback refused (nothing was changed): nothing to roll back" in text(run)
    assert run.hosts_recap() == {}


def test_a_rollback_that_did_not_take_is_reported_as_failed_and_not_recorded(walk):
    run = walk["broken"]
    assert walk["phase1"].rc == 0, walk["phase1"].out[-2000:]
    assert run.rc != 0
    out = text(run)
    assert "did not take everywhere" in out and "dev-workstation-2: failed:" in out and "mcp.json" in out
    assert "rolled_back" not in walk["events_after_broken"]


def test_the_rollback_goes_to_manual_keeps_every_file_and_is_recorded(walk):
    run = walk["fixed"]
    assert run.rc == 0, run.out[-3000:]
    assert "Phase 1 rolled back in development (2 host(s) verified)" in text(run)
    found = [e for e in events(walk["sandbox"], "development") if e["event"] == "rolled_back"]
    assert len(found) == 1
    entry = found[0]
    assert entry["phase"] == 1
    assert entry["details"]["to_phase"] == 0 and entry["details"]["level"] == "manual"
    assert entry["details"]["reason"] == "hooks too noisy"
    for host in HOSTS:
        before, after = walk["applied"][host], walk["rolled_back"][host]
        assert set(before) <= set(after), set(before) - set(after)  # nothing deleted
        assert before != after
    notes = [p for p in walk["rolled_back"][HOSTS[0]] if p.endswith("team-notes.md")]
    assert notes and walk["rolled_back"][HOSTS[0]][notes[0]] == b"# Team notes\nkept by hand\n"
    # Snapshot first: the rollback's snapshot holds the applied configuration.
    snaps = os.listdir(os.path.join(str(walk["sandbox"]), HOSTS[0], "snapshots"))
    assert any(n.endswith(".manifest.json") for n in snaps)


def test_kiro_facts_show_manual_mode_after_the_rollback(walk):
    run = walk["facts"]
    assert run.rc == 0, run.out[-2000:]
    for host in HOSTS:
        assert "%s manual_mode=True" % host in text(run), text(run)[-2000:]


def test_reapplying_the_phase_restores_the_earlier_state_byte_exact(walk):
    assert walk["reapplied_run"].rc == 0, walk["reapplied_run"].out[-3000:]
    for host in HOSTS:
        assert walk["reapplied"][host] == walk["applied"][host], host
