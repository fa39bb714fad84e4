# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host-local override marker: the kill switch's word on the host itself.

The lockdown writes the marker (one JSON file, 0600, default ``~/.kiro-platform/override.json``)
before it does anything else. Every write that can raise the host again (a profile or a kind
applied, a snapshot restored) checks it at the moment it writes and refuses while an
incident is in it. The check and the write happen under an exclusive ``flock`` of the
marker's directory, which the lockdown takes too to write the marker: a write that started
before the marker finishes before the lockdown goes on (and is then locked down); a write
that starts after it sees the marker. Only ``playbooks/clear_override.yml`` (the lockdown's
``state=cleared``) takes an incident out of the marker.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import errno
import fcntl
import getpass
import json
import os
import time

from ansible_collections.kiro.platform.plugins.module_utils.common import clock, fileio
from ansible_collections.kiro.platform.plugins.module_utils.kiro.errors import KiroError

DEFAULT_MARKER = "~/.kiro-platform/override.json"
# A write waits this long for the lockdown (or another write) to let go of the host lock.
WRITER_WAIT = 30.0
# The lockdown never waits long: after this it writes the marker without the lock (the
# rename is atomic) and says so, since time-to-safe matters more than the serialization.
LOCKDOWN_WAIT = 5.0
_POLL = 0.01


def option():
    """The ``override_marker`` option of every module that writes on a host (a new dict each call)."""
    return {"override_marker": {"type": "path", "default": DEFAULT_MARKER}}


CLEAR_HINT = "playbooks/clear_override.yml -e incident_id=%s -e approver=NAME -e '{\"reason\": \"WHY, in a sentence\"}'"


class OverrideActive(KiroError):
    """A write was refused: the host is under a manual override. ``details`` is for the result."""

    def __init__(self, marker, incidents):
        latest = incidents[-1]
        incident = latest.get("incident_id")
        self.details = {"marker": marker, "incident_id": incident,
                        "incidents": [i.get("incident_id") for i in incidents]}
        super(OverrideActive, self).__init__(
            "refused: this host is under the manual override of incident %s (set %s by %s; marker %s), so nothing "
            "may raise it above the lockdown. Nothing was written. When the incident is over, run %s"
            % (incident, latest.get("set") or "at an unknown time", latest.get("actor") or "an unknown actor",
               marker, CLEAR_HINT % incident), marker)


class MarkerUnusable(KiroError):
    """The marker or its lock could not be read or taken: a write is refused (fail safe)."""


def path_of(marker):
    return os.path.abspath(os.path.expanduser(marker or DEFAULT_MARKER))


def read(marker):
    """The incidents in the marker at ``marker`` (an absolute path), oldest first; [] when there is none."""
    data = fileio.read_bytes(marker)
    if data is None:
        return []
    try:
        doc = json.loads(data.decode("utf-8"))
        incidents = doc["incidents"]
        if not isinstance(incidents, list) or not all(isinstance(i, dict) and i.get("incident_id") for i in incidents):
            raise ValueError("incidents must be a list of objects with an incident_id")
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise MarkerUnusable("%s: the override marker cannot be read (%s); writes are refused until it is fixed. "
                             "Run playbooks/clear_override.yml for the incident, or remove the file once the "
                             "incident is over" % (marker, exc), marker)
    return incidents


@contextlib.contextmanager
def host_lock(marker, wait, create=True):
    """Hold the exclusive flock of the marker's directory; yields whether it is held.

    Yields False when the directory does not exist and ``create`` is false (check mode:
    nothing is written, so there is nothing to serialize) or when ``wait`` ran out.
    """
    directory = os.path.dirname(marker)
    if not os.path.isdir(directory):
        if not create:
            yield False
            return
        fileio.make_dirs(directory, 0o700)
    fd = os.open(directory, os.O_RDONLY)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except (IOError, OSError) as exc:
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    yield False
                    return
                time.sleep(_POLL)
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextlib.contextmanager
def guard(marker, check_mode=False, wait=WRITER_WAIT):
    """Refuse (OverrideActive) while the host is under an override; else hold the host lock for the write.

    Wrap the whole plan-and-write of a task in it. In check mode the marker is checked and
    nothing is created.
    """
    path = path_of(marker)
    with contextlib.ExitStack() as stack:
        try:
            held = stack.enter_context(host_lock(path, wait, create=not check_mode))
            incidents = read(path)
        except (IOError, OSError) as exc:
            raise MarkerUnusable("%s: cannot check the override marker (%s); nothing was written"
                                 % (path, os.strerror(exc.errno) if exc.errno else exc), path)
        if not held and not check_mode:
            raise MarkerUnusable("%s: the host lock (flock of %s) was held for more than %ds, by a lockdown or "
                                 "another write; nothing was written. Run again" % (path, os.path.dirname(path), wait),
                                 path)
        if incidents:
            raise OverrideActive(path, incidents)
        yield path


def _render(incidents):
    return fileio.dump_json({"incidents": incidents})


def engage(marker, incident_id, actor=None, check_mode=False, wait=LOCKDOWN_WAIT, now=None):
    """Put ``incident_id`` in the marker; {path, incident_id, set, actor, status[, warning]}.

    Raises OSError or KiroError when the marker cannot be written (the lockdown reports it and
    goes on). An incident already in the marker keeps its first entry (status ``present``).
    """
    path = path_of(marker)
    record = {"incident_id": incident_id, "set": clock.iso(now), "actor": actor or getpass.getuser()}
    out = {"path": path, "incident_id": incident_id}
    with host_lock(path, wait, create=not check_mode) as held:
        try:
            incidents = read(path)
        except MarkerUnusable:
            incidents = []  # a damaged marker is replaced: the lockdown's word must stand
        existing = [i for i in incidents if i.get("incident_id") == incident_id]
        if existing:
            out.update(existing[0], status="present")
            return out
        out.update(record, status="would be written" if check_mode else "written")
        if not check_mode:
            fileio.atomic_write(path, _render(incidents + [record]), fileio.SECRET_MODE)
            if not held:
                out["warning"] = ("the host lock (flock of %s) was held for more than %ds; the override marker was "
                                  "written without it" % (os.path.dirname(path), wait))
    return out


def release(marker, incident_id, check_mode=False, wait=WRITER_WAIT):
    """Take ``incident_id`` out of the marker; {path, incident_id, removed, remaining}.

    The file goes when no incident is left in it.
    """
    path = path_of(marker)
    out = {"path": path, "incident_id": incident_id, "removed": False, "remaining": []}
    if not os.path.lexists(path):
        return out
    with host_lock(path, wait, create=False) as held:
        if not held and not check_mode:
            raise MarkerUnusable("%s: the host lock was held for more than %ds; the marker was left as it is. Run "
                                 "again" % (path, wait), path)
        incidents = read(path)
        remaining = [i for i in incidents if i.get("incident_id") != incident_id]
        out.update(removed=len(remaining) != len(incidents), remaining=[i["incident_id"] for i in remaining])
        if out["removed"] and not check_mode:
            if remaining:
                fileio.atomic_write(path, _render(remaining), fileio.SECRET_MODE)
            else:
                os.unlink(path)
    return out
