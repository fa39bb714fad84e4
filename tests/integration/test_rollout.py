"""The phase playbooks (playbooks/phase1.yml .. phase5.yml -> rollout.yml) run for real on a tmp sandbox.

Preflight refusals (order, approval, unknown phase, lock, tampered ledger, override), an
unreachable host, a run killed mid-apply, rollback on a failed gate, and the whole walk
from phase 1 to 5 with status.yml and the phase lookup.

Sandboxes are cloned from the phase-1 fixture only where no snapshot taken in the template
is restored afterwards (a snapshot's manifest names the absolute paths of its own sandbox):
the refusal tests, and the walk, whose phase-3 drill restores a snapshot taken in the clone.
A killed run is killed with its whole process tree: ansible's workers start their own sessions.
"""

import datetime
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest

from conftest import BIN, ROOT, ansible_env, read_json, run_playbook, text, tree

sys.path.insert(0, os.path.join(ROOT, "tests"))

from fixtures.gate_reports import tar_members  # noqa: E402
from fixtures.ledger_helpers import tamper_line  # noqa: E402

from ansible_collections.kiro.platform.plugins.module_utils.common import clock
from ansible_collections.kiro.platform.plugins.module_utils.ledger import entries as model  # noqa: E402
from ansible_collections.kiro.platform.plugins.module_utils.ledger.local import LocalLedger  # noqa: E402
from ansible_collections.kiro.platform.plugins.module_utils.ledger.signing import load_key_file  # noqa: E402
from ansible_collections.kiro.platform.plugins.module_utils.ledger.state import derive  # noqa: E402

FILES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "files")
HOSTS = {
    "development": ("dev-workstation-1", "dev-workstation-2"),
    "staging": ("staging-runner-1",),
    "production": ("prod-runner-1", "prod-runner-2"),
}
ENVIRONMENTS = ("development", "staging", "production")
# phase -> (environments it configures, environments whose gate it evaluates), as plan.py says.
PLAN = {
    1: (("development",), ("development",)),
    2: (("development", "staging"), ("development",)),
    3: (("staging",), ("staging",)),
    4: (("production",), ("production",)),
    5: (ENVIRONMENTS, ENVIRONMENTS),
}
APPROVAL = ("-e", json.dumps({"gate_approver": "alice", "gate_approval_reason": "CHG-1234 approved by the CAB"}))


# --- helpers ------------------------------------------------------------------


def ledger_dir(sandbox):
    return os.path.join(str(sandbox), "ledger")


def sandbox_ledger(sandbox, environment):
    """The sandbox's ledger with the key and head the local inventory configures."""
    key = load_key_file(os.path.join(str(sandbox), "keys", "ledger.key"), create=True)
    return LocalLedger(ledger_dir(sandbox), environment, key, head_dir=os.path.join(str(sandbox), "ledger-head"))


def entries(sandbox, environment):
    path = os.path.join(ledger_dir(sandbox), "%s.jsonl" % environment)
    if not os.path.exists(path):
        return []
    with open(path, "rb") as handle:
        return [json.loads(line) for line in handle.read().splitlines() if line.strip()]


def events(sandbox, environment):
    return [e["event"] for e in entries(sandbox, environment)]


def ledger_files(sandbox):
    """{name: bytes} of the ledger directory: entries and locks (the flock helper files left out)."""
    out = {}
    if os.path.isdir(ledger_dir(sandbox)):
        for name in sorted(os.listdir(ledger_dir(sandbox))):
            if not name.endswith(".flock"):
                with open(os.path.join(ledger_dir(sandbox), name), "rb") as handle:
                    out[name] = handle.read()
    return out


def frozen(sandbox):
    """Everything a refused run must leave alone: the hosts' files and the ledger."""
    return tree(str(sandbox)), ledger_files(sandbox)


def locks(sandbox):
    return sorted(n for n in ledger_files(sandbox) if n.endswith(".lock"))


def host_tree(sandbox, host, skip=("snapshots",)):
    return tree(os.path.join(str(sandbox), host), skip=skip)


