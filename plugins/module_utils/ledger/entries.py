# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ledger's data model: entries, the hash chain, lock records and errors.

An entry is a flat JSON object; its ``sha256`` is the digest of its canonical JSON
without the ``sha256`` key, and ``prev_sha256`` is the ``sha256`` of the entry before
(64 zeros for the first). Changing, removing or reordering any entry therefore breaks
the chain at the first entry concerned. Backends store one entry per line (JSON Lines).

The chain alone proves nothing against someone who can write the file: they can rehash.
So every entry also carries ``mac`` (see signing.py), made over its ``sha256`` with a key
not stored with the ledger, and the backends anchor the last seq and sha256 in a separate
head record (anchor.py), so a removed tail or a deleted ledger shows.

Pure Python: the backends, the action plugin and the lookup all build on this.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import datetime
import hashlib
import json
import os
import re
import socket

from ansible_collections.kiro.platform.plugins.module_utils.common import clock
from ansible_collections.kiro.platform.plugins.module_utils.common.errors import PlatformError
from ansible_collections.kiro.platform.plugins.module_utils.common.names import INCIDENT_ID

EVENTS = ("started", "applied", "gate_passed", "gate_failed", "approved", "rolled_back", "override_set",
          "override_cleared", "lock_broken", "incident_opened", "ledger_migrated")
MIN_PHASE = 0
MAX_PHASE = 5
GENESIS = "0" * 64
FIELDS = ("seq", "ts", "environment", "phase", "event", "actor", "run_id", "details", "report_sha256",
          "prev_sha256", "sha256")
# The MAC is not part of what is hashed: signing a legacy chain (migration) keeps every sha256.
MAC_FIELD = "mac"
LOCK_FIELDS = ("run_id", "holder", "acquired", "expires")
# Where the holder runs, so a lock left by a killed run can be told from a live one.
LOCK_PROCESS_FIELDS = ("host", "pid")
ENTRY_MAC_CONTEXT = b"kiro.platform ledger entry v1\n"
# Events that claim progress or success. While an override is active none may be recorded:
# a run that lost the race against the kill switch must not leave a line saying it won.
# The others record the emergency itself, a failure, a step back or a broken lock.
PROGRESS_EVENTS = ("started", "applied", "gate_passed", "approved")

UTC = datetime.timezone.utc
_SHA256 = re.compile(r"^[0-9a-f]{64}\Z")
# Environment names become file and object names: no separators, no dot-dot.
_ENVIRONMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\Z")


class LedgerError(PlatformError):
    """A ledger operation that cannot be done; the message says why and what to do."""


class LockHeld(LedgerError):
    """The environment is locked by another run (``stale`` when that lock has expired)."""

    def __init__(self, message, holder=None, run_id=None, expires=None, stale=False):
        self.holder = holder
        self.run_id = run_id
        self.expires = expires
        self.stale = stale
        super(LockHeld, self).__init__(message)


class OverrideActive(LedgerError):
    """A progress or success entry refused because the environment is under a manual override."""

    def __init__(self, environment, event, incident_id, incidents=None):
        self.environment = environment
        self.event = event
        self.incident_id = incident_id
        self.incidents = list(incidents or [incident_id])
        super(OverrideActive, self).__init__(
            "environment %s is under the manual override of incident %s: %s is not recorded (nothing may claim "
            "progress until the override is cleared). Run playbooks/clear_override.yml -e incident_id=%s with an "
            "approver and a reason once the incident is resolved"
            % (environment, ", ".join(self.incidents), event, incident_id))


class ChainBroken(LedgerError):
    """The ledger does not verify: ``seq`` (or ``line``, when the line does not parse) is the first bad one."""

    def __init__(self, seq, reason, line=None, source=None):
        self.seq = seq
        self.reason = reason
        self.line = line
        self.source = source
        where = "seq %s" % seq if seq is not None else "line %s" % line
        super(ChainBroken, self).__init__(
            "%sledger chain broken at %s: %s. The ledger is evidence: restore it from a backup or have it "
            "investigated; nothing more is appended until it verifies."
            % ("%s: " % source if source else "", where, reason))


# --- time ---------------------------------------------------------------------

def parse_ts(text):
    """The moment of a ledger timestamp (UTC ISO 8601 ending in Z, see common.clock)."""
    if not clock.is_iso(text):
        raise LedgerError("not a UTC ISO 8601 timestamp ending in Z: %r" % (text,))
    return clock.parse(text)


def _moment(now):
    if now is None:
        return clock.now()
    if isinstance(now, str):
        return parse_ts(now)
    if now.tzinfo is None:
        return now.replace(tzinfo=UTC)
    return now


# --- entries and the chain ----------------------------------------------------

