"""The kiro.platform.phase lookup, loaded as Ansible loads it, over real local ledgers."""

import json
import os
import sys

import pytest

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), *[os.pardir] * 4)))

from fixtures.ledger_helpers import KEY_TEXT, signing_key  # noqa: E402

from ansible.errors import AnsibleLookupError  # noqa: E402
from ansible.parsing.dataloader import DataLoader  # noqa: E402
from ansible.plugins.loader import lookup_loader  # noqa: E402

from ansible_collections.kiro.platform.plugins.module_utils.ledger.local import LocalLedger  # noqa: E402


@pytest.fixture
def phase(tmp_path):
    loader = DataLoader()
    loader.set_basedir(str(tmp_path / "playbooks"))
    return lookup_loader.get("kiro.platform.phase", loader=loader, templar=None)


def test_the_phase_of_each_environment_from_a_ledger_beside_the_playbook(phase, tmp_path):
    ledger = LocalLedger(str(tmp_path / "playbooks" / "ledger"), "development", signing_key())
    ledger.append(1, "gate_passed", "alice", "run-1")
    ledger.append(2, "gate_passed", "alice", "run-1")
    assert phase.run(["development", "staging"], variables={}, key=KEY_TEXT) == [2, 0]
    with pytest.raises(AnsibleLookupError, match="development: no ledger key is configured"):
        phase.run(["development"], variables={})
    with pytest.raises(AnsibleLookupError, match="development: .*bad signature"):
        phase.run(["development"], variables={}, key="x" * 40)


def test_a_tampered_ledger_fails_naming_the_environment(phase, tmp_path):
    directory = tmp_path / "elsewhere"
    LocalLedger(str(directory), "staging", signing_key()).append(1, "gate_passed", "alice", "run-1")
    path = directory / "staging.jsonl"
    entry = json.loads(path.read_text())
    entry["phase"] = 5
    path.write_text(json.dumps(entry) + "\n")
    with pytest.raises(AnsibleLookupError, match="kiro.platform.phase: staging: .*seq 1"):
        phase.run(["staging"], variables={}, path=str(directory), key=KEY_TEXT)


def test_s3_needs_a_bucket(phase):
    with pytest.raises(AnsibleLookupError, match="bucket"):
        phase.run(["staging"], variables={}, backend="s3", key=KEY_TEXT)
