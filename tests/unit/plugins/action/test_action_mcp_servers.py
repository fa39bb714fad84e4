"""kiro.platform.mcp_servers's action plugin: secret values become no_log options before the module runs."""

from ansible_collections.kiro.platform.plugins.action.mcp_servers import ActionModule

SECRET = "ghp_McpS3cretValue4Xy"


def test_secret_values_move_to_no_log_options(action):
    args = {"workspaces": ["/srv/app"], "mcp_servers": [
        {"name": "github", "command": "docker", "env": {"GITHUB_TOKEN": SECRET, "READ_ONLY": "true",
                                                        "GITHUB_HOST": "${GITHUB_HOST}"}},
        {"name": "remote", "url": "https://mcp.example/v1?key=" + SECRET,
         "headers": {"Authorization": "Bearer " + SECRET}},
    ]}
    plugin = action(ActionModule, args, transport="ssh")
    calls = []
    plugin._execute_module = lambda **kwargs: calls.append(kwargs) or {"changed": True}
    assert plugin.run(task_vars={})["changed"] is True
    sent = calls[0]["module_args"]
    assert calls[0]["module_name"] == "kiro.platform.mcp_servers"
    github, remote = sent["mcp_servers"]
    assert github["env"] == {"READ_ONLY": "true", "GITHUB_HOST": "${GITHUB_HOST}"}
    assert github["secret_env"] == {"GITHUB_TOKEN": SECRET}
    assert "url" not in remote and remote["secret_url"].endswith(SECRET)
    assert remote["headers"] == {} and remote["secret_headers"] == {"Authorization": "Bearer " + SECRET}
    # The task's own arguments are left as they were.
    assert args["mcp_servers"][0]["env"]["GITHUB_TOKEN"] == SECRET
