"""The host-local override marker (kiro/override.py) and the lockdown that writes it first.

A write under override.guard is refused while an incident is in the marker, naming it; the
lockdown writes the marker before anything else, waits for a write in flight, and a write
that starts after it is refused. The lockdown does not depend on the snapshot (nor on the
marker): with either unwritable the host is still locked down and the failure is named.
"""

import json
import os
import subprocess
import threading
import time

import pytest

from ansible_collections.kiro.platform.plugins.module_utils.kiro import facts, lockdown, override, profile
from ansible_collections.kiro.platform.plugins.module_utils.kiro.argspec import TARGETS

from kiro_helpers import make_workspace, mode_of, read_bytes, roots, tree, write

AUTONOMOUS = {
    "hooks": [{"name": "infra-monitor", "when": {"type": "fileEdited", "patterns": ["k8s/**/*.yaml"]},
               "then": {"type": "askAgent", "prompt": "Check these manifests."}}],
    "mcp_servers": [{"name": "aws-api", "command": "uvx", "args": ["awslabs.aws-api-mcp-server@latest"],
                     "auto_approve": ["call_aws"]}],
    "autonomy": {"agent_autonomy": "Autopilot", "trusted_commands": ["git status"]},
}


def params(**overrides):
    """The validated parameters of kiro.platform.lockdown (every default), with ``overrides``."""
    spec = dict(TARGETS, **lockdown.OPTIONS)
    out = dict((name, option.get("default")) for name, option in spec.items())
    out.update(overrides)
    return out


@pytest.fixture
def host(tmp_path):
    workspace = make_workspace(tmp_path, "ws")
    profile.plan(roots([workspace]), profile.validate(json.loads(json.dumps(AUTONOMOUS)))).apply()
    return {"workspace": workspace, "marker": os.path.join(str(tmp_path), "state", "override.json"),
            "snapshots": os.path.join(str(tmp_path), "snapshots")}


def manual(workspace):
    return facts.gather(roots([workspace]))["summary"]["manual_mode"]


def test_a_write_under_the_guard_is_refused_while_an_incident_is_in_the_marker(host):
    override.engage(host["marker"], "INC-42", actor="oncall")
    wrote = []
    with pytest.raises(override.OverrideActive) as refused:
        with override.guard(host["marker"]):
            wrote.append(True)
    assert wrote == []
    message = str(refused.value)
    assert "incident INC-42" in message and "by oncall" in message and host["marker"] in message
    assert "playbooks/clear_override.yml -e incident_id=INC-42" in message
    assert refused.value.details == {"marker": host["marker"], "incident_id": "INC-42", "incidents": ["INC-42"]}
    # Check mode predicts the refusal too.
    with pytest.raises(override.OverrideActive):
        with override.guard(host["marker"], check_mode=True):
            pass


def test_without_a_marker_the_guard_lets_the_write_through_and_check_mode_creates_nothing(tmp_path):
    marker = os.path.join(str(tmp_path), "state", "override.json")
    with override.guard(marker, check_mode=True):
        pass
    assert not os.path.exists(os.path.dirname(marker))
    with override.guard(marker) as path:
        assert path == marker
    assert os.listdir(os.path.dirname(marker)) == [], "the guard left a file behind"
    assert mode_of(os.path.dirname(marker)) == 0o700


def test_the_lockdown_writes_the_marker_first_0600_and_a_later_profile_apply_is_refused(host):
    result = lockdown.run(params(workspaces=[host["workspace"]], incident_id="INC-42", actor="oncall",
                                 override_marker=host["marker"], snapshot_dir=host["snapshots"]))
    assert result["override"]["status"] == "written" and result["override"]["path"] == host["marker"]
    assert mode_of(host["marker"]) == 0o600
    incidents = json.loads(read_bytes(host["marker"]))["incidents"]
    assert [(i["incident_id"], i["actor"]) for i in incidents] == [("INC-42", "oncall")] and incidents[0]["set"]
    assert manual(host["workspace"])
    # The marker was written before any Kiro file (a snapshot included).
    first = os.stat(host["marker"]).st_mtime_ns
    assert all(os.stat(os.path.join(host["workspace"], path)).st_mtime_ns >= first for path in result["changed_files"]
               if not os.path.isabs(path)) and all(os.stat(path).st_mtime_ns >= first for path in result["changed_files"])
    before = tree(host["workspace"])
    with pytest.raises(override.OverrideActive, match="INC-42"):
        with override.guard(host["marker"]):
            profile.plan(roots([host["workspace"]]), profile.validate(json.loads(json.dumps(AUTONOMOUS)))).apply()
    assert tree(host["workspace"]) == before and manual(host["workspace"])
    # A second lockdown for the same incident keeps the first record.
    again = lockdown.run(params(workspaces=[host["workspace"]], incident_id="INC-42", override_marker=host["marker"]))
    assert again["override"]["status"] == "present" and again["changed_files"] == []


def test_the_marker_is_written_even_when_the_lockdown_cannot_plan(host):
    with pytest.raises(lockdown.LockdownIncomplete, match="settings_file"):
        lockdown.run(params(workspaces=[host["workspace"]], incident_id="INC-9", override_marker=host["marker"],
                            settings_file="../escape.json"))
    assert [i["incident_id"] for i in json.loads(read_bytes(host["marker"]))["incidents"]] == ["INC-9"]


