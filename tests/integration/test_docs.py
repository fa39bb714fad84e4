"""Every plugin and role documents itself where operators look: ansible-doc."""

import glob
import os
import re
import subprocess

import pytest

from conftest import BIN, ROOT, ansible_env


def names(kind, pattern):
    return sorted(set(os.path.basename(f).rsplit(".", 1)[0]
                      for f in glob.glob(os.path.join(ROOT, "plugins", kind, pattern))
                      if not os.path.basename(f).startswith("_")))


MODULES = names("modules", "*.py")
LOOKUPS = names("lookup", "*.py")
CALLBACKS = names("callback", "*.py")
FILTERS = names("filter", "*.yml") + ["alert_rules"]
ROLES = sorted(d for d in os.listdir(os.path.join(ROOT, "roles")) if not d.startswith("."))


def doc(*args):
    proc = subprocess.run([os.path.join(BIN, "ansible-doc")] + list(args), cwd=ROOT, env=ansible_env(),
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "ERROR" not in proc.stderr and "WARNING" not in proc.stderr, proc.stderr
    return re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout)


def test_every_plugin_listed():
    assert {"agents", "autonomy", "gate", "hooks", "incident", "kill_switch", "kiro_facts", "ledger", "lockdown",
            "mcp_servers", "notify", "profile", "snapshot", "steering"} <= set(MODULES)
    assert {"emergency_summary", "policy_violations", "rollout_rollback", "rollout_rollback_verdicts"} <= set(FILTERS)
    # what the playbooks and roles call instead of Jinja programs
    assert {"plan_environments", "rollout_already_passed", "rollout_drill_report", "rollout_outcome",
            "rollout_rollback_announcement", "rollout_rollback_outcome", "rollout_override_scope",
            "gate_failing_criteria", "gate_stop_message", "emergency_request_problem", "emergency_headline",
            "emergency_incident_details", "emergency_outcome"} <= set(FILTERS)
    assert {"metric", "phase"} <= set(LOOKUPS)
    assert {"kiro_config", "phase_gate", "alert_rules"} <= set(ROLES)


@pytest.mark.parametrize("module", MODULES)
def test_module_doc(module):
    out = doc("kiro.platform." + module)
    assert "EXAMPLES" in out and "OPTIONS" in out and "RETURN VALUES" in out


@pytest.mark.parametrize("kind,name", [("lookup", n) for n in LOOKUPS] + [("callback", n) for n in CALLBACKS]
                         + [("filter", n) for n in FILTERS])
def test_plugin_doc(kind, name):
    out = doc("-t", kind, "kiro.platform." + name)
    assert "kiro.platform." + name in out and len(out.splitlines()) > 5


@pytest.mark.parametrize("role", ROLES)
def test_role_argument_spec(role):
    out = doc("-t", "role", "kiro.platform." + role)
    assert re.search(r"ENTRY POINT: \*?main", out) and (role + "_") in out
