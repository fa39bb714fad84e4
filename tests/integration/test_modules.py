"""Each module run for real by ansible-playbook; the assertions live in the playbook."""

import os

from conftest import BIN, ROOT, ansible_env

import subprocess


def test_modules_playbook(tmp_path):
    proc = subprocess.run(
        [os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", "--diff",
         os.path.join(ROOT, "tests", "integration", "playbooks", "modules.yml"), "-e", "sandbox=%s" % tmp_path,
         "-e", "ansible_python_interpreter=%s" % os.path.join(BIN, "python")],
        cwd=ROOT, env=ansible_env(), capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    assert "failed=0" in proc.stdout
    assert "tok-ModuleSecret-1" not in proc.stdout + proc.stderr
    assert proc.stdout.count("All assertions passed") == 6
