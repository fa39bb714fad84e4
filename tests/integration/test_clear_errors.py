"""Errors that name the variable or file at fault and what is allowed (real playbook runs)."""

import json
import os

from conftest import run_playbook, text, tree, workspace

# What the controller keeps under the sandbox (the ledger, its key and head anchor, reports):
# not host files.
CONTROLLER = ("ledger", "reports", "keys", "ledger-head")


def test_a_non_numeric_rollout_phase_names_the_variable_before_anything(sandbox):
    run = run_playbook("phase1.yml", sandbox, "-e", "rollout_phase=three")
    assert run.rc != 0
    assert ("Nothing was changed: rollout_phase must be a phase number from 1 to 5 (for example -e rollout_phase=3), "
            "not 'three'") in text(run)
    assert "unknown phase None" not in text(run)
    assert tree(str(sandbox), skip=CONTROLLER) == {}


def test_a_non_numeric_rollback_phase_is_refused_naming_it(sandbox):
    run = run_playbook("rollback.yml", sandbox, "-e", "rollback_phase=x")
    assert run.rc != 0
    assert ("Rollback refused (nothing was changed): rollback_phase must be a phase number from 1 to 5 "
            "(for example -e rollback_phase=3), not 'x'") in text(run)
    assert tree(str(sandbox), skip=CONTROLLER) == {}


def test_an_unknown_autonomy_level_names_the_variable_and_the_levels(sandbox):
    run = run_playbook("phase1.yml", sandbox, "-e", "kiro_config_level=autopilot")
    assert run.rc != 0
    assert ("kiro_config_level: 'autopilot' is not an autonomy level; use one of manual, supervised, conservative, "
            "supervised_autonomous, full") in text(run)
    assert "has no attribute" not in text(run)
    assert not any("/.kiro/" in path for path in tree(str(sandbox), skip=CONTROLLER))


def test_a_broken_hook_we_do_not_manage_is_named_as_unreadable_not_as_a_policy_breach(sandbox):
    hooks = os.path.join(workspace(sandbox, "dev-workstation-1"), ".kiro", "hooks")
    os.makedirs(hooks)
    broken = os.path.join(hooks, "my-own.kiro.hook")
    with open(broken, "w") as handle:
        handle.write('{"name": "mine", "when": {"type": "fileEdited"')
    run = run_playbook("phase1.yml", sandbox, "-e", json.dumps({"rollout_on_failure": "stop"}))
    assert run.rc != 0
    said = text(run)
    assert ("cannot read a file that this profile does not manage, so nothing was written (the safety policy "
            "cannot be checked while Kiro cannot load it): %s: cannot parse existing file: invalid JSON" % broken) in said
    assert "fix or move it and run again" in said
    assert "refusing to write a configuration that breaks the safety policy" not in said
    # That host is untouched; the other one was configured.
    assert sorted(tree(os.path.join(str(sandbox), "dev-workstation-1"))) == [
        "workspaces/platform-infra/.kiro/hooks/my-own.kiro.hook"]
    assert os.path.exists(os.path.join(workspace(sandbox, "dev-workstation-2"), ".kiro", "settings", "mcp.json"))
