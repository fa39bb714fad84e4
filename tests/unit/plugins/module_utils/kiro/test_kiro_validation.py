"""What every kind's spec list shares (kiro.validation): the same checks, each kind's own words."""

import pytest

from ansible_collections.kiro.platform.plugins.module_utils.kiro import agents, hooks, mcp, steering, workflows
from ansible_collections.kiro.platform.plugins.module_utils.kiro.errors import KiroValidationError

# (validate_specs, list field, item kind, what a bad name is told)
KINDS = [
    (steering.validate_specs, "steering", "steering", "must be a file name such as 'operations' or 'operations.md'"),
    (hooks.validate_specs, "hooks", "hook", "must be a file stem such as 'cost-optimization'"),
    (mcp.validate_servers, "mcp_servers", "MCP server", "is not a valid MCP server name"),
    (agents.validate_specs, "agents", "agent", "must be a file stem such as 'aws-readonly'"),
    (workflows.validate_specs, "workflows", "workflow",
     "must be a file stem such as 'cost-optimizer' (the file is kiro-<name>.yml)"),
]
IDS = [kind[1] for kind in KINDS]


def _error(validate, specs):
    with pytest.raises(KiroValidationError) as err:
        validate(specs)
    return str(err.value)


@pytest.mark.parametrize("validate, field, kind, hint", KINDS, ids=IDS)
def test_each_check_names_the_item_in_the_kinds_words(validate, field, kind, hint):
    gone = {"name": "ok", "state": "absent"}
    assert _error(validate, [gone, "ok"]) == "%s[1]: must be a mapping" % field
    assert _error(validate, [{"name": "no spaces"}]) == "%s[0]: name 'no spaces' %s" % (field, hint)
    assert _error(validate, [{"name": None}]) == "%s[0]: name None %s" % (field, hint)
    assert _error(validate, [{"name": "ok", "state": "gone"}]) == (
        "%s ok: state must be present or absent, not 'gone'" % kind)
    assert _error(validate, [gone, dict(gone)]) == "%s ok: is listed twice" % kind


@pytest.mark.parametrize("validate, field, kind, hint", KINDS, ids=IDS)
def test_an_empty_or_missing_list_is_no_items(validate, field, kind, hint):
    assert validate(None) == [] and validate([]) == []


def test_names_are_compared_after_normalising():
    # steering "ops.md" and "ops" are one file.
    assert _error(steering.validate_specs, [{"name": "ops.md", "state": "absent"}, {"name": "ops", "state": "absent"}]) \
        == "steering ops: is listed twice"


def test_a_v1_only_trigger_is_refused_in_the_classic_format():
    spec = {"name": "boot", "when": {"type": "SessionStart"}, "then": {"type": "askAgent", "prompt": "hi"}}
    assert _error(hooks.validate_specs, [spec]) == "hook boot: trigger SessionStart exists only in the v1 hook format"
    assert hooks.validate_specs([spec], "v1")[0]["when"]["type"] == "SessionStart"