def clone(template, tmp_path):
    dest = tmp_path / "sandbox"
    shutil.copytree(str(template), str(dest), symlinks=True)
    return dest


def fresh(tmp_path):
    path = tmp_path / "sandbox"
    path.mkdir()
    # The sandbox's ledger key, as its setup makes it (a refused run must not be the one to).
    load_key_file(str(path / "keys" / "ledger.key"), create=True)
    return path


def ts(moment):
    return clock.iso(moment)


def write_lock(sandbox, environment, run_id, holder, expires_in):
    """A lock record as the local backend writes it, expiring ``expires_in`` from now (negative: stale)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    os.makedirs(ledger_dir(sandbox), exist_ok=True)
    record = {"run_id": run_id, "holder": holder, "acquired": ts(now - datetime.timedelta(hours=2)),
              "expires": ts(now + datetime.timedelta(seconds=expires_in))}
    path = os.path.join(ledger_dir(sandbox), "%s.lock" % environment)
    with open(path, "w") as handle:
        handle.write(json.dumps(record, sort_keys=True) + "\n")
    return path


_OPS = [0]


def ledger_ops(sandbox, tmp_path, operations=(), lookup=()):
    """Run kiro.platform.ledger operations and the kiro.platform.phase lookup (files/ledger_ops.yml)."""
    _OPS[0] += 1
    out = tmp_path / ("ledger-ops-%d.json" % _OPS[0])
    variables = {"ledger_operations": list(operations), "ledger_lookup": list(lookup), "ledger_out": str(out)}
    run = run_playbook(os.path.join(FILES, "ledger_ops.yml"), sandbox, "-e", json.dumps(variables))
    assert run.rc == 0, run.out + run.err
    return read_json(str(out))


def failing_metrics(tmp_path):
    """sandbox/metrics/development.json with an automation success rate that fails the phase-1 gate."""
    metrics = read_json(os.path.join(ROOT, "sandbox", "metrics", "development.json"))
    metrics["automation_success_rate"] = 0.5
    path = tmp_path / "metrics.json"
    path.write_text(json.dumps(metrics))
    return str(path)


def configured(sandbox, host):
    """Whether the host's workspaces hold the deployed profile."""
    return all(os.path.exists(os.path.join(str(sandbox), host, "workspaces", ws, ".kiro", "settings", "mcp.json"))
               for ws in ("platform-infra", "payments-service"))


def changed_hosts(run):
    return set(h for h, r in run.hosts_recap().items() if r.get("changed"))


# --- fixtures -----------------------------------------------------------------

@pytest.fixture(scope="module")
def phase1(tmp_path_factory):
    """A sandbox where phase 1 passed (a template: tests clone it, never change it)."""
    sandbox = tmp_path_factory.mktemp("phase1") / "sandbox"
    sandbox.mkdir()
    run = run_playbook("phase1.yml", sandbox)
    assert run.rc == 0, run.out + run.err
    return sandbox, run


class Walk:
    def __init__(self, sandbox):
        self.sandbox = sandbox
        self.runs = {}
        self.frozen = {}


@pytest.fixture(scope="module")
def walk(phase1, tmp_path_factory):
    """Phases 1 to 5 in order on one sandbox (phase 4 first refused without an approver), then status."""
    base = tmp_path_factory.mktemp("walk")
    state = Walk(clone(phase1[0], base))
    state.runs[1] = phase1[1]
    for number in (2, 3):
        state.runs[number] = run_playbook("phase%d.yml" % number, state.sandbox)
    state.frozen["4-unapproved"] = frozen(state.sandbox)
    state.runs["4-unapproved"] = run_playbook("phase4.yml", state.sandbox)
    state.frozen["4-refused"] = frozen(state.sandbox)
    state.runs[4] = run_playbook("phase4.yml", state.sandbox, *APPROVAL)
    state.runs[5] = run_playbook("phase5.yml", state.sandbox)
    state.runs["status"] = run_playbook("status.yml", state.sandbox)
    state.checked = ledger_ops(state.sandbox, base, [{"operation": "verify", "environment": env}
                                                     for env in ENVIRONMENTS], lookup=ENVIRONMENTS)
    return state


