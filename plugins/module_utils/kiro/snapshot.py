# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Snapshots: a byte-exact archive of a host's managed Kiro files, and restore.

An archive ``<id>.tar.gz`` holds ``manifest.json`` (path, sha256, size and mode
of every file, and the directories, files and patterns that were scanned) and the
files' bytes. A workspace's ``.github/workflows`` is covered only through the
pattern ``kiro-*.yml``: the repository's other workflows are never ours.
A sidecar ``<id>.manifest.json`` makes listing cheap. Archives are 0600 in a
0700 directory: MCP env values live in them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import fcntl
import fnmatch
import hashlib
import io
import json
import os
import tarfile

from ansible_collections.kiro.platform.plugins.module_utils.common import clock, fileio
from ansible_collections.kiro.platform.plugins.module_utils.kiro import changeset, workflows
from ansible_collections.kiro.platform.plugins.module_utils.kiro.errors import KiroError, KiroValidationError

KIRO_SUBDIRS = ("steering", "hooks", "settings", "agents")
ARCHIVE_SUFFIX = ".tar.gz"
MANIFEST_SUFFIX = ".manifest.json"
LOCK_FILE = ".lock"


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def managed_patterns(roots):
    """Glob patterns (``<dir>/<pattern>``) of the files a snapshot covers in shared directories."""
    patterns = []
    for root in roots:
        directory = workflows.directory(root)
        if directory is not None:
            patterns.append(os.path.join(directory, workflows.PATTERN))
    return patterns


def matching(pattern):
    """Regular files (not symlinks) matching ``<dir>/<pattern>`` on disk, sorted; never a subdirectory's."""
    directory, name_pattern = os.path.split(pattern)
    if not os.path.isdir(directory):
        return []
    out = []
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        if fnmatch.fnmatchcase(name, name_pattern) and os.path.isfile(path) and not os.path.islink(path):
            out.append(path)
    return out


def managed_locations(roots, user_settings=None, extra_files=None):
    """(directories, files) whose contents a snapshot covers.

    ``files`` includes the ``kiro-*.yml`` workflows that exist now in each workspace's
    ``.github/workflows`` (see ``managed_patterns``), not the directory's other files.
    """
    directories, files = [], []
    for root in roots:
        directories.extend(root.join(sub) for sub in KIRO_SUBDIRS)
        if root.scope == "workspace":
            files.append(os.path.join(root.workspace, ".vscode", "settings.json"))
    for pattern in managed_patterns(roots):
        files.extend(matching(pattern))
    if user_settings:
        files.append(os.path.expanduser(user_settings))
    files.extend(extra_files or [])
    return directories, files


def collect(roots, user_settings=None, extra_files=None):
    """Return (entries, scanned) where entries map path -> (bytes, mode)."""
    directories, files = managed_locations(roots, user_settings, extra_files)
    patterns = managed_patterns(roots)
    entries = {}
    for directory in directories:
        if not os.path.isdir(directory):
            continue
        for base, dirnames, filenames in os.walk(directory):
            dirnames.sort()
            for name in sorted(filenames):
                path = os.path.join(base, name)
                if os.path.islink(path) or not os.path.isfile(path):
                    continue
                data = changeset.read_bytes(path)
                entries[path] = (data, fileio.current_mode(path))
    for path in files:
        if os.path.isfile(path):
            entries[path] = (changeset.read_bytes(path), fileio.current_mode(path))
    return entries, {"directories": directories, "files": files, "patterns": patterns}


def digest(entries):
    hasher = hashlib.sha256()
    for path in sorted(entries):
        data, mode = entries[path]
        hasher.update(("%s\0%s\0%o\n" % (path, sha256(data), mode)).encode("utf-8"))
    return hasher.hexdigest()


def _manifests(snapshot_dir):
    if not os.path.isdir(snapshot_dir):
        return []
    out = []
    for entry in sorted(os.listdir(snapshot_dir)):
        if entry.endswith(MANIFEST_SUFFIX):
            with open(os.path.join(snapshot_dir, entry)) as handle:
                try:
                    out.append(json.load(handle))
                except ValueError:
                    continue
    out.sort(key=lambda m: (m.get("created", ""), m.get("id", "")))
    return out


def summary(manifest):
    return {"id": manifest["id"], "created": manifest["created"], "digest": manifest["digest"],
            "label": manifest.get("label"), "files": len(manifest["files"])}


def list_snapshots(snapshot_dir):
    return [{"id": m["id"], "created": m["created"], "digest": m["digest"], "label": m.get("label"),
             "files": len(m["files"]), "archive": os.path.join(snapshot_dir, m["id"] + ARCHIVE_SUFFIX)}
            for m in _manifests(snapshot_dir)]


def latest(snapshot_dir):
    manifests = _manifests(snapshot_dir)
    return manifests[-1] if manifests else None


