# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The local ledger backend: ``<directory>/<environment>.jsonl`` and ``<environment>.lock``,
anchored by ``<head_dir>/<environment>.head.json`` (by default ``<directory>-head``, a
sibling directory; put it where the ledger's writers cannot rewrite it unseen).

Writers serialise on an exclusive flock of ``<environment>.jsonl.flock`` (readers take
it shared), read the last entry, and append the new line with one ``os.write`` on an
O_APPEND descriptor followed by fsync: a crash leaves the whole line or nothing, except
on a torn write (full disk, power loss), which the next read reports and the next
append moves aside. The head is rewritten (atomically) after each append, under the same
flock.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import errno
import fcntl
import json
import os

from ansible_collections.kiro.platform.plugins.module_utils.common import clock
from ansible_collections.kiro.platform.plugins.module_utils.common import fileio
from ansible_collections.kiro.platform.plugins.module_utils.common.fileio import atomic_write, read_bytes
from ansible_collections.kiro.platform.plugins.module_utils.ledger import anchor as anchor_mod
from ansible_collections.kiro.platform.plugins.module_utils.ledger import entries as model
from ansible_collections.kiro.platform.plugins.module_utils.ledger.base import LedgerBase
from ansible_collections.kiro.platform.plugins.module_utils.ledger.entries import LedgerError

DIR_MODE = 0o750
FILE_MODE = 0o640


class LocalLedger(LedgerBase):

    def __init__(self, directory, environment, signer, head_dir=None):
        LedgerBase.__init__(self, environment, signer)
        self.directory = os.path.abspath(directory)
        self.path = os.path.join(self.directory, "%s.jsonl" % environment)
        self.flock_path = self.path + ".flock"
        self.lock_path = os.path.join(self.directory, "%s.lock" % environment)
        self.head_dir = os.path.abspath(head_dir) if head_dir else self.directory.rstrip(os.sep) + "-head"
        if self.head_dir == self.directory:
            raise LedgerError("head_dir: the head must be kept apart from the ledger, not in %s" % self.directory)
        self.head_path = os.path.join(self.head_dir, "%s.head.json" % environment)
        self.location = self.path
        self.head_location = self.head_path

    # --- files ----------------------------------------------------------------

    # Every file is opened through common/fileio below its directory (the ledger's, the head's):
    # a ledger file, lock, flock or torn-aside name that is a symbolic link is refused, naming
    # it, and nothing is read or written through it.

    def _open(self, path, flags, root=None):
        return fileio.open_file(path, flags, FILE_MODE, root=root or self.directory)

    def _ensure_directory(self):
        if not os.path.isdir(self.directory):
            fileio.make_dirs(self.directory, DIR_MODE)

    @contextlib.contextmanager
    def _flock(self, exclusive):
        if exclusive:
            self._ensure_directory()
            fd = self._open(self.flock_path, os.O_RDWR | os.O_CREAT)
        else:
            try:
                fd = self._open(self.flock_path, os.O_RDONLY)
            except (IOError, OSError) as exc:
                if exc.errno != errno.ENOENT:
                    raise
                # Nobody has ever written here: there is nothing to be consistent with.
                yield
                return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def _load(self):
        data = read_bytes(self.path, root=self.directory)
        self.exists = data is not None
        data = data or b""
        head = read_bytes(self.head_path, root=self.head_dir)
        self.head = None if head is None else anchor_mod.parse_head(head, self.head_path)
        entries, torn = model.parse_lines(data, source=self.path)
        self.torn = torn
        self.warnings = [model.torn_warning(torn, self.path)] if torn else []
        return data, entries, torn

    def _set_torn_tail_aside(self, data, torn):
        """Keep the torn bytes as evidence beside the ledger, then cut them off it."""
        stamp = clock.compact(precise=True)
        for attempt in range(100):
            target = "%s.torn-%s%s" % (self.path, stamp, "" if attempt == 0 else ".%d" % attempt)
            try:
                fd = self._open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
                break
            except (IOError, OSError) as exc:
                if exc.errno != errno.EEXIST:
                    raise
        else:
            raise LedgerError("%s: cannot find a free name to set the torn last line aside" % self.path)
        try:
            os.write(fd, torn["data"])
            os.fsync(fd)
        finally:
            os.close(fd)
        fd = self._open(self.path, os.O_RDWR)
        try:
            os.ftruncate(fd, torn["offset"])
            os.fsync(fd)
        finally:
            os.close(fd)
        torn["moved_to"] = target
        self.warnings = [model.torn_warning(torn, self.path)]
        return data[:torn["offset"]]

    def _write_line(self, line):
        created = not os.path.lexists(self.path)
        fd = self._open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        try:
            if created:
                os.fchmod(fd, FILE_MODE)
            written = os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)
        if written != len(line):
            raise LedgerError("%s: only %d of %d bytes of the new entry were written (disk full?); the next "
                              "append sets the torn line aside" % (self.path, written, len(line)))
        if created:
            dir_fd = os.open(self.directory, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)

    # --- entries --------------------------------------------------------------

    def read(self):
        """The entries, oldest first. ``warnings`` says when a torn last line was left out."""
        with self._flock(exclusive=False):
            return self._load()[1]

    def append(self, phase, event, actor, run_id, details=None, report_sha256=None, now=None):
        """Append one signed entry and return it; refused (ChainBroken) when the ledger does not verify."""
        with self._flock(exclusive=True):
            return self._append_locked(phase, event, actor, run_id, details, report_sha256, now)

    def _write_head(self, entry):
        if not os.path.isdir(self.head_dir):
            fileio.make_dirs(self.head_dir, DIR_MODE)
        atomic_write(self.head_path, anchor_mod.head_bytes(anchor_mod.head_record(entry, self.signer)), FILE_MODE)

    def _append_locked(self, phase, event, actor, run_id, details, report_sha256, now):
        data, entries, torn = self._load()
        entry = self._next(entries, phase, event, actor, run_id, details, report_sha256, now)
        if torn:
            data = self._set_torn_tail_aside(data, torn)
        # A last line someone saved without its newline must not be glued to ours.
        prefix = b"\n" if data and not data.endswith(b"\n") else b""
        self._write_line(prefix + model.to_line(entry))
        self._write_head(entry)
        return entry

    def migrate(self, actor, run_id, reason, now=None):
        """Sign an unsigned (legacy) ledger after verifying its chain; records ledger_migrated."""
        with self._flock(exclusive=True):
            data, entries, torn = self._load()
            if torn:
                raise LedgerError(model.torn_warning(torn, self.path) + "; repair it before migrating")
            migrated, entry = self.plan_migration(entries, actor, run_id, reason, now)
            # The old bytes are kept beside it: the migration is a rewrite, and the ledger is evidence.
            atomic_write("%s.unsigned-%s" % (self.path, clock.compact(precise=True)), data, FILE_MODE)
            atomic_write(self.path, b"".join(model.to_line(e) for e in migrated), FILE_MODE)
            self._write_head(entry)
            return entry

    # --- the run lock ---------------------------------------------------------

    def current_lock(self):
        """The lock record, or None when the environment is not locked."""
        data = read_bytes(self.lock_path, root=self.directory)
        return None if data is None else model.parse_lock(data, self.lock_path)

    def _create_lock(self, record):
        try:
            fd = self._open(self.lock_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
        except (IOError, OSError) as exc:
            if exc.errno == errno.EEXIST:
                raise LedgerError("%s appeared while the lock was being taken; run again" % self.lock_path)
            raise
        try:
            os.write(fd, json.dumps(record, sort_keys=True).encode("utf-8") + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)

    def lock(self, run_id, holder, ttl_seconds, break_lock=False, now=None, host=None, pid=None):
        """Take (or, for the same run_id, extend) the environment's run lock.

        ``host`` and ``pid`` name the holder's process (default: this one), so that a lock
        left by a killed run can be broken. Returns the lock record with ``status``
        (acquired, extended, broken) and ``previous`` (the lock that was broken). Raises
        LockHeld when another run holds it.
        """
        with self._flock(exclusive=True):
            existing = self.current_lock()
            action = model.decide_lock(existing, self.environment, run_id, break_lock=break_lock, now=now)
            record = model.lock_record(run_id, holder, ttl_seconds, now=now, host=host, pid=pid,
                                       acquired=existing["acquired"] if action == "extend" else None)
            if action == "acquire":
                self._create_lock(record)
            else:
                if action == "break":
                    # Recorded first: a lock is never broken without the ledger saying so.
                    self._append_locked(None, "lock_broken", holder, run_id, model.broken_details(existing, now), None,
                                        now)
                atomic_write(self.lock_path, json.dumps(record, sort_keys=True).encode("utf-8") + b"\n", FILE_MODE)
        return dict(record, status={"acquire": "acquired", "extend": "extended", "break": "broken"}[action],
                    previous=existing if action == "break" else None)

    def unlock(self, run_id):
        """Remove the lock if ``run_id`` holds it (True); False when there is none; LedgerError if it is another's."""
        with self._flock(exclusive=True):
            if not model.check_unlock(self.current_lock(), self.environment, run_id):
                return False
            fileio.unlink(self.lock_path, root=self.directory)
            return True
