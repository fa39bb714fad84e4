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
import zlib

from ansible_collections.kiro.platform.plugins.module_utils.common import clock, fileio
from ansible_collections.kiro.platform.plugins.module_utils.common.errors import UnsafePath
from ansible_collections.kiro.platform.plugins.module_utils.kiro import changeset, workflows
from ansible_collections.kiro.platform.plugins.module_utils.kiro.errors import ArchiveRefused, KiroError, KiroValidationError

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
    """Return (entries, scanned) where entries map path -> (bytes, mode).

    Only regular files reached without a link below their root are taken (see
    changeset.Confined): a linked ``.kiro`` or ``steering`` holds nothing of ours.
    """
    directories, files = managed_locations(roots, user_settings, extra_files)
    patterns = managed_patterns(roots)
    entries = {}
    with changeset.Confined(roots):
        for directory in directories:
            if os.path.isdir(directory):
                for base, dirnames, filenames in os.walk(directory):
                    dirnames.sort()
                    for name in sorted(filenames):
                        _take(entries, os.path.join(base, name))
        for path in files:
            _take(entries, path)
    return entries, {"directories": directories, "files": files, "patterns": patterns,
                     "roots": sorted(set(root.boundary for root in roots))}


def _take(entries, path):
    try:
        data = changeset.read_bytes(path)
    except UnsafePath:
        return
    if data is not None:
        entries[path] = (data, fileio.current_mode(path))


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
            with open(os.path.join(snapshot_dir, entry), "rb") as handle:
                try:
                    manifest = json.loads(handle.read().decode("utf-8"))
                except ValueError:
                    continue
            # A sidecar that is not a manifest is not a snapshot (the archive is checked on restore).
            if isinstance(manifest, dict) and isinstance(manifest.get("id"), str) and isinstance(manifest.get("files"), list):
                manifest.setdefault("created", "")
                manifest.setdefault("digest", "")
                out.append(manifest)
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
    fileio.make_dirs(snapshot_dir, 0o700)
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
    fd = os.open(os.path.join(snapshot_dir, LOCK_FILE), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, fileio.SECRET_MODE)
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


def _archive_error(archive, member, detail):
    return ArchiveRefused(archive, member, detail)


def _clean_path(value):
    """True for an absolute, normalised path without ``..`` (what collect records)."""
    return (isinstance(value, str) and value.startswith(os.sep) and os.path.normpath(value) == value
            and value != os.sep and ".." not in value.split(os.sep) and "\0" not in value)


def _members(tar, archive):
    """{name: TarInfo} of an archive made only of regular files named as create() names them."""
    members = {}
    for info in tar.getmembers():
        name = info.name
        if name in members:
            raise _archive_error(archive, name, "appears twice")
        if not info.isreg():
            raise _archive_error(archive, name, "is a %s, not a regular file" % _kind(info))
        if info.mode & 0o7000:
            raise _archive_error(archive, name, "has mode %04o (setuid, setgid or sticky)" % info.mode)
        if name != "manifest.json" and not (name.startswith("files/") and _clean_path(name[len("files"):])):
            raise _archive_error(archive, name, "is not manifest.json nor files/<absolute path> (an absolute "
                                                "name, '..' or an unknown member)")
        members[name] = info
    if "manifest.json" not in members:
        raise _archive_error(archive, None, "it has no manifest.json")
    return members


def _kind(info):
    for test, kind in ((info.issym, "symbolic link"), (info.islnk, "hard link"), (info.isdir, "directory"),
                       (info.ischr, "character device"), (info.isblk, "block device"), (info.isfifo, "FIFO")):
        if test():
            return kind
    return "special member"


def _manifest(tar, members, archive):
    try:
        manifest = json.loads(tar.extractfile(members["manifest.json"]).read().decode("utf-8"))
    except ValueError as exc:
        raise _archive_error(archive, "manifest.json", "is not JSON (%s)" % exc)
    if not isinstance(manifest, dict) or not isinstance(manifest.get("id"), str) or not isinstance(manifest.get("files"), list):
        raise _archive_error(archive, "manifest.json", "is not a snapshot manifest (no id or files list)")
    scanned = manifest.get("scanned") or {}
    if not isinstance(scanned, dict):
        raise _archive_error(archive, "manifest.json", "scanned is not an object")
    for key in ("directories", "files", "patterns", "roots"):
        values = scanned.get(key) or []
        if not isinstance(values, list) or not all(_clean_path(v) for v in values):
            raise _archive_error(archive, "manifest.json", "scanned %s must be absolute paths without '..': %r"
                                 % (key, values))
    for directory in scanned.get("directories") or []:
        if os.path.basename(directory) not in KIRO_SUBDIRS:
            raise _archive_error(archive, "manifest.json", "scanned directory %s is not one a snapshot takes (%s)"
                                 % (directory, ", ".join(KIRO_SUBDIRS)))
    for pattern in scanned.get("patterns") or []:
        if not pattern.endswith(os.sep + os.path.join(workflows.RELDIR, workflows.PATTERN)):
            raise _archive_error(archive, "manifest.json", "scanned pattern %s is not a workflows pattern" % pattern)
    return manifest


