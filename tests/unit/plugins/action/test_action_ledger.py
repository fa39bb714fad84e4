"""kiro.platform.ledger's action plugin run directly on a local ledger."""

import json

import pytest

from ansible.errors import AnsibleActionFail

from ansible_collections.kiro.platform.plugins.action.ledger import ActionModule

SECRET = "aws-S3cret-LedgerZ9x"


def run(action, check_mode=False, task_vars=None, **args):
    args.setdefault("environment", "staging")
    args.setdefault("key_file", "keys/ledger.key")  # beside the playbook directory, outside the ledger
    args.setdefault("key_create", True)
    return action(ActionModule, args, check_mode=check_mode).run(task_vars=task_vars or {})


def test_lock_append_state_verify_unlock_in_the_playbook_directory(action, tmp_path):
    awx = {"awx_job_id": 42, "awx_user_name": "alice"}
    lock = run(action, operation="lock", task_vars=awx)
    assert lock["changed"] and lock["lock"]["holder"] == "alice" and lock["run_id"] == "awx-job-42"
    entry = run(action, operation="append", phase=1, event="gate_passed", task_vars=awx)["entry"]
    assert (entry["seq"], entry["actor"], entry["event"]) == (1, "alice", "gate_passed")
    state = run(action, operation="state")
    assert state["state"]["phase"] == 1 and state["chain_ok"] is True
    assert state["lock"]["run_id"] == "awx-job-42"
    verify = run(action, operation="verify")  # a lock is not an entry
    where = tmp_path / "ledger" / "staging.jsonl"
    assert verify["msg"].startswith("%s: 1 entries, chain intact, every entry signed, head matches" % where)
    assert verify["anchor"] == {"seq": 1, "sha256": entry["sha256"]} and verify["key_id"].startswith("hmac:")
    assert (tmp_path / "ledger-head" / "staging.head.json").is_file() and (tmp_path / "keys" / "ledger.key").is_file()
    unlock = run(action, operation="unlock", task_vars=awx)
    assert unlock["changed"] is True and unlock["lock"]["run_id"] == "awx-job-42"
    assert (tmp_path / "ledger" / "staging.jsonl").is_file()


def test_check_mode_append_changes_nothing(action, tmp_path):
    result = run(action, check_mode=True, operation="append", phase=2, event="started", path=str(tmp_path / "l"))
    assert result["changed"] and result["msg"].startswith("check mode: would append seq 1 (started)")
    assert not (tmp_path / "l" / "staging.jsonl").exists()


def test_a_tampered_ledger_fails_verify_and_state_naming_the_seq(action, tmp_path):
    run(action, operation="append", phase=1, event="started")
    run(action, operation="append", phase=1, event="applied")
    path = tmp_path / "ledger" / "staging.jsonl"
    lines = path.read_text().splitlines()
    first = json.loads(lines[0])
    first["actor"] = "mallory"
    path.write_text("\n".join([json.dumps(first)] + lines[1:]) + "\n")
    verify = run(action, operation="verify")
    assert verify["failed"] is True and verify["chain_ok"] is False and verify["bad_seq"] == 1
    with pytest.raises(AnsibleActionFail) as caught:
        run(action, operation="state")
    assert caught.value.result["bad_seq"] == 1 and caught.value.result["chain_ok"] is False


def test_a_lock_held_by_another_run_fails_with_its_holder(action):
    run(action, operation="lock", run_id="run-a", actor="alice")
    with pytest.raises(AnsibleActionFail) as caught:
        run(action, operation="lock", run_id="run-b", actor="bob")
    assert caught.value.result["lock"]["holder"] == "alice"
    assert caught.value.result["lock"]["run_id"] == "run-a"


@pytest.mark.parametrize("args,missing", [
    ({"operation": "append"}, "event"),
    ({"operation": "read", "backend": "s3"}, "bucket"),
])
def test_required_if_from_the_action_and_choices_from_the_documentation(action, args, missing):
    with pytest.raises(AnsibleActionFail, match="kiro.platform.ledger: .*%s" % missing):
        run(action, **args)
    with pytest.raises(AnsibleActionFail, match="operation must be one of: read, append"):
        run(action, operation="rewrite")


def test_an_aws_secret_is_masked_in_argument_errors(action):
    with pytest.raises(AnsibleActionFail) as caught:
        run(action, operation="read", aws_secret_access_key=SECRET, ttl=SECRET)
    assert "ttl" in str(caught.value) and SECRET not in str(caught.value)