def canonical(value):
    """The bytes that are hashed: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def digest(entry):
    """sha256 of ``entry`` without its own ``sha256`` and ``mac`` keys."""
    body = dict((k, v) for k, v in entry.items() if k not in ("sha256", MAC_FIELD))
    return hashlib.sha256(canonical(body)).hexdigest()


def mac_message(entry):
    """What an entry's MAC covers: its sha256, which covers every other field and the entry before."""
    return ENTRY_MAC_CONTEXT + entry["sha256"].encode("ascii")


def sign(entry, signer):
    """``entry`` with its ``mac`` (a copy)."""
    signed = dict(entry)
    signed[MAC_FIELD] = {"scheme": signer.scheme, "key_id": signer.key_id, "value": signer.mac(mac_message(entry))}
    return signed


def is_signed(entry):
    return isinstance(entry, dict) and MAC_FIELD in entry


MIGRATE_HINT = ("an unsigned ledger (written before entries were MACed) is not trusted: check it, then sign it "
                "with `ansible-playbook playbooks/ledger_migrate.yml -e ledger_environment=<env> -e actor=<name> -e '{\"reason\": "
                "\"<why>\"}'`, which records who did it")


def check_mac(entry, signer, source=None, legacy=False):
    """None when ``entry``'s MAC was made with ``signer``'s key, else the ChainBroken naming its seq."""
    seq = entry.get("seq")
    mac = entry.get(MAC_FIELD)
    if mac is None:
        if legacy:
            return ChainBroken(seq, "the ledger is not signed; " + MIGRATE_HINT, source=source)
        return ChainBroken(seq, "entry is not signed (no mac): it was not written by a holder of the ledger key",
                           source=source)
    if not isinstance(mac, dict) or set(mac) != {"scheme", "key_id", "value"}:
        return ChainBroken(seq, "malformed mac", source=source)
    if mac["scheme"] != signer.scheme or not signer.valid(mac_message(entry), mac["value"]):
        return ChainBroken(seq, "bad signature: the mac (%s, key %s) does not match with the configured key "
                                "(%s, key %s); the entry was forged or written with another key"
                           % (mac["scheme"], mac["key_id"], signer.scheme, signer.key_id), source=source)
    return None


def to_line(entry):
    """One JSON Lines record, fields in FIELDS order (seq first, for people reading it) and a newline."""
    ordered = [(k, entry[k]) for k in FIELDS if k in entry] + sorted((k, v) for k, v in entry.items()
                                                                     if k not in FIELDS)
    return json.dumps(collections.OrderedDict(ordered), separators=(",", ":"), ensure_ascii=False,
                      sort_keys=False).encode("utf-8") + b"\n"


def check_environment(environment):
    if not isinstance(environment, str) or not _ENVIRONMENT.match(environment):
        raise LedgerError("environment: %r is not a valid environment name (letters, digits, '.', '_', '-', "
                          "starting with a letter or digit)" % (environment,))
    return environment


def check_phase(phase, field="phase"):
    if isinstance(phase, bool) or not isinstance(phase, int) or not MIN_PHASE <= phase <= MAX_PHASE:
        raise LedgerError("%s: must be an integer from %d to %d, not %r" % (field, MIN_PHASE, MAX_PHASE, phase))
    return phase


def _check_details(event, details):
    if details is None:
        details = {}
    if not isinstance(details, dict):
        raise LedgerError("details: must be a mapping, not %s" % type(details).__name__)
    try:
        details = json.loads(canonical(details).decode("utf-8"))
    except (TypeError, ValueError) as exc:
        raise LedgerError("details: must be JSON-serialisable (%s)" % exc)
    if event == "rolled_back":
        check_phase(details.get("to_phase"), "details.to_phase (the phase a rollback returns to)")
    if event in ("override_set", "override_cleared"):
        incident = details.get("incident_id")
        if not isinstance(incident, str) or not INCIDENT_ID.match(incident):
            raise LedgerError("details.incident_id: %s needs the incident id (letters, digits, '.', '_', '-'), not %r"
                              % (event, incident))
    return details


