# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A change set: every file change of one task, planned before anything is written.

A change is planned first (before/after bytes) and written only once every file of a
task has been planned, so a bad file anywhere stops the task before anything is
written; reads inside an :class:`Overlay` see the planned bytes. Writing goes through
``common.fileio``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

from ansible_collections.kiro.platform.plugins.module_utils.common import fileio, secrets
from ansible_collections.kiro.platform.plugins.module_utils.kiro.errors import KiroParseError, KiroValidationError

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
    return fileio.read_bytes(path)


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


def listing(directory, suffix, prefix=""):
    """(stem, path) of the files ``<prefix><stem><suffix>`` in ``directory`` (stem not empty), sorted."""
    return [(entry[len(prefix):-len(suffix)], os.path.join(directory, entry))
            for entry in names(directory)
            if entry.startswith(prefix) and entry.endswith(suffix) and len(entry) > len(prefix) + len(suffix)]


def purge_except(directory, suffix, keep, prefix=""):
    """FileChanges deleting the files of ``listing(directory, suffix, prefix)`` whose stems are not in ``keep``."""
    return [FileChange(path, read_bytes(path), None, items=[stem])
            for stem, path in listing(directory, suffix, prefix) if stem not in keep]


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
        if self.mode is not None and fileio.current_mode(self.path) != self.mode:
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
        fileio.atomic_write(self.path, self.after, self.mode)

    def diff(self):
        # Secrets never reach a diff: JSON is re-rendered with env/headers masked.
        return {
            "before_header": self.path if self.before is not None else "%s (absent)" % self.path,
            "after_header": self.path if self.after is not None else "%s (absent)" % self.path,
            "before": secrets.diff_text(self.path, self.before),
            "after": secrets.diff_text(self.path, self.after),
        }


def change(path, before, existing, want, render, items, secret=False):
    """The change that makes ``path`` hold ``want``; ``existing`` is ``before`` parsed (or None).

    The bytes stay as they are when the document would not change, so a file is never
    reformatted for nothing. With ``secret``, a document holding env or header values
    gets mode 0600, whether its bytes change or not.
    """
    after = before if existing == want else render(want)
    mode = fileio.SECRET_MODE if secret and secrets.holds_secrets(want) else None
    return FileChange(path, before, after, mode=mode, items=items)


def per_item(directory, suffix, specs, read, desired, render, purge=False, secret=False, prefix=""):
    """The changes of items kept one per file, ``<directory>/<prefix><name><suffix>``.

    ``specs`` are validated (``name``, ``state``); ``read(path)`` gives a file's (bytes,
    parsed). An absent item's file is deleted where it exists, a present one's made to
    hold ``desired(existing, spec)`` (see :func:`change`); with ``purge``, every other
    such file in ``directory`` is deleted.
    """
    changes = []
    for spec in specs:
        path = os.path.join(directory, prefix + spec["name"] + suffix)
        before, existing = read(path)
        if spec["state"] == "absent":
            if before is not None:
                changes.append(FileChange(path, before, None, items=[spec["name"]]))
            continue
        changes.append(change(path, before, existing, desired(existing, spec), render, [spec["name"]], secret))
    if purge:
        changes.extend(purge_except(directory, suffix, set(spec["name"] for spec in specs), prefix))
    return changes


KIRO_DIR = ".kiro"


class Root:
    """A directory laid out like ``.kiro/``: a workspace's or the user's kiro_home."""

    def __init__(self, path, scope, workspace=None):
        self.path = path
        self.scope = scope  # "workspace" or "user"
        self.workspace = workspace

    def join(self, *parts):
        return os.path.join(self.path, *parts)

    def __repr__(self):
        return "Root(%r, %r)" % (self.path, self.scope)


def workspace_roots(workspaces, create=False):
    """Validate the workspace list and return their ``.kiro`` roots."""
    roots = []
    seen = set()
    for index, workspace in enumerate(workspaces or []):
        if not isinstance(workspace, str) or not workspace:
            raise KiroValidationError("workspaces[%d]" % index, "must be a non-empty path")
        workspace = os.path.expanduser(workspace)
        if not os.path.isabs(workspace):
            raise KiroValidationError("workspaces[%d]" % index, "%r must be an absolute path" % workspace)
        workspace = os.path.normpath(workspace)
        if workspace in seen:
            raise KiroValidationError("workspaces[%d]" % index, "%s is listed twice" % workspace)
        seen.add(workspace)
        if not os.path.isdir(workspace):
            if not create:
                raise KiroValidationError(
                    "workspaces[%d]" % index,
                    "workspace %s does not exist (create it, fix kiro_workspaces, or set create=true)" % workspace)
        roots.append(Root(os.path.join(workspace, KIRO_DIR), "workspace", workspace))
    return roots


def home_root(kiro_home):
    if not kiro_home:
        return None
    path = os.path.normpath(os.path.expanduser(kiro_home))
    if not os.path.isabs(path):
        raise KiroValidationError("kiro_home", "%r must be an absolute path (or start with ~)" % kiro_home)
    return Root(path, "user")


def roots_for(workspaces, kiro_home=None, create=False):
    roots = workspace_roots(workspaces, create=create)
    home = home_root(kiro_home)
    if home is not None:
        roots.append(home)
    return roots


class Plan:
    def __init__(self):
        self.changes = []

    def add(self, change):
        self.changes.append(change)
        return change

    def extend(self, changes):
        for change in changes:
            self.add(change)

    @property
    def changed(self):
        return any(change.changed for change in self.changes)

    def apply(self, check_mode=False):
        if check_mode:
            return
        for change in self.changes:
            change.apply()
            fileio.sweep_temp(change.path)

    def files(self):
        return [
            {"path": change.path, "action": change.action, "items": list(change.items)}
            for change in self.changes
        ]

    def diffs(self):
        return [change.diff() for change in self.changes if change.changed]

    def result(self):
        return {
            "changed": self.changed,
            "files": self.files(),
            "changed_files": [change.path for change in self.changes if change.changed],
        }