# --- 1. the whole rollout -----------------------------------------------------

def test_phases_1_to_5_pass_in_order(walk):
    for number, (apply, gate) in sorted(PLAN.items()):
        run = walk.runs[number]
        assert run.rc == 0, "phase %d: %s" % (number, run.out[-3000:] + run.err)
        assert "Phase %d passed in %s." % (number, ", ".join(gate)) in text(run)
        expected = set(h for env in apply for h in HOSTS[env])
        assert changed_hosts(run) == expected, "phase %d changed %s" % (number, changed_hosts(run))
        assert not any(r.get("failed") or r.get("unreachable") for r in run.hosts_recap().values())
    for host in (h for hosts in HOSTS.values() for h in hosts):
        assert configured(walk.sandbox, host), host
    # Phase 3's disaster-recovery drill rolled staging back and re-applied it, byte-exact.
    drill = read_json(os.path.join(str(walk.sandbox), "reports", "staging", "dr-drill.json"))
    assert drill["passed"] == 1 and set(drill["hosts"]) == set(HOSTS["staging"])
    assert locks(walk.sandbox) == [], "a passed run left its lock behind"


def test_each_ledger_verifies_and_records_the_gates(walk):
    gated = {"development": [1, 2, 5], "staging": [3, 5], "production": [4, 5]}
    for env in ENVIRONMENTS:
        found = entries(walk.sandbox, env)
        assert model.verify(found, environment=env) is None
        assert [e["phase"] for e in found if e["event"] == "gate_passed"] == gated[env]
        assert not [e for e in found if e["event"] in ("gate_failed", "rolled_back")]
        assert derive(found, env)["phase"] == 5 and derive(found, env)["passed_phases"] == gated[env]
    # The ledger action agrees: every chain intact, every environment at phase 5.
    for result in walk.checked["results"]:
        env = result["item"]["environment"]
        assert result["chain_ok"] is True and "chain intact" in result["msg"], result
        assert result["state"]["phase"] == 5
        assert result["msg"].startswith(os.path.join(ledger_dir(walk.sandbox), "%s.jsonl" % env))


def test_each_gate_report_carries_the_ledger_anchor_before_its_verdict(walk):
    """The gate's reports hold seq and sha256 of the entry just before gate_passed: the phase's applied entry."""
    checked = 0
    for env in ENVIRONMENTS:
        found = entries(walk.sandbox, env)
        for index, entry in enumerate(found):
            if entry["event"] != "gate_passed":
                continue
            before = found[index - 1]
            assert before["event"] == "applied" and before["phase"] == entry["phase"], (env, before)
            anchor = {"seq": before["seq"], "sha256": before["sha256"]}
            report = read_json(entry["details"]["report"])
            assert report["ledger_anchor"] == anchor, (env, entry["phase"], report.get("ledger_anchor"))
            evidence = entry["details"]["report"][:-len(".json")] + ".evidence.tar.gz"
            assert json.loads(tar_members(evidence)["manifest.json"])["ledger_anchor"] == anchor
            with open(entry["details"]["report"][:-len(".json")] + ".md", encoding="utf-8") as handle:
                assert "Ledger anchor: seq %d, sha256 %s" % (before["seq"], before["sha256"]) in handle.read()
            checked += 1
    assert checked == 7, "expected the 7 gates of phases 1 to 5, checked %d" % checked


def test_phase_lookup_agrees_with_the_ledger(walk):
    derived = dict((env, derive(entries(walk.sandbox, env), env)["phase"]) for env in ENVIRONMENTS)
    assert walk.checked["phases"] == derived == {"development": 5, "staging": 5, "production": 5}