def new_entry(prev, environment, phase, event, actor, run_id, details=None, report_sha256=None, now=None):
    """The entry that follows ``prev`` (None for the first), validated and sealed."""
    check_environment(environment)
    check_phase(phase)
    if event not in EVENTS:
        raise LedgerError("event: %r is not one of %s" % (event, ", ".join(EVENTS)))
    if not isinstance(actor, str) or not actor.strip():
        raise LedgerError("actor: who did this must be named (got %r)" % (actor,))
    if not isinstance(run_id, str) or not run_id.strip():
        raise LedgerError("run_id: must be a non-empty string (got %r)" % (run_id,))
    if report_sha256 is not None and (not isinstance(report_sha256, str) or not _SHA256.match(report_sha256)):
        raise LedgerError("report_sha256: must be 64 lowercase hex digits or null (got %r)" % (report_sha256,))
    details = _check_details(event, details)
    if prev is not None and prev.get("environment") != environment:
        raise LedgerError("environment: this ledger belongs to %r, not %r" % (prev.get("environment"), environment))
    entry = {
        "seq": 1 if prev is None else prev["seq"] + 1,
        "ts": clock.iso(_moment(now)),
        "environment": environment,
        "phase": phase,
        "event": event,
        "actor": actor,
        "run_id": run_id,
        "details": details,
        "report_sha256": report_sha256,
        "prev_sha256": GENESIS if prev is None else prev["sha256"],
    }
    entry["sha256"] = digest(entry)
    return entry


def verify(entries, source=None, environment=None, signer=None):
    """None when the chain is intact, else a ChainBroken naming the first bad seq and why.

    ``environment``, when given, must be the environment of every entry (a ledger copied
    over another environment's file is caught here). ``signer``, when given, must have made
    every entry's MAC; a ledger with no MAC at all is named as one to migrate.
    """
    legacy = not any(is_signed(entry) for entry in entries)
    prev_sha = GENESIS
    for index, entry in enumerate(entries):
        expected = index + 1
        if not isinstance(entry, dict):
            return ChainBroken(expected, "entry is not a JSON object", source=source)
        seq = entry.get("seq", expected)
        keys = set(entry) - {MAC_FIELD}
        if keys != set(FIELDS):
            missing = sorted(set(FIELDS) - keys)
            extra = sorted(keys - set(FIELDS))
            return ChainBroken(seq, "malformed entry (%s)" % "; ".join(
                part for part in ("missing " + ", ".join(missing) if missing else "",
                                  "unexpected " + ", ".join(extra) if extra else "") if part), source=source)
        if entry["sha256"] != digest(entry):
            return ChainBroken(seq, "entry changed after it was written (its sha256 does not match its content)",
                               source=source)
        if entry["prev_sha256"] != prev_sha:
            return ChainBroken(seq, "chain broken (an entry was removed or reordered): prev_sha256 is not the "
                                    "sha256 of the entry before", source=source)
        if seq != expected:
            return ChainBroken(seq, "seq gap: expected seq %d here" % expected, source=source)
        if environment is not None and entry["environment"] != environment:
            return ChainBroken(seq, "entry belongs to environment %r, not %r" % (entry["environment"], environment),
                               source=source)
        if signer is not None:
            bad = check_mac(entry, signer, source=source, legacy=legacy)
            if bad is not None:
                return bad
        prev_sha = entry["sha256"]
    return None


def check(entries, source=None, environment=None, signer=None):
    """Raise the ChainBroken of :func:`verify`, if any."""
    broken = verify(entries, source=source, environment=environment, signer=signer)
    if broken is not None:
        raise broken


def parse_lines(data, source=None):
    """(entries, torn) from JSON Lines bytes.

    ``torn`` is None, or {line, offset, data} for a final line without its newline that
    does not parse: what a crash in the middle of a write would leave. It is not an
    entry; callers report it. Any other line that does not parse raises ChainBroken.
    """
    entries = []
    torn = None
    offset = 0
    lines = data.split(b"\n")
    last = len(lines) - 1
    for number, raw in enumerate(lines, 1):
        is_tail = number - 1 == last
        if is_tail and raw == b"":
            break
        try:
            value = json.loads(raw.decode("utf-8"))
        except ValueError as exc:  # UnicodeDecodeError is a ValueError
            if is_tail:
                torn = {"line": number, "offset": offset, "data": raw}
                break
            raise ChainBroken(None, "line %d is not JSON (%s)" % (number, exc), line=number, source=source)
        if not isinstance(value, dict):
            raise ChainBroken(None, "line %d is not a JSON object" % number, line=number, source=source)
        entries.append(value)
        offset += len(raw) + 1
    return entries, torn


def torn_warning(torn, source):
    return ("%s: the last line (line %d, %d bytes at offset %d) is incomplete, as a write interrupted by a crash "
            "leaves it; it is not part of the ledger%s"
            % (source, torn["line"], len(torn["data"]), torn["offset"],
               "" if not torn.get("moved_to") else " and was moved to %s" % torn["moved_to"]))


# --- locks --------------------------------------------------------------------

