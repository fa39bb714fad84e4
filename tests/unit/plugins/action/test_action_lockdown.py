"""kiro.platform.lockdown's action plugin run directly on a workspace of the controller."""

import json

import pytest

from ansible_collections.kiro.platform.plugins.action.lockdown import ActionModule


@pytest.fixture
def workspace(tmp_path):
    root = tmp_path / "ws"
    settings = root / ".kiro" / "settings"
    settings.mkdir(parents=True)
    (settings / "mcp.json").write_text(json.dumps({"mcpServers": {
        "aws-api": {"command": "uvx", "args": ["awslabs.aws-api-mcp-server@latest"], "autoApprove": ["call_aws"]}}}))
    return root


def servers(workspace):
    return json.loads((workspace / ".kiro" / "settings" / "mcp.json").read_text())["mcpServers"]


def test_a_local_host_is_locked_down_in_process(action, workspace):
    result = action(ActionModule, {"workspaces": [str(workspace)]}).run(task_vars={})
    assert result["changed"] is True and result["errors"] == []
    assert servers(workspace)["aws-api"]["disabled"] is True
    assert servers(workspace)["aws-api"]["autoApprove"] == []
    assert result["ansible_facts"]["kiro"]["summary"]["manual_mode"] is True
    assert result["invocation"]["module_args"]["workspaces"] == [str(workspace)]
    again = action(ActionModule, {"workspaces": [str(workspace)]}).run(task_vars={})
    assert again["changed"] is False


def test_check_mode_changes_no_file(action, workspace):
    before = (workspace / ".kiro" / "settings" / "mcp.json").read_bytes()
    result = action(ActionModule, {"workspaces": [str(workspace)]}, check_mode=True).run(task_vars={})
    assert result["changed"] is True
    assert (workspace / ".kiro" / "settings" / "mcp.json").read_bytes() == before


def test_become_or_in_process_false_runs_the_module(action, workspace):
    for options in ({"become": True}, {}):
        args = {"workspaces": [str(workspace)]}
        if not options:
            args["in_process"] = "no"
        plugin = action(ActionModule, args, **options)
        calls = []
        plugin._execute_module = lambda **kwargs: calls.append(kwargs) or {"changed": False}
        plugin._remove_tmp_path = lambda path: None
        plugin.run(task_vars={})
        assert [c["module_name"] for c in calls] == ["kiro.platform.lockdown"]
    assert "disabled" not in servers(workspace)["aws-api"]


def test_an_unknown_option_fails(action, workspace):
    result = action(ActionModule, {"workspaces": [str(workspace)], "purge": True}).run(task_vars={})
    assert result["failed"] is True and "purge" in result["msg"]
