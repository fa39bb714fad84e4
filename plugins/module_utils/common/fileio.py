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

import errno
import json
import os
import stat

from ansible_collections.kiro.platform.plugins.module_utils.common.errors import UnsafePath

SECRET_MODE = 0o600
DEFAULT_MODE = 0o644


def dump_json(value, sort_keys=False):
    """JSON bytes in Kiro's own style: two-space indent, a trailing newline, UTF-8 kept.

    ``sort_keys`` gives a canonical form (evidence, manifests); values JSON cannot
    hold (a datetime) are written as their text.
    """
    return (json.dumps(value, indent=2, sort_keys=sort_keys, ensure_ascii=False, default=str) + "\n").encode("utf-8")


def read_bytes(path, root=None):
    """The bytes of ``path``, or None when it does not exist.

    With ``root``, no symbolic link below ``root`` is followed, the file's own name
    included, and only a regular file is read (see :func:`open_dir`).
    """
    if root is None:
        try:
            with open(path, "rb") as handle:
                return handle.read()
        except FileNotFoundError:
            return None
    base, parts, name = _below(path, root)
    try:
        dir_fd = open_dir(base, parts)
    except FileNotFoundError:
        return None
    try:
        try:
            # O_NONBLOCK: a FIFO planted under a managed name must not hang the run.
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | _CLOEXEC, dir_fd=dir_fd)
        except FileNotFoundError:
            return None
        except OSError as exc:
            _refuse_link(exc, dir_fd, name, path, root, kind="file")
            raise
    finally:
        os.close(dir_fd)
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise UnsafePath(path, "is not a regular file; it was not read (move it away and run again)")
        return handle.read()


_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | _CLOEXEC


def _link_target(dir_fd, name):
    try:
        return os.readlink(name, dir_fd=dir_fd)
    except OSError:
        return None


def _refuse_link(exc, dir_fd, name, path, root, kind="directory"):
    """Raise UnsafePath when ``exc`` (from opening ``name`` without following links) met a link."""
    if exc.errno not in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
        return
    target = _link_target(dir_fd, name)
    if target is not None:
        raise UnsafePath(path, "is a symbolic link to %s; nothing below %s is read or written through a "
                               "link (replace the link with a real %s, or stop managing this location)"
                         % (target, root, kind))


def _below(path, root):
    """(existing base, [directory names below it], file name) of ``path`` inside ``root``.

    ``root`` is the boundary the caller named (a workspace, kiro_home, a report
    directory): it and its parents are taken as they are, links included. The
    base is ``root``, or its nearest existing parent when ``root`` is still to be
    made; everything below the base is opened without following links.
    """
    root = os.path.normpath(os.path.abspath(root))
    path = os.path.normpath(os.path.abspath(path))
    if not path.startswith(root.rstrip(os.sep) + os.sep):
        raise UnsafePath(path, "is not inside %s, the directory it must be written in" % root)
    base = root
    while not os.path.isdir(base) and os.path.dirname(base) != base:
        base = os.path.dirname(base)
    parts = path[len(base.rstrip(os.sep)) + 1:].split(os.sep)
    return base, parts[:-1], parts[-1]


def open_dir(base, parts, create_mode=None):
    """A descriptor of ``base/parts...``, each part opened without following a link.

    A part that is a symbolic link raises UnsafePath naming the link and where it
    points, so no write can leave ``base`` through a link, and no later swap of a
    directory for a link (between a check and a write) can either: every step is
    relative to the descriptor of the one before. With ``create_mode``, missing
    parts are made with that mode (whatever the umask); else FileNotFoundError.
    """
    fd = os.open(base, _DIR_FLAGS)
    current = base
    try:
        for part in parts:
            current = os.path.join(current, part)
            try:
                next_fd = os.open(part, _DIR_FLAGS | os.O_NOFOLLOW, dir_fd=fd)
            except FileNotFoundError:
                if create_mode is None:
                    raise
                try:
                    os.mkdir(part, create_mode, dir_fd=fd)
                except FileExistsError:
                    pass
                next_fd = _open_made(fd, part, current, base)
                os.fchmod(next_fd, create_mode)
            except OSError as exc:
                _refuse_link(exc, fd, part, current, base)
                if exc.errno == errno.ENOTDIR:
                    raise NotADirectoryError(exc.errno, "a file is where a directory is expected", current)
                raise
            os.close(fd)
            fd = next_fd
    except BaseException:
        os.close(fd)
        raise
    return fd


def _open_made(fd, part, current, base):
    try:
        return os.open(part, _DIR_FLAGS | os.O_NOFOLLOW, dir_fd=fd)
    except OSError as exc:
        _refuse_link(exc, fd, part, current, base)
        raise


