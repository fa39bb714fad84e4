"""The ledger action's operations as plain functions (module_utils/ledger/operations.py)."""

import os
import sys

import pytest

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), *[os.pardir] * 4)))

from fixtures.ledger_helpers import KEY_TEXT  # noqa: E402

from ansible_collections.kiro.platform.plugins.module_utils.common import aws  # noqa: E402
from ansible_collections.kiro.platform.plugins.module_utils.ledger import operations  # noqa: E402
from ansible_collections.kiro.platform.plugins.module_utils.ledger.entries import ChainBroken, LedgerError, LockHeld  # noqa: E402


def params(**extra):
    values = dict(operation="read", environment="staging", backend="local", path="ledger", bucket=None,
                  prefix="kiro-ledger", phase=None, event=None, actor="alice", run_id="run-1", details=None,
                  report_sha256=None, ttl=600, break_lock=False, key=KEY_TEXT, key_file=None, kms_key_id=None,
                  key_create=False, head_dir=None, head_prefix=None)
    values.update(dict((key, None) for key in aws.CONNECTION_KEYS))
    values.update(extra)
    return values


def test_ledger_dir_resolves_against_the_playbook_directory(monkeypatch):
    monkeypatch.setenv("HOME", "/home/op")
    monkeypatch.setenv("LEDGERS", "/srv/ledgers")
    assert operations.ledger_dir("ledger", "/play") == "/play/ledger"
    assert operations.ledger_dir("~/ledger", "/play") == "/home/op/ledger"
    assert operations.ledger_dir("$LEDGERS/kiro", "/play") == "/srv/ledgers/kiro"


def test_defaults_come_from_awx_else_this_process():
    assert operations.default_actor({"tower_user_name": "bob"}) == "bob"
    assert operations.default_run_id({"awx_job_id": 7}) == "awx-job-7"
    assert operations.default_run_id({}).endswith(":%d" % os.getppid())


def test_append_then_lock_extend_and_unlock(tmp_path):
    ledger = operations.open_for(params(), str(tmp_path))
    assert ledger.location == str(tmp_path / "ledger" / "staging.jsonl")
    out = operations.operate(ledger, params(operation="append", phase=1, event="started"))
    assert out["entry"]["seq"] == 1 and out["state"]["entries"] == 1 and out["chain_ok"]
    assert operations.operate(ledger, params(operation="lock"))["lock"]["status"] == "acquired"
    check = operations.operate(ledger, params(operation="lock"), check_mode=True)
    assert check["lock"]["status"] == "would be extended"
    out = operations.operate(ledger, params(operation="unlock"))
    assert out["changed"] is True and out["msg"] == "staging: lock of run run-1 released"
    out = operations.operate(ledger, params(operation="unlock"))
    assert out["changed"] is False and out["msg"] == "staging: was not locked"


def test_another_runs_lock_is_refused_and_reported(tmp_path):
    ledger = operations.open_for(params(), str(tmp_path))
    operations.operate(ledger, params(operation="lock"))
    with pytest.raises(LockHeld) as caught:
        operations.operate(ledger, params(operation="lock", run_id="run-2", actor="bob"))
    assert operations.error_result(caught.value)["lock"]["holder"] == "alice"


def test_error_results():
    assert operations.error_result(ChainBroken(3, "bad hash")) == {"changed": False, "chain_ok": False, "bad_seq": 3}
    assert operations.error_result(LedgerError("x")) == {"changed": False}


def test_s3_without_bucket_is_an_error(tmp_path):
    with pytest.raises(LedgerError, match="bucket"):
        operations.open_for(params(backend="s3"), str(tmp_path))