def _covered(path, scanned):
    """True when ``path`` lies where the snapshot looked: a scanned directory, file or pattern."""
    if path in (scanned.get("files") or []):
        return True
    if any(path.startswith(directory + os.sep) for directory in scanned.get("directories") or []):
        return True
    return any(os.path.dirname(path) == os.path.dirname(pattern)
               and fnmatch.fnmatchcase(os.path.basename(path), os.path.basename(pattern))
               for pattern in scanned.get("patterns") or [])


def _entry(entry, members, scanned, archive):
    if not isinstance(entry, dict) or not _clean_path(entry.get("path")):
        raise _archive_error(archive, "manifest.json", "file entry %r has no absolute path without '..'" % (entry,))
    path = entry["path"]
    member = "files" + path
    try:
        mode = int(entry.get("mode"), 8)
    except (TypeError, ValueError):
        raise _archive_error(archive, member, "manifest mode %r is not an octal mode" % (entry.get("mode"),))
    if mode & ~0o777:
        raise _archive_error(archive, member, "manifest mode %04o has setuid, setgid or sticky bits" % mode)
    if not isinstance(entry.get("sha256"), str):
        raise _archive_error(archive, member, "manifest entry has no sha256")
    if member not in members:
        raise _archive_error(archive, member, "is in the manifest but not in the archive")
    if not _covered(path, scanned):
        raise _archive_error(archive, member, "%s is outside the directories, files and patterns the snapshot "
                                              "scanned" % path)
    return path, mode


def load(snapshot_dir, snap_id=None):
    """Return (manifest, {path: bytes}) with every file's sha256 verified.

    The archive is refused as a whole (ArchiveRefused, naming it and the member at
    fault) unless it holds only regular files named ``files/<absolute path>``,
    without ``..``, setuid, setgid or sticky bits, exactly the manifest's files, each
    inside the locations the snapshot scanned (which must be Kiro's directories and
    workflow patterns).
    """
    if snap_id in (None, "", "latest"):
        newest = latest(snapshot_dir)
        if newest is None:
            raise KiroValidationError("snapshot", "no snapshot in %s to restore" % snapshot_dir)
        snap_id = newest["id"]
    if not isinstance(snap_id, str) or os.sep in snap_id or snap_id.startswith("."):
        raise KiroValidationError("id", "%r is not a snapshot id (operation=list shows them)" % (snap_id,))
    archive = os.path.join(snapshot_dir, snap_id + ARCHIVE_SUFFIX)
    if not os.path.isfile(archive) or os.path.islink(archive):
        raise KiroValidationError("snapshot %s" % snap_id, "archive %s not found" % archive)
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members = _members(tar, archive)
            manifest = _manifest(tar, members, archive)
            scanned = manifest.get("scanned") or {}
            blobs = {}
            for entry in manifest["files"]:
                path, _unused = _entry(entry, members, scanned, archive)
                if path in blobs:
                    raise _archive_error(archive, "files" + path, "is listed twice in the manifest")
                data = tar.extractfile(members["files" + path]).read()
                if sha256(data) != entry["sha256"]:
                    raise KiroError("%s: %s does not match its sha256 in the manifest; the archive is damaged"
                                    % (archive, entry["path"]))
                blobs[path] = data
            extra = sorted(name for name in members if name != "manifest.json" and name[len("files"):] not in blobs)
            if extra:
                raise _archive_error(archive, extra[0], "is in the archive but not in its manifest")
    except (tarfile.TarError, EOFError, zlib.error) as exc:
        raise _archive_error(archive, None, "it is not a readable tar.gz (%s)" % exc)
    return manifest, blobs


def bounds(manifest, roots=None):
    """The boundaries (see changeset.Confined) of a snapshot's files: the roots it was taken
    from (for a manifest without them, the parents of its scanned directories) and ``roots``."""
    scanned = manifest.get("scanned") or {}
    found = set(scanned.get("roots") or [])
    if not found:
        for directory in scanned.get("directories") or []:
            parent = os.path.dirname(directory)
            found.add(os.path.dirname(parent) if os.path.basename(parent) == changeset.KIRO_DIR else parent)
    found.update(root.boundary for root in roots or [])
    return sorted(found)


def restore_plan(snapshot_dir, snap_id=None, prune=False, roots=None):
    """A Plan of the FileChanges that put back exactly the snapshot's bytes and modes.

    Files that exist now but did not when the snapshot was taken are removed
    only with ``prune`` (and only inside the directories the snapshot scanned, or
    matching its patterns: in ``.github/workflows`` only ``kiro-*.yml``). Nothing
    is read or written through a link below a root the snapshot was taken from, or
    below one of ``roots`` (the task's; see changeset.Confined). Returns (manifest, plan).
    """
    manifest, blobs = load(snapshot_dir, snap_id)
    plan = changeset.Plan(bounds(manifest, roots))
    with changeset.Confined(plan.roots):
        _restore(manifest, blobs, plan, prune)
    return manifest, plan


def _restore(manifest, blobs, plan, prune):
    changes = plan.changes
    for entry in manifest["files"]:
        path = entry["path"]
        changes.append(changeset.FileChange(path, changeset.read_bytes(path), blobs[path], mode=int(entry["mode"], 8),
                                            items=[manifest["id"]]))
    if prune:
        known = set(blobs)
        scanned = manifest.get("scanned") or {}
        for directory in scanned.get("directories", []):
            if fileio.list_dir(directory, changeset.boundary(os.path.join(directory, "_"))) is None:
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
