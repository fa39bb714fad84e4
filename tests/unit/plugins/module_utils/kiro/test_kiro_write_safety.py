"""No write leaves its workspace or kiro_home; hostile snapshots are refused; a failed write is undone."""

import io
import json
import os
import shutil
import subprocess
import tarfile

import pytest

from ansible_collections.kiro.platform.plugins.module_utils.common.errors import UnsafePath
from ansible_collections.kiro.platform.plugins.module_utils.kiro import changeset, lockdown, profile, snapshot
from ansible_collections.kiro.platform.plugins.module_utils.kiro.errors import (
    ArchiveRefused, KiroValidationError, WriteFailed)

from kiro_helpers import make_workspace, read_bytes, roots, tree, write, write_json

PROFILE = {
    "steering": [{"name": "tech", "content": "# Tech\n"}],
    "hooks": [{"name": "lint", "when": {"type": "fileEdited", "patterns": ["*.py"]},
               "then": {"type": "askAgent", "prompt": "Lint it."}}],
    "mcp_servers": [{"name": "aws", "command": "uvx", "args": ["aws-mcp"]}],
    "agents": [{"name": "triage", "config": {"tools": ["read"]}}],
    "workflows": [{"name": "nightly", "schedule": "0 2 * * *", "prompt": "Triage.", "agent": "triage"}],
    "autonomy": {"agent_autonomy": "Supervised"},
}


def _apply_profile(targets, data=None):
    """As the profile module does: plan and apply confined to the task's roots."""
    validated = profile.validate(data or PROFILE)
    with changeset.Confined(targets):
        plan = profile.plan(targets, validated)
        plan.apply()
    return plan


def _outside(tmp_path):
    """A directory outside every root, holding a file that must never change."""
    path = tmp_path / "outside"
    write(path / "settings" / "mcp.json", '{"mcpServers": {"mine": {"command": "x", "env": {"K": "secret"}}}}\n')
    write(path / "settings.json", '{"kiroAgent.agentAutonomy": "Autopilot"}\n')
    return str(path)


LINKED = [".kiro", ".kiro/settings", ".kiro/steering", ".kiro/hooks", ".kiro/agents", ".vscode", ".github/workflows"]


@pytest.mark.parametrize("link", LINKED)
def test_profile_never_writes_through_a_linked_directory(tmp_path, link):
    outside = _outside(tmp_path)
    before = tree(outside)
    ws = make_workspace(tmp_path)
    os.makedirs(os.path.dirname(os.path.join(ws, link)), exist_ok=True)
    os.symlink(outside, os.path.join(ws, link))
    with pytest.raises(UnsafePath) as err:
        _apply_profile(roots([ws]))
    assert "%s: is a symbolic link to %s" % (os.path.join(ws, link), outside) in str(err.value)
    assert tree(outside) == before


def test_kiro_home_subdirectory_link_is_refused(tmp_path):
    outside = _outside(tmp_path)
    before = tree(outside)
    home = tmp_path / "home" / ".kiro"
    home.mkdir(parents=True)
    os.symlink(os.path.join(outside, "settings"), str(home / "settings"))
    data = {"user": {"mcp_servers": [{"name": "aws", "command": "uvx"}]}}
    with pytest.raises(UnsafePath, match="settings: is a symbolic link"):
        _apply_profile(roots([], home), data)
    assert tree(outside) == before


def test_a_managed_file_that_is_a_link_is_refused_not_replaced_by_a_copy(tmp_path):
    outside = _outside(tmp_path)
    ws = make_workspace(tmp_path)
    os.makedirs(os.path.join(ws, ".kiro", "settings"))
    link = os.path.join(ws, ".kiro", "settings", "mcp.json")
    os.symlink(os.path.join(outside, "settings", "mcp.json"), link)
    with pytest.raises(UnsafePath) as err:
        _apply_profile(roots([ws]))
    assert link in str(err.value) and os.path.join(outside, "settings", "mcp.json") in str(err.value)
    assert os.path.islink(link)
    assert b"secret" not in b"".join(tree(ws).values()), "the target's secrets were not copied into the checkout"


