# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Writing files so that a reader or a killed run never sees half of one.

Every file the collection writes (Kiro configuration, snapshots, reports, ledgers,
incident records) goes through :func:`atomic_write`: a temp file in the same
directory, fsynced and renamed over the target, the directory fsynced after.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import stat
import tempfile

SECRET_MODE = 0o600
DEFAULT_MODE = 0o644


def dump_json(value, sort_keys=False):
    """JSON bytes in Kiro's own style: two-space indent, a trailing newline, UTF-8 kept.

    ``sort_keys`` gives a canonical form (evidence, manifests); values JSON cannot
    hold (a datetime) are written as their text.
    """
    return (json.dumps(value, indent=2, sort_keys=sort_keys, ensure_ascii=False, default=str) + "\n").encode("utf-8")


def read_bytes(path):
    """The bytes of ``path``, or None when it does not exist."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


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


def make_dirs(path, mode):
    """Create ``path`` and every missing parent with ``mode``, whatever the umask.

    Directories that already exist keep their mode; only the ones made here get ``mode``.
    """
    missing = []
    current = os.path.abspath(path)
    while not os.path.isdir(current):
        missing.append(current)
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    for directory in reversed(missing):
        try:
            os.mkdir(directory, mode)
        except OSError:
            if not os.path.isdir(directory):
                raise
        os.chmod(directory, mode)


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