def create(roots, snapshot_dir, label=None, keep=20, user_settings=None, extra_files=None,
           check_mode=False, now=None):
    """Take a snapshot unless the newest one already holds exactly these bytes.

    Returns (changed, manifest, removed_ids).
    """
    entries, scanned = collect(roots, user_settings, extra_files)
    current = digest(entries)
    newest = latest(snapshot_dir)
    if newest is not None and newest.get("digest") == current:
        return False, newest, []
    now = now or clock.now()
    # Microseconds in the id: two snapshots of one second must not share a name.
    snap_id = "%s-%s" % (clock.compact(now, precise=True), current[:12])
    manifest = {
        "id": snap_id, "created": clock.iso(now), "digest": current, "label": label,
        "scanned": scanned,
        "files": [{"path": path, "sha256": sha256(data), "size": len(data), "mode": "%04o" % mode}
                  for path, (data, mode) in sorted(entries.items())],
    }
    if check_mode:
        return True, manifest, []
    if not os.path.isdir(snapshot_dir):
        os.makedirs(snapshot_dir, 0o700)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        _add(tar, "manifest.json", json.dumps(manifest, indent=2).encode("utf-8"))
        for path, (data, _unused) in sorted(entries.items()):
            _add(tar, "files" + path, data)
    with _writer_lock(snapshot_dir):
        sweep_interrupted(snapshot_dir)
        fileio.atomic_write(os.path.join(snapshot_dir, snap_id + ARCHIVE_SUFFIX), buf.getvalue(), fileio.SECRET_MODE)
        fileio.atomic_write(os.path.join(snapshot_dir, snap_id + MANIFEST_SUFFIX),
                            json.dumps(manifest, indent=2).encode("utf-8"), fileio.SECRET_MODE)
        removed = prune_old(snapshot_dir, keep)
    return True, manifest, removed


@contextlib.contextmanager
def _writer_lock(snapshot_dir):
    """One snapshot writer per directory at a time (a lockdown may run beside a rollout)."""
    fd = os.open(os.path.join(snapshot_dir, LOCK_FILE), os.O_RDWR | os.O_CREAT, fileio.SECRET_MODE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def sweep_interrupted(snapshot_dir):
    """Remove what a killed snapshot left: temp files, and an archive whose manifest was never written.

    Called under the writer lock, so no other snapshot is being written. Returns the paths removed.
    """
    def left_behind(name, names):
        orphan = name.endswith(ARCHIVE_SUFFIX) and name[:-len(ARCHIVE_SUFFIX)] + MANIFEST_SUFFIX not in names
        return (name.startswith(".") and name.endswith(".tmp")) or orphan

    return fileio.remove_matching(snapshot_dir, left_behind)


def _add(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


def prune_old(snapshot_dir, keep):
    if not keep or keep <= 0:
        return []
    manifests = _manifests(snapshot_dir)
    removed = []
    for manifest in manifests[:-keep]:
        for suffix in (ARCHIVE_SUFFIX, MANIFEST_SUFFIX):
            path = os.path.join(snapshot_dir, manifest["id"] + suffix)
            if os.path.exists(path):
                os.unlink(path)
        removed.append(manifest["id"])
    return removed


def load(snapshot_dir, snap_id=None):
    """Return (manifest, {path: bytes}) with every file's sha256 verified."""
    if snap_id in (None, "", "latest"):
        newest = latest(snapshot_dir)
        if newest is None:
            raise KiroValidationError("snapshot", "no snapshot in %s to restore" % snapshot_dir)
        snap_id = newest["id"]
    archive = os.path.join(snapshot_dir, snap_id + ARCHIVE_SUFFIX)
    if not os.path.isfile(archive):
        raise KiroValidationError("snapshot %s" % snap_id, "archive %s not found" % archive)
    with tarfile.open(archive, "r:gz") as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read().decode("utf-8"))
        blobs = {}
        for entry in manifest["files"]:
            data = tar.extractfile("files" + entry["path"]).read()
            if sha256(data) != entry["sha256"]:
                raise KiroError("%s: %s does not match its sha256 in the manifest; the archive is damaged"
                                % (archive, entry["path"]))
            blobs[entry["path"]] = data
    return manifest, blobs


def restore_plan(snapshot_dir, snap_id=None, prune=False):
    """FileChanges that put back exactly the snapshot's bytes and modes.

    Files that exist now but did not when the snapshot was taken are removed
    only with ``prune`` (and only inside the directories the snapshot scanned, or
    matching its patterns: in ``.github/workflows`` only ``kiro-*.yml``).
    """
    manifest, blobs = load(snapshot_dir, snap_id)
    changes = []
    for entry in manifest["files"]:
        path = entry["path"]
        changes.append(changeset.FileChange(path, changeset.read_bytes(path), blobs[path], mode=int(entry["mode"], 8),
                                            items=[manifest["id"]]))
    if prune:
        known = set(blobs)
        scanned = manifest.get("scanned") or {}
        for directory in scanned.get("directories", []):
            if not os.path.isdir(directory):
                continue
            for base, _unused, filenames in os.walk(directory):
                for name in sorted(filenames):
                    path = os.path.join(base, name)
                    if path not in known and os.path.isfile(path) and not os.path.islink(path):
                        changes.append(changeset.FileChange(path, changeset.read_bytes(path), None, items=[manifest["id"]]))
        for path in scanned.get("files", []):
            if path not in known and os.path.isfile(path):
                changes.append(changeset.FileChange(path, changeset.read_bytes(path), None, items=[manifest["id"]]))
        listed = set(change.path for change in changes)
        for pattern in scanned.get("patterns", []):
            for path in matching(pattern):
                if path not in known and path not in listed:
                    listed.add(path)
                    changes.append(changeset.FileChange(path, changeset.read_bytes(path), None, items=[manifest["id"]]))
    return manifest, changes
