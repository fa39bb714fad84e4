"""Atomic writes, file modes, no temp files left behind."""

import json
import os

import pytest

from ansible_collections.kiro.platform.plugins.module_utils.common import fileio
from ansible_collections.kiro.platform.plugins.module_utils.kiro import agents, changeset, mcp, profile
from ansible_collections.kiro.platform.plugins.module_utils.kiro.errors import KiroParseError
from ansible_collections.kiro.platform.plugins.module_utils.kiro.changeset import Plan

from kiro_helpers import make_workspace, mode_of, read_bytes, roots, temp_leftovers, tree, write, write_json


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o664, 0o755])
def test_atomic_write_keeps_existing_mode(tmp_path, mode):
    path = write(tmp_path / "f.md", b"old\n", mode=mode)
    fileio.atomic_write(path, b"new bytes\n")
    assert read_bytes(path) == b"new bytes\n"
    assert mode_of(path) == mode
    assert os.listdir(str(tmp_path)) == ["f.md"]


def test_atomic_write_new_file_is_0644_and_explicit_mode_wins(tmp_path):
    old_umask = os.umask(0o077)
    try:
        new = os.path.join(str(tmp_path), "deep", "dir", "new.json")
        fileio.atomic_write(new, b"{}\n")
    finally:
        os.umask(old_umask)
    assert read_bytes(new) == b"{}\n"
    assert mode_of(new) == 0o644, "the default mode is applied exactly, not masked by the umask"
    existing = write(tmp_path / "x.json", b"{}", mode=0o644)
    fileio.atomic_write(existing, b"[]", mode=0o600)
    assert mode_of(existing) == 0o600


def test_atomic_write_replaces_by_rename_not_in_place(tmp_path):
    path = write(tmp_path / "f", b"old")
    inode = os.stat(path).st_ino
    with open(path, "rb") as reader:  # an open reader keeps seeing the old bytes
        fileio.atomic_write(path, b"new")
        assert reader.read() == b"old"
    assert os.stat(path).st_ino != inode
    assert read_bytes(path) == b"new"


def test_failed_atomic_write_leaves_no_temp_file_and_target_untouched(tmp_path):
    target = tmp_path / "mcp.json"
    os.mkdir(str(target))  # rename of a file over a directory fails
    with pytest.raises(OSError):
        fileio.atomic_write(str(target), b"{}")
    assert os.path.isdir(str(target))
    assert sorted(os.listdir(str(tmp_path))) == ["mcp.json"]


def test_mcp_json_with_env_is_written_0600(tmp_path):
    ws = make_workspace(tmp_path)
    (root,) = roots([ws])
    plan = Plan()
    plan.extend(mcp.plan(root, mcp.validate_servers([{"name": "gh", "command": "npx",
                                                      "env": {"GITHUB_TOKEN": "ghp_secret123"}}])))
    plan.apply()
    assert mode_of(os.path.join(ws, ".kiro", "settings", "mcp.json")) == 0o600


def test_mcp_json_with_headers_is_tightened_to_0600_even_if_bytes_equal(tmp_path):
    ws = make_workspace(tmp_path)
    doc = {"mcpServers": {"gh": {"url": "https://api.githubcopilot.com/mcp/", "headers": {"Authorization": "Bearer abc"}}}}
    path = write(os.path.join(ws, ".kiro", "settings", "mcp.json"), mcp.render(doc), mode=0o644)
    (root,) = roots([ws])
    servers = mcp.validate_servers([{"name": "gh", "url": "https://api.githubcopilot.com/mcp/",
                                     "headers": {"Authorization": "Bearer abc"}}])
    changes = mcp.plan(root, servers)
    assert changes[0].before == changes[0].after
    assert changes[0].action == "updated", "a secret file at 0644 must be fixed"
    changes[0].apply()
    assert mode_of(path) == 0o600
    assert read_bytes(path) == mcp.render(doc)
    assert mcp.plan(root, servers)[0].changed is False


def test_mcp_json_without_secrets_keeps_its_mode(tmp_path):
    ws = make_workspace(tmp_path)
    path = write_json(os.path.join(ws, ".kiro", "settings", "mcp.json"), {"mcpServers": {}}, mode=0o640)
    (root,) = roots([ws])
    plan = Plan()
    plan.extend(mcp.plan(root, mcp.validate_servers([{"name": "cw", "command": "uvx", "args": ["cw@latest"]}])))
    plan.apply()
    assert mode_of(path) == 0o640
    assert json.loads(read_bytes(path))["mcpServers"]["cw"]["args"] == ["cw@latest"]


def test_agent_with_mcp_env_is_written_0600(tmp_path):
    ws = make_workspace(tmp_path)
    (root,) = roots([ws])
    plan = Plan()
    plan.extend(agents.plan(root, agents.validate_specs([{"name": "a", "config": {
        "mcpServers": {"gh": {"command": "npx", "env": {"GITHUB_TOKEN": "ghp_secret123"}}}}}])))
    plan.apply()
    assert mode_of(os.path.join(ws, ".kiro", "agents", "a.json")) == 0o600


def test_profile_apply_leaves_no_temp_files(tmp_path):
    ws = make_workspace(tmp_path)
    home = os.path.join(str(tmp_path), "home")
    validated = profile.validate({
        "steering": [{"name": "tech", "content": "# Tech"}],
        "hooks": [{"name": "h", "when": {"type": "agentStop"}, "then": {"type": "askAgent", "prompt": "p"}}],
        "mcp_servers": [{"name": "s", "command": "uvx", "env": {"K": "v"}}],
        "agents": [{"name": "a", "config": {"tools": ["read"]}}],
        "user": {"steering": [{"name": "me", "content": "# me"}]},
        "autonomy": {"agent_autonomy": "Supervised", "permissions": [{"capability": "shell", "effect": "ask"}]},
    })
    plan = profile.plan(roots([ws], home), validated)
    plan.apply()
    files = tree(tmp_path)
    assert len(files) == len(plan.changes) == 7
    assert temp_leftovers(tmp_path) == []
    # and every directory holds only the files the plan names
    assert sorted(os.path.join(str(tmp_path), p) for p in files) == sorted(c.path for c in plan.changes)


def test_file_change_actions(tmp_path):
    path = str(tmp_path / "f.json")
    assert changeset.FileChange(path, None, b"x").action == "created"
    write(path, b"x", mode=0o644)
    assert changeset.FileChange(path, b"x", b"x").action == "unchanged"
    assert changeset.FileChange(path, b"x", b"x", mode=0o600).action == "updated"
    assert changeset.FileChange(path, b"x", b"y").action == "updated"
    assert changeset.FileChange(path, b"x", None).action == "deleted"
    assert changeset.FileChange(path + ".gone", None, None).action == "unchanged"
    change = changeset.FileChange(path, b"x", None)
    change.apply()
    assert not os.path.exists(path)


def test_read_helpers_name_the_file_on_bad_bytes(tmp_path):
    path = write(tmp_path / "mcp.json", b"\xff\xfe\x00")
    with pytest.raises(KiroParseError) as err:
        mcp.read(path)
    assert path in str(err.value) and "UTF-8" in str(err.value)
    assert changeset.read_bytes(str(tmp_path / "absent")) is None
