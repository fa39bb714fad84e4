"""facts.describe_root / manual_mode / gather over real workspaces."""

import json
import os

import pytest

from ansible_collections.kiro.platform.plugins.module_utils.kiro import facts

from kiro_helpers import make_workspace, roots, write, write_json


def _locked_down(ws):
    """A workspace in the lockdown state: nothing can act on its own."""
    kdir = os.path.join(ws, ".kiro")
    write_json(os.path.join(kdir, "hooks", "docs.kiro.hook"), {
        "name": "docs", "version": "1", "enabled": False,
        "when": {"type": "fileEdited", "patterns": ["*.md"]}, "then": {"type": "askAgent", "prompt": "p"}})
    write_json(os.path.join(kdir, "hooks", "team.json"), {"version": "v1", "hooks": [
        {"name": "lint", "trigger": "PostFileSave", "enabled": False, "action": {"type": "command", "command": "x"}},
        {"name": "fmt", "trigger": "Stop", "enabled": False, "action": {"type": "command", "command": "y"}}]})
    write_json(os.path.join(kdir, "settings", "mcp.json"), {"mcpServers": {
        "aws": {"command": "uvx", "args": ["awslabs.aws-api-mcp-server@latest"], "disabled": True, "autoApprove": []},
        "gh": {"url": "https://api.githubcopilot.com/mcp/readonly", "disabled": True}}})
    write_json(os.path.join(kdir, "agents", "triage.json"), {"name": "triage", "tools": ["read"], "allowedTools": []})
    write(os.path.join(kdir, "steering", "tech.md"), "# Tech\n")
    write(os.path.join(ws, ".vscode", "settings.json"),
          '{\n  // locked\n  "kiroAgent.agentAutonomy": "Supervised",\n  "kiroAgent.trustedCommands": [],\n}\n')
    return kdir


def _facts(ws):
    (root,) = roots([ws])
    return facts.describe_root(root)


def test_manual_mode_true_in_lockdown_state(tmp_path):
    ws = make_workspace(tmp_path)
    _locked_down(ws)
    described = _facts(ws)
    assert described["errors"] == []
    assert len(described["hooks"]) == 3 and not any(h["enabled"] for h in described["hooks"])
    assert described["autonomy"]["agent_autonomy"] == "Supervised"
    assert facts.manual_mode(described) is True
    result = facts.gather(roots([ws]))
    assert result["summary"]["manual_mode"] is True
    assert result["summary"]["hooks"] == 3 and result["summary"]["hooks_enabled"] == 0
    assert result["summary"]["mcp_servers_enabled"] == 0


def _set_enabled_classic(kdir):
    path = os.path.join(kdir, "hooks", "docs.kiro.hook")
    doc = json.load(open(path))
    doc["enabled"] = True
    write_json(path, doc)


def _set_enabled_v1(kdir):
    path = os.path.join(kdir, "hooks", "team.json")
    doc = json.load(open(path))
    del doc["hooks"][1]["enabled"]  # absent means enabled
    write_json(path, doc)


def _mcp(kdir, mutate):
    path = os.path.join(kdir, "settings", "mcp.json")
    doc = json.load(open(path))
    mutate(doc["mcpServers"])
    write_json(path, doc)


def _settings(ws, text):
    write(os.path.join(ws, ".vscode", "settings.json"), text)


BREAKERS = {
    "classic hook enabled": lambda ws, kdir: _set_enabled_classic(kdir),
    "v1 hook enabled by default": lambda ws, kdir: _set_enabled_v1(kdir),
    "server enabled": lambda ws, kdir: _mcp(kdir, lambda s: s["aws"].update(disabled=False)),
    "server without disabled key": lambda ws, kdir: _mcp(kdir, lambda s: s["gh"].pop("disabled")),
    "disabled server auto-approves": lambda ws, kdir: _mcp(kdir, lambda s: s["aws"].update(autoApprove=["call_aws"])),
    "autopilot": lambda ws, kdir: _settings(ws, '{"kiroAgent.agentAutonomy": "Autopilot"}'),
    "autonomy key missing": lambda ws, kdir: _settings(ws, '{"editor.tabSize": 2}'),
    "trusted commands": lambda ws, kdir: _settings(
        ws, '{"kiroAgent.agentAutonomy": "Supervised", "kiroAgent.trustedCommands": ["ls"]}'),
    "trust everything": lambda ws, kdir: _settings(
        ws, '{"kiroAgent.agentAutonomy": "Supervised", "kiroAgent.trustedCommands": ["*"]}'),
    "agent pre-approves tools": lambda ws, kdir: write_json(
        os.path.join(kdir, "agents", "triage.json"), {"name": "triage", "allowedTools": ["read"]}),
}