def test_the_lockdown_waits_for_a_write_in_flight_and_a_write_after_it_is_refused(host):
    """check+write and the lockdown are serialized by the host lock."""
    events = []
    inside = threading.Event()

    def writer():
        with override.guard(host["marker"]):
            inside.set()
            time.sleep(0.4)
            profile.plan(roots([host["workspace"]]), profile.validate(json.loads(json.dumps(AUTONOMOUS)))).apply()
            events.append(("written", time.monotonic()))

    thread = threading.Thread(target=writer)
    thread.start()
    assert inside.wait(5)
    result = lockdown.run(params(workspaces=[host["workspace"]], incident_id="INC-42", override_marker=host["marker"]))
    events.append(("locked", time.monotonic()))
    thread.join(5)
    assert [name for name, _unused in sorted(events, key=lambda e: e[1])] == ["written", "locked"]
    assert "warnings" not in result and manual(host["workspace"])
    with pytest.raises(override.OverrideActive):
        with override.guard(host["marker"]):
            pass


def test_a_lockdown_never_waits_long_for_the_host_lock(host):
    """A write stuck under the lock does not hold the kill switch: the marker is written without it."""
    release = threading.Event()
    inside = threading.Event()

    def stuck():
        with override.host_lock(host["marker"], 5):
            inside.set()
            release.wait(10)

    thread = threading.Thread(target=stuck)
    thread.start()
    assert inside.wait(5)
    try:
        started = time.monotonic()
        marked = override.engage(host["marker"], "INC-1", wait=0.2)
        assert time.monotonic() - started < 2
    finally:
        release.set()
        thread.join(5)
    assert marked["status"] == "written" and "written without it" in marked["warning"]


def _unwritable_dir(path):
    """A directory nobody may write into: 0500, or immutable (chattr +i) for root; None if neither holds."""
    os.makedirs(path)
    os.chmod(path, 0o500)
    if _writable(path):
        subprocess.run(["chattr", "+i", path], capture_output=True, check=False)
    return None if _writable(path) else path


def _writable(path):
    try:
        write(os.path.join(path, "probe"), "x")
    except OSError:
        return False
    os.unlink(os.path.join(path, "probe"))
    return True


@pytest.mark.parametrize("blocker", ["file", "unwritable_dir"])
def test_the_lockdown_does_not_depend_on_the_snapshot(host, blocker, tmp_path):
    if blocker == "file":
        snapshots = write(os.path.join(str(tmp_path), "not-a-dir"), "a regular file")
    else:
        snapshots = _unwritable_dir(os.path.join(str(tmp_path), "ro"))
        if snapshots is None:
            pytest.skip("cannot make a directory unwritable here (no chattr); the regular-file case covers it")
    try:
        result = lockdown.run(params(workspaces=[host["workspace"]], snapshot_dir=snapshots, incident_id="INC-3",
                                     override_marker=host["marker"]))
    finally:
        subprocess.run(["chattr", "-i", snapshots], capture_output=True, check=False)
    assert manual(host["workspace"]) and result["changed_files"]
    assert "snapshot" not in result
    assert result["snapshot_error"]["path"] == snapshots and snapshots in result["snapshot_error"]["msg"]
    assert any("no snapshot was taken" in w and snapshots in w for w in result["warnings"])
    assert result["errors"] == []


def test_an_unwritable_marker_is_an_error_and_the_host_is_still_locked_down(host, tmp_path):
    blocker = write(os.path.join(str(tmp_path), "blocker"), "a file where the marker's directory should be")
    marker = os.path.join(blocker, "override.json")
    result = lockdown.run(params(workspaces=[host["workspace"]], incident_id="INC-5", override_marker=marker))
    assert manual(host["workspace"])
    assert result["override"]["status"] == "failed"
    assert [e["path"] for e in result["errors"]] == [marker]
    assert "override marker could not be written" in result["errors"][0]["msg"]


def test_clearing_takes_only_that_incident_out(host):
    override.engage(host["marker"], "INC-1")
    override.engage(host["marker"], "INC-2")
    checked = lockdown.run(params(state="cleared", incident_id="INC-1", override_marker=host["marker"]), check_mode=True)
    assert checked["changed"] and checked["override"]["remaining"] == ["INC-2"]
    assert len(json.loads(read_bytes(host["marker"]))["incidents"]) == 2, "check mode changed the marker"
    cleared = lockdown.run(params(state="cleared", incident_id="INC-1", override_marker=host["marker"]))
    assert cleared["changed"] and cleared["override"]["remaining"] == ["INC-2"]
    with pytest.raises(override.OverrideActive, match="INC-2"):
        with override.guard(host["marker"]):
            pass
    assert lockdown.run(params(state="cleared", incident_id="INC-1", override_marker=host["marker"]))["changed"] is False
    assert lockdown.run(params(state="cleared", incident_id="INC-2", override_marker=host["marker"]))["changed"]
    assert not os.path.exists(host["marker"])
    with override.guard(host["marker"]):
        pass
    with pytest.raises(lockdown.LockdownIncomplete, match="incident_id"):
        lockdown.run(params(state="cleared", incident_id="INC-2\n", override_marker=host["marker"]))


def test_a_damaged_marker_refuses_writes_and_a_lockdown_replaces_it(host):
    write(host["marker"], '{"incidents": [{"incident_')
    with pytest.raises(override.MarkerUnusable, match="cannot be read"):
        with override.guard(host["marker"]):
            pass
    assert override.engage(host["marker"], "INC-8")["status"] == "written"
    assert [i["incident_id"] for i in override.read(host["marker"])] == ["INC-8"]
