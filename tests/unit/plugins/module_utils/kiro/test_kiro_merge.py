"""Merges keep what the profile does not manage; purge removes it."""

import copy
import json
import os
import tempfile

from hypothesis import given, settings as hsettings, strategies as st

from ansible_collections.kiro.platform.plugins.module_utils.kiro import (
    agents, hooks, mcp, permissions, profile, steering)
from ansible_collections.kiro.platform.plugins.module_utils.kiro.changeset import Plan

from kiro_helpers import make_workspace, read_bytes, roots, write, write_json

PROPS = hsettings(max_examples=50, deadline=None, database=None)
NAMES = ["aws", "eks", "github", "cost", "cw", "custom.server"]
json_scalar = st.one_of(st.none(), st.booleans(), st.integers(-1000, 1000), st.text(max_size=10))
UNKNOWN_SERVER_KEYS = ["oauthHint", "x-team", "cwd", "type", "notes"]


@st.composite
def existing_server(draw):
    if draw(st.booleans()):
        server = {"command": draw(st.sampled_from(["uvx", "npx", "docker"])),
                  "args": draw(st.lists(st.text(max_size=8), max_size=3)),
                  "env": draw(st.dictionaries(st.sampled_from(["A", "B", "TOKEN"]), st.text(max_size=8), max_size=2))}
    else:
        server = {"url": "https://example.com/" + draw(st.text("abc/", max_size=8)),
                  "headers": draw(st.dictionaries(st.sampled_from(["Authorization", "X"]), st.text(max_size=8),
                                                  max_size=2))}
    server.update(draw(st.dictionaries(st.sampled_from(UNKNOWN_SERVER_KEYS), json_scalar, max_size=3)))
    if draw(st.booleans()):
        server["autoApprove"] = draw(st.lists(st.sampled_from(["list", "get", "describe"]), max_size=2))
    return server


@st.composite
def desired_server(draw, name):
    state = draw(st.sampled_from(["present", "present", "absent"]))
    spec = {"name": name, "state": state}
    if state == "absent":
        return spec
    if draw(st.booleans()):
        spec["command"] = "uvx"
        spec["args"] = [name + "@latest"]
        if draw(st.booleans()):
            spec["env"] = {"READ_OPERATIONS_ONLY": "true"}
    else:
        spec["url"] = "https://api.example.com/" + name
    if draw(st.booleans()):
        spec["disabled"] = draw(st.booleans())
    if draw(st.booleans()):
        spec["auto_approve"] = draw(st.lists(st.sampled_from(["list", "get"]), max_size=2))
    return spec


@st.composite
def merge_cases(draw):
    existing = {"mcpServers": draw(st.dictionaries(st.sampled_from(NAMES), existing_server(), max_size=5))}
    if draw(st.booleans()):
        existing["x-top-level"] = draw(json_scalar)
    managed = draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=4))
    specs = [draw(desired_server(name)) for name in managed]
    return existing, specs, draw(st.booleans())


@PROPS
@given(merge_cases())
def test_mcp_merge_keeps_unmanaged_and_unknown_keys(case):
    existing, specs, purge = case
    servers = mcp.validate_servers(specs)
    snapshot = copy.deepcopy(existing)
    result = mcp.merge(existing, servers, purge=purge)
    assert existing == snapshot, "merge must not mutate its input"
    # top-level keys other than mcpServers always survive
    assert dict((k, v) for k, v in result.items() if k != "mcpServers") == \
        dict((k, v) for k, v in existing.items() if k != "mcpServers")
    wanted = dict((name, (state, fields)) for name, state, fields in servers)
    for name, server in existing["mcpServers"].items():
        if name not in wanted:
            if purge:
                assert name not in result["mcpServers"]
            else:
                assert result["mcpServers"][name] == server
    for name, (state, fields) in wanted.items():
        if state == "absent":
            assert name not in result["mcpServers"]
            continue
        got = result["mcpServers"][name]
        for key, val in fields.items():
            assert got[key] == val
        old = existing["mcpServers"].get(name, {})
        for key in UNKNOWN_SERVER_KEYS + ["autoApprove"]:
            if key in old and key not in fields:
                assert got[key] == old[key], "unknown key %s of managed server %s lost" % (key, name)
        # never both transports
        assert not ("url" in got and "command" in got)
        if "url" in got:
            assert "env" not in got and "args" not in got
        else:
            assert "headers" not in got