@pytest.mark.parametrize("breaker", sorted(BREAKERS))
def test_manual_mode_false_when_anything_can_act(tmp_path, breaker):
    ws = make_workspace(tmp_path)
    kdir = _locked_down(ws)
    BREAKERS[breaker](ws, kdir)
    described = _facts(ws)
    assert described["errors"] == []
    assert facts.manual_mode(described) is False
    assert facts.gather(roots([ws]))["summary"]["manual_mode"] is False


CORRUPTIONS = {
    "mcp.json": (os.path.join(".kiro", "settings", "mcp.json"), '{"mcpServers": '),
    "classic hook": (os.path.join(".kiro", "hooks", "docs.kiro.hook"), "not json"),
    "v1 hook": (os.path.join(".kiro", "hooks", "team.json"), '{"version": "v1", "hooks": {"a": 1}}'),
    "agent": (os.path.join(".kiro", "agents", "triage.json"), '{"name": '),
    "steering": (os.path.join(".kiro", "steering", "tech.md"), "---\ninclusion: [x\n---\n"),
    "settings.json": (os.path.join(".vscode", "settings.json"), '{"kiroAgent.agentAutonomy" "Supervised"}'),
}


@pytest.mark.parametrize("case", sorted(CORRUPTIONS))
def test_corrupt_file_is_reported_in_errors_not_raised(tmp_path, case):
    ws = make_workspace(tmp_path)
    _locked_down(ws)
    relpath, text = CORRUPTIONS[case]
    bad = write(os.path.join(ws, relpath), text)
    described = _facts(ws)
    assert len(described["errors"]) == 1
    assert bad in described["errors"][0]
    assert facts.manual_mode(described) is False, "an unreadable file cannot be proven safe"
    # the rest of the root is still described
    if case != "mcp.json":
        assert [s["name"] for s in described["mcp_servers"]] == ["aws", "gh"]
    if case not in ("classic hook", "v1 hook"):
        assert len(described["hooks"]) == 3
    result = facts.gather(roots([ws]))
    assert result["summary"]["errors"] == 1
    assert result["summary"]["manual_mode"] is False


def test_corrupt_permissions_yaml_in_user_root_is_reported(tmp_path):
    home = os.path.join(str(tmp_path), "home")
    bad = write(os.path.join(home, "settings", "permissions.yaml"), "rules: [unclosed\n")
    result = facts.gather(roots([], home))
    (root,) = result["roots"]
    assert root["scope"] == "user"
    assert len(root["errors"]) == 1 and bad in root["errors"][0]
    assert root["permissions"] is None


def test_gather_summary_counts(tmp_path):
    ws1 = make_workspace(tmp_path, "a")
    ws2 = make_workspace(tmp_path, "b")
    _locked_down(ws1)
    write_json(os.path.join(ws2, ".kiro", "settings", "mcp.json"), {"mcpServers": {
        "cw": {"command": "uvx", "args": ["awslabs.cloudwatch-mcp-server@latest"], "autoApprove": ["a", "b"]}}})
    result = facts.gather(roots([ws1, ws2]))
    summary = result["summary"]
    assert summary["roots"] == 2 and summary["mcp_servers"] == 3 and summary["mcp_servers_enabled"] == 1
    assert summary["auto_approved_tools"] == 2 and summary["steering"] == 1 and summary["agents"] == 1
    assert [r["manual_mode"] for r in result["roots"]] == [True, False]
    assert summary["manual_mode"] is False
    assert result["files"] == 7  # 6 files of ws1 + mcp.json of ws2
    assert len(result["digest"]) == 64


def test_manual_mode_false_without_settings_file(tmp_path):
    ws = make_workspace(tmp_path)
    _locked_down(ws)
    os.unlink(os.path.join(ws, ".vscode", "settings.json"))
    described = _facts(ws)
    assert described["autonomy"]["present"] is False
    assert facts.manual_mode(described) is False
