# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A profile: the whole desired Kiro configuration of a host, applied in one plan.

  steering / hooks / mcp_servers / agents  -> every workspace's .kiro/
  workflows -> every workspace's .github/workflows/kiro-<name>.yml (scheduled CLI agents)
  user: {steering, hooks, mcp_servers, agents} -> kiro_home (which has no workflows)
  autonomy -> each workspace's settings.json (+ user_settings) and kiro_home's permissions.yaml

Everything is validated before any file is read for planning, and every file
is planned before any is written.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kiro.platform.plugins.module_utils.kiro import (
    agents, autonomy, changeset, facts, hooks, mcp, policy)
from ansible_collections.kiro.platform.plugins.module_utils.kiro import steering, workflows
from ansible_collections.kiro.platform.plugins.module_utils.kiro.errors import KiroError, KiroValidationError
from ansible_collections.kiro.platform.plugins.module_utils.kiro.changeset import Plan

KINDS = ("steering", "hooks", "mcp_servers", "agents", "workflows")


def _validate_kinds(data, hooks_format, where):
    data = data or {}
    if not isinstance(data, dict):
        raise KiroValidationError(where, "must be a mapping")
    return {
        "steering": steering.validate_specs(data.get("steering")),
        "hooks": hooks.validate_specs(data.get("hooks"), hooks_format),
        "mcp_servers": mcp.validate_servers(data.get("mcp_servers")),
        "agents": agents.validate_specs(data.get("agents")),
        "workflows": workflows.validate_specs(data.get("workflows")),
    }


def validate(profile, hooks_format="classic"):
    if not isinstance(profile, dict):
        raise KiroValidationError("profile", "must be a mapping")
    unknown = sorted(set(k for k, v in profile.items() if v is not None) - set(KINDS) - {"user", "autonomy"})
    if unknown:
        raise KiroValidationError("profile", "unknown section(s) %s; expected %s, user, autonomy"
                                  % (", ".join(unknown), ", ".join(KINDS)))
    user = profile.get("user") or {}
    if not isinstance(user, dict):
        raise KiroValidationError("profile.user", "must be a mapping of steering, hooks, mcp_servers, agents")
    unknown = sorted(set(k for k, v in user.items() if v is not None) - set(KINDS))
    if unknown:
        raise KiroValidationError("profile.user", "unknown section(s) %s" % ", ".join(unknown))
    if user.get("workflows"):
        raise KiroValidationError("profile.user", "workflows run in a workspace's repository "
                                  "(.github/workflows); kiro_home has none. Put them at the top level")
    return {
        "workspace": _validate_kinds(profile, hooks_format, "profile"),
        "user": _validate_kinds(user, hooks_format, "profile.user"),
        "autonomy": autonomy.validate_spec(profile.get("autonomy")),
        "hooks_format": hooks_format,
    }


def plan_kinds(root, kinds, hooks_format, purge):
    changes = []
    changes.extend(steering.plan(root, kinds["steering"], purge=purge))
    changes.extend(hooks.plan(root, kinds["hooks"], hook_format=hooks_format, purge=purge))
    if kinds["mcp_servers"] or purge:
        changes.extend(mcp.plan(root, kinds["mcp_servers"], purge=purge))
    changes.extend(agents.plan(root, kinds["agents"], purge=purge))
    changes.extend(workflows.plan(root, kinds["workflows"], purge=purge))
    return changes


def plan(roots, validated, user_settings=None, purge=False):
    result = Plan(roots)
    for root in roots:
        kinds = validated["workspace"] if root.scope == "workspace" else validated["user"]
        result.extend(plan_kinds(root, kinds, validated["hooks_format"], purge))
    result.extend(autonomy.plan(roots, validated["autonomy"], user_settings=user_settings, purge=purge))
    return result


def summary(validated):
    """Names of what the profile manages, for reports (no secrets)."""
    out = {}
    for scope in ("workspace", "user"):
        kinds = validated[scope]
        out[scope] = {
            "steering": [s["name"] for s in kinds["steering"]],
            "hooks": [h["name"] for h in kinds["hooks"]],
            "mcp_servers": [name for name, _unused, _unused in kinds["mcp_servers"]],
            "agents": [a["name"] for a in kinds["agents"]],
            "workflows": [w["name"] for w in kinds["workflows"]],
        }
    return out