def test_mcp_plan_on_disk_keeps_unmanaged_server_and_purge_removes_it(tmp_path):
    ws = make_workspace(tmp_path)
    path = write_json(os.path.join(ws, ".kiro", "settings", "mcp.json"), {
        "mcpServers": {"mine": {"command": "node", "args": ["srv.js"], "cwd": "/opt"},
                       "aws": {"command": "uvx", "args": ["old"], "x-team": "sre"}},
        "inputs": [{"id": "tok"}]})
    (root,) = roots([ws])
    servers = mcp.validate_servers([{"name": "aws", "command": "uvx",
                                     "args": ["awslabs.aws-api-mcp-server@latest"], "auto_approve": []}])
    plan = Plan()
    plan.extend(mcp.plan(root, servers))
    plan.apply()
    doc = json.loads(read_bytes(path))
    assert doc["inputs"] == [{"id": "tok"}]
    assert doc["mcpServers"]["mine"] == {"command": "node", "args": ["srv.js"], "cwd": "/opt"}
    assert doc["mcpServers"]["aws"] == {"command": "uvx", "args": ["awslabs.aws-api-mcp-server@latest"],
                                        "x-team": "sre", "autoApprove": []}
    plan = Plan()
    plan.extend(mcp.plan(root, servers, purge=True))
    plan.apply()
    doc = json.loads(read_bytes(path))
    assert sorted(doc["mcpServers"]) == ["aws"]
    assert doc["inputs"] == [{"id": "tok"}]


CLASSIC_SPEC = {"name": "docs-sync", "description": "keep docs in sync",
                "when": {"type": "fileEdited", "patterns": ["**/*.ts"]},
                "then": {"type": "askAgent", "prompt": "Update the docs."}}


def test_classic_hook_plan_keeps_unknown_top_level_keys(tmp_path):
    ws = make_workspace(tmp_path)
    path = write_json(os.path.join(ws, ".kiro", "hooks", "docs-sync.kiro.hook"), {
        "name": "Old title", "version": "1", "enabled": False, "shortName": "docs", "x-owner": {"team": "sre"},
        "when": {"type": "userTriggered"}, "then": {"type": "askAgent", "prompt": "old"}})
    (root,) = roots([ws])
    plan = Plan()
    plan.extend(hooks.plan(root, hooks.validate_specs([CLASSIC_SPEC])))
    assert plan.changed
    plan.apply()
    doc = json.loads(read_bytes(path))
    assert doc["shortName"] == "docs" and doc["x-owner"] == {"team": "sre"}
    assert doc["when"] == {"type": "fileEdited", "patterns": ["**/*.ts"]}
    assert doc["then"] == {"type": "askAgent", "prompt": "Update the docs."}
    assert doc["enabled"] is True and doc["name"] == "docs-sync"


@hsettings(max_examples=25, deadline=None, database=None)
@given(st.lists(st.fixed_dictionaries({"name": st.sampled_from(["fmt", "lint", "x1", "other"]),
                                       "trigger": st.sampled_from(["Manual", "Stop", "PostFileSave"]),
                                       "custom": st.text(max_size=8)}),
                max_size=4, unique_by=lambda h: h["name"]),
       st.booleans())
