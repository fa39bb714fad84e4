"""The kill switch wins every race: real ansible-playbook runs on the sandbox.

- A phase run already past its preflight is held on its hosts (an interpreter that waits
  for a file before it runs the profile module) while emergency_rollback.yml runs; released,
  it must raise no host, fail saying why, and record nothing that claims success.
- The same for a failed gate's rollback restoring a pre-phase snapshot over a lockdown.
- With an override in the ledger and no marker on the host, the controller refuses the
  profile and the restore before the host is contacted.
- The lockdown does not depend on the snapshot; targets that match no host are a failure;
  clear_override.yml removes the markers.
"""

import json
import os
import shutil
import subprocess
import sys
import time

import pytest

from conftest import BIN, ROOT, ansible_env, read_json, run_playbook, text, tree

from ansible_collections.kiro.platform.plugins.module_utils.kiro import facts
from ansible_collections.kiro.platform.plugins.module_utils.kiro.changeset import roots_for
from ansible_collections.kiro.platform.plugins.module_utils.ledger.local import LocalLedger
from ansible_collections.kiro.platform.plugins.module_utils.ledger.signing import load_key_file

PLAYBOOKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "playbooks")
DEV = ("dev-workstation-1", "dev-workstation-2")
INCIDENT = {"incident_id": "INC-77", "reason": "agent deleting pods in staging"}
SUCCESS = ("started", "applied", "gate_passed", "approved", "rolled_back")


def entries(sandbox, environment):
    path = os.path.join(str(sandbox), "ledger", "%s.jsonl" % environment)
    with open(path) as handle:
        return [json.loads(line) for line in handle if line.strip()]


def after_override(sandbox, environment):
    """The events recorded after the override_set of INCIDENT."""
    found = entries(sandbox, environment)
    at = [i for i, e in enumerate(found) if e["event"] == "override_set"
          and e["details"]["incident_id"] == INCIDENT["incident_id"]]
    assert at, "no override_set in %s: %s" % (environment, [e["event"] for e in found])
    return [e["event"] for e in found[at[0] + 1:]]


def host_files(sandbox, hosts):
    return dict((h, tree(os.path.join(str(sandbox), h), skip=("snapshots",))) for h in hosts)


def workspaces(sandbox, host):
    return [os.path.join(str(sandbox), host, "workspaces", name) for name in ("platform-infra", "payments-service")]


def manual_mode(sandbox, host):
    roots = roots_for(workspaces(sandbox, host), os.path.join(str(sandbox), host, "home", ".kiro"))
    return facts.gather(roots)["summary"]["manual_mode"]


def marker(sandbox, host):
    return os.path.join(str(sandbox), "overrides", host, "override.json")


def failing_metrics(tmp_path):
    metrics = read_json(os.path.join(ROOT, "sandbox", "metrics", "development.json"))
    metrics["automation_success_rate"] = 0.5
    path = tmp_path / "metrics.json"
    path.write_text(json.dumps(metrics))
    return str(path)


class Held:
    """An ansible-playbook run whose hosts stop before running ``module`` until released.

    Its hosts' interpreter is a script that, for that module's AnsiballZ file only, notes
    that it got there and waits for the release file: the controller side of the task (the
    ledger check included) has run, the host side has not.
    """

    def __init__(self, tmp_path, module, playbook, sandbox, *args):
        self.dir = tmp_path / ("hold-" + module)
        (self.dir / "reached").mkdir(parents=True)
        self.go = self.dir / "go"
        interpreter = self.dir / "python"
        interpreter.write_text(
            "#!/bin/sh\n"
            "case \"$1\" in\n"
            "  *AnsiballZ_%s.py)\n"
            "    touch '%s/reached/'$$\n"
            "    while [ ! -e '%s' ]; do sleep 0.05; done ;;\n"
            "esac\n"
            "exec '%s' \"$@\"\n" % (module, self.dir, self.go, sys.executable))
        interpreter.chmod(0o755)
        self.log = tmp_path / ("held-%s.log" % module)
        cmd = [os.path.join(BIN, "ansible-playbook"), "-i", os.path.join(ROOT, "inventories/local"),
               os.path.join(ROOT, "playbooks", playbook), "-e", "kiro_sandbox_root=%s" % sandbox,
               "-e", "rollout_report_dir=%s" % os.path.join(str(sandbox), "reports"),
               "-e", "ansible_python_interpreter=%s" % interpreter] + list(args)
        self.handle = open(str(self.log), "w")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=ansible_env({"PYTHONUNBUFFERED": "1"}), stdout=self.handle,
                                     stderr=subprocess.STDOUT)

    def wait_reached(self, count, timeout=180):
        deadline = time.time() + timeout
        while len(os.listdir(str(self.dir / "reached"))) < count:
            assert self.proc.poll() is None, "the run ended before its hosts got there:\n" + self.log.read_text()[-4000:]
            assert time.time() < deadline, self.log.read_text()[-4000:]
            time.sleep(0.05)

    def release(self, timeout=300):
        self.go.write_text("go")
        try:
            self.proc.wait(timeout=timeout)
        finally:
            self.handle.close()
        self.rc = self.proc.returncode
        self.out = self.log.read_text()
        return self

    def stop(self):
        self.go.write_text("go")
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)
        self.handle.close()


