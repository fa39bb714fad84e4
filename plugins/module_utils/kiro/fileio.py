# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading and atomically writing files, and planning file changes.

A change is planned first (before/after bytes) and written only once every
file of a task has been planned, so a bad file anywhere stops the task before
anything is written.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import stat
import tempfile

from ansible_collections.kiro.platform.plugins.module_utils.kiro import redact
from ansible_collections.kiro.platform.plugins.module_utils.kiro.errors import KiroParseError

SECRET_MODE = 0o600
DEFAULT_MODE = 0o644


# Stack of {path: planned bytes or None}; see Overlay.
_OVERLAYS = []


class Overlay:
    """Within ``with Overlay(changes):`` reads see the planned bytes, not the disk's.

    Lets a planned configuration be described (facts) and checked against the
    safety policy exactly as it will be on disk, before anything is written.
    """

    def __init__(self, changes):
        self.files = dict((change.path, change.after) for change in changes)

    def __enter__(self):
        _OVERLAYS.append(self.files)
        return self

    def __exit__(self, *exc):
        _OVERLAYS.remove(self.files)


def _overlaid(path):
    for files in reversed(_OVERLAYS):
        if path in files:
            return True, files[path]
    return False, None


def read_bytes(path):
    """Return the bytes of ``path`` or None when it does not exist."""
    hit, data = _overlaid(path)
    if hit:
        return data
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except (IOError, OSError) as exc:
        if getattr(exc, "errno", None) == 2:
            return None
        raise


def read_parsed(path, parser):
    """(bytes, parsed) of ``path`` with ``parser(text, path)``, or (None, None) when absent."""
    data = read_bytes(path)
    if data is None:
        return None, None
    return data, parser(decode_text(path, data), path)


def names(directory):
    """File names in ``directory`` (with any active Overlay applied), sorted."""
    found = set(os.listdir(directory)) if os.path.isdir(directory) else set()
    for files in _OVERLAYS:
        for path, data in files.items():
            if os.path.dirname(path) == directory:
                if data is None:
                    found.discard(os.path.basename(path))
                else:
                    found.add(os.path.basename(path))
    return sorted(found)


def listing(directory, suffix):
    """(stem, path) of the files in ``directory`` whose names end with ``suffix``, sorted."""
    return [(entry[:-len(suffix)], os.path.join(directory, entry))
            for entry in names(directory) if entry.endswith(suffix)]


def purge(directory, suffix, keep):
    """FileChanges deleting the ``suffix`` files of ``directory`` whose names are not in ``keep``."""
    return [FileChange(path, read_bytes(path), None, items=[stem])
            for stem, path in listing(directory, suffix) if os.path.basename(path) not in keep]


def decode_text(path, data):
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise KiroParseError(path, "not UTF-8 text (%s)" % exc)


def load_json_object(path, text):
    """Parse strict JSON whose top level must be an object."""
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise KiroParseError(path, "invalid JSON: %s" % exc)
    if not isinstance(value, dict):
        raise KiroParseError(path, "the top level must be a JSON object, not %s" % type(value).__name__)
    return value


def dump_json(value):
    """Kiro's own style: two-space indent, a trailing newline, UTF-8 kept."""
    return (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def current_mode(path):
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return None


def sweep_temp(path):
    """Remove the temp files an interrupted atomic_write of ``path`` left behind.

    A run killed between mkstemp and rename leaves ``.<name>.<random>.tmp``; the
    real file is whole either way. Only that pattern, next to ``path``, is removed.
    """
    prefix = ".%s." % os.path.basename(path)
    return remove_matching(os.path.dirname(path) or ".",
                           lambda entry, _entries: entry.startswith(prefix) and entry.endswith(".tmp"))


def remove_matching(directory, matches):
    """Remove each file of ``directory`` for which ``matches(name, all_names)`` holds; return their paths."""
    removed = []
    try:
        entries = os.listdir(directory)
    except OSError:
        return removed
    names = set(entries)
    for entry in sorted(entries):
        if matches(entry, names):
            try:
                os.unlink(os.path.join(directory, entry))
                removed.append(os.path.join(directory, entry))
            except OSError:
                pass
    return removed


def atomic_write(path, data, mode=None):
    """Write ``data`` to ``path`` through a temp file in the same directory.

    The temp file is fsynced and renamed over the target, so a reader (or a
    killed run) sees the old bytes or the new ones, never a mix. ``mode`` is
    applied to the new file; None keeps the existing mode (0644 for new files).
    """
    directory = os.path.dirname(path) or "."
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o755)
    if mode is None:
        mode = current_mode(path)
        if mode is None:
            mode = DEFAULT_MODE
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        os.rename(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class FileChange:
    """One file's planned change: ``after`` None means delete."""

    def __init__(self, path, before, after, mode=None, items=None):
        self.path = path
        self.before = before
        self.after = after
        self.mode = mode
        self.items = items or []

    @property
    def action(self):
        if self.after is None:
            return "deleted" if self.before is not None else "unchanged"
        if self.before is None:
            return "created"
        if self.before != self.after:
            return "updated"
        if self.mode is not None and current_mode(self.path) != self.mode:
            return "updated"
        return "unchanged"

    @property
    def changed(self):
        return self.action != "unchanged"

    def apply(self):
        if not self.changed:
            return
        if self.after is None:
            os.unlink(self.path)
            return
        atomic_write(self.path, self.after, self.mode)

    def diff(self):
        # Secrets never reach a diff: JSON is re-rendered with env/headers masked.
        return {
            "before_header": self.path if self.before is not None else "%s (absent)" % self.path,
            "after_header": self.path if self.after is not None else "%s (absent)" % self.path,
            "before": redact.diff_text(self.path, self.before),
            "after": redact.diff_text(self.path, self.after),
        }
