"""The S3 ledger backend against a real moto server: conditional writes, retries on 412, locks."""

import datetime
import json
import os
import sys
import threading
import uuid

import pytest

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), *[os.pardir] * 4)))

from fixtures.ledger_helpers import racing_clients, signing_key  # noqa: E402

from ansible_collections.kiro.platform.plugins.module_utils.ledger import entries as model  # noqa: E402
from ansible_collections.kiro.platform.plugins.module_utils.ledger.backends import open_ledger  # noqa: E402
from ansible_collections.kiro.platform.plugins.module_utils.ledger.entries import (  # noqa: E402
    ChainBroken, LedgerError, LockHeld)
from ansible_collections.kiro.platform.plugins.module_utils.ledger.s3 import S3Ledger  # noqa: E402

KEY = signing_key()
UTC = datetime.timezone.utc
T0 = datetime.datetime(2025, 3, 1, 9, 0, 0, tzinfo=UTC)


def body(client, bucket, key):
    return client.get_object(Bucket=bucket, Key=key)["Body"].read()


def test_append_writes_one_object_that_verifies(s3):
    client, bucket = s3
    ledger = S3Ledger(client, bucket, "teams/kiro-ledger/", "staging", KEY)
    assert ledger.read() == [] and ledger.current_lock() is None
    written = [ledger.append(p, "gate_passed", "alice", "run-%d" % p) for p in (1, 2, 3)]
    assert ledger.key == "teams/kiro-ledger/staging/ledger.jsonl"
    lines = body(client, bucket, ledger.key).split(b"\n")
    assert lines[-1] == b"" and [json.loads(line) for line in lines[:-1]] == written
    assert [e["seq"] for e in ledger.read()] == [1, 2, 3] and ledger.verify() is None
    assert ledger.state()["phase"] == 3 and ledger.conflicts == 0


def test_a_tampered_object_is_caught_and_not_appended_to(s3):
    client, bucket = s3
    ledger = S3Ledger(client, bucket, "kiro-ledger", "production", KEY)
    for n in range(3):
        ledger.append(1, "applied", "alice", "run-%d" % n)
    lines = body(client, bucket, ledger.key).split(b"\n")
    entry = json.loads(lines[1])
    entry["event"] = "gate_passed"
    lines[1] = json.dumps(entry).encode()
    tampered = b"\n".join(lines)
    client.put_object(Bucket=bucket, Key=ledger.key, Body=tampered)
    broken = ledger.verify()
    assert broken.seq == 2 and "entry changed after it was written" in str(broken)
    assert "s3://%s/kiro-ledger/production/ledger.jsonl" % bucket in str(broken)
    with pytest.raises(ChainBroken, match="seq 2"):
        ledger.append(2, "gate_passed", "mallory", "run-x")
    assert body(client, bucket, ledger.key) == tampered


def _append_many(ledger, worker, count, errors):
    try:
        for n in range(count):
            ledger.append(2, "applied", "worker-%d" % worker, "run-%d-%d" % (worker, n))
    except Exception as exc:  # reported by the test
        errors.append(exc)


