"""snapshot.create / restore_plan: byte-exact restore, dedup, pruning, tamper detection."""

import datetime
import io
import json
import os
import tarfile

import pytest

from ansible_collections.kiro.platform.plugins.module_utils.kiro import snapshot
from ansible_collections.kiro.platform.plugins.module_utils.kiro.errors import KiroError, KiroValidationError
from ansible_collections.kiro.platform.plugins.module_utils.kiro.changeset import Plan

from kiro_helpers import make_workspace, mode_of, read_bytes, roots, tree, write, write_json

T0 = datetime.datetime(2026, 1, 2, 3, 4, 5, 600000, tzinfo=datetime.timezone.utc)


def at(minutes):
    return T0 + datetime.timedelta(minutes=minutes)


def _populate(tmp_path):
    ws = make_workspace(tmp_path, "ws")
    home = os.path.join(str(tmp_path), "home", ".kiro")
    kdir = os.path.join(ws, ".kiro")
    write(os.path.join(kdir, "steering", "tech.md"), "---\ninclusion: always\n---\n# Tech \u00e9\n", mode=0o640)
    write(os.path.join(kdir, "steering", "product.md"), b"# Product\r\nno trailing newline", mode=0o644)
    write_json(os.path.join(kdir, "hooks", "docs.kiro.hook"), {"name": "docs", "enabled": True}, mode=0o644)
    write_json(os.path.join(kdir, "settings", "mcp.json"),
               {"mcpServers": {"gh": {"command": "npx", "env": {"GITHUB_TOKEN": "ghp_secret123"}}}}, mode=0o600)
    write(os.path.join(kdir, "agents", "nested", "deep.json"), b"{}", mode=0o664)
    write(os.path.join(kdir, "agents", "bin.dat"), bytes(range(256)), mode=0o755)
    write(os.path.join(ws, ".vscode", "settings.json"), '// c\n{"kiroAgent.agentAutonomy": "Supervised",}\n')
    write(os.path.join(home, "steering", "me.md"), "# me\n", mode=0o600)
    write(os.path.join(ws, "src", "app.py"), "print('not managed')\n")  # outside the snapshot's scope
    return ws, home, roots([ws], home)


def _apply(changes):
    plan = Plan()
    plan.extend(changes)
    plan.apply()
    return plan


def _managed_tree(tmp_path):
    return dict((p, v) for p, v in tree(tmp_path).items() if not p.startswith("snaps"))


def _mess_up(ws, home):
    kdir = os.path.join(ws, ".kiro")
    write(os.path.join(kdir, "steering", "tech.md"), "# rewritten\n")                     # modified
    os.chmod(os.path.join(kdir, "steering", "tech.md"), 0o666)                             # and chmodded
    os.unlink(os.path.join(kdir, "settings", "mcp.json"))                                  # deleted
    os.chmod(os.path.join(kdir, "agents", "bin.dat"), 0o600)                               # mode only
    os.unlink(os.path.join(kdir, "agents", "nested", "deep.json"))
    os.rmdir(os.path.join(kdir, "agents", "nested"))                                       # dir gone too
    os.unlink(os.path.join(ws, ".vscode", "settings.json"))
    write(os.path.join(home, "steering", "me.md"), "# changed\n")
    new_files = [write(os.path.join(kdir, "hooks", "new.kiro.hook"), "{}"),
                 write(os.path.join(kdir, "agents", "extra.json"), "{}"),
                 write(os.path.join(home, "settings", "permissions.yaml"), "rules: []\n")]
    return new_files