def test_lockdown_writes_nothing_through_links_and_still_locks_the_rest(tmp_path):
    outside = _outside(tmp_path)
    before = tree(outside)
    linked, plain = make_workspace(tmp_path, "linked"), make_workspace(tmp_path, "plain")
    _apply_profile(roots([plain]))
    os.makedirs(os.path.join(linked, ".kiro"))
    os.symlink(os.path.join(outside, "settings"), os.path.join(linked, ".kiro", "settings"))
    os.symlink(outside, os.path.join(linked, ".vscode"))
    params = {"workspaces": [linked, plain], "kiro_home": None, "create_workspaces": False, "user_settings": None,
              "settings_file": ".vscode/settings.json", "snapshot_dir": str(tmp_path / "snaps"),
              "snapshot_label": None, "snapshot_keep": 20, "fail_on_error": False}
    result = lockdown.run(params)
    assert tree(outside) == before
    refused = dict((e["path"], e["msg"]) for e in result["errors"])
    # Each error names the link and where it points.
    assert "is a symbolic link to %s" % outside in refused[os.path.join(linked, ".vscode")]
    assert "is a symbolic link to %s" % os.path.join(outside, "settings") in refused[os.path.join(linked, ".kiro", "settings")]
    assert json.loads(read_bytes(os.path.join(plain, ".kiro", "settings", "mcp.json")))["mcpServers"]["aws"]["disabled"]
    assert not result["ansible_facts"]["kiro"]["summary"]["manual_mode"], "a linked root is not reported safe"


def test_snapshot_does_not_collect_through_a_link_and_restore_refuses_one(tmp_path):
    outside = _outside(tmp_path)
    ws = make_workspace(tmp_path)
    _apply_profile(roots([ws]))
    snaps = str(tmp_path / "snaps")
    _unused, manifest, _unused = snapshot.create(roots([ws]), snaps)
    steering = os.path.join(ws, ".kiro", "steering")
    os.rename(steering, steering + ".moved")
    os.symlink(outside, steering)
    entries, _unused = snapshot.collect(roots([ws]))
    assert not any(path.startswith(steering + os.sep) for path in entries)
    before = tree(outside)
    with pytest.raises(UnsafePath, match="steering: is a symbolic link"):
        snapshot.restore_plan(snaps, manifest["id"], prune=True)
    assert tree(outside) == before


# --- hostile archives -------------------------------------------------------------------------


