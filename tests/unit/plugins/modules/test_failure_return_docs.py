"""The modules that write Kiro files document the keys their failures return: a write that
failed part-way (kiro/errors.py WriteFailed) and a refusal under a manual override
(kiro/override.py OverrideActive, plugin_utils/override_guard.py). Ansible has no RETURN doc
fragments, so the text is repeated in each module: this keeps the copies the same."""

import importlib

import pytest
import yaml

from ansible_collections.kiro.platform.plugins.module_utils.kiro.errors import WriteFailed
from ansible_collections.kiro.platform.plugins.module_utils.kiro.override import OverrideActive

WRITERS = ("steering", "hooks", "mcp_servers", "agents", "autonomy", "profile", "snapshot")
CONTROLLER_GUARDED = ("profile", "snapshot")
FAILURE_KEYS = ("failed_path", "touched_files", "restored_files", "unrestored_files")


def returns(name):
    module = importlib.import_module("ansible_collections.kiro.platform.plugins.modules.%s" % name)
    return yaml.safe_load(module.RETURN)


def write_failed_keys():
    failed = WriteFailed("/srv/app/.kiro/a.md", "Read-only file system", ["/srv/app/.kiro/a.md"], [], [])
    return set(failed.result) - {"changed"}


@pytest.mark.parametrize("name", WRITERS)
def test_every_key_a_failed_write_returns_is_documented(name):
    documented = returns(name)
    assert write_failed_keys() == set(FAILURE_KEYS)
    missing = [key for key in FAILURE_KEYS if key not in documented]
    assert not missing, "%s RETURN lacks %s" % (name, missing)
    for key in FAILURE_KEYS:
        assert documented[key] == returns("steering")[key], "%s: %s differs from steering's" % (name, key)


@pytest.mark.parametrize("name", WRITERS)
def test_the_override_refusal_is_documented_with_the_keys_it_returns(name):
    documented = returns(name)
    assert "override" in documented, "%s RETURN lacks override" % name
    refusal = OverrideActive("/home/dev/.kiro-platform/override.json", [{"incident_id": "INC-42"}]).details
    text = " ".join(documented["override"]["description"])
    for key in refusal:
        assert "C(%s)" % key in text, "%s: override does not name %s" % (name, key)
    if name in CONTROLLER_GUARDED:
        for key in ("environment", "ledger"):
            assert "C(%s)" % key in text, "%s: override does not name the controller's %s" % (name, key)
