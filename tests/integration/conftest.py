"""Run ansible-playbook for real against the local sandbox inventory, in a temp tree."""

import json
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)


class Run:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    def recap(self):
        """{host: {ok, changed, failed, ...}} from PLAY RECAP."""
        hosts = {}
        for match in re.finditer(r"^(\S+)\s+:\s+(.*)$", self.out.split("PLAY RECAP")[-1], re.M):
            hosts[match.group(1)] = dict((k, int(v)) for k, v in re.findall(r"(\w+)=(\d+)", match.group(2)))
        return hosts

    def changed(self, hosts=None):
        """Changes on the managed hosts (the controller's ledger entries are not host changes)."""
        return sum(h.get("changed", 0) for name, h in self.recap().items()
                   if name != "localhost" and (hosts is None or name in hosts))

    def hosts_recap(self):
        return dict((k, v) for k, v in self.recap().items() if k != "localhost")


def ansible_env(extra=None):
    env = dict(os.environ)
    env.update({
        "ANSIBLE_CONFIG": os.path.join(ROOT, "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "PATH": BIN + os.pathsep + env.get("PATH", ""),
    })
    env.update(extra or {})
    return env


def run_playbook(playbook, sandbox, *args, env=None, inventory="inventories/local"):
    cmd = [os.path.join(BIN, "ansible-playbook"), "-i", os.path.join(ROOT, inventory),
           os.path.join(ROOT, "playbooks", playbook), "-e", "kiro_sandbox_root=%s" % sandbox,
           "-e", "rollout_report_dir=%s" % os.path.join(str(sandbox), "reports")]
    cmd.extend(args)
    proc = subprocess.run(cmd, cwd=ROOT, env=ansible_env(env), capture_output=True, text=True, timeout=600, check=False)
    return Run(proc)


@pytest.fixture
def sandbox(tmp_path):
    path = tmp_path / "sandbox"
    path.mkdir()
    return path


def workspace(sandbox, host, name="platform-infra"):
    return os.path.join(str(sandbox), host, "workspaces", name)


def read_json(path):
    with open(path) as handle:
        return json.load(handle)


def tree(path, skip=("ledger", "reports", "keys", "ledger-head")):
    """{relative path: bytes} of every file under ``path`` (the ledger, its key and head, and reports left out)."""
    out = {}
    for base, dirs, files in os.walk(path):
        if base == str(path):
            dirs[:] = [d for d in dirs if d not in skip]
        for name in files:
            full = os.path.join(base, name)
            with open(full, "rb") as handle:
                out[os.path.relpath(full, path)] = handle.read()
    return out


def text(run):
    """A run's output and errors with the YAML callback's line wrapping undone."""
    return " ".join((run.out + run.err).split())


def ledger(sandbox, environment):
    """The entries of ``environment``'s local ledger in a sandbox, oldest first ([] when it has none)."""
    path = os.path.join(str(sandbox), "ledger", "%s.jsonl" % environment)
    if not os.path.exists(path):
        return []
    with open(path) as handle:
        return [json.loads(line) for line in handle if line.strip()]