def test_status_prints_every_environment_and_writes_a_timeline_each(walk):
    run = walk.runs["status"]
    assert run.rc == 0, run.out + run.err
    for env in ENVIRONMENTS:
        assert "%s: phase 5 (Optimisation and scaling); last gate: phase 5 pass" % env in text(run)
    with open(os.path.join(str(walk.sandbox), "reports", "status.html")) as handle:
        page = handle.read()
    sections = re.findall(r'<section class="env"><h2>(\S+) <span class="badge (\w+)">phase (\d)</span></h2>'
                          r'(.*?)</section>', page, re.S)
    assert [s[0] for s in sections] == list(ENVIRONMENTS)
    assert page.count('<ol class="timeline">') == 3
    for env, badge, phase, body in sections:
        assert (badge, phase) == ("pass", "5")
        assert body.count('<ol class="timeline">') == 1
        # One timeline item per ledger entry of that environment, in order.
        assert re.findall(r"<b>(\w+)</b>", body) == events(walk.sandbox, env)


# --- 2. order -----------------------------------------------------------------

def test_phase3_before_phase2_is_refused_and_changes_nothing(phase1, tmp_path):
    sandbox = clone(phase1[0], tmp_path)
    before = frozen(sandbox)
    run = run_playbook("phase3.yml", sandbox)
    assert run.rc != 0
    assert "Phase 3 cannot start: phase 3 needs phase 2 passed in development" in text(run)
    assert "Run playbooks/phase2.yml" in text(run)
    assert run.hosts_recap() == {}, "a host was touched"
    assert frozen(sandbox) == before, "the refused run changed a file or the ledger"


# --- 3. approval ----------------------------------------------------------------

def test_phase4_needs_a_named_approver(walk):
    refused = walk.runs["4-unapproved"]
    assert refused.rc != 0
    message = text(refused)
    assert "Phase 4 cannot start" in message
    assert "-e gate_approver=NAME -e '{\"gate_approval_reason\": \"WHY, in a sentence\"}'" in message
    assert refused.hosts_recap() == {}
    assert walk.frozen["4-refused"] == walk.frozen["4-unapproved"], "the refused run changed something"


def test_approved_phase4_records_the_approver(walk):
    assert walk.runs[4].rc == 0, walk.runs[4].out[-3000:]
    found = [e for e in entries(walk.sandbox, "production") if e["phase"] == 4]
    assert [e["event"] for e in found] == ["started", "applied", "gate_passed", "approved"]
    passed, approved = found[2], found[3]
    assert approved["details"]["approver"] == "alice"
    assert approved["details"]["reason"] == "CHG-1234 approved by the CAB"
    assert approved["run_id"] == passed["run_id"]
    assert approved["report_sha256"] == passed["report_sha256"] and approved["report_sha256"]


# --- 4. unknown phase -----------------------------------------------------------

@pytest.mark.parametrize("phase", ["9", "0"])
def test_unknown_phase_is_refused(tmp_path, phase):
    sandbox = fresh(tmp_path)
    before = tree(str(sandbox), skip=())
    run = run_playbook("rollout.yml", sandbox, "-e", "rollout_phase=%s" % phase)
    assert run.rc != 0
    assert ("Nothing was changed: rollout_phase must be a phase number from 1 to 5 (for example -e rollout_phase=3), "
            "not '%s'" % phase) in text(run)
    assert run.hosts_recap() == {}
    assert tree(str(sandbox), skip=()) == before, "a refused run wrote something"


# --- 5. one run per environment -------------------------------------------------

def test_a_second_run_is_refused_while_another_holds_the_lock(tmp_path):
    sandbox = fresh(tmp_path)
    taken = ledger_ops(sandbox, tmp_path, [{"operation": "lock", "environment": "development", "actor": "bob",
                                            "run_id": "other-run-42", "ttl": 600}])
    assert taken["results"][0]["lock"]["status"] == "acquired"
    before = frozen(sandbox)
    run = run_playbook("phase1.yml", sandbox)
    assert run.rc != 0
    assert "environment development is locked by bob (run other-run-42) until" in text(run)
    assert run.hosts_recap() == {}
    assert frozen(sandbox) == before, "the refused run changed a file, the ledger or the lock"
    assert json.loads(ledger_files(sandbox)["development.lock"])["run_id"] == "other-run-42"


