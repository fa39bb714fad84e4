"""The local ledger backend: hash chain, tamper detection, concurrent appends, torn writes, locks."""

import datetime
import glob
import hashlib
import json
import multiprocessing
import os
import stat
import sys

import pytest

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), *[os.pardir] * 4)))

from fixtures.ledger_helpers import drop_line, read_lines, tamper_line, signing_key, write_lines  # noqa: E402

from ansible_collections.kiro.platform.plugins.module_utils.ledger import entries as model  # noqa: E402
from ansible_collections.kiro.platform.plugins.module_utils.ledger.backends import open_ledger  # noqa: E402
from ansible_collections.kiro.platform.plugins.module_utils.ledger.entries import (  # noqa: E402
    ChainBroken, LedgerError, LockHeld)
from ansible_collections.kiro.platform.plugins.module_utils.ledger.local import LocalLedger  # noqa: E402

KEY = signing_key()
UTC = datetime.timezone.utc
T0 = datetime.datetime(2025, 3, 1, 9, 0, 0, tzinfo=UTC)


@pytest.fixture
def ledger(tmp_path):
    return LocalLedger(str(tmp_path / "ledger"), "staging", KEY)


def fill(ledger, count):
    return [ledger.append(1, "applied", "alice", "run-%d" % n, details={"n": n}) for n in range(1, count + 1)]


def test_chain_is_written_hashed_and_verifies(ledger):
    written = fill(ledger, 3)
    entries = ledger.read()
    assert entries == written
    assert [e["seq"] for e in entries] == [1, 2, 3]
    assert entries[0]["prev_sha256"] == "0" * 64
    for before, entry in zip([None] + entries, entries):
        body = dict((k, v) for k, v in entry.items() if k not in ("sha256", "mac"))
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        assert entry["sha256"] == hashlib.sha256(canonical).hexdigest()
        if before:
            assert entry["prev_sha256"] == before["sha256"]
        assert entry["ts"].endswith("Z") and datetime.datetime.fromisoformat(entry["ts"][:-1])
    assert ledger.verify() is None
    assert len(read_lines(ledger.path)) == 3
    assert stat.S_IMODE(os.stat(ledger.path).st_mode) == 0o640
    assert stat.S_IMODE(os.stat(ledger.directory).st_mode) == 0o750


def test_changing_one_field_of_one_line_is_caught_at_that_seq(ledger):
    fill(ledger, 4)
    tamper_line(ledger.path, 2, actor="mallory")
    broken = ledger.verify()
    assert isinstance(broken, ChainBroken) and broken.seq == 2
    assert "entry changed after it was written" in str(broken) and "seq 2" in str(broken)
    with pytest.raises(ChainBroken, match="seq 2"):
        ledger.state()


def test_a_rehashed_forgery_is_caught_by_its_mac(ledger):
    fill(ledger, 4)
    entry = ledger.read()[1]
    entry["details"] = {"n": 99}
    entry["sha256"] = model.digest(entry)
    lines = read_lines(ledger.path)
    lines[1] = json.dumps(entry).encode()
    write_lines(ledger.path, lines)
    broken = ledger.verify()
    assert broken.seq == 2 and "bad signature" in str(broken)


def test_deleting_a_middle_line_is_caught(ledger):
    fill(ledger, 5)
    drop_line(ledger.path, 3)
    broken = ledger.verify()
    assert broken.seq == 4 and "removed or reordered" in broken.reason


def test_swapping_two_lines_is_caught(ledger):
    fill(ledger, 3)
    lines = read_lines(ledger.path)
    write_lines(ledger.path, [lines[0], lines[2], lines[1]])
    assert ledger.verify().seq == 3


def test_appending_to_a_tampered_ledger_is_refused_and_writes_nothing(ledger):
    fill(ledger, 3)
    tamper_line(ledger.path, 1, phase=5)
    before = open(ledger.path, "rb").read()
    with pytest.raises(ChainBroken, match="seq 1"):
        ledger.append(2, "gate_passed", "alice", "run-x")
    assert open(ledger.path, "rb").read() == before