def test_v1_hook_plan_keeps_other_hooks_in_the_file(others, with_existing_entry):
    with tempfile.TemporaryDirectory() as tmp:
        ws = make_workspace(tmp)
        entries = [dict(h, action={"type": "command", "command": "true"}) for h in others if h["name"] != "guard"]
        if with_existing_entry:
            entries.append({"name": "guard", "trigger": "Manual", "x-keep": 1, "action": {"type": "agent", "prompt": "p"}})
        path = write_json(os.path.join(ws, ".kiro", "hooks", "guard.json"),
                          {"version": "v1", "x-file-meta": "keep", "hooks": entries})
        (root,) = roots([ws])
        specs = hooks.validate_specs([{"name": "guard", "when": {"type": "preToolUse", "toolTypes": ["shell"]},
                                       "then": {"type": "runCommand", "command": "./guard.sh"}, "timeout": 10}],
                                     "v1")
        plan = Plan()
        plan.extend(hooks.plan(root, specs, hook_format="v1"))
        plan.apply()
        doc = json.loads(read_bytes(path))
        assert doc["x-file-meta"] == "keep"
        by_name = dict((h["name"], h) for h in doc["hooks"])
        for other in entries:
            if other["name"] != "guard":
                assert by_name[other["name"]] == other
        guard = by_name["guard"]
        assert guard["trigger"] == "PreToolUse" and guard["matcher"] == "^(execute_bash)$"
        assert guard["action"] == {"type": "command", "command": "./guard.sh"}
        assert guard["timeout"] == 10 and guard["enabled"] is True
        if with_existing_entry:
            assert guard["x-keep"] == 1
        assert [h["name"] for h in doc["hooks"]].count("guard") == 1


def test_hooks_purge_removes_unmanaged_hook_files_only(tmp_path):
    ws = make_workspace(tmp_path)
    hooks_dir = os.path.join(ws, ".kiro", "hooks")
    write_json(os.path.join(hooks_dir, "stray.kiro.hook"), {"name": "stray"})
    write_json(os.path.join(hooks_dir, "stray-v1.json"), {"version": "v1", "hooks": []})
    write(os.path.join(hooks_dir, "README.md"), "notes\n")
    (root,) = roots([ws])
    specs = hooks.validate_specs([CLASSIC_SPEC])
    plan = Plan()
    plan.extend(hooks.plan(root, specs))
    plan.apply()
    assert os.path.exists(os.path.join(hooks_dir, "stray.kiro.hook")), "no purge: unmanaged hooks stay"
    plan = Plan()
    plan.extend(hooks.plan(root, specs, purge=True))
    plan.apply()
    assert sorted(os.listdir(hooks_dir)) == ["README.md", "docs-sync.kiro.hook"]


def test_v1_hook_matcher_is_dropped_when_tool_types_are_removed(tmp_path):
    ws = make_workspace(tmp_path)
    (root,) = roots([ws])
    for when in ({"type": "preToolUse", "toolTypes": ["shell"]}, {"type": "preToolUse"}):
        plan = Plan()
        plan.extend(hooks.plan(root, hooks.validate_specs(
            [{"name": "guard", "when": when, "then": {"type": "runCommand", "command": "./g.sh"}}], "v1"),
            hook_format="v1"))
        plan.apply()
    doc = json.loads(read_bytes(os.path.join(ws, ".kiro", "hooks", "guard.json")))
    # desired: fire before every tool, as the classic form of the same spec does
    assert "matcher" not in doc["hooks"][0]


def test_switch_to_classic_keeps_other_hooks_of_a_v1_file(tmp_path):
    ws = make_workspace(tmp_path)
    path = write_json(os.path.join(ws, ".kiro", "hooks", "docs-sync.json"), {"version": "v1", "hooks": [
        {"name": "docs-sync", "trigger": "Manual", "action": {"type": "agent", "prompt": "p"}},
        {"name": "team-lint", "trigger": "PostFileSave", "matcher": ".*", "action": {"type": "command",
                                                                                     "command": "make lint"}}]})
    (root,) = roots([ws])
    plan = Plan()
    plan.extend(hooks.plan(root, hooks.validate_specs([CLASSIC_SPEC])))
    plan.apply()
    assert os.path.exists(path)
    assert [h["name"] for h in json.loads(read_bytes(path))["hooks"]] == ["team-lint"]


