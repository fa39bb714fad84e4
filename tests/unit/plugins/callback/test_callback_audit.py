"""The kiro.platform.audit callback, loaded as Ansible loads it, fed the events of a small run."""

import json
import os
import stat
from unittest.mock import MagicMock

import pytest

from ansible.executor.stats import AggregateStats
from ansible.executor.task_result import TaskResult
from ansible.inventory.host import Host
from ansible.playbook.task import Task
from ansible.plugins.loader import callback_loader

SECRET = "audit-S3cret-Pw4Rt"


def task(name, action, no_log=False):
    item = Task()
    item.name = name
    item.action = action
    item.no_log = no_log
    return item


@pytest.fixture
def audit(tmp_path):
    plugin = callback_loader.get("kiro.platform.audit")
    plugin.set_options(direct={"log_dir": str(tmp_path / "audit"), "run_id": "INC-42/rollback"})
    return plugin


def lines(tmp_path, name="INC-42_rollback.jsonl"):
    with open(os.path.join(str(tmp_path), "audit", name)) as handle:
        return [json.loads(line) for line in handle]


def test_a_run_is_one_json_line_per_event_and_secrets_stay_out(audit, tmp_path):
    web1, web2 = Host("web1"), Host("web2")
    apply, secret = task("Apply the profile", "kiro.platform.profile"), task("Token", "ansible.builtin.uri", True)
    playbook = MagicMock(_file_name="playbooks/phase1.yml")
    play = MagicMock(hosts=["web1", "web2"])
    play.get_name.return_value = "Phase 1"

    audit.v2_playbook_on_start(playbook)
    audit.v2_playbook_on_play_start(play)
    audit.v2_playbook_on_task_start(apply, False)
    audit.v2_runner_on_start(web1, apply)
    audit.v2_runner_on_ok(TaskResult(web1, apply, {"changed": True, "files": [SECRET]}, {}))
    audit.v2_runner_on_failed(TaskResult(web2, apply, {"msg": "x" * 600}, {}), ignore_errors=True)
    audit.v2_runner_on_failed(TaskResult(web1, secret, {"msg": "bad token " + SECRET}, {}))
    audit.v2_runner_on_unreachable(TaskResult(web2, task("Ping", "ansible.builtin.ping"), {"msg": "ssh refused"}, {}))
    stats = AggregateStats()
    stats.increment("ok", "web1")
    stats.increment("changed", "web1")
    stats.increment("failures", "web2")
    audit.v2_playbook_on_stats(stats)

    records = lines(tmp_path)
    assert [r["event"] for r in records] == ["play_start", "task", "task", "task", "task", "stats", "stats"]
    assert all(r["run_id"] == "INC-42_rollback" and r["playbook"] == "playbooks/phase1.yml" for r in records)
    assert records[0]["hosts"] == "web1,web2"
    ok, ignored, hidden, unreachable = records[1:5]
    assert (ok["host"], ok["action"], ok["changed"], ok["failed"]) == ("web1", "kiro.platform.profile", True, False)
    assert ignored["failed"] and ignored["ignored"] and len(ignored["msg"]) == 500
    assert hidden["no_log"] is True and "msg" not in hidden
    assert unreachable["unreachable"] and unreachable["changed"] is False and unreachable["msg"] == "ssh refused"
    assert records[5] == dict(records[5], host="web1", ok=1, changed=1, failures=0)
    assert records[6]["host"] == "web2" and records[6]["failures"] == 1
    path = tmp_path / "audit" / "INC-42_rollback.jsonl"
    assert SECRET not in path.read_text()
    assert stat.S_IMODE(os.stat(str(path)).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(str(tmp_path / "audit")).st_mode) == 0o700


def test_an_unwritable_directory_warns_once_and_never_fails_the_run(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    plugin = callback_loader.get("kiro.platform.audit")
    plugin.set_options(direct={"log_dir": str(blocker / "audit"), "run_id": "r"})
    plugin._display = MagicMock()
    plugin.v2_playbook_on_start(MagicMock(_file_name="p.yml"))
    plugin.v2_runner_on_ok(TaskResult(Host("web1"), task("t", "ansible.builtin.ping"), {}, {}))
    assert plugin._display.warning.call_count == 1
    assert "audit logging is off for this run" in plugin._display.warning.call_args[0][0]


def test_a_failed_message_quoting_a_secret_is_masked(audit, tmp_path):
    # A controller-side error that quotes the task's own token, or carries a bearer token,
    # must not put it in the audit log (the task is not no_log: its name and status still are).
    host = Host("localhost")
    login = task("Log in", "kiro.platform.notify")
    login.args = {"channels": [{"type": "webhook", "url": "https://hooks.example.com/x", "token": SECRET}]}
    audit.v2_playbook_on_start(MagicMock(_file_name="playbooks/emergency_rollback.yml"))
    audit.v2_runner_on_failed(TaskResult(host, login, {"msg": "token %s refused by https://hooks.example.com/x; "
                                                              "Authorization: Bearer tok-%s" % (SECRET, SECRET[::-1])}, {}))
    record = lines(tmp_path)[-1]
    assert record["failed"] and "refused by https://hooks.example.com/x" in record["msg"]
    text = (tmp_path / "audit" / "INC-42_rollback.jsonl").read_text()
    assert SECRET not in text and SECRET[::-1] not in text
