# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The operations of the kiro.platform.ledger action on one environment's ledger: read, append,
verify, state, lock, unlock, migrate, each with its check mode; and where a task's ledger is."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import getpass
import os
import socket

from ansible_collections.kiro.platform.plugins.module_utils.common import aws
from ansible_collections.kiro.platform.plugins.module_utils.ledger import entries as model
from ansible_collections.kiro.platform.plugins.module_utils.ledger.anchor import anchor
from ansible_collections.kiro.platform.plugins.module_utils.ledger.backends import KEY_OPTIONS, open_ledger
from ansible_collections.kiro.platform.plugins.module_utils.ledger.entries import ChainBroken, LockHeld, OverrideActive
from ansible_collections.kiro.platform.plugins.module_utils.ledger.state import derive

OPERATIONS = ("read", "append", "verify", "state", "lock", "unlock", "migrate")
_LOCK_STATUS = {"acquire": "acquired", "extend": "extended", "break": "broken"}


def ledger_dir(path, base_dir):
    """A local ledger directory: ``~`` and ``$VARS`` expanded, a relative path under ``base_dir``
    (the playbook's directory), not under the current directory."""
    path = os.path.expanduser(os.path.expandvars(path))
    return path if os.path.isabs(path) else os.path.join(base_dir, path)


def default_actor(variables):
    """The AWX user who launched the job, else the controller user."""
    return variables.get("awx_user_name") or variables.get("tower_user_name") or getpass.getuser()


def default_run_id(variables):
    """The AWX job, else this ansible-playbook process: every task of one run shares it
    (workers are forked from it), so a run can unlock what it locked without naming an id."""
    job = variables.get("awx_job_id") or variables.get("tower_job_id")
    if job:
        return "awx-job-%s" % job
    return "%s@%s:%d" % (getpass.getuser(), socket.gethostname(), os.getppid())


def open_for(params, base_dir, client=None, kms_client=None):
    """The ledger that ``params`` (the action's or the lookup's options) name."""
    path = params["path"]
    if params["backend"] == "local":
        path = ledger_dir(path, base_dir)
    settings = dict((key, params.get(key)) for key in aws.CONNECTION_KEYS)
    keys = dict((key, params.get(key)) for key in KEY_OPTIONS)
    if keys.get("key_file"):
        keys["key_file"] = ledger_dir(keys["key_file"], base_dir)
    head_dir = ledger_dir(params["head_dir"], base_dir) if params.get("head_dir") else None
    ledger = open_ledger(params["backend"], params["environment"], path=path, bucket=params["bucket"],
                         prefix=params["prefix"], client=client, kms_client=kms_client, head_dir=head_dir,
                         head_prefix=params.get("head_prefix"), **dict(keys, **settings))
    if params.get("reports_dir"):
        ledger.reports_dir = ledger_dir(params["reports_dir"], base_dir)
    return ledger


def error_result(exc):
    """The result keys a failed operation reports besides its message (a LedgerError ``exc``)."""
    if isinstance(exc, LockHeld):
        return {"changed": False, "lock": {"holder": exc.holder, "run_id": exc.run_id, "expires": exc.expires,
                                           "stale": exc.stale}}
    if isinstance(exc, OverrideActive):
        return {"changed": False, "override_active": True, "incident_id": exc.incident_id}
    if isinstance(exc, ChainBroken):
        return {"changed": False, "chain_ok": False, "bad_seq": exc.seq}
    return {"changed": False}


def _append(ledger, params, check_mode, out):
    where = ledger.location
    if check_mode:
        current, entry = ledger.preview(params["phase"], params["event"], params["actor"], params["run_id"],
                                        details=params["details"], report_sha256=params["report_sha256"])
        entries = current + [entry]
        out["msg"] = "check mode: would append seq %d (%s) to %s" % (entry["seq"], entry["event"], where)
    else:
        entry = ledger.append(params["phase"], params["event"], params["actor"], params["run_id"],
                              details=params["details"], report_sha256=params["report_sha256"])
        entries = ledger.read()
        out["msg"] = "appended seq %d (%s, phase %d) to %s" % (entry["seq"], entry["event"], entry["phase"], where)
    out.update(changed=True, entry=entry)
    return entries