def test_v1_file_without_hooks_key_is_merged(tmp_path):
    ws = make_workspace(tmp_path)
    path = write_json(os.path.join(ws, ".kiro", "hooks", "docs-sync.json"), {"version": "v1", "x": 1})
    (root,) = roots([ws])
    changes = hooks.plan(root, hooks.validate_specs([CLASSIC_SPEC], "v1"), hook_format="v1")  # KeyError today
    plan = Plan()
    plan.extend(changes)
    plan.apply()
    doc = json.loads(read_bytes(path))
    assert doc["x"] == 1 and [h["name"] for h in doc["hooks"]] == ["docs-sync"]


@hsettings(max_examples=40, deadline=None, database=None)
@given(st.dictionaries(st.sampled_from(["model", "x-owner", "toolAliases", "resources", "keyboardShortcut"]),
                       st.one_of(st.text(max_size=10), st.integers(), st.lists(st.text(max_size=5), max_size=2)),
                       min_size=1, max_size=4))
def test_agent_plan_keeps_unknown_keys(extra):
    with tempfile.TemporaryDirectory() as tmp:
        ws = make_workspace(tmp)
        existing = dict(extra, name="triage", description="old", tools=["read"])
        path = write_json(os.path.join(ws, ".kiro", "agents", "triage.json"), existing)
        (root,) = roots([ws])
        config = {"description": "Read-only AWS triage", "tools": ["read", "grep", "@eks"],
                  "allowedTools": ["read", "grep"]}
        plan = Plan()
        plan.extend(agents.plan(root, agents.validate_specs([{"name": "triage", "config": config}])))
        plan.apply()
        doc = json.loads(read_bytes(path))
        for key, val in extra.items():
            if key not in config:
                assert doc[key] == val
        for key, val in config.items():
            assert doc[key] == val
        assert doc["name"] == "triage"


def test_agent_purge_removes_unmanaged_agents(tmp_path):
    ws = make_workspace(tmp_path)
    adir = os.path.join(ws, ".kiro", "agents")
    write_json(os.path.join(adir, "legacy.json"), {"name": "legacy"})
    write(os.path.join(adir, "prompt.md"), "You are careful.\n")
    (root,) = roots([ws])
    specs = agents.validate_specs([{"name": "triage", "config": {"tools": ["read"]}}])
    plan = Plan()
    plan.extend(agents.plan(root, specs))
    plan.apply()
    assert os.path.exists(os.path.join(adir, "legacy.json"))
    plan = Plan()
    plan.extend(agents.plan(root, specs, purge=True))
    plan.apply()
    assert sorted(os.listdir(adir)) == ["prompt.md", "triage.json"]


def test_steering_plan_keeps_unknown_front_matter_and_replaces_managed(tmp_path):
    ws = make_workspace(tmp_path)
    path = write(os.path.join(ws, ".kiro", "steering", "tf.md"),
                 "---\ninclusion: manual\nowner: sre-team\npriority: 3\ntags: [infra, tf]\n"
                 "description: stale\n---\nold body\n")
    (root,) = roots([ws])
    specs = steering.validate_specs([{"name": "tf.md", "inclusion": "fileMatch",
                                      "file_match_pattern": "infra/**/*.tf", "content": "# Terraform\nPlan only."}])
    plan = Plan()
    plan.extend(steering.plan(root, specs))
    plan.apply()
    doc = steering.parse(read_bytes(path).decode("utf-8"))
    assert doc.front == {"inclusion": "fileMatch", "fileMatchPattern": "infra/**/*.tf",
                         "owner": "sre-team", "priority": 3, "tags": ["infra", "tf"]}
    assert doc.body == "# Terraform\nPlan only.\n"


