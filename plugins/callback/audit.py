# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: audit
type: notification
short_description: Append every task result of a run to a JSON-lines audit file
version_added: 0.1.0
description:
  - Writes one JSON line per task result per host (C(event=task)), one per play start
    (C(event=play_start)) and one per host with the final counts (C(event=stats)), to
    C(<log_dir>/<run_id>.jsonl), appending and flushing line by line so a run that dies
    still leaves its record.
  - "Task lines carry C(ts) (UTC, ISO 8601 with Z), C(run_id), C(playbook), C(play), C(task),
    C(action) (the module), C(host), C(changed), C(failed), C(ignored), C(skipped), C(unreachable),
    C(no_log), C(started), C(ended), C(duration) (seconds) and, for failed or unreachable
    results only, C(msg) truncated to 500 characters. Every line has C(event), C(ts), C(run_id)
    and C(playbook)."
  - Never logs module arguments or results. Of a task with C(no_log) only its name and
    status are written (no C(msg)).
  - The file is created with mode 0600 and the directory with 0700. If the file cannot be
    written, one warning is shown and the callback disables itself; it never fails a run.
  - Enable it with C(callbacks_enabled = kiro.platform.audit) in C(ansible.cfg) or
    C(ANSIBLE_CALLBACKS_ENABLED=kiro.platform.audit).
requirements:
  - enable in configuration
options:
  log_dir:
    description: Directory of the audit files (created, mode 0700, when missing).
    type: path
    default: ~/.ansible/kiro-audit
    env:
      - name: KIRO_AUDIT_DIR
    ini:
      - section: kiro_audit
        key: log_dir
  run_id:
    description:
      - Identifies the run and names its file. Set it to correlate with AWX jobs or the
        ledger (for example C(awx-$JOB_ID)); characters other than letters, digits, C(.),
        C(_) and C(-) are replaced by C(_).
      - Default is the start time in UTC and a random suffix, such as C(20250314T092653Z-3f9a1c).
    type: str
    env:
      - name: KIRO_RUN_ID
    ini:
      - section: kiro_audit
        key: run_id
author:
  - Kiro Platform Team (@kiro-platform)
"""

EXAMPLES = r"""
# ansible.cfg
# [defaults]
# callbacks_enabled = kiro.platform.audit
# [kiro_audit]
# log_dir = /var/log/kiro-audit