def emergency(sandbox, targets, *args):
    return run_playbook("emergency_rollback.yml", sandbox, "-e", json.dumps(dict(INCIDENT, emergency_targets=targets)),
                        *args)


@pytest.fixture(scope="module")
def phase1(tmp_path_factory):
    """Phase 1 passed in development; the staging host has the same workspaces (a template)."""
    sandbox = tmp_path_factory.mktemp("race-phase1") / "sandbox"
    sandbox.mkdir()
    run = run_playbook("phase1.yml", sandbox)
    assert run.rc == 0, run.out[-3000:]
    shutil.copytree(os.path.join(str(sandbox), DEV[0], "workspaces"),
                    os.path.join(str(sandbox), "staging-runner-1", "workspaces"))
    return sandbox


def clone(template, tmp_path):
    dest = tmp_path / "sandbox"
    shutil.copytree(str(template), str(dest), symlinks=True)
    return dest


# --- a phase run past its preflight ------------------------------------------------

@pytest.fixture(scope="module")
def raced(phase1, tmp_path_factory):
    base = tmp_path_factory.mktemp("race-phase2")
    sandbox = clone(phase1, base)
    hosts = DEV + ("staging-runner-1",)
    held = Held(base, "profile", "phase2.yml", sandbox)
    try:
        held.wait_reached(len(hosts))
        out = {"sandbox": sandbox, "hosts": hosts}
        out["emergency"] = emergency(sandbox, "development:staging")
        out["locked"] = host_files(sandbox, hosts)
        out["phase"] = held.release()
    finally:
        held.stop()
    out["after"] = host_files(sandbox, hosts)
    out["manual"] = dict((h, manual_mode(sandbox, h)) for h in hosts)
    out["events"] = dict((env, after_override(sandbox, env)) for env in ("development", "staging"))
    out["locks"] = [n for n in os.listdir(os.path.join(str(sandbox), "ledger")) if n.endswith(".lock")]
    out["clear"] = run_playbook("clear_override.yml", sandbox, "-e", json.dumps(
        {"incident_id": INCIDENT["incident_id"], "approver": "carol", "reason": "root cause fixed"}))
    out["markers_after_clear"] = [h for h in hosts if os.path.exists(marker(sandbox, h))]
    out["again"] = run_playbook("phase2.yml", sandbox)
    return out


def test_the_lockdown_wins_over_a_phase_run_in_flight(raced):
    assert raced["emergency"].rc == 0, raced["emergency"].out[-4000:]
    phase = raced["phase"]
    assert phase.rc != 0, phase.out[-4000:]
    # No host was raised above the lockdown: not a byte changed after it.
    assert raced["after"] == raced["locked"]
    assert raced["manual"] == dict((h, True) for h in raced["hosts"])


def test_the_phase_run_that_lost_says_why(raced):
    message = " ".join(raced["phase"].out.split())
    assert "Phase 2 stopped" in message and "a manual override was set while it ran" in message
    assert "incident INC-77" in message and "playbooks/clear_override.yml -e incident_id=INC-77" in message
    for host in raced["hosts"]:
        assert marker(raced["sandbox"], host) in message, host


def test_nothing_claiming_success_is_recorded_after_the_override(raced):
    for environment, events in raced["events"].items():
        assert not set(events) & set(SUCCESS), (environment, events)
    # The run's lock was released on its way out.
    assert raced["locks"] == []


def test_clear_override_removes_the_markers_and_the_phase_runs_again(raced):
    assert raced["clear"].rc == 0, raced["clear"].out[-3000:]
    assert "The override marker of INC-77 is gone from 5 host(s) (every host of the environments under its override)." in text(raced["clear"])
    assert raced["markers_after_clear"] == []
    assert raced["again"].rc == 0, raced["again"].out[-3000:]
    assert "Phase 2 passed in development." in text(raced["again"])


