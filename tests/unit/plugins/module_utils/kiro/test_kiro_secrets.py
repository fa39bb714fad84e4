"""Secrets (MCP env values, headers, URL credentials) never reach diffs or facts."""

import json
import os
import tempfile

from hypothesis import given, settings as hsettings, strategies as st

from ansible_collections.kiro.platform.plugins.module_utils.common import secrets
from ansible_collections.kiro.platform.plugins.module_utils.kiro import (
    agents, changeset, facts, mcp, profile, snapshot)
from ansible_collections.kiro.platform.plugins.module_utils.kiro.changeset import Plan

from kiro_helpers import make_workspace, roots, write, write_json

SECRETS = ["ghp_secret123", "Bearer xyzzy-tok", "querytoken999", "hunter2pw"]


def _diff_text(diff):
    return diff["before"] + "\n" + diff["after"]


def _server_specs():
    return [
        {"name": "github-local", "command": "npx", "args": ["-y", "@modelcontextprotocol/server-github"],
         "env": {"GITHUB_TOKEN": "ghp_secret123", "GITHUB_PERSONAL_ACCESS_TOKEN": "${GITHUB_PAT}",
                 "GITHUB_READ_ONLY": "1"}},
        {"name": "aws", "command": "uvx", "args": ["awslabs.aws-api-mcp-server@latest"],
         "env": {"READ_OPERATIONS_ONLY": "true", "AWS_REGION": "us-east-1"}},
        {"name": "github", "url": "https://bot:hunter2pw@api.githubcopilot.com/mcp/?token=querytoken999",
         "headers": {"Authorization": "Bearer xyzzy-tok", "X-MCP-Readonly": "true"}},
    ]


def _assert_clean(text):
    for secret in SECRETS:
        assert secret not in text, "secret %r leaked" % secret
    assert "xyzzy" not in text.replace("<redacted>", "")


def test_mcp_create_diff_masks_secrets_and_keeps_switches_visible(tmp_path):
    ws = make_workspace(tmp_path)
    (root,) = roots([ws])
    plan = Plan()
    plan.extend(mcp.plan(root, mcp.validate_servers(_server_specs())))
    (diff,) = plan.diffs()
    text = _diff_text(diff)
    _assert_clean(text)
    after = json.loads(diff["after"])["mcpServers"]
    assert after["github-local"]["env"] == {"GITHUB_TOKEN": secrets.MASK, "GITHUB_PERSONAL_ACCESS_TOKEN": "${GITHUB_PAT}",
                                            "GITHUB_READ_ONLY": "1"}
    assert after["aws"]["env"] == {"READ_OPERATIONS_ONLY": "true", "AWS_REGION": "us-east-1"}
    assert after["github"]["headers"] == {"Authorization": secrets.MASK, "X-MCP-Readonly": "true"}
    assert after["github"]["url"].startswith("https://<redacted>@api.githubcopilot.com/mcp/?")
    # the file itself of course holds the real values
    plan.apply()
    real = open(os.path.join(ws, ".kiro", "settings", "mcp.json")).read()
    assert "ghp_secret123" in real and "Bearer xyzzy-tok" in real


def test_mcp_update_diff_masks_old_and_new_secret(tmp_path):
    ws = make_workspace(tmp_path)
    write_json(os.path.join(ws, ".kiro", "settings", "mcp.json"),
               {"mcpServers": {"gh": {"command": "npx", "env": {"GITHUB_TOKEN": "hunter2pw"}}}})
    (root,) = roots([ws])
    plan = Plan()
    plan.extend(mcp.plan(root, mcp.validate_servers([{"name": "gh", "command": "npx",
                                                      "env": {"GITHUB_TOKEN": "ghp_secret123"}}])))
    assert plan.changed
    (diff,) = plan.diffs()
    _assert_clean(_diff_text(diff))
    assert diff["before_header"].endswith("mcp.json") and diff["after_header"].endswith("mcp.json")


def test_agent_diff_masks_nested_mcp_secrets(tmp_path):
    ws = make_workspace(tmp_path)
    (root,) = roots([ws])
    plan = Plan()
    plan.extend(agents.plan(root, agents.validate_specs([{"name": "gh-agent", "config": {
        "tools": ["@github"],
        "mcpServers": {"github": {"command": "npx", "env": {"GITHUB_TOKEN": "ghp_secret123",
                                                            "READ_OPERATIONS_ONLY": "true"}},
                       "remote": {"url": "https://x.example/mcp?token=querytoken999",
                                  "headers": {"Authorization": "Bearer xyzzy-tok"}}}}}])))
    (diff,) = plan.diffs()
    text = _diff_text(diff)
    _assert_clean(text)
    assert '"READ_OPERATIONS_ONLY": "true"' in text
    assert '"tools": [' in text and "@github" in text


def test_profile_plan_diffs_hide_secrets(tmp_path):
    ws = make_workspace(tmp_path)
    validated = profile.validate({"mcp_servers": _server_specs(),
                                  "agents": [{"name": "a", "config": {"mcpServers": {
                                      "gh": {"command": "npx", "env": {"GITHUB_TOKEN": "ghp_secret123"}}}}}]})
    diffs = profile.plan(roots([ws]), validated).diffs()
    assert len(diffs) == 2
    for diff in diffs:
        _assert_clean(json.dumps(diff))
    assert "${GITHUB_PAT}" in json.dumps(diffs)


