"""Killing a marked process tree: every process carrying the marker, in any session, and no other."""

import os
import subprocess
import time
import uuid

from ansible_collections.kiro.platform.plugins.module_utils.common import processes

VAR = "KIRO_TEST_MARKER"


def _wait_for(predicate, within=5.0):
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    return predicate()


def test_the_marked_tree_is_killed_and_nothing_else():
    marker = uuid.uuid4().hex
    env = dict(os.environ, **{VAR: marker})
    # A shell in its own session with a background child: both inherit the marker.
    tree = subprocess.Popen(["sh", "-c", "sleep 300 & sleep 300; wait"], env=env, start_new_session=True)
    bystander = subprocess.Popen(["sleep", "300"])
    try:
        marked = _wait_for(lambda: len(processes.marked_pids(VAR, marker)) >= 3 and processes.marked_pids(VAR, marker))
        assert tree.pid in marked and len(marked) >= 3, marked
        assert bystander.pid not in marked
        killed = processes.kill_marked(VAR, marker)
        assert sorted(killed) == sorted(marked)
        assert tree.wait(5) == -9
        # The orphaned background sleep is gone too (a zombie's environ is empty, so it no longer matches).
        assert _wait_for(lambda: processes.marked_pids(VAR, marker) == []), processes.marked_pids(VAR, marker)
        assert bystander.poll() is None, "a process without the marker was killed"
    finally:
        bystander.kill()
        bystander.wait()
        tree.kill()
        tree.wait()


def test_an_unknown_marker_kills_nothing():
    assert processes.kill_marked(VAR, uuid.uuid4().hex) == []