@pytest.mark.parametrize("prune", [True, False])
def test_restore_puts_back_exact_bytes_and_modes(tmp_path, prune):
    ws, home, targets = _populate(tmp_path)
    snapdir = os.path.join(str(tmp_path), "snaps")
    original = _managed_tree(tmp_path)
    changed, manifest, removed = snapshot.create(targets, snapdir, label="before", now=at(0))
    assert changed and removed == []
    assert len(manifest["files"]) == 8  # everything under the 4 subdirs + .vscode/settings.json, not src/
    assert mode_of(os.path.join(snapdir, manifest["id"] + snapshot.ARCHIVE_SUFFIX)) == 0o600

    new_files = _mess_up(ws, home)
    assert _managed_tree(tmp_path) != original

    restored_manifest, changes = snapshot.restore_plan(snapdir, prune=prune)
    assert restored_manifest["id"] == manifest["id"]
    _apply(changes)
    now = _managed_tree(tmp_path)
    for path in new_files:
        assert os.path.exists(path) is (not prune)
    expected = dict(original)
    if not prune:
        expected.update((os.path.relpath(p, str(tmp_path)), now[os.path.relpath(p, str(tmp_path))]) for p in new_files)
    assert now == expected, "sha256 and mode of every file must match the snapshot"
    assert read_bytes(os.path.join(ws, "src", "app.py")) == b"print('not managed')\n"
    # restoring again is a no-op
    _unused, again = snapshot.restore_plan(snapdir, prune=prune)
    assert not any(c.changed for c in again)


def test_second_create_with_unchanged_files_is_not_a_change(tmp_path):
    _unused, _unused, targets = _populate(tmp_path)
    snapdir = os.path.join(str(tmp_path), "snaps")
    changed, first, _unused = snapshot.create(targets, snapdir, now=at(0))
    assert changed
    changed, second, removed = snapshot.create(targets, snapdir, now=at(1))
    assert changed is False and removed == []
    assert second["id"] == first["id"]
    assert len(snapshot.list_snapshots(snapdir)) == 1
    assert sorted(n for n in os.listdir(snapdir) if n != snapshot.LOCK_FILE) == sorted([first["id"] + snapshot.ARCHIVE_SUFFIX,
                                                                                        first["id"] + snapshot.MANIFEST_SUFFIX])


def test_mode_change_alone_makes_a_new_snapshot(tmp_path):
    ws, _unused, targets = _populate(tmp_path)
    snapdir = os.path.join(str(tmp_path), "snaps")
    snapshot.create(targets, snapdir, now=at(0))
    os.chmod(os.path.join(ws, ".kiro", "steering", "tech.md"), 0o600)
    changed, _unused, _unused = snapshot.create(targets, snapdir, now=at(1))
    assert changed is True


def test_check_mode_create_writes_nothing(tmp_path):
    _unused, _unused, targets = _populate(tmp_path)
    snapdir = os.path.join(str(tmp_path), "snaps")
    changed, manifest, _unused = snapshot.create(targets, snapdir, check_mode=True, now=at(0))
    assert changed and manifest["files"]
    assert not os.path.exists(snapdir)


def test_keep_prunes_older_snapshots(tmp_path):
    ws, _unused, targets = _populate(tmp_path)
    snapdir = os.path.join(str(tmp_path), "snaps")
    ids = []
    all_removed = []
    for i in range(5):
        write(os.path.join(ws, ".kiro", "steering", "tech.md"), "# version %d\n" % i)
        changed, manifest, removed = snapshot.create(targets, snapdir, keep=2, now=at(i))
        assert changed
        ids.append(manifest["id"])
        all_removed.extend(removed)
    assert all_removed == ids[:3]
    listed = snapshot.list_snapshots(snapdir)
    assert [s["id"] for s in listed] == ids[3:]
    assert len([n for n in os.listdir(snapdir) if n != snapshot.LOCK_FILE]) == 4  # archive + manifest each
    # the newest one is what "latest" restores
    manifest, changes = snapshot.restore_plan(snapdir, "latest")
    assert manifest["id"] == ids[-1]
    # a pruned snapshot is gone for good
    with pytest.raises(KiroValidationError) as err:
        snapshot.restore_plan(snapdir, ids[0])
    assert ids[0] in str(err.value)
    # keep=0 never prunes; a later smaller keep prunes several at once
    for i in range(5, 8):
        write(os.path.join(ws, ".kiro", "steering", "tech.md"), "# version %d\n" % i)
        _unused, manifest, removed = snapshot.create(targets, snapdir, keep=0, now=at(i))
        assert removed == []
        ids.append(manifest["id"])
    assert len(snapshot.list_snapshots(snapdir)) == 5
    write(os.path.join(ws, ".kiro", "steering", "tech.md"), "# final\n")
    _unused, last, removed = snapshot.create(targets, snapdir, keep=1, now=at(9))
    assert removed == ids[3:]
    assert [s["id"] for s in snapshot.list_snapshots(snapdir)] == [last["id"]]