def test_restore_diff_of_mcp_json_hides_secrets(tmp_path):
    ws = make_workspace(tmp_path)
    path = write_json(os.path.join(ws, ".kiro", "settings", "mcp.json"),
                      {"mcpServers": {"gh": {"command": "npx", "env": {"GITHUB_TOKEN": "ghp_secret123"}}}})
    snapdir = os.path.join(str(tmp_path), "snaps")
    snapshot.create(roots([ws]), snapdir)
    write_json(path, {"mcpServers": {"gh": {"command": "npx", "env": {"GITHUB_TOKEN": "hunter2pw"}}}})
    _unused, changes = snapshot.restore_plan(snapdir)
    diffs = [c.diff() for c in changes if c.changed]
    assert len(diffs) == 1
    _assert_clean(json.dumps(diffs))


def test_unparsable_json_is_not_shown_in_a_diff(tmp_path):
    change = changeset.FileChange(str(tmp_path / "mcp.json"), b'{"env": {"T": "ghp_secret123"', None)
    diff = change.diff()
    assert "ghp_secret123" not in diff["before"]
    assert "not shown" in diff["before"] and diff["after_header"].endswith("(absent)")


secret_value = st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789_-/+=", min_size=4, max_size=24).map(
    lambda s: "zq" + s)
env_keys = st.sampled_from(["GITHUB_TOKEN", "API_KEY", "Authorization", "X-Api-Key", "DB_PASSWORD", "TOKEN"])


@hsettings(max_examples=60, deadline=None, database=None)
@given(st.dictionaries(env_keys, secret_value, min_size=1, max_size=4), secret_value, st.booleans())
def test_no_secret_value_ever_reaches_a_diff(env, query_secret, remote):
    with tempfile.TemporaryDirectory() as tmp:
        ws = make_workspace(tmp)
        if remote:
            spec = {"name": "srv", "url": "https://h.example/mcp?key=" + query_secret, "headers": env}
        else:
            spec = {"name": "srv", "command": "uvx", "env": env}
        validated = profile.validate({"mcp_servers": [spec],
                                      "agents": [{"name": "ag", "config": {"mcpServers": {"srv": {
                                          "command": "x", "env": env}}}}]})
        text = json.dumps(profile.plan(roots([ws]), validated).diffs())
        for value in list(env.values()) + ([query_secret] if remote else []):
            assert value not in text


def test_facts_never_return_env_values_headers_or_url_tokens(tmp_path):
    ws = make_workspace(tmp_path)
    home = os.path.join(str(tmp_path), "home")
    validated = profile.validate({
        "mcp_servers": _server_specs(),
        "agents": [{"name": "a", "config": {"allowedTools": ["read"], "mcpServers": {
            "gh": {"command": "npx", "env": {"GITHUB_TOKEN": "ghp_secret123"}}}}}],
        "user": {"mcp_servers": [{"name": "u", "url": "https://u.example/mcp?access_token=querytoken999",
                                  "headers": {"Authorization": "Bearer xyzzy-tok"}}]},
    })
    profile.plan(roots([ws], home), validated).apply()
    user_settings = write(os.path.join(str(tmp_path), "user-settings.json"), '{"kiroAgent.agentAutonomy": "Autopilot"}')
    result = facts.gather(roots([ws], home), user_settings=user_settings)
    text = json.dumps(result)
    _assert_clean(text)
    servers = dict((s["name"], s) for s in result["roots"][0]["mcp_servers"])
    assert servers["github-local"]["env_keys"] == ["GITHUB_PERSONAL_ACCESS_TOKEN", "GITHUB_READ_ONLY", "GITHUB_TOKEN"]
    assert servers["github"]["header_keys"] == ["Authorization", "X-MCP-Readonly"]
    assert servers["github"]["transport"] == "remote" and servers["github"]["read_only"] is True
    assert servers["aws"]["read_only"] is True
    assert result["roots"][1]["mcp_servers"][0]["url"] == "https://u.example/mcp?access_token=<redacted>"
    assert result["summary"]["mcp_servers"] == 4 and result["summary"]["errors"] == 0
    assert result["user_settings"]["agent_autonomy"] == "Autopilot"


plain_or_secret = st.one_of(secret_value, st.sampled_from(["true", "1", "${GITHUB_PAT}", "us-east-1"]))


@hsettings(max_examples=60, deadline=None, database=None)
@given(st.fixed_dictionaries({}, optional={"GITHUB_TOKEN": plain_or_secret, "API_KEY": plain_or_secret,
                                           # keys whose values are switches, shown by design
                                           "AWS_REGION": st.just("eu-west-1"), "READ_OPERATIONS_ONLY": st.just("true")}),
       st.one_of(st.none(), st.sampled_from(["https://h.example/mcp", "https://h.example/mcp?key=zqsecret",
                                             "https://u:zqpw@h.example/mcp"])),
       st.fixed_dictionaries({}, optional={"Authorization": plain_or_secret, "X-MCP-Readonly": st.just("true")}))
def test_split_server_secrets_is_undone_by_validation(env, url, headers):
    if url:
        spec = {"name": "srv", "url": url, "headers": headers}
    else:
        spec = {"name": "srv", "command": "uvx", "env": env}
    split = secrets.split_server_secrets(spec)
    # what stays outside secret_* holds no secret value
    visible = dict((k, v) for k, v in split.items() if not k.startswith("secret_"))
    assert "zq" not in json.dumps(visible)
    assert mcp.validate_server(split, "mcp_servers[0]") == mcp.validate_server(spec, "mcp_servers[0]")
