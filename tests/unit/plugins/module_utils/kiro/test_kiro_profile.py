"""profile.validate / profile.plan: idempotence, corrupt files, invalid profile data."""

import copy
import json
import os
import tempfile

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from ansible_collections.kiro.platform.plugins.module_utils.kiro import profile
from ansible_collections.kiro.platform.plugins.module_utils.kiro.errors import KiroParseError, KiroValidationError

from kiro_helpers import make_workspace, mode_of, read_bytes, roots, temp_leftovers, tree, write

FULL_PROFILE = {
    "steering": [
        {"name": "product", "content": "# Product\nInternal platform tooling."},
        {"name": "terraform.md", "inclusion": "fileMatch", "file_match_pattern": "infra/**/*.tf",
         "content": "# Terraform rules\nPlan only; never `terraform apply`.\n"},
        {"name": "incident", "inclusion": "auto", "description": "Use when triaging an incident: \u00e9tape 1",
         "content": "# Incidents\n#[[file:docs/runbook.md]]\n"},
        {"name": "manual-notes", "inclusion": "manual", "content": "# Notes\n---\nafter a rule\n"},
    ],
    "hooks": [
        {"name": "docs-sync", "when": {"type": "fileEdited", "patterns": ["**/*.ts", "**/README.md"]},
         "then": {"type": "askAgent", "prompt": "Keep documentation in sync with the code."}},
        {"name": "shell-guard", "enabled": False, "when": {"type": "preToolUse", "toolTypes": ["shell"]},
         "then": {"type": "runCommand", "command": "./guard.sh"}, "timeout": 30},
        {"name": "on-stop", "when": {"type": "Stop"}, "then": {"type": "command", "command": "make fmt"}},
    ],
    "mcp_servers": [
        {"name": "awslabs.aws-api-mcp-server", "command": "uvx", "args": ["awslabs.aws-api-mcp-server@latest"],
         "env": {"AWS_REGION": "us-east-1", "READ_OPERATIONS_ONLY": True, "REQUIRE_MUTATION_CONSENT": "true"},
         "disabled": False, "autoApprove": []},
        {"name": "github", "url": "https://api.githubcopilot.com/mcp/readonly",
         "headers": {"Authorization": "Bearer ${GITHUB_PAT}"}, "extra": {"x-team": "sre"}},
    ],
    "agents": [
        {"name": "aws-readonly", "config": {
            "description": "Read-only AWS/EKS triage", "tools": ["read", "grep", "@eks"],
            "allowedTools": ["read", "grep", "@eks"], "includeMcpJson": False,
            "mcpServers": {"eks": {"command": "uvx", "args": ["awslabs.eks-mcp-server@latest"]}},
            "hooks": {"preToolUse": [{"matcher": "shell", "command": "./guard.sh", "timeout_ms": 10000}]}}},
    ],
    "user": {
        "steering": [{"name": "personal", "content": "# Me\n"}],
        "mcp_servers": [{"name": "cost", "command": "uvx", "args": ["awslabs.cost-explorer-mcp-server@latest"],
                         "disabled": True}],
    },
    "autonomy": {"agent_autonomy": "Supervised", "trusted_commands": ["git status", "ls"],
                 "command_denylist": ["rm -rf"], "settings": {"kiroAgent.mcpApprovedEnvVars": ["GITHUB_PAT"]},
                 "permissions": [{"capability": "shell", "match": ["terraform apply*"], "effect": "deny"},
                                 {"capability": "read", "match": "**", "exclude": ["**/.env"], "effect": "allow"}]},
}


def _setup(tmp_path):
    ws1 = make_workspace(tmp_path, "ws1")
    ws2 = make_workspace(tmp_path, "ws2")
    home = os.path.join(str(tmp_path), "home", ".kiro")
    return [ws1, ws2], home