def _rewrite_member(archive, member_name, new_bytes):
    with tarfile.open(archive, "r:gz") as tar:
        members = [(m, tar.extractfile(m).read()) for m in tar.getmembers()]
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for member, data in members:
            if member.name == member_name:
                data = new_bytes
            member.size = len(data)
            tar.addfile(member, io.BytesIO(data))
    with open(archive, "wb") as handle:
        handle.write(buf.getvalue())


def test_tampered_archive_is_refused_naming_the_path(tmp_path):
    ws, home, targets = _populate(tmp_path)
    snapdir = os.path.join(str(tmp_path), "snaps")
    _unused, manifest, _unused = snapshot.create(targets, snapdir, now=at(0))
    victim = os.path.join(ws, ".kiro", "settings", "mcp.json")
    archive = os.path.join(snapdir, manifest["id"] + snapshot.ARCHIVE_SUFFIX)
    _rewrite_member(archive, "files" + victim, b'{"mcpServers": {"evil": {"command": "curl"}}}')
    _mess_up(ws, home)
    before = _managed_tree(tmp_path)
    with pytest.raises(KiroError) as err:
        snapshot.restore_plan(snapdir, manifest["id"], prune=True)
    assert victim in str(err.value)
    assert "sha256" in str(err.value)
    assert _managed_tree(tmp_path) == before, "nothing restored from a damaged archive"


def test_restore_without_any_snapshot_is_a_clear_error(tmp_path):
    with pytest.raises(KiroValidationError) as err:
        snapshot.restore_plan(os.path.join(str(tmp_path), "none"))
    assert "no snapshot" in str(err.value)


def test_manifest_sidecar_matches_archive(tmp_path):
    _unused, _unused, targets = _populate(tmp_path)
    snapdir = os.path.join(str(tmp_path), "snaps")
    _unused, manifest, _unused = snapshot.create(targets, snapdir, label="l", now=at(0))
    with open(os.path.join(snapdir, manifest["id"] + snapshot.MANIFEST_SUFFIX)) as handle:
        sidecar = json.load(handle)
    loaded, blobs = snapshot.load(snapdir, manifest["id"])
    assert sidecar == loaded == manifest
    for entry in manifest["files"]:
        assert snapshot.sha256(blobs[entry["path"]]) == entry["sha256"]
        assert int(entry["mode"], 8) == mode_of(entry["path"])


def test_a_snapshot_sweeps_what_a_killed_snapshot_left(tmp_path):
    """A run killed while writing a snapshot leaves a temp file or an archive without manifest; the next
    snapshot (under the directory's writer lock) removes them and keeps every complete snapshot."""
    from ansible_collections.kiro.platform.plugins.module_utils.kiro import snapshot as snap_mod
    from ansible_collections.kiro.platform.plugins.module_utils.kiro.changeset import roots_for
    workspace = tmp_path / "ws"
    (workspace / ".kiro" / "steering").mkdir(parents=True)
    (workspace / ".kiro" / "steering" / "a.md").write_text("one\n")
    snapshots = tmp_path / "snapshots"
    roots = roots_for([str(workspace)], None)
    _unused, first, _unused = snap_mod.create(roots, str(snapshots), keep=0)
    left = [snapshots / ".20990101T000000000000Z-abc.manifest.json.k2fmjs2p.tmp",
            snapshots / "20990101T000000000000Z-abc.tar.gz"]
    for path in left:
        path.write_bytes(b"partial")
    (workspace / ".kiro" / "steering" / "a.md").write_text("two\n")
    changed, second, _unused = snap_mod.create(roots, str(snapshots), keep=0)
    assert changed
    assert not any(path.exists() for path in left)
    names = sorted(p.name for p in snapshots.iterdir() if not p.name.startswith("."))
    assert names == sorted([first["id"] + ".manifest.json", first["id"] + ".tar.gz",
                            second["id"] + ".manifest.json", second["id"] + ".tar.gz"])