# one run, with a known id:
# KIRO_RUN_ID=INC-42-rollback ansible-playbook -i inventories/production playbooks/emergency_rollback.yml
# jq -c 'select(.failed)' /var/log/kiro-audit/INC-42-rollback.jsonl
"""

import datetime
import functools
import json
import os
import re
import secrets
import threading

from ansible.plugins.callback import CallbackBase

from ansible_collections.kiro.platform.plugins.module_utils.common import secrets as redaction

MSG_LIMIT = 500
_UNSAFE_ID = re.compile(r"[^A-Za-z0-9._-]")


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def _iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"


def _safe(method):
    """Run a callback method; any error disables the audit log with one warning."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        if self._disabled:
            return None
        try:
            return method(self, *args, **kwargs)
        except Exception as exc:  # never break a run because of the audit log
            self._disable("kiro.platform.audit: %s: %s" % (type(exc).__name__, exc))
        return None

    return wrapper


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "notification"
    CALLBACK_NAME = "kiro.platform.audit"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, display=None, options=None):
        super(CallbackModule, self).__init__(display=display, options=options)
        self._disabled = False
        self._warned = False
        self._lock = threading.Lock()
        self._handle = None
        self._path = None
        self._run_id = None
        self._playbook = None
        self._play = None
        self._task_started = {}
        self._host_started = {}

    # -- plumbing ---------------------------------------------------------------
    def _disable(self, message):
        self._disabled = True
        if not self._warned:
            self._warned = True
            try:
                self._display.warning("%s; audit logging is off for this run" % message)
            except Exception:  # pragma: no cover - display itself broken
                pass
        handle, self._handle = self._handle, None
        if handle is not None:
            try:
                os.close(handle)
            except OSError:
                pass

    def _option(self, name):
        try:
            return self.get_option(name)
        except Exception:  # options not loaded (e.g. used outside a TQM)
            return None

    def _open(self):
        if self._handle is not None:
            return
        if self._path is None:
            run_id = self._option("run_id")
            if run_id in (None, ""):
                run_id = "%s-%s" % (_now().strftime("%Y%m%dT%H%M%SZ"), secrets.token_hex(3))
            self._run_id = _UNSAFE_ID.sub("_", str(run_id)).lstrip(".") or "run"
            log_dir = os.path.expanduser(str(self._option("log_dir") or "~/.ansible/kiro-audit"))
            if not os.path.isdir(log_dir):
                os.makedirs(log_dir, mode=0o700)
                os.chmod(log_dir, 0o700)
            self._path = os.path.join(log_dir, self._run_id + ".jsonl")
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)
        handle = os.open(self._path, flags, 0o600)
        try:
            os.fchmod(handle, 0o600)
        except OSError:
            pass  # not ours to change (a file of another user we may append to)
        self._handle = handle

    def _write(self, event, **fields):
        with self._lock:
            self._open()
            record = {"ts": _iso(_now()), "run_id": self._run_id, "event": event, "playbook": self._playbook}
            record.update(fields)
            line = (json.dumps(record, sort_keys=False, default=str) + "\n").encode("utf-8")
            view = memoryview(line)
            while view:
                written = os.write(self._handle, view)
                view = view[written:]

    @staticmethod
    def _no_log(task, result):
        no_log = getattr(task, "no_log", None)
        if isinstance(no_log, bool) and no_log:
            return True
        if not isinstance(no_log, bool) and no_log not in (None, "", False):
            return True  # an untemplated expression: assume the worst
        return bool(result.get("_ansible_no_log") or result.get("censored"))

    @staticmethod
    def _action(task):
        for attr in ("resolved_action", "action"):
            value = getattr(task, attr, None)
            if value:
                return str(value)
        return None

    @staticmethod
    def _task_name(task):
        try:
            return task.get_name().strip()
        except Exception:
            return str(getattr(task, "name", "") or "")

    @staticmethod
    def _task_secrets(task):
        try:
            return redaction.secret_values(dict(getattr(task, "args", None) or {}))
        except Exception:
            return []

    def _task_result(self, result, status, ignored=False):
        task = getattr(result, "task", None) or result._task
        host = getattr(result, "host", None) or result._host
        data = getattr(result, "result", None)
        if data is None:
            data = result._result
        host_name = host.get_name()
        uuid = getattr(task, "_uuid", None)
        ended = _now()
        started = self._host_started.pop((host_name, uuid), None) or self._task_started.get(uuid) or ended
        no_log = self._no_log(task, data)
        fields = {
            "play": self._play,
            "task": self._task_name(task),
            "action": self._action(task),
            "host": host_name,
            "changed": bool(data.get("changed", False)) and status != "unreachable",
            "failed": status == "failed",
            "ignored": bool(ignored) if status == "failed" else False,
            "skipped": status == "skipped",
            "unreachable": status == "unreachable",
            "no_log": no_log,
            "started": _iso(started),
            "ended": _iso(ended),
            "duration": round((ended - started).total_seconds(), 3),
        }
        if status in ("failed", "unreachable") and not no_log:
            msg = data.get("msg")
            if msg in (None, "") and data.get("rc") not in (None, 0):
                msg = "non-zero return code %s" % data.get("rc")
            if msg not in (None, ""):
                # A controller-side error can quote what it was given: mask the task's own
                # secrets and every credential shape before the message is kept.
                fields["msg"] = redaction.text(str(msg), self._task_secrets(task))[:MSG_LIMIT]
        self._write("task", **fields)

    # -- events -------------------------------------------------------------------
    @_safe
    def v2_playbook_on_start(self, playbook):
        self._playbook = getattr(playbook, "_file_name", None)
        self._open()

    @_safe
    def v2_playbook_on_play_start(self, play):
        self._play = play.get_name().strip()
        hosts = getattr(play, "hosts", None)
        if isinstance(hosts, (list, tuple)):
            hosts = ",".join(str(h) for h in hosts)
        self._write("play_start", play=self._play, hosts=None if hosts is None else str(hosts),
                    check_mode=self._check_mode())

    @staticmethod
    def _check_mode():
        try:
            from ansible import context
            return bool(context.CLIARGS.get("check", False))
        except Exception:
            return False

    @_safe
    def v2_playbook_on_task_start(self, task, is_conditional):
        self._task_started[getattr(task, "_uuid", None)] = _now()

    @_safe
    def v2_playbook_on_handler_task_start(self, task):
        self._task_started[getattr(task, "_uuid", None)] = _now()

    @_safe
    def v2_runner_on_start(self, host, task):
        self._host_started[(host.get_name(), getattr(task, "_uuid", None))] = _now()

    @_safe
    def v2_runner_on_ok(self, result):
        self._task_result(result, "ok")

    @_safe
    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._task_result(result, "failed", ignored=ignore_errors)

    @_safe
    def v2_runner_on_skipped(self, result):
        self._task_result(result, "skipped")

    @_safe
    def v2_runner_on_unreachable(self, result):
        self._task_result(result, "unreachable")

    @_safe
    def v2_playbook_on_stats(self, stats):
        for host in sorted(stats.processed.keys()):
            summary = stats.summarize(host)
            self._write("stats", host=host, ok=summary.get("ok", 0), changed=summary.get("changed", 0),
                        failures=summary.get("failures", 0), unreachable=summary.get("unreachable", 0),
                        skipped=summary.get("skipped", 0), rescued=summary.get("rescued", 0),
                        ignored=summary.get("ignored", 0))
        handle, self._handle = self._handle, None
        if handle is not None:
            os.close(handle)