def test_a_stale_lock_is_broken_only_when_asked(tmp_path):
    sandbox = fresh(tmp_path)
    write_lock(sandbox, "development", "crashed-run-7", "carol", expires_in=-3600)
    before = frozen(sandbox)
    refused = run_playbook("phase1.yml", sandbox)
    assert refused.rc != 0
    message = text(refused)
    assert "environment development has a stale lock held by carol (run crashed-run-7)" in message
    assert "-e break_lock=true" in message
    assert refused.hosts_recap() == {} and frozen(sandbox) == before

    broken = run_playbook("phase1.yml", sandbox, "-e", "break_lock=true")
    assert broken.rc == 0, broken.out[-3000:] + broken.err
    assert "Phase 1 passed in development." in text(broken)
    found = entries(sandbox, "development")
    assert model.verify(found, environment="development") is None
    assert [e["event"] for e in found] == ["lock_broken", "started", "applied", "gate_passed"]
    assert found[0]["details"]["run_id"] == "crashed-run-7" and found[0]["details"]["holder"] == "carol"
    assert found[0]["run_id"] == found[1]["run_id"], "lock_broken must name the run that broke it"
    assert locks(sandbox) == []


def test_status_shows_a_held_lock(tmp_path):
    sandbox = fresh(tmp_path)
    write_lock(sandbox, "staging", "other-run-42", "bob", expires_in=3600)
    run = run_playbook("status.yml", sandbox)
    assert run.rc == 0, run.out + run.err
    assert "staging: phase 0 (not started)" in text(run)
    assert "lock: held by bob (run other-run-42)" in text(run)


# --- 6. a tampered ledger -------------------------------------------------------

def test_a_tampered_ledger_stops_the_phase_playbooks(phase1, tmp_path):
    sandbox = clone(phase1[0], tmp_path)
    path = os.path.join(ledger_dir(sandbox), "development.jsonl")
    applied = entries(sandbox, "development")[1]
    assert applied["event"] == "applied"
    tamper_line(path, 2, details=dict(applied["details"], hosts_ok=["dev-workstation-1"]))
    before = frozen(sandbox)
    for playbook in ("phase1.yml", "phase2.yml"):
        run = run_playbook(playbook, sandbox)
        assert run.rc != 0, playbook
        assert "ledger chain broken at seq 2: entry changed after it was written" in text(run), playbook
        assert run.hosts_recap() == {}, playbook
        assert frozen(sandbox) == before, "%s changed something" % playbook


# --- 7. an unreachable host -----------------------------------------------------

def test_an_unreachable_host_is_recorded_and_fails_the_gate(tmp_path):
    sandbox = fresh(tmp_path)
    run = run_playbook("phase1.yml", sandbox, "-i", os.path.join(FILES, "unreachable.yml"))
    assert run.rc != 0
    assert "Phase 1 did not pass its gate in development" in text(run)
    assert "UNREACHABLE" in run.out
    found = entries(sandbox, "development")
    assert [e["event"] for e in found] == ["started", "applied", "gate_failed"]
    assert "dev-unreachable" in found[0]["details"]["hosts"]
    assert found[1]["details"]["hosts_failed"] == ["dev-unreachable"]
    assert sorted(found[1]["details"]["hosts_ok"]) == list(HOSTS["development"])
    assert "config_deployment" in found[2]["details"]["failed"]
    report = read_json(found[2]["details"]["report"])
    deployment = dict((c["name"], c) for c in report["criteria"])["config_deployment"]
    assert deployment["value"] < 1 and deployment["verdict"] == "fail"
    # The reachable hosts were configured all the same, and the lock was released.
    for host in HOSTS["development"]:
        assert configured(sandbox, host), host
    assert not os.path.exists(os.path.join(str(sandbox), "dev-unreachable"))
    assert locks(sandbox) == []


# --- 8. killed mid-apply --------------------------------------------------------