def policy_violations(roots, planned, safety_policy, user_settings=None):
    """How the configuration would break ``safety_policy`` once ``planned`` is written.

    The planned bytes are read through a changeset.Overlay, so the check sees exactly
    what will be on disk, including entries the profile does not manage.
    """
    with changeset.Overlay(planned.changes):
        described = facts.gather(roots, user_settings=user_settings, digest=False)
    return policy.violations(described, safety_policy)


def refusal(found):
    """The error that stops the write: a file that does not parse (one this profile does not
    manage: Kiro cannot load it and the policy cannot be checked with it there) is said as
    that, not as a policy breach; otherwise the policy violations."""
    unreadable = [v for v in found if v["rule"] == "unreadable_config"]
    if unreadable:
        return KiroError("cannot read %s that this profile does not manage, so nothing was written (the safety "
                         "policy cannot be checked while Kiro cannot load it): %s"
                         % ("a file" if len(unreadable) == 1 else "%d files" % len(unreadable),
                            "; ".join(v["detail"] for v in unreadable[:10])))
    lines = ["%s: %s (rule %s)" % (v["item"], v["detail"], v["rule"]) for v in found[:10]]
    more = "" if len(found) <= 10 else "; and %d more" % (len(found) - 10)
    return KiroValidationError("policy", "refusing to write a configuration that breaks the safety policy: %s%s"
                               % ("; ".join(lines), more))


LEVEL_KEYS = ("agent_autonomy", "trusted_commands", "command_denylist", "hooks_enabled", "mcp_enabled",
              "agents_enabled", "auto_approve", "permissions")


def compose(content, level):
    """A profile from what a phase deploys (``content``) and how autonomous it may be (``level``).

    ``content``: steering, hooks, mcp_servers, agents, workflows (as in a profile, without autonomy).
    ``level``: agent_autonomy, trusted_commands, command_denylist, permissions,
    hooks_enabled, mcp_enabled, agents_enabled, auto_approve (server name -> tools).
    A level that disables hooks and MCP servers deploys the content inert; one that
    disables agents empties their allowedTools and takes every workflow's schedule away
    (the workflow files stay, runnable only by manual dispatch).
    """
    if not isinstance(content, dict):
        raise KiroValidationError("content", "must be a mapping of steering, hooks, mcp_servers, agents, workflows")
    if not isinstance(level, dict):
        raise KiroValidationError("level", "must be a mapping")
    unknown = sorted(set(level) - set(LEVEL_KEYS) - {"name", "description"})
    if unknown:
        raise KiroValidationError("level", "unknown key(s) %s" % ", ".join(unknown))
    auto_approve = level.get("auto_approve") or {}
    hooks_on = level.get("hooks_enabled", True)
    out = {
        "steering": [dict(doc) for doc in content.get("steering") or []],
        "hooks": [dict(hook, enabled=bool(hooks_on and hook.get("enabled", True)))
                  for hook in content.get("hooks") or []],
        "mcp_servers": [],
        "agents": [],
        "workflows": [],
    }
    for server in content.get("mcp_servers") or []:
        server = dict(server)
        if server.get("state", "present") != "absent":
            server["disabled"] = not level.get("mcp_enabled", True)
            server["auto_approve"] = list(auto_approve.get(server.get("name"), []))
        out["mcp_servers"].append(server)
    for agent in content.get("agents") or []:
        agent = dict(agent)
        if not level.get("agents_enabled", True) and isinstance(agent.get("config"), dict):
            agent["config"] = dict(agent["config"], allowedTools=[])
        out["agents"].append(agent)
    agents_on = level.get("agents_enabled", True)
    for workflow in content.get("workflows") or []:
        workflow = dict(workflow)
        if workflow.get("state", "present") != "absent":
            workflow["enabled"] = bool(agents_on and workflow.get("enabled", True))
        out["workflows"].append(workflow)
    autonomy_spec = dict((k, level[k]) for k in ("agent_autonomy", "trusted_commands", "command_denylist",
                                                 "permissions") if level.get(k) is not None)
    out["autonomy"] = autonomy_spec
    return out