@pytest.mark.parametrize("hooks_format", ["classic", "v1"])
def test_profile_apply_then_replan_is_unchanged_and_bytes_stable(tmp_path, hooks_format):
    workspaces, home = _setup(tmp_path)
    # a pre-existing JSONC settings file and foreign files must be handled too
    write(os.path.join(workspaces[0], ".vscode", "settings.json"),
          '// editor\n{\n  "editor.tabSize": 2, /* keep */\n  "files.exclude": {"**/.git": true,},\n}\n')
    write(os.path.join(workspaces[1], ".kiro", "steering", "foreign.md"), "# Not ours\n")
    validated = profile.validate(copy.deepcopy(FULL_PROFILE), hooks_format=hooks_format)
    targets = roots(workspaces, home)
    user_settings = os.path.join(str(tmp_path), "home", ".config", "Kiro", "User", "settings.json")

    first = profile.plan(targets, validated, user_settings=user_settings)
    assert first.changed
    first.apply()
    after_first = tree(tmp_path)
    assert not temp_leftovers(tmp_path)

    second = profile.plan(targets, validated, user_settings=user_settings)
    assert second.changed is False
    assert second.result()["changed_files"] == []
    assert all(f["action"] == "unchanged" for f in second.files())
    second.apply()
    assert tree(tmp_path) == after_first, "a no-op plan must not touch bytes or modes"

    # what was written is what Kiro reads
    for ws in workspaces:
        kdir = os.path.join(ws, ".kiro")
        mcp_doc = json.loads(read_bytes(os.path.join(kdir, "settings", "mcp.json")))
        assert mcp_doc["mcpServers"]["awslabs.aws-api-mcp-server"]["env"]["READ_OPERATIONS_ONLY"] == "true"
        assert mode_of(os.path.join(kdir, "settings", "mcp.json")) == 0o600
        hook_files = sorted(os.listdir(os.path.join(kdir, "hooks")))
        suffix = ".kiro.hook" if hooks_format == "classic" else ".json"
        assert hook_files == sorted(h["name"] + suffix for h in FULL_PROFILE["hooks"])
        settings_doc = json.loads(read_bytes(os.path.join(ws, ".vscode", "settings.json")))
        assert settings_doc["kiroAgent.agentAutonomy"] == "Supervised"
    assert json.loads(read_bytes(os.path.join(workspaces[0], ".vscode", "settings.json")))["editor.tabSize"] == 2
    assert os.path.exists(os.path.join(workspaces[1], ".kiro", "steering", "foreign.md"))
    assert os.path.exists(os.path.join(home, "settings", "permissions.yaml"))
    assert os.path.exists(os.path.join(home, "steering", "personal.md"))
    assert json.loads(read_bytes(user_settings))["kiroAgent.trustedCommands"] == ["git status", "ls"]


steering_item = st.fixed_dictionaries({
    "name": st.sampled_from(["ops", "tech", "product"]),
    "content": st.text(min_size=0, max_size=60).filter(lambda c: not c.startswith("---")),
    "inclusion": st.sampled_from(["always", "manual"]),
})
mcp_item = st.fixed_dictionaries({"name": st.sampled_from(["aws", "eks"]), "command": st.just("uvx"),
                                  "args": st.lists(st.text(max_size=8), max_size=2),
                                  "env": st.dictionaries(st.sampled_from(["T", "U"]), st.text(max_size=8),
                                                         max_size=2)})


@hsettings(max_examples=25, deadline=None, database=None)
@given(st.lists(steering_item, max_size=3, unique_by=lambda s: s["name"]),
       st.lists(mcp_item, max_size=2, unique_by=lambda s: s["name"]),
       st.sampled_from(["classic", "v1"]))
def test_random_profiles_are_idempotent(steering_specs, mcp_specs, hooks_format):
    with tempfile.TemporaryDirectory() as tmp:
        ws = make_workspace(tmp)
        validated = profile.validate({"steering": steering_specs, "mcp_servers": mcp_specs}, hooks_format)
        profile.plan(roots([ws]), validated).apply()
        before = tree(tmp)
        again = profile.plan(roots([ws]), validated)
        assert again.changed is False
        again.apply()
        assert tree(tmp) == before


CORRUPT_CASES = {
    "mcp.json": (os.path.join("ws", ".kiro", "settings", "mcp.json"), b'{"mcpServers": {"a": {"command": "x"},}'),
    "mcp.json not an object": (os.path.join("ws", ".kiro", "settings", "mcp.json"), b'{"mcpServers": []}\n'),
    "classic hook": (os.path.join("ws", ".kiro", "hooks", "docs-sync.kiro.hook"), b'{"name": "x", "when": "oops"}'),
    "agent": (os.path.join("ws", ".kiro", "agents", "triage.json"), b"[1, 2, 3]\n"),
    "settings.json": (os.path.join("ws", ".vscode", "settings.json"), b'{"a": 1 "b": 2}'),
    "settings.json binary": (os.path.join("ws", ".vscode", "settings.json"), b"\xff\xfe{\x00}"),
    "permissions.yaml": (os.path.join("home", "settings", "permissions.yaml"), b"rules: [a, b\n  - : :\n"),
    "steering": (os.path.join("ws", ".kiro", "steering", "tech.md"), b"---\ninclusion: [unclosed\n"),
}