def open_file(path, flags, mode=DEFAULT_MODE, root=None):
    """A descriptor of the regular file ``path`` opened with ``flags`` (``os.O_*``: O_APPEND,
    O_CREAT, O_EXCL, ...), for the files written in place (an append-only log, a lock file).

    Under the same rules as :func:`atomic_write`: ``root`` defaults to the file's own
    directory, no link below it is followed (the file's own name included: a link is
    refused, naming it and its target, and nothing is written through it), and anything but
    a regular file is refused. Missing directories are not made (FileNotFoundError).
    """
    root = root if root is not None else os.path.dirname(os.path.abspath(path))
    base, parts, name = _below(path, root)
    dir_fd = open_dir(base, parts)
    try:
        try:
            # O_NONBLOCK: a FIFO planted under the name must not hang the run (no effect on a file).
            fd = os.open(name, flags | os.O_NOFOLLOW | os.O_NONBLOCK | _CLOEXEC, mode, dir_fd=dir_fd)
        except OSError as exc:
            _refuse_link(exc, dir_fd, name, path, root, kind="file")
            raise
    finally:
        os.close(dir_fd)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise UnsafePath(path, "is not a regular file; it is not opened (move it away and run again)")
    return fd


def current_mode(path):
    """The permission bits of ``path`` itself (of a link, not its target), or None when absent."""
    try:
        return stat.S_IMODE(os.lstat(path).st_mode)
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


def make_dirs(path, mode, root=None):
    """Create ``path`` and every missing parent with ``mode``, whatever the umask.

    Directories that already exist keep their mode; only the ones made here get ``mode``.
    Nothing is made through a link: below ``root`` (default: the nearest existing
    parent of ``path``) every directory is opened without following links.
    """
    path = os.path.normpath(os.path.abspath(path))
    if root is None:
        root = path
        while not os.path.isdir(root) and os.path.dirname(root) != root:
            root = os.path.dirname(root)
    if path == os.path.normpath(os.path.abspath(root)):
        if not os.path.isdir(path):
            raise NotADirectoryError(errno.ENOTDIR, "not a directory", path)
        return
    base, parts, name = _below(path, root)
    os.close(open_dir(base, parts + [name], create_mode=mode))


def list_dir(path, root):
    """Names in the directory ``path`` below ``root`` (None when absent), reached without following a link."""
    base, parts, name = _below(os.path.join(path, "_"), root)
    try:
        fd = open_dir(base, parts)
    except FileNotFoundError:
        return None
    try:
        return os.listdir(fd)
    finally:
        os.close(fd)


def _temp_name(name):
    return ".%s.%s.tmp" % (name, os.urandom(6).hex())


def atomic_write(path, data, mode=None, root=None):
    """Write ``data`` to ``path`` through a temp file in the same directory.

    The temp file is fsynced and renamed over the target, so a reader (or a
    killed run) sees the old bytes or the new ones, never a mix. ``mode`` is
    applied to the new file; None keeps the existing mode (0644 for new files).
    An existing file keeps its owner and group when root rewrites it.

    ``root`` is the directory the file must stay in (default: the file's own
    directory): no symbolic link below it is followed (see :func:`open_dir`),
    missing directories below it are made 0755, and a target that is itself a link
    is refused, never replaced by a file holding the bytes meant for its target.
    """
    base, parts, name = _below(path, root if root is not None else os.path.dirname(os.path.abspath(path)))
    dir_fd = open_dir(base, parts, create_mode=0o755)
    try:
        old = _existing(dir_fd, name, path)
        if mode is None:
            mode = stat.S_IMODE(old.st_mode) if old is not None else DEFAULT_MODE
        while True:
            tmp = _temp_name(name)
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | _CLOEXEC, 0o600, dir_fd=dir_fd)
                break
            except FileExistsError:
                continue
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                if old is not None and os.geteuid() == 0:
                    # The owner the file had, not root's; before fchmod (a chown clears setuid bits).
                    os.fchown(handle.fileno(), old.st_uid, old.st_gid)
                os.fchmod(handle.fileno(), mode)
                os.fsync(handle.fileno())
            # Checked again just before the rename: rename would replace a link itself.
            _existing(dir_fd, name, path)
            os.rename(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        except BaseException:
            try:
                os.unlink(tmp, dir_fd=dir_fd)
            except OSError:
                pass
            raise
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _existing(dir_fd, name, path):
    """The lstat of ``name`` when it is a regular file, None when absent; refuse anything else."""
    try:
        info = os.lstat(name, dir_fd=dir_fd)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(info.st_mode):
        raise UnsafePath(path, "is a symbolic link to %s; it is not replaced or written through (remove the link, "
                               "or put a regular file there, and run again)" % _link_target(dir_fd, name))
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(errno.EISDIR, "a directory is where a file is expected", path)
    if not stat.S_ISREG(info.st_mode):
        raise UnsafePath(path, "is not a regular file; it is not replaced (move it away and run again)")
    return info


def unlink(path, root=None):
    """Delete the regular file ``path`` (absent is fine), under the same rules as :func:`atomic_write`."""
    base, parts, name = _below(path, root if root is not None else os.path.dirname(os.path.abspath(path)))
    try:
        dir_fd = open_dir(base, parts)
    except FileNotFoundError:
        return
    try:
        if _existing(dir_fd, name, path) is not None:
            os.unlink(name, dir_fd=dir_fd)
            os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
