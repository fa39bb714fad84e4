# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""kiro.platform.ledger: read, append to, verify and lock an environment's rollout ledger."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import getpass
import os
import socket

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase

from ansible_collections.kiro.platform.plugins.module_utils.common import aws
from ansible_collections.kiro.platform.plugins.module_utils.ledger import entries as model
from ansible_collections.kiro.platform.plugins.module_utils.ledger.backends import BACKENDS, DEFAULT_PREFIX, open_ledger
from ansible_collections.kiro.platform.plugins.module_utils.ledger.entries import ChainBroken, LedgerError, LockHeld
from ansible_collections.kiro.platform.plugins.module_utils.ledger.state import derive

OPERATIONS = ("read", "append", "verify", "state", "lock", "unlock")

ARGUMENT_SPEC = dict(
    operation=dict(type="str", required=True, choices=list(OPERATIONS)),
    environment=dict(type="str", required=True),
    backend=dict(type="str", default="local", choices=list(BACKENDS)),
    path=dict(type="path", default="ledger"),
    bucket=dict(type="str"),
    prefix=dict(type="str", default=DEFAULT_PREFIX),
    phase=dict(type="int"),
    event=dict(type="str", choices=list(model.EVENTS)),
    actor=dict(type="str"),
    run_id=dict(type="str"),
    details=dict(type="dict"),
    report_sha256=dict(type="str"),
    ttl=dict(type="int", default=3600),
    break_lock=dict(type="bool", default=False),
    **aws.ARGUMENT_SPEC
)
REQUIRED_IF = [("operation", "append", ("event",)), ("backend", "s3", ("bucket",))]


def _default_actor(task_vars):
    return task_vars.get("awx_user_name") or task_vars.get("tower_user_name") or getpass.getuser()


def _default_run_id(task_vars):
    """The AWX job, else this ansible-playbook process: every task of one run shares it
    (workers are forked from it), so a run can unlock what it locked without naming an id."""
    job = task_vars.get("awx_job_id") or task_vars.get("tower_job_id")
    if job:
        return "awx-job-%s" % job
    return "%s@%s:%d" % (getpass.getuser(), socket.gethostname(), os.getppid())


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = False

    def _open(self, args):
        path = args["path"]
        if args["backend"] == "local" and not os.path.isabs(path):
            path = os.path.join(self._loader.get_basedir(), path)
        settings = dict((k, args[k]) for k in aws.CONNECTION_KEYS)
        return open_ledger(args["backend"], args["environment"], path=path, bucket=args["bucket"],
                           prefix=args["prefix"], **settings)

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        task_vars = task_vars or {}
        validation = ArgumentSpecValidator(ARGUMENT_SPEC, required_if=REQUIRED_IF).validate(self._task.args)
        if validation.error_messages:
            raise AnsibleActionFail("kiro.platform.ledger: %s" % "; ".join(validation.error_messages))
        args = validation.validated_parameters
        args["actor"] = args["actor"] or _default_actor(task_vars)
        args["run_id"] = args["run_id"] or _default_run_id(task_vars)
        try:
            ledger = self._open(args)
            result.update(self._operate(ledger, args, self._play_context.check_mode))
        except LockHeld as exc:
            raise AnsibleActionFail(str(exc), result={"changed": False, "lock": {
                "holder": exc.holder, "run_id": exc.run_id, "expires": exc.expires, "stale": exc.stale}})
        except ChainBroken as exc:
            raise AnsibleActionFail(str(exc), result={"changed": False, "chain_ok": False, "bad_seq": exc.seq})
        except LedgerError as exc:
            raise AnsibleActionFail(str(exc), result={"changed": False})
        if ledger.warnings:
            result["warnings"] = list(result.get("warnings") or []) + list(ledger.warnings)
        return result

    def _operate(self, ledger, args, check_mode):
        operation = args["operation"]
        where = ledger.location
        out = {"changed": False, "location": where, "run_id": args["run_id"]}
        if operation == "append":
            if check_mode:
                current = ledger.read()
                model.check(current, source=where, environment=args["environment"])
                phase = args["phase"] if args["phase"] is not None else derive(current)["phase"]
                entry = model.new_entry(current[-1] if current else None, args["environment"], phase, args["event"],
                                        args["actor"], args["run_id"], details=args["details"],
                                        report_sha256=args["report_sha256"])
                entries = current + [entry]
                out["msg"] = "check mode: would append seq %d (%s) to %s" % (entry["seq"], entry["event"], where)
            else:
                entry = ledger.append(args["phase"], args["event"], args["actor"], args["run_id"],
                                      details=args["details"], report_sha256=args["report_sha256"])
                entries = ledger.read()
                out["msg"] = "appended seq %d (%s, phase %d) to %s" % (entry["seq"], entry["event"], entry["phase"],
                                                                       where)
            out.update(changed=True, entry=entry)
        elif operation == "lock":
            if check_mode:
                existing = ledger.current_lock()
                action = model.decide_lock(existing, args["environment"], args["run_id"],
                                           break_lock=args["break_lock"])
                lock = dict(model.lock_record(args["run_id"], args["actor"], args["ttl"]),
                            status="would be %s" % {"acquire": "acquired", "extend": "extended",
                                                    "break": "broken"}[action],
                            previous=existing if action == "break" else None)
            else:
                lock = ledger.lock(args["run_id"], args["actor"], args["ttl"], break_lock=args["break_lock"])
            entries = ledger.read()
            out.update(changed=True, lock=lock, msg="%s: lock %s by %s (run %s) until %s" % (
                args["environment"], lock["status"], lock["holder"], lock["run_id"], lock["expires"]))
            if lock["previous"]:
                out["warnings"] = ["broke the stale lock of %s (run %s, expired %s); recorded as lock_broken" % (
                    lock["previous"]["holder"], lock["previous"]["run_id"], lock["previous"]["expires"])]
        elif operation == "unlock":
            existing = ledger.current_lock()
            if check_mode:
                removed = model.check_unlock(existing, args["environment"], args["run_id"])
            else:
                removed = ledger.unlock(args["run_id"])
            entries = ledger.read()
            out.update(changed=removed, lock=existing if removed else None,
                       msg="%s%s: %s" % ("check mode: " if check_mode else "", args["environment"],
                                         ("lock of run %s %s" % (args["run_id"], "would be released" if check_mode
                                                                 else "released")) if removed else "was not locked"))
        else:
            entries = ledger.read()
        broken = model.verify(entries, source=where, environment=args["environment"])
        out.update(chain_ok=broken is None, bad_seq=None if broken is None else broken.seq,
                   state=derive(entries, args["environment"]))
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
                out["msg"] = "%s: %d entries, chain intact" % (where, len(entries))
        return out
