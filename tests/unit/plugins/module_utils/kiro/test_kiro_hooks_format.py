"""Switching a hook between the classic (.kiro.hook) and the v1 (.json) format."""

import json
import os
import re

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from ansible_collections.kiro.platform.plugins.module_utils.kiro import hooks, profile

from kiro_helpers import make_workspace, read_bytes, roots

TF_HOOK = {"name": "tf-review", "description": "Review Terraform changes",
           "when": {"type": "fileEdited", "patterns": ["infra/**/*.tf", "**/*.tfvars"]},
           "then": {"type": "askAgent", "prompt": "Check the plan for destructive changes."}}


def _apply(ws, specs, hooks_format):
    plan = profile.plan(roots([ws]), profile.validate({"hooks": specs}, hooks_format=hooks_format))
    plan.apply()
    return plan


def test_classic_then_v1_writes_json_and_removes_kiro_hook(tmp_path):
    ws = make_workspace(tmp_path)
    hdir = os.path.join(ws, ".kiro", "hooks")
    _apply(ws, [TF_HOOK], "classic")
    classic = json.loads(read_bytes(os.path.join(hdir, "tf-review.kiro.hook")))
    assert classic == {"name": "tf-review", "description": "Review Terraform changes", "version": "1",
                       "enabled": True, "when": TF_HOOK["when"], "then": TF_HOOK["then"]}

    plan = _apply(ws, [TF_HOOK], "v1")
    actions = dict((os.path.basename(f["path"]), f["action"]) for f in plan.files())
    assert actions == {"tf-review.json": "created", "tf-review.kiro.hook": "deleted"}
    assert os.listdir(hdir) == ["tf-review.json"]
    doc = json.loads(read_bytes(os.path.join(hdir, "tf-review.json")))
    assert doc["version"] == "v1" and len(doc["hooks"]) == 1
    entry = doc["hooks"][0]
    assert entry["name"] == "tf-review" and entry["trigger"] == "PostFileSave"
    assert entry["action"] == {"type": "agent", "prompt": "Check the plan for destructive changes."}
    assert entry["enabled"] is True
    matcher = entry["matcher"]
    for path in ("infra/main.tf", "infra/modules/vpc/main.tf", "envs/prod.tfvars", "prod.tfvars"):
        assert re.search(matcher, path), path
    for path in ("README.md", "infra/main.tf.bak", "src/app.py"):
        assert not re.search(matcher, path), path

    # idempotent in v1 form, and switching back restores the classic file only
    assert _apply(ws, [TF_HOOK], "v1").changed is False
    _apply(ws, [TF_HOOK], "classic")
    assert os.listdir(hdir) == ["tf-review.kiro.hook"]
    assert json.loads(read_bytes(os.path.join(hdir, "tf-review.kiro.hook"))) == classic


@pytest.mark.parametrize("classic, v1", sorted(hooks.CLASSIC_TO_V1.items()))
def test_every_classic_trigger_maps_to_its_v1_name(tmp_path, classic, v1):
    when = {"type": classic}
    if classic in hooks.FILE_TRIGGERS:
        when["patterns"] = ["*.md"]
    spec = {"name": "h", "when": when, "then": {"type": "runCommand", "command": "make check"}}
    ws = make_workspace(tmp_path)
    _apply(ws, [spec], "v1")
    entry = json.loads(read_bytes(os.path.join(ws, ".kiro", "hooks", "h.json")))["hooks"][0]
    assert entry["trigger"] == v1
    assert entry["action"] == {"type": "command", "command": "make check"}
    # the v1 name is accepted as input too and gives the same classic file
    norm_v1 = hooks.validate_spec(dict(spec, when=dict(when, type=v1)), "h")
    assert hooks.classic_entry(norm_v1)["when"]["type"] == classic


def test_tool_types_become_a_cli_tool_matcher(tmp_path):
    ws = make_workspace(tmp_path)
    spec = {"name": "guard", "when": {"type": "preToolUse", "toolTypes": ["read", "shell", "@eks"]},
            "then": {"type": "runCommand", "command": "./guard.sh"}, "timeout": 15}
    _apply(ws, [spec], "v1")
    entry = json.loads(read_bytes(os.path.join(ws, ".kiro", "hooks", "guard.json")))["hooks"][0]
    assert entry["trigger"] == "PreToolUse" and entry["timeout"] == 15
    for tool in ("fs_read", "grep", "glob", "code", "execute_bash", "@eks"):
        assert re.search(entry["matcher"], tool), tool
    for tool in ("fs_write", "web_fetch", "execute_bash_extra"):
        assert not re.search(entry["matcher"], tool), tool


@hsettings(max_examples=50, deadline=None, database=None)
@given(st.lists(st.from_regex(r"([a-z]{1,5}/){0,2}(\*\*/)?\*?[a-z]{0,4}\.(tf|md|py)", fullmatch=True),
                min_size=1, max_size=3),
       st.from_regex(r"([a-z]{1,5}/){0,3}[a-z]{1,5}\.(tf|md|py)", fullmatch=True))
def test_glob_regex_agrees_with_the_globs(patterns, path):
    """The v1 matcher matches exactly the paths the globs match, with Kiro's (VS Code's)
    semantics: '*' stays within a directory, '**/' spans zero or more directories."""
    from wcmatch import glob as wglob
    matcher = hooks.glob_regex(patterns)
    expected = any(wglob.globmatch(path, p, flags=wglob.GLOBSTAR) for p in patterns)
    assert bool(re.search(matcher, path)) == expected


def test_unmanaged_classic_hook_is_not_touched_by_switch(tmp_path):
    ws = make_workspace(tmp_path)
    hdir = os.path.join(ws, ".kiro", "hooks")
    os.makedirs(hdir)
    with open(os.path.join(hdir, "theirs.kiro.hook"), "w") as handle:
        handle.write('{"name": "theirs"}')
    _apply(ws, [TF_HOOK], "v1")
    assert sorted(os.listdir(hdir)) == ["tf-review.json", "theirs.kiro.hook"]