def _archive(snaps, members, manifest_files=None, scanned=None, snap_id="20260101T000000000000Z-hostile"):
    """Write ``<snaps>/<snap_id>.tar.gz`` (and its sidecar) from [(TarInfo, bytes or None)]."""
    os.makedirs(snaps, exist_ok=True)
    manifest = {"id": snap_id, "created": "2026-01-01T00:00:00Z", "digest": "x", "label": None,
                "scanned": scanned or {}, "files": manifest_files or []}
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        data = json.dumps(manifest).encode("utf-8")
        info = tarfile.TarInfo("manifest.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    with open(os.path.join(snaps, snap_id + snapshot.ARCHIVE_SUFFIX), "wb") as handle:
        handle.write(buf.getvalue())
    with open(os.path.join(snaps, snap_id + snapshot.MANIFEST_SUFFIX), "w") as handle:
        json.dump(manifest, handle)
    return os.path.join(snaps, snap_id + snapshot.ARCHIVE_SUFFIX)


def _member(name, data=b"x\n", kind=tarfile.REGTYPE, mode=0o600, linkname=""):
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.linkname = kind, mode, linkname
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    return info, (data if kind == tarfile.REGTYPE else None)


def _entry(path, data=b"x\n", mode="0600"):
    return {"path": path, "sha256": snapshot.sha256(data), "size": len(data), "mode": mode}


def _hostile(ws):
    steering = os.path.join(ws, ".kiro", "steering")
    good = os.path.join(steering, "a.md")
    scanned = {"directories": [steering], "files": [], "patterns": []}
    return {
        "absolute member": ([_member("/etc/kiro-owned")], [], scanned, "/etc/kiro-owned"),
        "dot-dot member": ([_member("files" + steering + "/../../../x.md")], [], scanned, "/../"),
        "symlink member": ([_member("files" + good, kind=tarfile.SYMTYPE, linkname="/etc/shadow")],
                           [_entry(good)], scanned, "symbolic link"),
        "hard link member": ([_member("files" + good, kind=tarfile.LNKTYPE, linkname="etc/shadow")],
                             [_entry(good)], scanned, "hard link"),
        "device member": ([_member("files" + good, kind=tarfile.CHRTYPE)], [_entry(good)], scanned, "character device"),
        "directory member": ([_member("files" + good, kind=tarfile.DIRTYPE)], [_entry(good)], scanned, "directory"),
        "setuid member": ([_member("files" + good, mode=0o4755)], [_entry(good, mode="4755")], scanned, "setuid"),
        "setuid manifest mode": ([_member("files" + good)], [_entry(good, mode="4755")], scanned, "setuid"),
        "manifest entry without member": ([], [_entry(good)], scanned, "not in the archive"),
        "member not in the manifest": ([_member("files" + good)], [], scanned, "not in its manifest"),
        "path outside what was scanned": ([_member("files/root/.bashrc")], [_entry("/root/.bashrc")], scanned,
                                          "outside the directories"),
        "scanned directory not a kiro one": ([_member("files/etc/cron.d/x")], [_entry("/etc/cron.d/x")],
                                             {"directories": ["/etc/cron.d"]}, "not one a snapshot takes"),
        "unknown member": ([_member("evil.sh")], [], scanned, "evil.sh"),
    }


@pytest.mark.parametrize("case", sorted(_hostile("/ws")))
def test_a_hostile_archive_is_refused_as_a_whole_naming_archive_and_member(tmp_path, case):
    ws = make_workspace(tmp_path)
    members, files, scanned, expected = _hostile(ws)[case]
    # One good file as well: the archive is refused as a whole, so it is not written either.
    good = os.path.join(ws, ".kiro", "steering", "b.md")
    if case not in ("scanned directory not a kiro one",):
        members = [_member("files" + good)] + members
        files = [_entry(good)] + files
    snaps = str(tmp_path / "snaps")
    archive = _archive(snaps, members, files, scanned)
    with pytest.raises(ArchiveRefused) as err:
        snapshot.restore_plan(snaps, prune=True)
    assert archive in str(err.value) and expected in str(err.value)
    assert "nothing was restored" in str(err.value)
    assert not os.path.exists(os.path.join(ws, ".kiro")), "nothing was written"
    assert not os.path.exists("/etc/kiro-owned")


def test_archive_that_is_not_gzip_or_has_no_manifest_is_a_clear_error(tmp_path):
    snaps = str(tmp_path / "snaps")
    archive = _archive(snaps, [])
    with open(archive, "wb") as handle:
        handle.write(b"not a tarball")
    with pytest.raises(ArchiveRefused, match="not a readable tar.gz"):
        snapshot.load(snaps)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz"):
        pass
    with open(archive, "wb") as handle:
        handle.write(buf.getvalue())
    with pytest.raises(ArchiveRefused, match="no manifest.json"):
        snapshot.load(snaps)


def test_restore_is_confined_to_the_roots_the_snapshot_recorded(tmp_path):
    ws = make_workspace(tmp_path)
    _apply_profile(roots([ws]))
    snaps = str(tmp_path / "snaps")
    _unused, manifest, _unused = snapshot.create(roots([ws]), snaps)
    assert manifest["scanned"]["roots"] == [ws]
    kiro = os.path.join(ws, ".kiro")
    os.rename(kiro, kiro + ".moved")
    os.symlink(kiro + ".moved", kiro)
    for task_roots in (None, roots([ws])):
        with pytest.raises(UnsafePath, match=r"\.kiro: is a symbolic link to %s" % (kiro + ".moved")):
            snapshot.restore_plan(snaps, manifest["id"], roots=task_roots)
    assert snapshot.bounds({"scanned": {"directories": [os.path.join(kiro, "steering")]}}) == [ws], \
        "a manifest without roots is confined to the workspace its directories are in"


# --- roots that overlap -----------------------------------------------------------------------


def test_workspace_slash_is_refused(tmp_path):
    with pytest.raises(KiroValidationError, match=r"kiro_workspaces\[0\]: / is the root directory"):
        changeset.roots_for(["/"])
    os.symlink("/", str(tmp_path / "slash"))
    with pytest.raises(KiroValidationError, match=r"kiro_workspaces\[1\].*a link to /"):
        changeset.roots_for([make_workspace(tmp_path), str(tmp_path / "slash")])


@pytest.mark.parametrize("order", ["outer first", "inner first"])
def test_a_workspace_inside_another_is_refused(tmp_path, order):
    outer = make_workspace(tmp_path, "outer")
    inner = make_workspace(tmp_path, "outer/sub/inner")
    listed = [outer, inner] if order == "outer first" else [inner, outer]
    with pytest.raises(KiroValidationError) as err:
        changeset.roots_for(listed)
    inner_index = listed.index(inner)
    assert "kiro_workspaces[%d] is inside kiro_workspaces[%d]" % (inner_index, 1 - inner_index) in str(err.value)
    # Through a link too.
    os.symlink(inner, str(tmp_path / "alias"))
    with pytest.raises(KiroValidationError, match="is inside"):
        changeset.roots_for([outer, str(tmp_path / "alias")])


def test_a_workspace_kiro_that_is_kiro_home_is_refused(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    ws = make_workspace(tmp_path)
    with pytest.raises(KiroValidationError, match=r"kiro_home: .* the \.kiro of kiro_workspaces\[0\]"):
        changeset.roots_for([str(home)], str(home / ".kiro"))
    os.makedirs(str(home / ".kiro"))
    os.symlink(str(home / ".kiro"), os.path.join(ws, ".kiro"))
    with pytest.raises(KiroValidationError, match="kiro_home"):
        changeset.roots_for([ws], str(home / ".kiro"))
    assert os.listdir(str(home / ".kiro")) == []


# --- a write that fails part-way --------------------------------------------------------------


def test_a_write_failing_part_way_puts_back_what_was_written(tmp_path, monkeypatch):
    ws = make_workspace(tmp_path)
    steering = write(os.path.join(ws, ".kiro", "steering", "tech.md"), "# old\n", mode=0o640)
    before = tree(ws)
    real_rename = os.rename
    calls = []

    def disk_full(src, dst, **kwargs):
        calls.append(dst)
        if len(calls) == 3:
            raise OSError(28, "No space left on device", dst)
        return real_rename(src, dst, **kwargs)

    monkeypatch.setattr(os, "rename", disk_full)
    with pytest.raises(WriteFailed) as err:
        _apply_profile(roots([ws]))
    monkeypatch.undo()
    result = err.value.result
    assert tree(ws) == before, "the host is as it was before the task"
    assert sorted(os.listdir(os.path.join(ws, ".kiro"))) == ["steering"], "directories made are removed"
    assert os.stat(steering).st_mode & 0o777 == 0o640
    assert result["changed"] is False and result["unrestored_files"] == []
    assert len(result["touched_files"]) == 3 and result["failed_path"] == result["touched_files"][0]
    assert "No space left on device" in str(err.value) and result["failed_path"] in str(err.value)
    assert sorted(result["restored_files"]) == sorted(result["touched_files"][1:])


def test_a_failed_undo_is_reported_changed_naming_the_file(tmp_path, monkeypatch):
    ws = make_workspace(tmp_path)
    real_rename = os.rename
    calls = []

    def failing(src, dst, **kwargs):
        calls.append(dst)
        if len(calls) >= 2:
            raise OSError(30, "Read-only file system", dst)
        return real_rename(src, dst, **kwargs)

    monkeypatch.setattr(os, "rename", failing)
    monkeypatch.setattr(os, "unlink", lambda *a, **k: (_unused for _unused in ()).throw(OSError(30, "Read-only file system")))
    with pytest.raises(WriteFailed) as err:
        _apply_profile(roots([ws]))
    monkeypatch.undo()
    assert err.value.result["changed"] is True
    assert len(err.value.result["unrestored_files"]) == 1
    assert "could NOT be put back" in str(err.value)


def test_a_file_where_a_directory_is_expected_is_refused_before_any_write(tmp_path):
    ws = make_workspace(tmp_path)
    write(os.path.join(ws, ".kiro", "agents"), "not a directory\n")
    before = tree(ws)
    with pytest.raises(NotADirectoryError) as err:
        _apply_profile(roots([ws]))
    assert err.value.filename == os.path.join(ws, ".kiro", "agents")
    assert tree(ws) == before


def _chattr(flag, path):
    return subprocess.run(["chattr", flag, path], capture_output=True, check=False).returncode == 0


def test_an_immutable_directory_mid_apply_undoes_what_was_written(tmp_path):
    ws = make_workspace(tmp_path)
    agents = os.path.join(ws, ".kiro", "agents")
    os.makedirs(agents)
    write(os.path.join(ws, ".kiro", "steering", "tech.md"), "# old\n")
    before = tree(ws)
    if not shutil.which("chattr") or not _chattr("+i", agents):
        pytest.skip("chattr +i is not available here")
    try:
        with pytest.raises(WriteFailed) as err:
            _apply_profile(roots([ws]))
    finally:
        _chattr("-i", agents)
    result = err.value.result
    assert result["failed_path"] == os.path.join(agents, "triage.json")
    assert "Operation not permitted" in str(err.value)
    assert result["changed"] is False and len(result["restored_files"]) >= 3
    assert os.path.join(ws, ".kiro", "steering", "tech.md") in result["touched_files"]
    assert tree(ws) == before, "steering, hooks and mcp.json written before the failure are put back"
    assert sorted(os.listdir(os.path.join(ws, ".kiro"))) == ["agents", "steering"], "directories made are removed"


# --- settings.json with a BOM -----------------------------------------------------------------


def test_settings_json_with_a_bom_is_read_and_locked_down_keeping_the_bom(tmp_path):
    ws = make_workspace(tmp_path)
    bom = b"\xef\xbb\xbf"
    settings_path = write(os.path.join(ws, ".vscode", "settings.json"),
                          bom + b'{\n  // mine\n  "kiroAgent.agentAutonomy": "Autopilot",\n  "editor.tabSize": 2\n}\n')
    user = write(os.path.join(str(tmp_path), "user", "settings.json"), bom + b'{"kiroAgent.trustedCommands": ["*"]}')
    changes, errors = lockdown.plan(roots([ws]), user_settings=user)
    assert errors == []
    with changeset.Confined(roots([ws])):
        lockdown.apply(changes)
    for path in (settings_path, user):
        data = read_bytes(path)
        assert data.startswith(bom) and not data.startswith(bom + bom)
        doc = json.loads(data[len(bom):].decode("utf-8"))
        assert doc["kiroAgent.agentAutonomy"] == "Supervised" and doc["kiroAgent.trustedCommands"] == []
    assert json.loads(read_bytes(settings_path)[3:])["editor.tabSize"] == 2
    again, _unused = lockdown.plan(roots([ws]), user_settings=user)
    assert not any(change.changed for change in again), "a locked-down BOM file is left as it is"
    diff = [change.diff() for change in changes if change.path == user][0]
    assert '"kiroAgent.trustedCommands": [' in diff["before"], "the diff shows a BOM file, not 'unparsable'"


def test_mcp_json_with_a_bom_is_read(tmp_path):
    ws = make_workspace(tmp_path)
    write_json(os.path.join(ws, ".kiro", "settings", "mcp.json"), {"mcpServers": {}})
    path = os.path.join(ws, ".kiro", "settings", "mcp.json")
    write(path, b"\xef\xbb\xbf" + read_bytes(path))
    changes, errors = lockdown.plan(roots([ws]))
    assert errors == []
