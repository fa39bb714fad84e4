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
from ansible_collections.kiro.platform.plugins.module_utils.common.errors import PlatformError
from ansible_collections.kiro.platform.plugins.module_utils.kiro.errors import KiroParseError, KiroValidationError, WriteFailed

# Stack of {path: planned bytes or None}; see Overlay.
_OVERLAYS = []
# Stack of lists of boundary directories; see Confined.
_BOUNDS = []


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


class Confined:
    """Within ``with Confined(roots):`` every read and write of a managed file stays in its root.

    A file's boundary is the outermost root containing it (a workspace, or kiro_home),
    else its own directory (a user_settings file): no symbolic link below the
    boundary is followed, the file's own name included (see ``fileio.open_dir``).
    ``Plan.apply`` confines itself to the plan's roots; reads made while planning are
    confined by the caller (``runner.run_plan``, ``lockdown.run``, snapshot restore).
    """

    def __init__(self, roots_or_paths):
        self.bounds = [os.path.normpath(r.boundary if isinstance(r, Root) else r) for r in roots_or_paths or []]

    def __enter__(self):
        _BOUNDS.append(self.bounds)
        return self

    def __exit__(self, *exc):
        _BOUNDS.remove(self.bounds)


def boundary(path):
    """The directory ``path`` may not leave (see Confined)."""
    path = os.path.normpath(path)
    found = [bound for bounds in _BOUNDS for bound in bounds if path.startswith(bound.rstrip(os.sep) + os.sep)]
    return min(found, key=len) if found else os.path.dirname(path)


def read_bytes(path):
    """Return the bytes of ``path`` or None when it does not exist; never through a link (see Confined)."""
    hit, data = _overlaid(path)
    if hit:
        return data
    return fileio.read_bytes(path, root=boundary(path))


def read_parsed(path, parser):
    """(bytes, parsed) of ``path`` with ``parser(text, path)``, or (None, None) when absent."""
    data = read_bytes(path)
    if data is None:
        return None, None
    return data, parser(decode_text(path, data), path)


def names(directory):
    """File names in ``directory`` (with any active Overlay applied), sorted.

    A directory reached through a link below its root is refused (UnsafePath), so a
    listing never shows, and a purge never deletes, another directory's files.
    """
    found = set(fileio.list_dir(directory, boundary(os.path.join(directory, "_"))) or [])
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


BOM = b"\xef\xbb\xbf"


def decode_text(path, data):
    """UTF-8 text of ``data``; a leading BOM (which editors write and accept) is not part of it."""
    try:
        return data.decode("utf-8-sig")
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
            fileio.unlink(self.path, root=boundary(self.path))
            return
        fileio.atomic_write(self.path, self.after, self.mode, root=boundary(self.path))

    def undo(self, mode):
        """Put ``before`` back (with the file's ``mode`` before apply), or remove a file apply created."""
        if self.before is None:
            fileio.unlink(self.path, root=boundary(self.path))
        else:
            fileio.atomic_write(self.path, self.before, mode, root=boundary(self.path))

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
    if before is not None and before.startswith(BOM) and not after.startswith(BOM):
        # Kept, so the file stays as its editor wrote it (decode_text reads past it).
        after = BOM + after
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


def _reason(exc):
    if isinstance(exc, PlatformError):
        return str(exc)
    where = getattr(exc, "filename", None)
    detail = os.strerror(exc.errno) if getattr(exc, "errno", None) else str(exc)
    return "%s: %s" % (where, detail) if where else detail


def _rolled_back(failed, exc, done):
    """Undo ``done`` ([(change, mode before)]) newest first; the WriteFailed to raise."""
    restored, unrestored = [], []
    for change, mode, made in reversed(done):
        try:
            change.undo(mode)
            restored.append(change.path)
        except (OSError, IOError, PlatformError) as undo_exc:
            unrestored.append({"path": change.path, "msg": _reason(undo_exc)})
        _remove_dirs(made)
    return WriteFailed(failed.path, _reason(exc), [failed.path] + [entry[0].path for entry in done],
                       restored, unrestored)


def _missing_dirs(path):
    """The directories a write of ``path`` will make, deepest first."""
    missing = []
    directory = os.path.dirname(path)
    while not os.path.lexists(directory) and os.path.dirname(directory) != directory:
        missing.append(directory)
        directory = os.path.dirname(directory)
    return missing


def _remove_dirs(made):
    for directory in made:
        try:
            os.rmdir(directory)
        except OSError:
            pass  # not empty (another file of the plan), or already gone


KIRO_DIR = ".kiro"


class Root:
    """A directory laid out like ``.kiro/``: a workspace's or the user's kiro_home.

    ``boundary`` is the directory no write for this root may leave: the workspace
    (so its ``.kiro``, ``.vscode`` and ``.github`` are checked too), or kiro_home.
    """

    def __init__(self, path, scope, workspace=None):
        self.path = path
        self.scope = scope  # "workspace" or "user"
        self.workspace = workspace
        self.boundary = workspace if scope == "workspace" else path

    def join(self, *parts):
        return os.path.join(self.path, *parts)

    def __repr__(self):
        return "Root(%r, %r)" % (self.path, self.scope)