def _children(pid):
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as handle:
                stat = handle.read()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            out.append(int(name))
    return out


def _descendants(pid):
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(_children(current))
    return found


def kill_run(pid):
    """SIGKILL ansible-playbook and every process it started.

    Ansible's workers start their own sessions, so a process-group kill would leave the
    module running: stop the whole tree first (a stopped process starts nothing), then kill it.
    """
    stopped = set()
    while True:
        new = set(_descendants(pid)) - stopped
        if not new:
            break
        for proc in new:
            try:
                os.kill(proc, signal.SIGSTOP)
            except ProcessLookupError:
                pass
        stopped |= new
    for proc in stopped:
        try:
            os.kill(proc, signal.SIGKILL)
        except ProcessLookupError:
            pass


def any_file(sandbox, hosts):
    for host in hosts:
        for _base, _dirs, files in os.walk(os.path.join(str(sandbox), host)):
            if files:
                return True
    return False


def temp_files(sandbox):
    """Leftovers of an interrupted atomic write (fileio.atomic_write names them ``.<name>.<random>.tmp``)."""
    return sorted(os.path.join(base, name) for base, _dirs, files in os.walk(str(sandbox)) for name in files
                  if name.startswith(".") and name.endswith(".tmp"))


def half_written(sandbox):
    """Kiro files a crash must never leave: JSON that does not parse, Markdown without its front matter."""
    bad = []
    for base, _dirs, files in os.walk(str(sandbox)):
        for name in files:
            path = os.path.join(base, name)
            if name.endswith(".tmp"):
                continue  # see temp_files
            if name.endswith((".json", ".kiro.hook")):
                try:
                    read_json(path)
                except ValueError as exc:
                    bad.append((path, "not JSON: %s" % exc))
            elif name.endswith(".md") and os.sep + "reports" + os.sep not in path:
                with open(path) as handle:
                    if not re.match(r"---\n.*?\n---\n", handle.read(), re.S):
                        bad.append((path, "no front matter"))
    return bad


class Killed:
    pass


@pytest.fixture(scope="module")
def killed(phase1, tmp_path_factory):
    """Phase 1 killed with SIGKILL while it applies; then the stale lock refused, broken, and a further run."""
    base = tmp_path_factory.mktemp("killed")
    state = Killed()
    state.sandbox = sandbox = fresh(base)
    log = base / "killed.log"
    cmd = [os.path.join(BIN, "ansible-playbook"), "-i", os.path.join(ROOT, "inventories/local"),
           os.path.join(ROOT, "playbooks", "phase1.yml"), "-e", "kiro_sandbox_root=%s" % sandbox,
           "-e", "rollout_report_dir=%s" % os.path.join(str(sandbox), "reports"),
           "-e", "rollout_lock_ttl=3", "-e", "rollout_run_id=killed-run"]
    with open(str(log), "w") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=ansible_env({"PYTHONUNBUFFERED": "1"}), stdout=out,
                                stderr=subprocess.STDOUT)
        try:
            deadline = time.time() + 120
            while "Apply the Kiro profile" not in log.read_text():
                assert proc.poll() is None and time.time() < deadline, log.read_text()
                time.sleep(0.05)
            # The apply task has started: kill as soon as it writes on a host (or after 5 s).
            started = time.time()
            while not any_file(sandbox, HOSTS["development"]) and time.time() - started < 5:
                time.sleep(0.005)
        finally:
            kill_run(proc.pid)
            proc.wait(timeout=30)
    state.returncode = proc.returncode
    state.log = log.read_text()
    state.half_written = half_written(sandbox)
    state.temp_files = temp_files(sandbox)
    state.entries = entries(sandbox, "development")
    state.lock = json.loads(ledger_files(sandbox).get("development.lock", b"null"))

    # Past its expiry the killed run's lock is stale: refused until the operator breaks it.
    if state.lock:
        expires = model.parse_ts(state.lock["expires"])
        time.sleep(max(0.0, (expires - datetime.datetime.now(datetime.timezone.utc)).total_seconds()) + 0.5)
    state.refused = run_playbook("phase1.yml", sandbox)
    # What a kill between the temp file and its rename leaves (the kill above leaves one most of the time).
    state.planted = os.path.join(str(sandbox), "dev-workstation-1", "workspaces", "platform-infra", ".kiro",
                                 "settings", ".mcp.json.k1ll3d0x.tmp")
    os.makedirs(os.path.dirname(state.planted), exist_ok=True)
    with open(state.planted, "w") as handle:
        handle.write('{"mcpServers": {"aws-api": {"comm')
    state.rerun = run_playbook("phase1.yml", sandbox, "-e", "break_lock=true")
    state.after_rerun = entries(sandbox, "development")
    state.half_written_after = half_written(sandbox)
    state.temp_files_after = temp_files(sandbox)
    state.locks_after = locks(sandbox)
    state.trees_after = dict((host, host_tree(sandbox, host)) for host in HOSTS["development"])
    state.again = run_playbook("phase1.yml", sandbox)
    # The tests read only what is recorded here: test_a_rollback_after_a_run_that_changed_nothing... reuses
    # the sandbox, converged at phase 1.
    return state


