"""Writes stay where they belong, run for real by ansible-playbook on localhost.

A phase's profile, the lockdown and a snapshot restore meet workspaces whose
``.kiro/steering`` or ``.vscode`` is a link out of the workspace, a hostile
snapshot archive and a directory that cannot be written: nothing outside a
workspace changes, each failure names the path at fault, and a failed write
leaves the host as it was, reported ``changed: false``.
"""

import io
import json
import os
import shutil
import subprocess
import tarfile
import textwrap

import pytest

from conftest import BIN, ROOT, ansible_env

PLAYBOOK = textwrap.dedent("""\
    ---
    - name: Writes stay in their workspace
      hosts: localhost
      connection: local
      gather_facts: false
      vars:
        profile: &profile
          steering: [{name: tech, content: "# Tech\\n"}]
          mcp_servers: [{name: aws, command: uvx, args: [aws-mcp]}]
          agents: [{name: triage, config: {tools: [read]}}]
          autonomy: {agent_autonomy: Autopilot}
      tasks:
        - name: A phase apply against a workspace whose .kiro/steering is a link out of it
          kiro.platform.profile:
            workspaces: ["{{ sandbox }}/linked"]
            <<: *profile
          register: linked_apply
          ignore_errors: true

        - name: A lockdown of that workspace and of one whose .vscode is a link
          kiro.platform.lockdown:
            workspaces: ["{{ sandbox }}/linked", "{{ sandbox }}/vscode"]
            snapshot_dir: "{{ sandbox }}/snaps"
          register: locked

        - name: A restore of a hostile archive
          kiro.platform.snapshot:
            operation: restore
            snapshot_dir: "{{ sandbox }}/hostile"
          register: hostile
          ignore_errors: true

        - name: A phase apply that fails part-way (an immutable agents directory)
          kiro.platform.profile:
            workspaces: ["{{ sandbox }}/stuck"]
            <<: *profile
          register: stuck
          ignore_errors: true
          when: immutable | bool

        - name: Each failure names the path at fault, and nothing claims a change it did not keep
          ansible.builtin.assert:
            that:
              - linked_apply is failed and linked_apply is not changed
              - "(sandbox ~ '/linked/.kiro/steering: is a symbolic link to ' ~ sandbox ~ '/outside') in linked_apply.msg"
              - locked.errors | map(attribute='path') | list == [sandbox ~ '/vscode/.vscode']
              - "('symbolic link to ' ~ sandbox ~ '/outside') in locked.errors[0].msg"
              - locked is changed
              - not locked.ansible_facts.kiro.summary.manual_mode
              - hostile is failed and hostile is not changed
              - "(sandbox ~ '/hostile/') in hostile.msg and 'files/etc/../root/x' in hostile.msg"
              - not (immutable | bool) or (stuck is failed and stuck is not changed)
              - not (immutable | bool) or stuck.failed_path == sandbox ~ '/stuck/.kiro/agents/triage.json'
              - not (immutable | bool) or (sandbox ~ '/stuck/.kiro/steering/tech.md') in stuck.touched_files
              - not (immutable | bool) or 'put back' in stuck.msg
    """)


def _tree(path):
    out = {}
    for base, _dirs, files in os.walk(path):
        for name in files:
            full = os.path.join(base, name)
            with open(full, "rb") as handle:
                out[os.path.relpath(full, path)] = handle.read()
    return out


def _hostile_archive(directory, victim):
    os.makedirs(directory)
    snap_id = "20260101T000000000000Z-hostile"
    manifest = {"id": snap_id, "created": "2026-01-01T00:00:00Z", "digest": "x", "files": [],
                "scanned": {"directories": [os.path.join(victim, ".kiro", "steering")]}}
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in (("manifest.json", json.dumps(manifest).encode()), ("files/etc/../root/x", b"owned\n")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    with open(os.path.join(directory, snap_id + ".tar.gz"), "wb") as handle:
        handle.write(buf.getvalue())
    with open(os.path.join(directory, snap_id + ".manifest.json"), "w") as handle:
        json.dump(manifest, handle)


def _chattr(flag, path):
    return bool(shutil.which("chattr")) and subprocess.run(["chattr", flag, path], capture_output=True,
                                                           check=False).returncode == 0


@pytest.fixture
def sandbox(tmp_path):
    root = tmp_path / "sandbox"
    outside = root / "outside"
    (outside / "settings").mkdir(parents=True)
    (outside / "settings.json").write_text('{"kiroAgent.agentAutonomy": "Autopilot"}\n')
    (outside / "tech.md").write_text("# theirs\n")
    (root / "linked" / ".kiro").mkdir(parents=True)
    os.symlink(str(outside), str(root / "linked" / ".kiro" / "steering"))
    (root / "vscode").mkdir()
    os.symlink(str(outside), str(root / "vscode" / ".vscode"))
    (root / "stuck" / ".kiro" / "agents").mkdir(parents=True)
    (root / "stuck" / ".kiro" / "steering").mkdir()
    (root / "stuck" / ".kiro" / "steering" / "tech.md").write_text("# old\n")
    _hostile_archive(str(root / "hostile"), str(root / "victim"))
    immutable = _chattr("+i", str(root / "stuck" / ".kiro" / "agents"))
    yield root, immutable
    if immutable:
        _chattr("-i", str(root / "stuck" / ".kiro" / "agents"))


def test_writes_stay_in_their_workspace(tmp_path, sandbox):
    root, immutable = sandbox
    playbook = tmp_path / "write_safety.yml"
    playbook.write_text(PLAYBOOK)
    outside, stuck = _tree(str(root / "outside")), _tree(str(root / "stuck"))
    proc = subprocess.run(
        [os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", str(playbook), "-e", "sandbox=%s" % root,
         "-e", "immutable=%s" % immutable, "-e", "ansible_python_interpreter=%s" % os.path.join(BIN, "python")],
        cwd=ROOT, env=ansible_env(), capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-8000:] + proc.stderr[-3000:]
    assert "All assertions passed" in proc.stdout
    assert _tree(str(root / "outside")) == outside, "nothing outside a workspace changed"
    assert _tree(str(root / "stuck")) == stuck, "the failed apply left the workspace as it was"
    assert not os.path.exists(str(root / "victim")) and not os.path.exists("/root/x")