def test_steering_purge_removes_unmanaged_docs(tmp_path):
    ws = make_workspace(tmp_path)
    sdir = os.path.join(ws, ".kiro", "steering")
    write(os.path.join(sdir, "product.md"), "# Product\n")
    write(os.path.join(sdir, "notes.txt"), "not steering\n")
    (root,) = roots([ws])
    specs = steering.validate_specs([{"name": "tech", "content": "# Tech\n"}])
    plan = Plan()
    plan.extend(steering.plan(root, specs))
    plan.apply()
    assert os.path.exists(os.path.join(sdir, "product.md"))
    plan = Plan()
    plan.extend(steering.plan(root, specs, purge=True))
    plan.apply()
    assert sorted(os.listdir(sdir)) == ["notes.txt", "tech.md"]


rule = st.fixed_dictionaries({"capability": st.sampled_from(["shell", "read", "write", "web"]),
                              "effect": st.sampled_from(permissions.EFFECTS)},
                             optional={"match": st.sampled_from(["git *", "rm *", ["ls", "cat"], "/etc/**"]),
                                       "exclude": st.sampled_from([["*.env"], "secrets/**"])})


@PROPS
@given(st.lists(rule, max_size=6, unique_by=permissions.identity), st.lists(rule, max_size=4,
                                                                            unique_by=permissions.identity),
       st.booleans())
def test_permissions_merge_keeps_unmanaged_rules(existing_rules, desired, purge):
    existing = {"version": 1, "rules": [dict(r, note="n%d" % i) for i, r in enumerate(existing_rules)]}
    desired = permissions.validate_rules(desired)
    result = permissions.merge(existing, desired, purge=purge)
    assert result["version"] == 1
    ids = [permissions.identity(r) for r in result["rules"]]
    assert len(ids) == len(set(ids)), "one rule per identity"
    by_id = dict((permissions.identity(r), r) for r in result["rules"])
    desired_ids = set(permissions.identity(r) for r in desired)
    for old in existing["rules"]:
        key = permissions.identity(old)
        if key in desired_ids:
            continue
        if purge:
            assert key not in by_id
        else:
            assert by_id[key] == old
    for want in desired:
        got = by_id[permissions.identity(want)]
        assert got["effect"] == want["effect"]
    assert len(result["rules"]) == len(desired_ids | (set() if purge else
                                                      set(permissions.identity(r) for r in existing["rules"])))


def test_profile_purge_removes_unmanaged_entries_everywhere(tmp_path):
    ws = make_workspace(tmp_path)
    kdir = os.path.join(ws, ".kiro")
    write(os.path.join(kdir, "steering", "old.md"), "# old\n")
    write_json(os.path.join(kdir, "hooks", "old.kiro.hook"), {"name": "old"})
    write_json(os.path.join(kdir, "agents", "old.json"), {"name": "old"})
    write_json(os.path.join(kdir, "settings", "mcp.json"), {"mcpServers": {"old": {"command": "x"}}})
    validated = profile.validate({"steering": [{"name": "tech", "content": "# Tech\n"}],
                                  "hooks": [CLASSIC_SPEC],
                                  "mcp_servers": [{"name": "aws", "command": "uvx"}],
                                  "agents": [{"name": "triage", "config": {"tools": ["read"]}}]})
    profile.plan(roots([ws]), validated, purge=True).apply()
    assert os.listdir(os.path.join(kdir, "steering")) == ["tech.md"]
    assert os.listdir(os.path.join(kdir, "hooks")) == ["docs-sync.kiro.hook"]
    assert os.listdir(os.path.join(kdir, "agents")) == ["triage.json"]
    assert list(json.loads(read_bytes(os.path.join(kdir, "settings", "mcp.json")))["mcpServers"]) == ["aws"]
