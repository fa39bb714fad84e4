"""plugin_utils/argspec.py: the argument spec read from DOCUMENTATION, and one source per action."""

import types

import pytest

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.kiro.platform.plugins.action import kill_switch as kill_switch_action
from ansible_collections.kiro.platform.plugins.action import lockdown as lockdown_action
from ansible_collections.kiro.platform.plugins.module_utils.common import aws
from ansible_collections.kiro.platform.plugins.module_utils.emergency import notify as notify_utils
from ansible_collections.kiro.platform.plugins.module_utils.ledger import backends, entries, operations
from ansible_collections.kiro.platform.plugins.modules import gate, incident, kill_switch, ledger, lockdown, notify
from ansible_collections.kiro.platform.plugins.plugin_utils import argspec
from ansible_collections.kiro.platform.plugins.plugin_utils.controller_action import plugin_name

DOC = r"""
module: sample
short_description: A sample
description: [A sample.]
options:
  mode:
    description: How.
    type: str
    choices:
      fast: Quickly.
      slow: Carefully.
    default: fast
  targets:
    description: Where.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The name.
        type: str
        required: true
        aliases: [id]
      password:
        description: A secret.
        type: str
extends_documentation_fragment:
  - kiro.platform.targets.purge
author: [Someone (@someone)]
"""


def fake_module(documentation=DOC):
    return types.SimpleNamespace(__name__="sample_%d" % id(documentation), __file__="/plugins/modules/sample.py",
                                 DOCUMENTATION=documentation)


def test_every_documented_property_becomes_the_spec_and_fragments_are_merged():
    spec = argspec.from_module(fake_module(), no_log=("targets.password",))
    assert spec == {
        "mode": {"type": "str", "choices": ["fast", "slow"], "default": "fast"},
        "targets": {"type": "list", "elements": "dict", "required": True, "options": {
            "name": {"type": "str", "required": True, "aliases": ["id"]},
            "password": {"type": "str", "no_log": True}}},
        "purge": {"type": "bool", "default": False},
    }
    # Plain values, not Ansible-tagged str subclasses.
    assert type(spec["mode"]["default"]) is str  # pylint: disable=unidiomatic-typecheck


def test_a_no_log_option_the_documentation_lacks_is_an_error():
    with pytest.raises(ValueError, match="targets.token is not documented"):
        argspec.from_module(fake_module(), no_log=("targets.token",))


def test_each_call_returns_a_copy():
    first = argspec.from_module(fake_module())
    first["mode"]["choices"].append("reckless")
    assert argspec.from_module(fake_module())["mode"]["choices"] == ["fast", "slow"]


def test_validate_masks_no_log_values_and_masked_hides_them_at_any_depth():
    spec = argspec.from_module(fake_module(), no_log=("targets.password",))
    params, error = argspec.validate(spec, {"targets": [{"id": "a", "password": "pw-S3cret"}], "mode": "pw-S3cret"})
    assert params is None and "mode must be one of: fast, slow" in error and "pw-S3cret" not in error
    params, error = argspec.validate(spec, {"targets": [{"id": "a", "password": "pw-S3cret"}]})
    assert error is None and params["targets"][0]["name"] == "a" and params["purge"] is False
    shown = argspec.masked(params, spec)
    assert shown["targets"][0] == {"name": "a", "id": "a", "password": argspec.NO_LOG_MASK}


def documented(module, no_log=()):
    return argspec.from_module(module, no_log=no_log)


def test_the_documentation_agrees_with_the_constants_of_the_code():
    spec = documented(ledger)
    assert spec["operation"]["choices"] == list(operations.OPERATIONS)
    assert spec["event"]["choices"] == list(entries.EVENTS)
    assert spec["backend"]["choices"] == list(backends.BACKENDS)
    assert spec["prefix"]["default"] == backends.DEFAULT_PREFIX
    assert set(aws.CONNECTION_KEYS) <= set(spec)
    notify_spec = documented(notify)
    assert notify_spec["timeout"]["default"] == notify_utils.DEFAULT_TIMEOUT
    assert set(aws.CONNECTION_KEYS) <= set(notify_spec["channels"]["options"])
    assert documented(gate)["report_dir"] == {"type": "path", "default": "reports"}
    assert documented(incident)["dest"] == {"type": "path", "required": True}


def capture_module_spec(module, monkeypatch):
    """The argument_spec a real module's main() gives AnsibleModule."""
    seen = {}

    class Stop(Exception):
        pass

    def fake(argument_spec, **kwargs):
        seen.update(argument_spec)
        raise Stop()

    monkeypatch.setattr(module, "AnsibleModule", fake)
    with pytest.raises(Stop):
        module.main()
    return seen


@pytest.mark.parametrize("module,action", [(lockdown, lockdown_action), (kill_switch, kill_switch_action)])
def test_an_in_process_action_validates_with_its_modules_own_spec(module, action, monkeypatch):
    assert capture_module_spec(module, monkeypatch) == action.ActionModule.argument_spec()


@pytest.mark.parametrize("module,action", [(lockdown, lockdown_action), (kill_switch, kill_switch_action)])
def test_the_module_spec_matches_its_documentation(module, action):
    """What validate-modules checks, here too: the documented options are the spec's."""
    spec = action.ActionModule.argument_spec()
    docs = argspec.from_module(module)

    def shape(options):
        return dict((name, (o.get("type", "str"), o.get("elements"), o.get("default"), bool(o.get("required")),
                            shape(o.get("options") or {}))) for name, o in options.items())

    assert shape(docs) == shape(spec)
    ArgumentSpecValidator(spec)  # a valid spec


def test_plugin_name():
    assert plugin_name("ansible_collections.kiro.platform.plugins.action.gate") == "kiro.platform.gate"
    assert plugin_name("gate") == "gate"