def _lock(ledger, params, check_mode, out):
    if check_mode:
        existing = ledger.current_lock()
        action = model.decide_lock(existing, params["environment"], params["run_id"], break_lock=params["break_lock"])
        lock = dict(model.lock_record(params["run_id"], params["actor"], params["ttl"], pid=params.get("pid")),
                    status="would be %s" % _LOCK_STATUS[action], previous=existing if action == "break" else None)
    else:
        lock = ledger.lock(params["run_id"], params["actor"], params["ttl"], break_lock=params["break_lock"],
                           pid=params.get("pid"))
    entries = ledger.read()
    out.update(changed=True, lock=lock, msg="%s: lock %s by %s (run %s) until %s" % (
        params["environment"], lock["status"], lock["holder"], lock["run_id"], lock["expires"]))
    if lock["previous"]:
        out["warnings"] = ["broke the lock of %s (run %s on %s, pid %s, expires %s: %s); recorded as lock_broken" % (
            lock["previous"]["holder"], lock["previous"]["run_id"], lock["previous"].get("host"),
            lock["previous"].get("pid"), lock["previous"]["expires"],
            model.broken_details(lock["previous"])["why"])]
    return entries


def _migrate(ledger, params, check_mode, out):
    reason = (params.get("details") or {}).get("reason")
    if check_mode:
        entries = ledger.read()
        migrated, entry = ledger.plan_migration(entries, params["actor"], params["run_id"], reason, None)
        out["msg"] = "check mode: would sign %d entries of %s and append seq %d (ledger_migrated)" % (
            len(entries), ledger.location, entry["seq"])
        entries = migrated
    else:
        entry = ledger.migrate(params["actor"], params["run_id"], reason)
        entries = ledger.read()
        out["msg"] = "signed %d entries of %s with key %s and appended seq %d (ledger_migrated by %s)" % (
            entry["seq"] - 1, ledger.location, ledger.signer.key_id, entry["seq"], entry["actor"])
    out.update(changed=True, entry=entry)
    return entries


def _unlock(ledger, params, check_mode, out):
    existing = ledger.current_lock()
    if check_mode:
        removed = model.check_unlock(existing, params["environment"], params["run_id"])
    else:
        removed = ledger.unlock(params["run_id"])
    entries = ledger.read()
    if removed:
        what = "lock of run %s %s" % (params["run_id"], "would be released" if check_mode else "released")
    else:
        what = "was not locked"
    out.update(changed=removed, lock=existing if removed else None,
               msg="%s%s: %s" % ("check mode: " if check_mode else "", params["environment"], what))
    return entries


_CHANGES = {"append": _append, "lock": _lock, "unlock": _unlock, "migrate": _migrate}


def operate(ledger, params, check_mode=False):
    """Run ``params["operation"]`` on ``ledger``; the action's result. Raises LedgerError.

    ``params`` are the action's options with ``actor`` and ``run_id`` set. Every operation
    reports the chain's verdict (hash chain, MACs, head; ``verify`` also checks the gate
    evidence), the anchor (seq, sha256 of the last entry) and the derived state; ``state``
    raises on a ledger that does not verify, ``verify`` reports it as a failure.
    """
    operation = params["operation"]
    where = ledger.location
    out = {"changed": False, "location": where, "run_id": params["run_id"]}
    change = _CHANGES.get(operation)
    entries = change(ledger, params, check_mode, out) if change else ledger.read()
    if check_mode and change:
        # What would be written is not in storage: check the chain and MACs, not the head.
        broken = model.verify(entries, source=where, environment=params["environment"], signer=ledger.signer)
    else:
        broken = ledger.audit(entries, reports=operation == "verify")
    out.update(chain_ok=broken is None, bad_seq=None if broken is None else broken.seq,
               state=derive(entries, params["environment"]), anchor=anchor(entries), key_id=ledger.signer.key_id)
    if operation in ("read", "state", "verify"):
        out["lock"] = ledger.current_lock()
    if operation == "read":
        out["entries"] = entries
    elif operation == "state" and broken is not None:
        raise broken
    elif operation == "verify":
        if broken is not None:
            out.update(failed=True, msg=str(broken))
        else:
            out["reports_checked"] = ledger.reports_checked
            out["msg"] = ("%s: %d entries, chain intact, every entry signed, head matches (anchor seq %d, sha256 %s); "
                          "%d gate report files checked (evidence and ledger anchors)"
                          % (where, len(entries), out["anchor"]["seq"], out["anchor"]["sha256"], ledger.reports_checked))
    return out