def test_a_run_killed_mid_apply_leaves_no_half_written_file(killed):
    assert killed.returncode == -signal.SIGKILL
    assert "Apply the Kiro profile" in killed.log and "Phase 1 passed" not in killed.log
    assert killed.half_written == []
    # The ledger is whole: the start is recorded, nothing after it; the lock is the killed run's.
    assert model.verify(killed.entries, environment="development") is None
    assert [e["event"] for e in killed.entries] == ["started"] and killed.entries[0]["run_id"] == "killed-run"
    assert killed.lock and killed.lock["run_id"] == "killed-run"


def test_after_a_kill_the_stale_lock_is_refused_then_broken_and_the_rerun_converges(killed, phase1):
    refused = killed.refused
    assert refused.rc != 0
    assert "stale lock held by" in text(refused) and "(run killed-run)" in text(refused)
    assert "-e break_lock=true" in text(refused)
    assert refused.hosts_recap() == {}

    rerun = killed.rerun
    assert rerun.rc == 0, rerun.out[-3000:] + rerun.err
    assert "Phase 1 passed in development." in text(rerun)
    found = killed.after_rerun
    assert model.verify(found, environment="development") is None
    assert [e["event"] for e in found] == ["started", "lock_broken", "started", "applied", "gate_passed"]
    assert found[1]["details"]["run_id"] == "killed-run"
    assert killed.half_written_after == [] and killed.locks_after == []
    # Converged: the same files as a run that was never interrupted (temp files: see the next test).
    for host in HOSTS["development"]:
        assert dict((k, v) for k, v in killed.trees_after[host].items() if not k.endswith(".tmp")) \
            == host_tree(phase1[0], host), host

    again = killed.again
    assert again.rc == 0, again.out[-3000:] + again.err
    assert again.changed() == 0, again.out


def test_the_next_run_removes_what_an_interrupted_write_left(killed):
    assert killed.rerun.rc == 0
    left = killed.temp_files_after
    assert killed.planted not in left and not set(killed.temp_files) & set(left), left


# --- 9. rollback on a failed gate -----------------------------------------------