def test_another_environments_file_is_not_accepted(tmp_path):
    staging = LocalLedger(str(tmp_path), "staging", KEY)
    fill(staging, 2)
    os.rename(staging.path, str(tmp_path / "production.jsonl"))
    broken = LocalLedger(str(tmp_path), "production", KEY).verify()
    assert broken.seq == 1 and "staging" in broken.reason


def test_a_line_that_is_not_json_names_its_line_number(ledger):
    fill(ledger, 3)
    lines = read_lines(ledger.path)
    lines[1] = lines[1][:20]
    write_lines(ledger.path, lines)
    with pytest.raises(ChainBroken, match="line 2 is not JSON") as caught:
        ledger.read()
    assert caught.value.line == 2


def _append_worker(directory, barrier, worker, count):
    barrier.wait(timeout=20)
    ledger = LocalLedger(directory, "staging", KEY)
    for n in range(count):
        ledger.append(2, "applied", "worker-%d" % worker, "run-%d-%d" % (worker, n))


def test_eight_processes_appending_at_once_all_land_in_one_chain(ledger):
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(8)
    procs = [ctx.Process(target=_append_worker, args=(ledger.directory, barrier, w, 3)) for w in range(8)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(30)
    assert [p.exitcode for p in procs] == [0] * 8
    entries = ledger.read()
    assert [e["seq"] for e in entries] == list(range(1, 25))
    assert len(set(e["run_id"] for e in entries)) == 24
    assert ledger.verify() is None and not ledger.warnings
    assert len(read_lines(ledger.path)) == 24


def test_a_torn_last_line_is_reported_then_set_aside_by_the_next_append(ledger):
    fill(ledger, 2)
    torn = model.to_line(model.new_entry(ledger.read()[-1], "staging", 1, "applied", "bob", "run-torn"))[:57]
    with open(ledger.path, "ab") as handle:
        handle.write(torn)  # a crash in the middle of a write: half a line, no newline
    entries = ledger.read()
    assert [e["seq"] for e in entries] == [1, 2]
    assert len(ledger.warnings) == 1 and "line 3" in ledger.warnings[0] and "incomplete" in ledger.warnings[0]
    assert ledger.torn["data"] == torn
    entry = ledger.append(1, "applied", "carol", "run-3")
    assert entry["seq"] == 3 and "moved to" in ledger.warnings[0]
    aside = glob.glob(ledger.path + ".torn-*")
    assert len(aside) == 1 and open(aside[0], "rb").read() == torn
    assert [e["run_id"] for e in ledger.read()] == ["run-1", "run-2", "run-3"]
    assert ledger.verify() is None and not ledger.warnings


def test_a_complete_last_line_without_its_newline_is_kept_and_not_glued_to(ledger):
    fill(ledger, 2)
    data = open(ledger.path, "rb").read()
    with open(ledger.path, "wb") as handle:
        handle.write(data.rstrip(b"\n"))
    assert len(ledger.read()) == 2 and not ledger.warnings
    ledger.append(1, "applied", "alice", "run-3")
    assert [e["seq"] for e in ledger.read()] == [1, 2, 3] and ledger.verify() is None


def test_a_held_lock_names_its_holder_and_makes_a_second_run_wait(ledger):
    first = ledger.lock("run-a", "alice", 600, now=T0)
    assert first["status"] == "acquired" and first["expires"] == "2025-03-01T09:10:00.000Z"
    assert json.load(open(ledger.lock_path))["run_id"] == "run-a"
    with pytest.raises(LockHeld) as caught:
        ledger.lock("run-b", "bob", 600, now=T0 + datetime.timedelta(minutes=5))
    message = str(caught.value)
    assert "alice" in message and "run-a" in message and "2025-03-01T09:10:00.000Z" in message
    assert "must wait" in message and not caught.value.stale
    assert caught.value.holder == "alice" and caught.value.run_id == "run-a"
    # break_lock never breaks a lock that has not expired
    with pytest.raises(LockHeld):
        ledger.lock("run-b", "bob", 600, break_lock=True, now=T0 + datetime.timedelta(minutes=5))
    assert ledger.read() == []


def test_relocking_with_the_same_run_id_extends(ledger):
    ledger.lock("run-a", "alice", 600, now=T0)
    again = ledger.lock("run-a", "alice", 600, now=T0 + datetime.timedelta(minutes=8))
    assert again["status"] == "extended"
    assert again["acquired"] == "2025-03-01T09:00:00.000Z" and again["expires"] == "2025-03-01T09:18:00.000Z"
    assert ledger.current_lock()["expires"] == "2025-03-01T09:18:00.000Z"


def test_a_stale_lock_is_refused_without_break_lock_and_broken_with_it(ledger):
    fill(ledger, 1)
    ledger.append(3, "gate_passed", "alice", "run-a")
    old = dict((k, v) for k, v in ledger.lock("run-a", "alice", 60, now=T0).items()
               if k in model.LOCK_FIELDS + model.LOCK_PROCESS_FIELDS)
    later = T0 + datetime.timedelta(hours=2)
    with pytest.raises(LockHeld, match="stale.*break_lock=true") as caught:
        ledger.lock("run-b", "bob", 60, now=later)
    assert caught.value.stale and len(ledger.read()) == 2
    broken = ledger.lock("run-b", "bob", 60, break_lock=True, now=later)
    assert broken["status"] == "broken" and broken["previous"] == old
    assert ledger.current_lock()["run_id"] == "run-b"
    last = ledger.read()[-1]
    assert last["event"] == "lock_broken" and last["details"] == dict(old, why="expired")
    assert last["actor"] == "bob" and last["run_id"] == "run-b" and last["phase"] == 3
    assert ledger.verify() is None


def test_unlock_only_removes_our_own_lock(ledger):
    assert ledger.unlock("run-a") is False
    ledger.lock("run-a", "alice", 600)
    with pytest.raises(LedgerError, match="locked by alice \\(run run-a\\), not by run run-b"):
        ledger.unlock("run-b")
    assert os.path.exists(ledger.lock_path)
    assert ledger.unlock("run-a") is True
    assert not os.path.exists(ledger.lock_path) and ledger.current_lock() is None
    assert ledger.lock("run-b", "bob", 600)["status"] == "acquired"


def _lock_worker(directory, barrier, worker, results):
    barrier.wait(timeout=20)
    try:
        LocalLedger(directory, "staging", KEY).lock("run-%d" % worker, "worker-%d" % worker, 600)
        results.put(("won", worker))
    except LockHeld as exc:
        results.put(("held", exc.run_id))


def test_only_one_of_many_concurrent_lockers_wins(ledger):
    ctx = multiprocessing.get_context("fork")
    barrier, results = ctx.Barrier(6), ctx.Queue()
    procs = [ctx.Process(target=_lock_worker, args=(ledger.directory, barrier, w, results)) for w in range(6)]
    for proc in procs:
        proc.start()
    outcomes = [results.get(timeout=20) for _unused in procs]
    for proc in procs:
        proc.join(10)
    winners = [w for kind, w in outcomes if kind == "won"]
    assert len(winners) == 1
    assert all(holder == "run-%d" % winners[0] for kind, holder in outcomes if kind == "held")
    assert ledger.current_lock()["run_id"] == "run-%d" % winners[0]


def test_open_ledger_builds_the_local_backend_and_rejects_unsafe_names(tmp_path):
    ledger = open_ledger("local", "development", path=str(tmp_path), signer=KEY)
    assert isinstance(ledger, LocalLedger) and ledger.path == str(tmp_path / "development.jsonl")
    with pytest.raises(LedgerError, match="environment"):
        open_ledger("local", "../etc", path=str(tmp_path), signer=KEY)
    with pytest.raises(LedgerError, match="backend"):
        open_ledger("ftp", "development", path=str(tmp_path))
