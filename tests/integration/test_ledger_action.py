"""kiro.platform.ledger and the kiro.platform.phase lookup, run for real by ansible-playbook."""

import json
import os
import subprocess
import sys
import textwrap
import uuid


from conftest import ROOT, ansible_env

sys.path.insert(0, os.path.join(ROOT, "tests"))

from fixtures.ledger_helpers import KEY_TEXT, signing_key, tamper_line  # noqa: E402

from ansible_collections.kiro.platform.plugins.module_utils.ledger import entries as model  # noqa: E402
from ansible_collections.kiro.platform.plugins.module_utils.ledger.local import LocalLedger  # noqa: E402

PLAYBOOK = os.path.join(ROOT, ".venv", "bin", "ansible-playbook")
HEADER = """\
- hosts: localhost
  connection: local
  gather_facts: false
  module_defaults:
    kiro.platform.ledger: {key: "{{ ledger_key }}"}
  tasks:
"""


def play(tmp_path, tasks, *extra):
    """Run ``tasks`` (YAML, indented under ``tasks:``) from a playbook in ``tmp_path``."""
    playbook = tmp_path / "ledger.yml"
    playbook.write_text(HEADER + textwrap.indent(textwrap.dedent(tasks), "    "))
    cmd = [PLAYBOOK, str(playbook), "-e", "ansible_python_interpreter=%s" % os.path.join(ROOT, ".venv", "bin", "python")]
    cmd.extend(["-e", "ledger_key=%s" % KEY_TEXT] + list(extra))
    proc = subprocess.run(cmd, cwd=ROOT, env=ansible_env({"ANSIBLE_CONFIG": os.path.join(ROOT, "ansible.cfg")}),
                          capture_output=True, text=True, timeout=120, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def test_append_state_verify_lookup_and_lock_from_a_playbook(tmp_path, moto):
    bucket = "ledger-%s" % uuid.uuid4().hex[:10]
    moto.client("s3").create_bucket(Bucket=bucket)
    rc, out = play(tmp_path, """
        - name: Take the staging lock (run_id defaults to this ansible-playbook run)
          kiro.platform.ledger: {operation: lock, environment: staging, actor: alice, ttl: 600}
          register: taken
        - name: Record gates for phases 1 and 2
          kiro.platform.ledger:
            operation: append
            environment: staging
            phase: "{{ item }}"
            event: gate_passed
            actor: alice
            report_sha256: "{{ '%064x' % item }}"
            details: {score: 100}
          loop: [1, 2]
          register: appended
        - name: Emergency rollback sets the manual override
          kiro.platform.ledger:
            operation: append
            environment: staging
            event: override_set
            actor: oncall
            details: {incident_id: INC-42, reason: agents deleting pods}
        - name: A check-mode append changes nothing
          kiro.platform.ledger: {operation: append, environment: staging, phase: 3, event: gate_failed}
          check_mode: true
          register: dry
        - name: Progress is refused while the override is active
          kiro.platform.ledger: {operation: append, environment: staging, phase: 3, event: gate_passed}
          register: refused
          ignore_errors: true
        - kiro.platform.ledger: {operation: state, environment: staging}
          register: st
        - kiro.platform.ledger: {operation: read, environment: staging}
          register: rd
        - kiro.platform.ledger: {operation: verify, environment: staging}
          register: vf
        - name: Locking again in the same run extends the lock
          kiro.platform.ledger: {operation: lock, environment: staging, actor: alice}
          register: again
        - kiro.platform.ledger: {operation: unlock, environment: staging}
          register: released
        - kiro.platform.ledger: {operation: unlock, environment: staging}
          register: released_again
        - name: A check-mode lock takes nothing
          kiro.platform.ledger: {operation: lock, environment: staging}
          check_mode: true
          register: dry_lock
        - name: The same on S3
          kiro.platform.ledger:
            operation: append
            environment: production
            backend: s3
            bucket: "{{ bucket }}"
            endpoint_url: "{{ endpoint }}"
            region: us-east-1
            aws_access_key_id: testing
            aws_secret_access_key: testing
            phase: 1
            event: gate_passed
          register: s3_append
        - ansible.builtin.assert:
            that:
              - taken is changed and taken.lock.status == 'acquired' and taken.lock.holder == 'alice'
              - appended.results | map(attribute='entry.seq') | list == [1, 2]
              - appended.results[1].entry.report_sha256 == '%064x' % 2
              - dry is changed and dry.entry.seq == 4 and dry.msg is search('check mode')
              - refused is failed and refused.override_active and refused.incident_id == 'INC-42'
              - refused.msg is search('clear_override.yml') and refused.msg is search('environment staging')
              - st.state.phase == 2 and st.state.passed_phases == [1, 2]
              - st.state.override.active and st.state.override.incident_id == 'INC-42'
              - st.state.last_event.event == 'override_set' and st.state.last_event.actor == 'oncall'
              - rd.entries | length == 3 and rd.entries | map(attribute='run_id') | unique | list == [taken.run_id]
              - vf.chain_ok and vf.bad_seq is none and vf is not failed
              - again.lock.status == 'extended' and again.lock.run_id == taken.run_id
              - released is changed and released.lock.run_id == taken.run_id
              - released_again is not changed and released_again.lock is none
              - dry_lock is changed and dry_lock.lock.status == 'would be acquired'
              - lookup('kiro.platform.phase', 'staging', key=ledger_key) == 2
              - query('kiro.platform.phase', 'staging', 'development', key=ledger_key) == [2, 0]
              - s3_append.entry.seq == 1 and s3_append.location is search('/kiro-ledger/production/ledger.jsonl')
              - lookup('kiro.platform.phase', 'production', backend='s3', bucket=bucket, key=ledger_key, endpoint_url=endpoint,
                       region='us-east-1', aws_access_key_id='testing', aws_secret_access_key='testing') == 1
    """, "-e", "bucket=%s" % bucket, "-e", "endpoint=%s" % moto.url)
    assert rc == 0, out
    # The relative default path resolved against the playbook's directory.
    ledger = LocalLedger(str(tmp_path / "ledger"), "staging", signing_key())
    entries = ledger.read()
    assert [e["event"] for e in entries] == ["gate_passed", "gate_passed", "override_set"]
    assert model.verify(entries) is None and ledger.current_lock() is None


def test_a_tampered_ledger_fails_verify_and_state_naming_the_seq(tmp_path):
    ledger = LocalLedger(str(tmp_path / "ledger"), "production", signing_key())
    for phase in (1, 2, 3):
        ledger.append(phase, "gate_passed", "alice", "run-%d" % phase)
    tamper_line(ledger.path, 2, phase=4)
    LocalLedger(str(tmp_path / "ledger"), "staging", signing_key()).lock("run-carol", "carol", 600)
    rc, out = play(tmp_path, """
        - kiro.platform.ledger: {operation: verify, environment: production}
          register: vf
          ignore_errors: true
        - kiro.platform.ledger: {operation: append, environment: production, phase: 4, event: gate_passed}
          register: refused
          ignore_errors: true
        - kiro.platform.ledger: {operation: lock, environment: staging, run_id: run-dave, actor: dave}
          register: held
          ignore_errors: true
        - ansible.builtin.assert:
            that:
              - vf is failed and not vf.chain_ok and vf.bad_seq == 2
              - vf.msg is search('seq 2') and vf.msg is search('entry changed after it was written')
              - refused is failed and refused.msg is search('seq 2')
              - held is failed and held.msg is search('carol') and held.msg is search('must wait')
              - held.lock.holder == 'carol'
        - name: state fails closed
          kiro.platform.ledger: {operation: state, environment: production}
    """)
    assert rc != 0
    assert "ledger chain broken at seq 2" in out and "state fails closed" in out
    assert "ok=4" in out and "failed=1" in out, out
    assert len(ledger.read()) == 3
    assert json.load(open(ledger.lock_path.replace("production", "staging")))["holder"] == "carol"


def test_a_sigkilled_ansible_playbook_leaves_a_lock_that_break_lock_breaks(tmp_path):
    """The lock records the ansible-playbook process; once it is SIGKILLed, break_lock=true
    breaks the unexpired lock (recorded as lock_broken). Before that, it refuses."""
    import signal
    import time

    holder = tmp_path / "holder.yml"
    holder.write_text(HEADER + textwrap.indent(textwrap.dedent("""
        - kiro.platform.ledger: {operation: lock, environment: staging, actor: alice, run_id: run-killed, ttl: 3600}
        - ansible.builtin.pause: {seconds: 120}
    """), "    "))
    cmd = [PLAYBOOK, str(holder), "-e", "ledger_key=%s" % KEY_TEXT]
    process = subprocess.Popen(cmd, cwd=ROOT, env=ansible_env({"ANSIBLE_CONFIG": os.path.join(ROOT, "ansible.cfg")}),
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ledger = LocalLedger(str(tmp_path / "ledger"), "staging", signing_key())
    deadline = time.time() + 60
    while ledger.current_lock() is None and time.time() < deadline:
        time.sleep(0.1)
    try:
        lock = ledger.current_lock()
        assert lock["pid"] == process.pid and lock["host"] and lock["run_id"] == "run-killed"
        rc, out = play(tmp_path, """
            - kiro.platform.ledger: {operation: lock, environment: staging, actor: bob, break_lock: true}
        """)
        assert rc != 0 and "must wait" in out and "break_lock=true only breaks" in " ".join(out.split()), out
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    rc, out = play(tmp_path, """
        - kiro.platform.ledger: {operation: lock, environment: staging, actor: bob}
          register: refused
          ignore_errors: true
        - kiro.platform.ledger: {operation: lock, environment: staging, actor: bob, break_lock: true}
          register: broken
        - ansible.builtin.assert:
            that:
              - refused is failed and refused.msg is search('no longer runs on this controller')
              - broken.lock.status == 'broken' and broken.lock.previous.run_id == 'run-killed'
        - kiro.platform.ledger: {operation: unlock, environment: staging}
    """)
    assert rc == 0, out
    last = ledger.read()[-1]
    assert last["event"] == "lock_broken" and last["details"]["why"] == "holder process gone"
    assert last["details"]["pid"] == process.pid and last["actor"] == "bob"


def test_the_migrate_playbook_signs_an_unsigned_ledger_and_records_who(tmp_path):
    from conftest import run_playbook
    sandbox = tmp_path / "sandbox"
    os.makedirs(str(sandbox / "ledger"))
    prev, lines = None, []
    for n in range(2):
        prev = model.new_entry(prev, "development", 1, "gate_passed" if n else "applied", "alice", "old-%d" % n)
        lines.append(model.to_line(prev))
    (sandbox / "ledger" / "development.jsonl").write_bytes(b"".join(lines))
    refused = run_playbook("status.yml", sandbox)
    assert refused.rc == 0 and "DOES NOT VERIFY (seq 1)" in " ".join(refused.out.split())
    short = run_playbook("ledger_migrate.yml", sandbox, "-e", "ledger_environment=development", "-e", "actor=carol",
                         "-e", "reason=signing")
    assert short.rc != 0 and "Nothing was changed" in short.out and "reason 'signing' looks cut short" in short.out
    reason = "signing the ledger written by release 0.1"
    run = run_playbook("ledger_migrate.yml", sandbox, "-e", "ledger_environment=development", "-e", "actor=carol",
                       "-e", json.dumps({"reason": reason}))
    assert run.rc == 0, run.out + run.err
    assert "signed 2 entries" in run.out and "ledger_migrated by carol" in run.out
    with open(str(sandbox / "ledger" / "development.jsonl"), "rb") as handle:
        found = [json.loads(line) for line in handle.read().splitlines()]
    assert found[-1]["event"] == "ledger_migrated" and found[-1]["actor"] == "carol"
    assert found[-1]["details"]["reason"] == reason and all("mac" in e for e in found)
    status = run_playbook("status.yml", sandbox)
    assert status.rc == 0 and "ledger: seq 3, sha256 %s, verified" % found[-1]["sha256"] in " ".join(status.out.split())
