"""kiro.platform.profile's action plugin: steering sources read on the controller, the profile
validated before any host is touched, secrets split out, then the module."""

import pytest

from ansible.errors import AnsibleActionFail

from ansible_collections.kiro.platform.plugins.action.profile import ActionModule

SECRET = "aws-ProfileS3cret-8Jk"


def run(action, tmp_path, args):
    plugin = action(ActionModule, args, transport="ssh", search_path=[str(tmp_path)])
    calls = []
    plugin._execute_module = lambda **kwargs: calls.append(kwargs) or {"changed": True}
    result = plugin.run(task_vars={})
    return result, calls


def test_sources_are_read_and_secrets_split_before_the_module(action, tmp_path):
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "operations.md").write_text("# Operations\nRead-only first.\n")
    args = {"workspaces": ["/srv/app"],
            "steering": [{"name": "operations", "source": "operations.md"}],
            "user": {"steering": [{"name": "personal", "content": "Be brief."}]},
            "mcp_servers": [{"name": "aws-api", "command": "uvx", "env": {"AWS_SECRET_ACCESS_KEY": SECRET}}]}
    result, calls = run(action, tmp_path, args)
    assert result["changed"] is True
    sent = calls[0]["module_args"]
    assert calls[0]["module_name"] == "kiro.platform.profile"
    assert sent["steering"] == [{"name": "operations", "content": "# Operations\nRead-only first.\n"}]
    assert sent["user"]["steering"] == [{"name": "personal", "content": "Be brief."}]
    assert sent["mcp_servers"][0]["secret_env"] == {"AWS_SECRET_ACCESS_KEY": SECRET}
    assert sent["mcp_servers"][0]["env"] == {}


def test_a_utf8_bom_at_the_start_of_a_source_is_not_part_of_the_steering_content(action, tmp_path):
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "bom.md").write_bytes(b"\xef\xbb\xbf# Operations\nCaf\xc3\xa9 first.\n")
    result, calls = run(action, tmp_path, {"steering": [{"name": "operations", "source": "bom.md"}]})
    assert calls[0]["module_args"]["steering"] == [{"name": "operations", "content": "# Operations\nCaf\u00e9 first.\n"}]


def test_a_source_that_is_not_utf8_is_refused_naming_it(action, tmp_path):
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "latin1.md").write_bytes(b"caf\xe9\n")
    with pytest.raises(AnsibleActionFail, match="steering operations: source latin1.md: .*not UTF-8"):
        run(action, tmp_path, {"steering": [{"name": "operations", "source": "latin1.md"}]})


def test_a_missing_source_is_named(action, tmp_path):
    with pytest.raises(AnsibleActionFail, match="steering operations: source nowhere.md not found"):
        run(action, tmp_path, {"steering": [{"name": "operations", "source": "nowhere.md"}]})


def test_an_invalid_profile_fails_on_the_controller_without_running_the_module(action, tmp_path):
    with pytest.raises(AnsibleActionFail, match="invalid profile: .*nowhere") as caught:
        run(action, tmp_path, {"mcp_servers": [{"name": "nowhere", "disabled": False}]})
    assert "command" in str(caught.value) or "url" in str(caught.value)