def _variable(index):
    return "kiro_workspaces[%d]" % index


def _inside(path, other):
    return path == other or path.startswith(other.rstrip(os.sep) + os.sep)


def workspace_roots(workspaces, create=False):
    """Validate the workspace list and return their ``.kiro`` roots.

    Refused before anything is read or written: ``/`` (every file of the host would
    be inside it), and a workspace inside another listed one, links resolved (the
    outer one's purge and snapshot would cover the inner one's files).
    """
    roots = []
    seen = {}
    for index, workspace in enumerate(workspaces or []):
        if not isinstance(workspace, str) or not workspace:
            raise KiroValidationError(_variable(index), "must be a non-empty path")
        workspace = os.path.expanduser(workspace)
        if not os.path.isabs(workspace):
            raise KiroValidationError(_variable(index), "%r must be an absolute path" % workspace)
        workspace = os.path.normpath(workspace)
        real = os.path.realpath(workspace)
        if real == os.sep:
            how = "" if workspace == real else " (a link to /)"
            raise KiroValidationError(_variable(index), "%s is the root directory%s; a workspace is one project's "
                                      "checkout (fix kiro_workspaces)" % (workspace, how))
        for other, (other_index, other_real) in seen.items():
            if real == other_real:
                raise KiroValidationError(_variable(index), "%s is listed twice (as %s in %s)"
                                          % (workspace, other, _variable(other_index)))
            if _inside(real, other_real) or _inside(other_real, real):
                inner, outer = (index, other_index) if _inside(real, other_real) else (other_index, index)
                raise KiroValidationError(_variable(index), "%s is inside %s (%s is inside %s, links resolved); "
                                          "nested workspaces are not managed, list only one of them"
                                          % (_variable(inner), _variable(outer),
                                             (workspace, other)[inner != index], (workspace, other)[outer != index]))
        seen[workspace] = (index, real)
        if not os.path.isdir(workspace):
            if not create:
                raise KiroValidationError(
                    _variable(index),
                    "workspace %s does not exist (create it, fix kiro_workspaces, or set create=true)" % workspace)
        roots.append(Root(os.path.join(workspace, KIRO_DIR), "workspace", workspace))
    return roots


def home_root(kiro_home):
    if not kiro_home:
        return None
    path = os.path.normpath(os.path.expanduser(kiro_home))
    if not os.path.isabs(path):
        raise KiroValidationError("kiro_home", "%r must be an absolute path (or start with ~)" % kiro_home)
    if os.path.realpath(path) == os.sep:
        raise KiroValidationError("kiro_home", "%s is the root directory; kiro_home is the user's .kiro" % path)
    return Root(path, "user")


def roots_for(workspaces, kiro_home=None, create=False):
    """The roots of a task; a workspace whose ``.kiro`` is kiro_home (or holds it, or lies in it,
    links resolved) is refused: one file would belong to two roots."""
    roots = workspace_roots(workspaces, create=create)
    home = home_root(kiro_home)
    if home is not None:
        home_real = os.path.realpath(home.path)
        for index, root in enumerate(roots):
            kiro_real = os.path.realpath(root.path)
            if _inside(kiro_real, home_real) or _inside(home_real, kiro_real):
                raise KiroValidationError(
                    "kiro_home", "%s %s %s, the .kiro of %s (%s), links resolved; the user's Kiro home cannot be a "
                    "workspace's .kiro: fix kiro_home or kiro_workspaces"
                    % (home.path, "is" if kiro_real == home_real else "overlaps", root.path, _variable(index),
                       root.workspace))
        roots.append(home)
    return roots


class Plan:
    """Every change of a task; ``roots`` are the boundaries its writes must stay in (see Confined)."""

    def __init__(self, roots=None):
        self.changes = []
        self.roots = list(roots or [])

    def add(self, change):
        self.changes.append(change)
        return change

    def extend(self, changes):
        if isinstance(changes, Plan):
            self.roots.extend(changes.roots)
        for change in changes:
            self.add(change)

    def __iter__(self):
        return iter(self.changes)

    @property
    def changed(self):
        return any(change.changed for change in self.changes)

    def apply(self, check_mode=False):
        """Write every change, or none: a write that fails puts back what this plan wrote.

        The bytes from before are the ones planned (``before``), so nothing is read
        again to undo. Raises WriteFailed naming the path that failed and every
        file touched; its result says what could not be put back (``changed``).
        """
        if check_mode:
            return
        with Confined(self.roots):
            done = []
            for change in self.changes:
                if not change.changed:
                    # A run killed mid-write left its temp file beside a file that is whole.
                    fileio.sweep_temp(change.path)
                    continue
                mode = fileio.current_mode(change.path)
                made = _missing_dirs(change.path)
                try:
                    change.apply()
                except (OSError, IOError, PlatformError) as exc:
                    _remove_dirs(made)
                    raise _rolled_back(change, exc, done)
                done.append((change, mode, made))
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
