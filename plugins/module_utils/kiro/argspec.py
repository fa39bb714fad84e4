# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument spec pieces shared by the modules (one definition, many modules)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

TARGETS = dict(
    workspaces=dict(type="list", elements="path", default=[]),
    kiro_home=dict(type="path"),
    create_workspaces=dict(type="bool", default=False),
    # Filled by the action plugin with every secret in the task's arguments (see
    # common/secrets.secret_values): Ansible then masks exactly those strings.
    secret_values=dict(type="list", elements="str", no_log=True),
)


def _item(**options):
    """The options of one item of a kind: its name and state, then ``options``."""
    spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    spec.update(options)
    return spec


STEERING = _item(
    content=dict(type="str"),
    source=dict(type="path"),
    inclusion=dict(type="str", choices=["always", "fileMatch", "manual", "auto"], default="always"),
    file_match_pattern=dict(type="str", aliases=["fileMatchPattern"]),
    title=dict(type="str"),
    description=dict(type="str"),
)

HOOK = _item(
    title=dict(type="str"),
    description=dict(type="str"),
    enabled=dict(type="bool", default=True),
    when=dict(type="dict"),
    then=dict(type="dict"),
    timeout=dict(type="int"),
)

MCP_SERVER = _item(
    command=dict(type="str"),
    args=dict(type="list", elements="str"),
    env=dict(type="dict"),
    secret_env=dict(type="dict", no_log=True),
    url=dict(type="str"),
    secret_url=dict(type="str", no_log=True),
    headers=dict(type="dict"),
    secret_headers=dict(type="dict", no_log=True),
    disabled=dict(type="bool"),
    auto_approve=dict(type="list", elements="str", aliases=["autoApprove"]),
    disabled_tools=dict(type="list", elements="str", aliases=["disabledTools"]),
    timeout=dict(type="int"),
    oauth=dict(type="dict"),
    extra=dict(type="dict"),
)

AGENT = _item(
    config=dict(type="dict"),
)

WORKFLOW = _item(
    agent=dict(type="str"),
    schedule=dict(type="str"),
    enabled=dict(type="bool", default=True),
    prompt=dict(type="str"),
    trust_tools=dict(type="list", elements="str"),
    timeout_minutes=dict(type="int", default=30),
    runs_on=dict(type="str", default="ubuntu-latest"),
)

PERMISSION_RULE = dict(
    capability=dict(type="str", required=True),
    match=dict(type="raw"),
    exclude=dict(type="raw"),
    effect=dict(type="str", required=True, choices=["deny", "ask", "allow"]),
)

AUTONOMY = dict(
    agent_autonomy=dict(type="str", choices=["Autopilot", "Supervised"]),
    trusted_commands=dict(type="list", elements="str"),
    command_denylist=dict(type="list", elements="str"),
    settings=dict(type="dict"),
    permissions=dict(type="list", elements="dict", options=PERMISSION_RULE),
    settings_file=dict(type="str"),
)


def list_of(options):
    return dict(type="list", elements="dict", default=[], options=copy.deepcopy(options))


def kinds():
    return dict(
        steering=list_of(STEERING),
        hooks=list_of(HOOK),
        mcp_servers=list_of(MCP_SERVER),
        agents=list_of(AGENT),
        workflows=list_of(WORKFLOW),
    )


def targets(**extra):
    spec = copy.deepcopy(TARGETS)
    spec.update(extra)
    return spec
