"""A run killed with SIGKILL never unlocks: its lock records the holder's host, pid and run id,
and may be broken (recorded as lock_broken) once that process is gone from this controller -
never while it runs, nor when it ran on another controller."""

import os
import signal
import socket
import subprocess
import sys
import textwrap

import pytest

TESTS = os.path.abspath(os.path.join(os.path.dirname(__file__), *[os.pardir] * 4))
sys.path.insert(0, TESTS)

from fixtures.ledger_helpers import signing_key  # noqa: E402

from ansible_collections.kiro.platform.plugins.module_utils.ledger import entries as model  # noqa: E402
from ansible_collections.kiro.platform.plugins.module_utils.ledger.entries import LockHeld  # noqa: E402
from ansible_collections.kiro.platform.plugins.module_utils.ledger.local import LocalLedger  # noqa: E402

KEY = signing_key()
HOLDER = textwrap.dedent("""
    import sys, time
    sys.path[:0] = [sys.argv[2], sys.argv[3]]
    from fixtures.ledger_helpers import signing_key
    from ansible_collections.kiro.platform.plugins.module_utils.ledger.local import LocalLedger
    LocalLedger(sys.argv[1], "staging", signing_key()).lock("run-killed", "alice", 3600)
    print("locked", flush=True)
    time.sleep(120)
""")


def start_holder(directory):
    collections = [p for p in sys.path if p.endswith(".collections")][0]
    process = subprocess.Popen([sys.executable, "-c", HOLDER, directory, TESTS, collections],
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "locked"
    return process


@pytest.fixture
def ledger(tmp_path):
    ledger = LocalLedger(str(tmp_path / "ledger"), "staging", KEY)
    ledger.append(1, "applied", "alice", "run-0")
    return ledger


def test_a_sigkilled_runs_lock_names_its_process_and_can_be_broken(ledger):
    process = start_holder(ledger.directory)
    lock = ledger.current_lock()
    assert lock["host"] == socket.gethostname() and lock["pid"] == process.pid and lock["run_id"] == "run-killed"
    process.send_signal(signal.SIGKILL)
    process.wait()
    with pytest.raises(LockHeld, match="process %d on .* no longer runs.*break_lock=true" % process.pid) as caught:
        ledger.lock("run-next", "bob", 600)
    assert caught.value.stale
    taken = ledger.lock("run-next", "bob", 600, break_lock=True)
    assert taken["status"] == "broken" and taken["previous"]["pid"] == process.pid
    last = ledger.read()[-1]
    assert last["event"] == "lock_broken" and last["actor"] == "bob" and last["run_id"] == "run-next"
    assert last["details"]["why"] == "holder process gone" and last["details"]["pid"] == process.pid
    assert last["details"]["host"] == socket.gethostname() and last["details"]["run_id"] == "run-killed"
    assert ledger.current_lock()["run_id"] == "run-next" and ledger.verify() is None


def test_a_live_holders_lock_is_not_broken(ledger):
    process = start_holder(ledger.directory)
    try:
        with pytest.raises(LockHeld, match="must wait.*break_lock=true only breaks a lock whose holder process is gone"):
            ledger.lock("run-next", "bob", 600, break_lock=True)
    finally:
        process.kill()
        process.wait()
    assert ledger.current_lock()["run_id"] == "run-killed" and len(ledger.read()) == 1


def test_a_lock_held_on_another_controller_is_not_broken(ledger):
    ledger.lock("run-elsewhere", "carol", 3600, host="controller-2.example", pid=2 ** 22 + 1)
    with pytest.raises(LockHeld, match="process 4194305 on controller-2.example"):
        ledger.lock("run-next", "bob", 600, break_lock=True)


def test_a_zombie_is_not_alive():
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOWAIT)  # exited, not reaped: a zombie
    assert model.process_alive(process.pid) is False
    process.wait()
    assert model.process_alive(os.getpid()) is True
