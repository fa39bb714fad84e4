"""The kiro.platform.audit callback, enabled on a real ansible-playbook run."""

import json
import os
import re
import stat
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENV_BIN = os.path.join(ROOT, ".venv", "bin")
SECRET = "Sup3rS3cret-Audit-Token-9f8e"

PLAYBOOK = """
- name: Audit probe
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Write a file
      ansible.builtin.copy:
        content: "hello\\n"
        dest: "{out}"
        mode: "0644"
    - name: Fail on purpose
      ansible.builtin.fail:
        msg: "{long}"
      ignore_errors: true
    - name: Hidden secret
      ansible.builtin.copy:
        content: "{secret}"
        dest: "{hidden}"
        mode: "0600"
      no_log: true
    - name: Hidden failure
      ansible.builtin.fail:
        msg: "token {secret}"
      no_log: true
      ignore_errors: true
    - name: Never runs
      ansible.builtin.debug:
        msg: "{secret}"
      when: false
"""

TINY = """
- name: Tiny
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Nothing
      ansible.builtin.debug:
        msg: hi
"""


def run(tmp_path, text, env):
    playbook = tmp_path / "probe.yml"
    playbook.write_text(text)
    full = dict(os.environ)
    for key in ("KIRO_AUDIT_DIR", "KIRO_RUN_ID"):
        full.pop(key, None)
    full.update({"ANSIBLE_CONFIG": os.path.join(ROOT, "ansible.cfg"),
                 "ANSIBLE_CALLBACKS_ENABLED": "kiro.platform.audit",
                 "ANSIBLE_NOCOLOR": "1", "HOME": str(tmp_path / "home"),
                 "PATH": VENV_BIN + os.pathsep + full.get("PATH", "")})
    full.update(env)
    cmd = [os.path.join(VENV_BIN, "ansible-playbook"), "-i", "localhost,", str(playbook),
           "-e", "ansible_python_interpreter=%s" % os.path.join(VENV_BIN, "python")]
    return subprocess.run(cmd, cwd=ROOT, env=full, capture_output=True, text=True, timeout=120, check=False)


def read_lines(path):
    with open(path) as handle:
        return [json.loads(line) for line in handle]


def test_audit_log_of_a_run(tmp_path):
    audit = tmp_path / "audit"
    out = tmp_path / "out.txt"
    text = PLAYBOOK.format(out=out, hidden=tmp_path / "hidden.txt", secret=SECRET, long="E" * 800)
    proc = run(tmp_path, text, {"KIRO_AUDIT_DIR": str(audit), "KIRO_RUN_ID": "test-run"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    path = audit / "test-run.jsonl"
    assert sorted(os.listdir(str(audit))) == ["test-run.jsonl"]
    assert stat.S_IMODE(os.stat(str(path)).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(str(audit)).st_mode) == 0o700
    raw = path.read_text()
    assert SECRET not in raw
    assert raw.endswith("\n")

    lines = read_lines(str(path))
    assert all(line["run_id"] == "test-run" for line in lines)
    assert all(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$", line["ts"]) for line in lines)
    assert all(line["playbook"] == str(tmp_path / "probe.yml") for line in lines)
    events = [line["event"] for line in lines]
    assert events == ["play_start"] + ["task"] * 5 + ["stats"]
    assert lines[0]["play"] == "Audit probe"

    tasks = dict((line["task"], line) for line in lines if line["event"] == "task")
    assert list(tasks) == ["Write a file", "Fail on purpose", "Hidden secret", "Hidden failure", "Never runs"]
    for line in tasks.values():
        assert line["host"] == "localhost" and line["play"] == "Audit probe"
        assert line["unreachable"] is False
        assert line["duration"] >= 0
        assert line["started"] <= line["ended"]
        for key in ("args", "result", "invocation", "stdout", "stderr", "content", "diff"):
            assert key not in line

    def flags(name):
        line = tasks[name]
        return line["changed"], line["failed"], line["skipped"]

    assert flags("Write a file") == (True, False, False)
    assert tasks["Write a file"]["action"] == "ansible.builtin.copy"
    assert "msg" not in tasks["Write a file"]

    assert tasks["Fail on purpose"]["failed"] is True and tasks["Fail on purpose"]["ignored"] is True
    assert tasks["Fail on purpose"]["action"] == "ansible.builtin.fail"
    assert tasks["Fail on purpose"]["msg"] == "E" * 500  # truncated

    assert flags("Hidden secret") == (True, False, False)
    assert tasks["Hidden secret"]["no_log"] is True and "msg" not in tasks["Hidden secret"]
    assert tasks["Hidden failure"]["failed"] is True and "msg" not in tasks["Hidden failure"]
    assert tasks["Hidden failure"]["action"] == "ansible.builtin.fail"

    assert flags("Never runs") == (False, False, True)

    stats = lines[-1]
    assert stats["host"] == "localhost"
    assert (stats["ok"], stats["changed"], stats["failures"], stats["skipped"], stats["ignored"]) == (4, 2, 0, 1, 2)
    assert stats["unreachable"] == 0

    # The run's own output is unchanged by the callback.
    assert "PLAY RECAP" in proc.stdout


def test_generated_run_id_and_default_dir(tmp_path):
    proc = run(tmp_path, TINY, {})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    audit = tmp_path / "home" / ".ansible" / "kiro-audit"
    names = os.listdir(str(audit))
    assert len(names) == 1 and re.match(r"^\d{8}T\d{6}Z-[0-9a-f]{6}\.jsonl$", names[0]), names
    lines = read_lines(str(audit / names[0]))
    assert [line["event"] for line in lines] == ["play_start", "task", "stats"]
    assert lines[0]["run_id"] == names[0][:-len(".jsonl")]
    assert stat.S_IMODE(os.stat(str(audit)).st_mode) == 0o700


def test_unwritable_log_dir_warns_once_and_never_fails(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    proc = run(tmp_path, TINY, {"KIRO_AUDIT_DIR": str(blocker / "audit"), "KIRO_RUN_ID": "x"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    both = proc.stdout + proc.stderr
    assert both.count("kiro.platform.audit") == 1, both
    assert "audit logging is off" in both
    assert "ok=1" in proc.stdout