def test_rollback_puts_back_the_workspaces_byte_exact(tmp_path):
    sandbox = fresh(tmp_path)
    # Operator files the phase changes (mcp.json, the editor settings) or leaves (a team steering doc).
    ws = os.path.join(str(sandbox), "dev-workstation-1", "workspaces", "platform-infra")
    for rel, content in ((".kiro/settings/mcp.json", '{"mcpServers": {}, "x-team": "sre"}\n'),
                         (".vscode/settings.json", '{"editor.tabSize": 2}\n'),
                         (".kiro/steering/team-notes.md", "---\ninclusion: manual\n---\nAsk #sre first.\n")):
        os.makedirs(os.path.dirname(os.path.join(ws, rel)), exist_ok=True)
        with open(os.path.join(ws, rel), "w") as handle:
            handle.write(content)
    bad = failing_metrics(tmp_path)
    before = dict((host, host_tree(sandbox, host)) for host in HOSTS["development"])
    assert before["dev-workstation-1"] and not before["dev-workstation-2"]

    run = run_playbook("phase1.yml", sandbox, "-e", "sandbox_metrics_file=%s" % bad,
                       "-e", "rollout_on_failure=rollback")
    assert run.rc != 0
    assert "Phase 1 did not pass its gate in development (rolled back)" in text(run)
    found = entries(sandbox, "development")
    assert [e["event"] for e in found] == ["started", "applied", "gate_failed", "rolled_back"]
    assert sorted(found[1]["details"]["hosts_ok"]) == list(HOSTS["development"]), "the phase was not applied"
    assert found[2]["details"]["failed"] == ["basic_automation_success"]
    assert found[3]["details"]["to_phase"] == 0
    assert derive(found, "development")["phase"] == 0
    for host in HOSTS["development"]:
        after = host_tree(sandbox, host)
        assert after == before[host], "%s: %s" % (host, sorted(set(after) ^ set(before[host])) or "bytes differ")
    assert locks(sandbox) == []


def test_a_rollback_after_a_run_that_changed_nothing_keeps_the_configuration(killed, tmp_path):
    sandbox = killed.sandbox  # at phase 1, converged (killed.again changed nothing)
    assert killed.again.rc == 0 and killed.again.changed() == 0
    before = dict((host, host_tree(sandbox, host)) for host in HOSTS["development"])
    run = run_playbook("phase1.yml", sandbox, "-e", "sandbox_metrics_file=%s" % failing_metrics(tmp_path),
                       "-e", "rollout_on_failure=rollback")
    assert run.rc != 0 and "(rolled back)" in text(run)
    found = entries(sandbox, "development")
    assert [e["event"] for e in found[-4:]] == ["started", "applied", "gate_failed", "rolled_back"]
    assert found[-1]["details"]["to_phase"] == 1
    # The run changed nothing, so the rollback must leave phase 1's files as they were.
    for host in HOSTS["development"]:
        after = host_tree(sandbox, host)
        assert after == before[host], "%s lost %d of %d files" % (host, len(set(before[host]) - set(after)),
                                                                  len(before[host]))


# --- 10. a manual override ------------------------------------------------------

def test_a_manual_override_stops_the_phase_playbooks(phase1, tmp_path):
    sandbox = clone(phase1[0], tmp_path)
    done = ledger_ops(sandbox, tmp_path, [{"operation": "append", "environment": "development",
                                           "event": "override_set", "actor": "oncall",
                                           "details": {"incident_id": "INC-7731", "reason": "agents deleting pods"}}])
    assert done["results"][0]["state"]["override"]["active"] is True
    before = frozen(sandbox)
    for playbook in ("phase1.yml", "phase2.yml"):
        run = run_playbook(playbook, sandbox)
        assert run.rc != 0, playbook
        message = text(run)
        assert "development is under a manual override" in message and "INC-7731" in message, playbook
        assert "playbooks/clear_override.yml -e incident_id=INC-7731" in message, playbook
        assert run.hosts_recap() == {}, playbook
        assert frozen(sandbox) == before, "%s changed something" % playbook


def test_the_playbook_the_override_refusal_names_clears_it(tmp_path):
    sandbox = fresh(tmp_path)
    sandbox_ledger(sandbox, "development").append(
        0, "override_set", "oncall", "incident-run",
        details={"incident_id": "INC-7731", "reason": "agents deleting pods"})
    run = run_playbook("clear_override.yml", sandbox, "-e", "incident_id=INC-7731", "-e", "approver=alice",
                       "-e", '{"reason": "root cause fixed"}')
    assert run.rc == 0, run.out + run.err
    found = entries(sandbox, "development")
    assert found[-1]["event"] == "override_cleared" and found[-1]["details"]["incident_id"] == "INC-7731"
    assert derive(found, "development")["override"]["active"] is False