def test_four_threads_appending_at_once_retry_on_412_and_all_land(s3):
    client, bucket = s3
    clients = racing_clients(client, 4)
    ledgers = [S3Ledger(c, bucket, "kiro-ledger", "staging", KEY) for c in clients]
    errors = []
    threads = [threading.Thread(target=_append_many, args=(ledger, w, 3, errors)) for w, ledger in enumerate(ledgers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    # All four read the same (absent) object: three of the first writes had to fail and retry.
    assert sum(c.precondition_failures for c in clients) >= 3
    assert sum(ledger.conflicts for ledger in ledgers) == sum(c.precondition_failures for c in clients)
    entries = S3Ledger(client, bucket, "kiro-ledger", "staging", KEY).read()
    assert [e["seq"] for e in entries] == list(range(1, 13))
    assert len(set(e["run_id"] for e in entries)) == 12
    assert model.verify(entries) is None


def test_a_lost_race_to_create_the_lock_ends_in_lock_held(s3):
    client, bucket = s3
    first, second = [S3Ledger(c, bucket, "kiro-ledger", "staging", KEY) for c in racing_clients(client, 2)]
    outcomes = {}

    def take(ledger, name):
        try:
            outcomes[name] = ledger.lock(name, name.upper(), 600)["status"]
        except LockHeld as exc:
            outcomes[name] = "held by %s" % exc.run_id

    threads = [threading.Thread(target=take, args=(first, "a")), threading.Thread(target=take, args=(second, "b"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes.values()) in (["acquired", "held by a"], ["acquired", "held by b"])
    assert first.conflicts + second.conflicts == 1


def test_lock_held_extended_stale_and_broken(s3):
    client, bucket = s3
    ledger = S3Ledger(client, bucket, "kiro-ledger", "staging", KEY)
    ledger.append(2, "gate_passed", "alice", "run-a")
    assert ledger.lock("run-a", "alice", 600, now=T0)["status"] == "acquired"
    assert json.loads(body(client, bucket, "kiro-ledger/staging/lock.json"))["holder"] == "alice"
    with pytest.raises(LockHeld, match="alice \\(run run-a\\) until 2025-03-01T09:10:00.000Z.*must wait"):
        ledger.lock("run-b", "bob", 600, now=T0 + datetime.timedelta(minutes=1))
    extended = ledger.lock("run-a", "alice", 600, now=T0 + datetime.timedelta(minutes=5))
    assert extended["status"] == "extended" and extended["expires"] == "2025-03-01T09:15:00.000Z"
    later = T0 + datetime.timedelta(hours=1)
    with pytest.raises(LockHeld, match="stale") as caught:
        ledger.lock("run-b", "bob", 600, now=later)
    assert caught.value.stale and len(ledger.read()) == 1
    broken = ledger.lock("run-b", "bob", 600, break_lock=True, now=later)
    assert broken["status"] == "broken" and broken["previous"]["run_id"] == "run-a"
    last = ledger.read()[-1]
    assert last["event"] == "lock_broken" and last["details"]["run_id"] == "run-a" and last["actor"] == "bob"
    assert last["phase"] == 2 and ledger.verify() is None
    assert ledger.current_lock()["run_id"] == "run-b"


def test_unlock_only_removes_our_own_lock(s3):
    client, bucket = s3
    ledger = S3Ledger(client, bucket, "kiro-ledger", "staging", KEY)
    assert ledger.unlock("run-a") is False
    ledger.lock("run-a", "alice", 600)
    with pytest.raises(LedgerError, match="not by run run-b"):
        ledger.unlock("run-b")
    assert ledger.current_lock()["run_id"] == "run-a"
    assert ledger.unlock("run-a") is True and ledger.current_lock() is None


def test_a_missing_bucket_is_an_error_not_an_empty_ledger(s3):
    client, _unused = s3
    ledger = S3Ledger(client, "no-such-bucket-%s" % uuid.uuid4().hex[:8], "kiro-ledger", "staging", KEY)
    with pytest.raises(LedgerError, match="NoSuchBucket"):
        ledger.read()


def test_open_ledger_builds_its_own_client_from_settings(s3, moto):
    _unused, bucket = s3
    ledger = open_ledger("s3", "development", bucket=bucket, signer=KEY, region="us-east-1", endpoint_url=moto.url,
                         aws_access_key_id="testing", aws_secret_access_key="testing")
    assert isinstance(ledger, S3Ledger) and ledger.key == "kiro-ledger/development/ledger.jsonl"
    assert ledger.append(1, "started", "alice", "r1")["seq"] == 1
    with pytest.raises(LedgerError, match="go together"):
        open_ledger("s3", "development", bucket=bucket, signer=KEY, aws_access_key_id="only-half")
    with pytest.raises(LedgerError, match="bucket"):
        open_ledger("s3", "development", signer=KEY)
