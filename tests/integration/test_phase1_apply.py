"""phase1.yml on the sandbox: applies, is idempotent, predicts exactly in check mode."""

import os
import stat

from conftest import read_json, run_playbook, tree, workspace

DEV_HOSTS = ("dev-workstation-1", "dev-workstation-2")


def test_apply_then_idempotent(sandbox):
    first = run_playbook("phase1.yml", sandbox)
    assert first.rc == 0, first.out + first.err
    assert set(first.hosts_recap()) == set(DEV_HOSTS), "phase 1 targets development only"
    assert "Phase 1 passed in development." in first.out
    for host in DEV_HOSTS:
        assert first.recap()[host]["changed"] >= 1
        for ws in ("platform-infra", "payments-service"):
            kiro = os.path.join(workspace(sandbox, host, ws), ".kiro")
            assert sorted(os.listdir(os.path.join(kiro, "steering"))) == ["microservices.md", "operations.md", "workflows.md"]
            assert sorted(os.listdir(os.path.join(kiro, "hooks"))) == [
                "cost-optimization.kiro.hook", "infrastructure-monitoring.kiro.hook"]
            servers = read_json(os.path.join(kiro, "settings", "mcp.json"))["mcpServers"]
            assert sorted(servers) == ["aws-api", "cloudwatch", "eks", "github"]
            assert stat.S_IMODE(os.stat(os.path.join(kiro, "settings", "mcp.json")).st_mode) == 0o600
    assert not os.path.exists(os.path.join(str(sandbox), "staging-runner-1"))
    before = tree(str(sandbox))
    second = run_playbook("phase1.yml", sandbox)
    assert second.rc == 0, second.out + second.err
    assert second.changed() == 0, second.out
    assert tree(str(sandbox)) == before, "an idempotent run rewrote files"


def test_check_mode_predicts_exactly(sandbox):
    predicted = run_playbook("phase1.yml", sandbox, "--check", "--diff")
    assert predicted.rc == 0, predicted.out + predicted.err
    # Check mode wrote no Kiro file (workspace directories are not created either).
    assert tree(str(sandbox)) == {}
    assert "inclusion: always" in predicted.out  # the diff shows the steering docs
    real = run_playbook("phase1.yml", sandbox, "--diff")
    assert real.rc == 0, real.out + real.err
    assert predicted.hosts_recap() == real.hosts_recap()
    assert sorted(set(line for line in predicted.out.splitlines() if line.startswith("+++ after:"))) == \
        sorted(set(line for line in real.out.splitlines() if line.startswith("+++ after:")))


def test_operator_entries_survive(sandbox):
    ws = workspace(sandbox, "dev-workstation-1")
    os.makedirs(os.path.join(ws, ".kiro", "settings"))
    os.makedirs(os.path.join(ws, ".kiro", "hooks"))
    mcp = os.path.join(ws, ".kiro", "settings", "mcp.json")
    with open(mcp, "w") as handle:
        handle.write('{"mcpServers": {"notes": {"command": "notes-mcp"}, '
                     '"aws-api": {"command": "old", "x-team": "sre"}}, "x-top": true}')
    own_hook = os.path.join(ws, ".kiro", "hooks", "team-lint.kiro.hook")
    with open(own_hook, "w") as handle:
        handle.write('{"name": "lint", "version": "1", "when": {"type": "userTriggered"}, '
                     '"then": {"type": "runCommand", "command": "make lint"}}')
    refused = run_playbook("phase1.yml", sandbox, "--limit", "dev-workstation-1")
    assert refused.rc != 0 and "include the controller in --limit" in refused.out
    result = run_playbook("phase1.yml", sandbox, "--limit", "dev-workstation-1,localhost")
    # Applied (the gate then fails: the operator's notes-mcp server cannot start here).
    assert result.recap()["dev-workstation-1"]["changed"] == 1, result.out
    doc = read_json(mcp)
    assert doc["x-top"] is True
    assert doc["mcpServers"]["notes"] == {"command": "notes-mcp"}
    assert doc["mcpServers"]["aws-api"]["x-team"] == "sre"
    assert doc["mcpServers"]["aws-api"]["command"].endswith("/bin/uvx")
    assert read_json(own_hook)["then"]["command"] == "make lint"