@pytest.mark.parametrize("case", sorted(CORRUPT_CASES))
def test_corrupt_file_stops_the_whole_plan_before_any_write(tmp_path, case):
    relpath, garbage = CORRUPT_CASES[case]
    ws = make_workspace(tmp_path, "ws")
    home = os.path.join(str(tmp_path), "home")
    bad = write(os.path.join(str(tmp_path), relpath), garbage, mode=0o640)
    before = tree(tmp_path)
    validated = profile.validate({
        "steering": [{"name": "tech", "content": "# Tech\n"}, {"name": "product", "content": "# P\n"}],
        "hooks": [{"name": "docs-sync", "when": {"type": "fileEdited", "patterns": ["*.md"]},
                   "then": {"type": "askAgent", "prompt": "p"}}],
        "mcp_servers": [{"name": "aws", "command": "uvx", "env": {"T": "secret"}}],
        "agents": [{"name": "triage", "config": {"tools": ["read"]}}],
        "user": {"steering": [{"name": "me", "content": "# me\n"}]},
        "autonomy": {"agent_autonomy": "Supervised",
                     "permissions": [{"capability": "shell", "effect": "deny"}]},
    })
    with pytest.raises(KiroParseError) as err:
        profile.plan(roots([ws], home), validated).apply()
    assert bad in str(err.value)
    assert err.value.path == bad
    assert read_bytes(bad) == garbage
    assert tree(tmp_path) == before, "nothing else may be created, changed or removed"


def test_check_mode_plan_writes_nothing(tmp_path):
    ws = make_workspace(tmp_path)
    validated = profile.validate({"steering": [{"name": "tech", "content": "# Tech\n"}]})
    plan = profile.plan(roots([ws]), validated)
    plan.apply(check_mode=True)
    assert plan.changed and plan.files()[0]["action"] == "created"
    assert tree(tmp_path) == {}


HOOK = {"name": "h", "when": {"type": "userTriggered"}, "then": {"type": "askAgent", "prompt": "p"}}


@pytest.mark.parametrize("data, hooks_format, item, fragment", [
    ({"hooks": [dict(HOOK, when={"type": "onSave"})]}, "classic", "hook h", "unknown trigger 'onSave'"),
    ({"mcp_servers": [{"name": "aws"}]}, "classic", "MCP server aws", "exactly one of command"),
    ({"mcp_servers": [{"name": "aws", "command": "uvx", "url": "https://x"}]}, "classic", "MCP server aws",
     "exactly one of command"),
    ({"steering": [{"name": "tf", "inclusion": "fileMatch", "content": "x"}]}, "classic", "steering tf",
     "file_match_pattern"),
    ({"steering": [{"name": "tf", "content": "---\ninclusion: always\n---\nbody"}]}, "classic", "steering tf",
     "without front matter"),
    ({"steering": [{"name": "ops", "content": "a"}, {"name": "ops.md", "content": "b"}]}, "classic",
     "steering ops", "listed twice"),
    ({"hooks": [HOOK, dict(HOOK, then={"type": "runCommand", "command": "x"})]}, "classic", "hook h",
     "listed twice"),
    ({"mcp_servers": [{"name": "aws", "command": "a"}, {"name": "aws", "url": "https://b"}]}, "classic",
     "MCP server aws", "listed twice"),
    ({"agents": [{"name": "a1", "config": {}}, {"name": "a1", "config": {"tools": []}}]}, "classic", "agent a1",
     "listed twice"),
    ({"user": {"agents": [{"name": "a1", "config": {}}, {"name": "a1", "config": {}}]}}, "classic", "agent a1",
     "listed twice"),
    ({"agents": [{"name": "wild", "config": {"allowedTools": ["read", "*"]}}]}, "classic", "agent wild", "'*'"),
    ({"autonomy": {"agent_autonomy": "Supervised", "yolo": True}}, "classic", "autonomy", "yolo"),
    ({"autonomy": {"permissions": [{"capability": "shell", "effect": "block"}]}}, "classic", "permissions[0]",
     "'block'"),
    ({"hooks": [dict(HOOK, when={"type": "SessionStart"})]}, "classic", "hook h", "only in the v1"),
    ({"hooks": [HOOK]}, "v2", "hooks_format", "classic, v1"),
    ({"steering": [{"name": "../evil", "content": "x"}]}, "classic", "steering[0]", "file name"),
])
def test_invalid_profile_data_is_rejected_naming_the_item(data, hooks_format, item, fragment):
    with pytest.raises(KiroValidationError) as err:
        profile.validate(data, hooks_format=hooks_format)
    assert err.value.item == item
    assert str(err.value).startswith(item + ": ")
    assert fragment in str(err.value)


def test_session_start_is_valid_in_v1_format():
    validated = profile.validate({"hooks": [dict(HOOK, when={"type": "SessionStart"})]}, hooks_format="v1")
    assert validated["workspace"]["hooks"][0]["when"]["type"] == "SessionStart"


def test_unknown_profile_section_is_rejected():
    with pytest.raises(KiroValidationError) as err:
        profile.validate({"steerings": []})
    assert err.value.item == "profile" and "steerings" in str(err.value)


def test_non_mapping_user_section_is_a_validation_error():
    with pytest.raises(KiroValidationError) as err:
        profile.validate({"user": ["steering"]})
    assert err.value.item == "profile.user"
