"""${VAR} in MCP server settings: approved variables only, every secret handed to the scrubber."""

import pytest

from ansible_collections.kiro.platform.plugins.module_utils.common import mcp_vars, secrets

ENVIRON = {"GITHUB_PAT": "ghp-from-the-environment-1", "HOME_REGION": "eu-west-1"}


def expander(approved=("GITHUB_PAT",)):
    return mcp_vars.Expander(approved, secrets.Scrubber(), environ=ENVIRON)


def test_only_approved_and_set_variables_are_expanded():
    exp = expander(approved=("GITHUB_PAT", "UNSET_VAR"))
    assert exp.value("Bearer ${GITHUB_PAT}") == "Bearer ghp-from-the-environment-1"
    assert exp.value("${HOME_REGION}") == "${HOME_REGION}"  # set, but not approved
    assert exp.value("${UNSET_VAR}") == "${UNSET_VAR}"  # approved, but not set
    assert exp.value("plain") == "plain"


def test_an_expanded_variable_is_a_secret_alone_and_in_its_setting():
    exp = expander()
    exp.value("--token=${GITHUB_PAT}")
    assert exp.scrubber.scrub("args: --token=ghp-from-the-environment-1") == "args: <redacted>"
    # A server printing only the value: it is masked as well.
    assert exp.scrubber.scrub("bad credentials ghp-from-the-environment-1") == "bad credentials <redacted>"


def test_switches_become_strings_and_other_types_are_refused():
    exp = expander()
    assert exp.value(True, "READ_ONLY") == "true" and exp.value(False) == "false"
    assert exp.value(8080, "PORT") == "8080"
    with pytest.raises(mcp_vars.SettingError, match="^PORT must be a string$"):
        exp.value(["8080"], "PORT")
    with pytest.raises(mcp_vars.SettingError, match="^a value must be a string$"):
        exp.value(None)


def test_mapping_collects_every_secret_before_it_can_fail():
    exp = expander()
    server = {"env": {"AWS_REGION": "us-east-1", "BROKEN": ["not", "a", "string"], "API_TOKEN": "sk-live-7f3a9c"}}
    with pytest.raises(mcp_vars.SettingError, match="BROKEN must be a string"):
        exp.mapping(server, "env")
    # The error came before API_TOKEN was expanded, yet its value is already known as a secret.
    assert exp.scrubber.scrub("API_TOKEN=sk-live-7f3a9c region us-east-1") == "API_TOKEN=<redacted> region us-east-1"


def test_mapping_expands_values_and_refuses_a_non_mapping():
    exp = expander()
    assert exp.mapping({"headers": {"Authorization": "Bearer ${GITHUB_PAT}"}}, "headers") == {
        "Authorization": "Bearer ghp-from-the-environment-1"}
    assert exp.mapping({}, "env") == {}
    with pytest.raises(mcp_vars.SettingError, match="^headers must be a mapping$"):
        exp.mapping({"headers": ["Authorization: x"]}, "headers")
