"""Every module and the role document themselves where operators look."""

import os
import subprocess

import pytest

from conftest import BIN, ROOT, ansible_env

MODULES = sorted(f[:-3] for f in os.listdir(os.path.join(ROOT, "plugins", "modules")) if f.endswith(".py"))


def test_every_module_listed():
    assert {"agents", "autonomy", "hooks", "kiro_facts", "mcp_servers", "profile", "snapshot", "steering"} <= set(MODULES)


@pytest.mark.parametrize("module", MODULES)
def test_ansible_doc_renders(module):
    proc = subprocess.run([os.path.join(BIN, "ansible-doc"), "kiro.platform." + module], cwd=ROOT,
                          env=ansible_env(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "EXAMPLES" in proc.stdout and "OPTIONS" in proc.stdout
    assert "ERROR" not in proc.stderr


def test_role_argument_spec_renders():
    proc = subprocess.run([os.path.join(BIN, "ansible-doc"), "-t", "role", "kiro.platform.kiro_config"], cwd=ROOT,
                          env=ansible_env(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "kiro_config_profile" in proc.stdout