def lock_record(run_id, holder, ttl_seconds, now=None, acquired=None, host=None, pid=None):
    if not isinstance(run_id, str) or not run_id.strip():
        raise LedgerError("run_id: a lock needs the id of the run that holds it")
    if not isinstance(holder, str) or not holder.strip():
        raise LedgerError("holder: a lock needs the name of who holds it")
    if isinstance(ttl_seconds, bool) or not isinstance(ttl_seconds, (int, float)) or ttl_seconds <= 0:
        raise LedgerError("ttl: must be a positive number of seconds, not %r" % (ttl_seconds,))
    moment = _moment(now)
    return {
        "run_id": run_id,
        "holder": holder,
        "acquired": acquired or clock.iso(moment),
        "expires": clock.iso(moment + datetime.timedelta(seconds=ttl_seconds)),
        "host": host if host is not None else socket.gethostname(),
        "pid": pid if pid is not None else os.getpid(),
    }


def parse_lock(data, source):
    """The lock record in ``data``; an unreadable one is returned as expired so it can be broken."""
    try:
        record = json.loads(data.decode("utf-8"))
        if not isinstance(record, dict) or any(not isinstance(record.get(k), str) for k in LOCK_FIELDS):
            raise ValueError("not a lock record")
        parse_ts(record["expires"])
        parsed = dict((k, record[k]) for k in LOCK_FIELDS)
        host, pid = record.get("host"), record.get("pid")
        # Locks written before host and pid were recorded have neither: their holder cannot be checked.
        parsed["host"] = host if isinstance(host, str) else None
        parsed["pid"] = pid if isinstance(pid, int) and not isinstance(pid, bool) and pid > 0 else None
        return parsed
    except (ValueError, LedgerError):
        return {"run_id": "(unreadable %s)" % source, "holder": "(unknown)", "acquired": clock.iso(0),
                "expires": clock.iso(0), "host": None, "pid": None}


def process_alive(pid):
    """Whether ``pid`` runs on this machine (a zombie, killed but not yet reaped, is not running)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    try:
        with open("/proc/%d/stat" % pid, "rb") as handle:
            return handle.read().rsplit(b")", 1)[-1].split()[0] != b"Z"
    except (IOError, OSError, IndexError):
        return True


def holder_gone(existing, hostname=None):
    """True only when the lock's holder ran on this controller and its process no longer runs."""
    host, pid = existing.get("host"), existing.get("pid")
    if not host or not pid:
        return False
    return host == (hostname or socket.gethostname()) and not process_alive(pid)


def _holder(existing):
    return "%s (run %s)" % (existing["holder"], existing["run_id"])


def _process(existing):
    if existing.get("host") and existing.get("pid"):
        return " (process %s on %s)" % (existing["pid"], existing["host"])
    return ""


def decide_lock(existing, environment, run_id, break_lock=False, now=None, hostname=None):
    """What taking the lock means now: ``acquire``, ``extend`` or ``break``; raises LockHeld otherwise.

    An unexpired lock is broken only when its holder is provably gone: it ran on this
    controller and its process no longer runs (a run killed with SIGKILL never unlocks).
    """
    if existing is None:
        return "acquire"
    if existing["run_id"] == run_id:
        return "extend"
    moment = _moment(now)
    details = dict(holder=existing["holder"], run_id=existing["run_id"], expires=existing["expires"])
    if parse_ts(existing["expires"]) > moment:
        if holder_gone(existing, hostname):
            if break_lock:
                return "break"
            raise LockHeld(
                "environment %s is locked by %s until %s, but its process%s no longer runs on this controller "
                "(the run was killed): break the lock with -e break_lock=true (recorded in the ledger as lock_broken)"
                % (environment, _holder(existing), existing["expires"], _process(existing)), stale=True, **details)
        raise LockHeld(
            "environment %s is locked by %s until %s: one rollout per environment at a time, so a second "
            "run must wait until that run finishes and unlocks it, or the lock expires%s%s"
            % (environment, _holder(existing), existing["expires"], _process(existing),
               "; break_lock=true only breaks a lock whose holder process is gone, and this one is running or on "
               "another controller" if break_lock else ""), **details)
    if not break_lock:
        raise LockHeld(
            "environment %s has a stale lock held by %s that expired at %s; make sure that run is no longer "
            "going, then break the lock with -e break_lock=true (recorded in the ledger as lock_broken)"
            % (environment, _holder(existing), existing["expires"]), stale=True, **details)
    return "break"


def broken_details(existing, now=None):
    """What a lock_broken entry records: the lock broken and why it could be."""
    expired = parse_ts(existing["expires"]) <= _moment(now)
    return dict(existing, why="expired" if expired else "holder process gone")


def check_unlock(existing, environment, run_id):
    """True when ``run_id`` may remove ``existing`` (False: there is no lock); raises when it is another run's."""
    if existing is None:
        return False
    if existing["run_id"] != run_id:
        raise LedgerError("environment %s is locked by %s (run %s), not by run %s: the lock was left in place"
                          % (environment, existing["holder"], existing["run_id"], run_id))
    return True