# --- a failed gate's rollback ------------------------------------------------------

@pytest.fixture(scope="module")
def rollback_raced(tmp_path_factory):
    base = tmp_path_factory.mktemp("race-rollback")
    sandbox = base / "sandbox"
    sandbox.mkdir()
    held = Held(base, "snapshot", "phase1.yml", sandbox, "-e", "sandbox_metrics_file=%s" % failing_metrics(base),
                "-e", "rollout_on_failure=rollback")
    try:
        held.wait_reached(len(DEV))
        out = {"sandbox": sandbox}
        out["emergency"] = emergency(sandbox, "development")
        out["locked"] = host_files(sandbox, DEV)
        out["phase"] = held.release()
    finally:
        held.stop()
    out["after"] = host_files(sandbox, DEV)
    return out


def test_a_failed_gates_rollback_does_not_restore_over_the_lockdown(rollback_raced):
    assert rollback_raced["emergency"].rc == 0, rollback_raced["emergency"].out[-4000:]
    phase = rollback_raced["phase"]
    assert phase.rc != 0
    assert rollback_raced["after"] == rollback_raced["locked"]
    for host in DEV:
        assert manual_mode(rollback_raced["sandbox"], host), host
    message = " ".join(phase.out.split())
    assert "the rollback did not put every host back, so rolled_back was not recorded" in message
    assert "incident INC-77" in message
    events = after_override(rollback_raced["sandbox"], "development")
    assert not set(events) & set(SUCCESS), events


# --- the controller's check --------------------------------------------------------

def test_the_controller_refuses_while_the_ledger_holds_an_override(phase1, tmp_path):
    """No marker on the hosts (the lockdown has not reached them): the ledger alone refuses."""
    sandbox = clone(phase1, tmp_path)
    # The sandbox's ledger, with the key and head the local inventory configures.
    key = load_key_file(os.path.join(str(sandbox), "keys", "ledger.key"), create=True)
    LocalLedger(os.path.join(str(sandbox), "ledger"), "development", key,
                head_dir=os.path.join(str(sandbox), "ledger-head")).append(
        1, "override_set", "oncall", "incident-run", details=INCIDENT)
    before = host_files(sandbox, DEV)
    out = tmp_path / "guarded.json"
    run = run_playbook(os.path.join(PLAYBOOKS, "guarded_writes.yml"), sandbox, "-e", "guarded_out=%s" % out)
    assert run.rc == 0, run.out[-3000:]
    results = read_json(str(out))
    for host in DEV:
        assert not os.path.exists(marker(sandbox, host))
        for key in ("apply", "restore"):
            result = results[key][host]
            assert result and result["failed"], (host, key, result)
            assert result["msg"].startswith("refused on the controller: environment development is under the manual "
                                            "override of incident INC-77"), result["msg"]
            assert "playbooks/clear_override.yml -e incident_id=INC-77" in result["msg"]
            assert result["override"]["environment"] == "development"
    assert host_files(sandbox, DEV) == before, "a host was written"


# --- the lockdown does not depend on the snapshot; targets that match nothing --------

def test_the_lockdown_goes_on_when_the_snapshot_cannot_be_taken(phase1, tmp_path):
    sandbox = clone(phase1, tmp_path)
    blocker = tmp_path / "snapshots-is-a-file"
    blocker.write_text("not a directory")
    run = emergency(sandbox, "development", "-e", "kiro_snapshot_dir=%s" % blocker)
    assert run.rc == 0, run.out[-4000:]
    for host in DEV:
        assert manual_mode(sandbox, host), host
        assert os.path.exists(marker(sandbox, host)), host
    message = text(run)
    for host in DEV:
        assert "WARNING: %s: no snapshot before the lockdown" % host in message
    assert str(blocker) in message
    summary = read_json(os.path.join(str(sandbox), "incidents", "INC-77",
                                     sorted(os.listdir(os.path.join(str(sandbox), "incidents", "INC-77")))[-1],
                                     "summary.json"))
    assert summary["hosts"][DEV[0]]["snapshot_error"]["path"] == str(blocker)
    assert summary["hosts"][DEV[0]]["status"] == "locked"


def test_targets_that_match_no_host_are_a_failure(phase1, tmp_path):
    sandbox = clone(phase1, tmp_path)
    run = emergency(sandbox, "no-such-host")
    assert run.rc != 0
    message = text(run)
    assert "no host was targeted: emergency_targets (or --limit) matched no host" in message
    assert "every step succeeded" not in message
