# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kiro CLI custom agents: ``.kiro/agents/<name>.json`` (workspace) or ``~/.kiro/agents/``."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import re

from ansible_collections.kiro.platform.plugins.module_utils.common import fileio
from ansible_collections.kiro.platform.plugins.module_utils.kiro import changeset, validation
from ansible_collections.kiro.platform.plugins.module_utils.kiro.errors import KiroValidationError

SUBDIR = "agents"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*\Z")
AGENT_HOOK_TRIGGERS = ("agentSpawn", "userPromptSubmit", "preToolUse", "postToolUse", "stop")
_LISTS = ("tools", "allowedTools", "resources")
_MAPS = ("mcpServers", "toolAliases", "toolsSettings", "hooks")


def validate_spec(spec, item):
    name = validation.named(spec, item, NAME_RE, "must be a file stem such as 'aws-readonly'")
    item = "agent %s" % name
    state = validation.state_of(spec, item)
    if state == "absent":
        return {"name": name, "state": state}
    config = spec.get("config")
    if not isinstance(config, dict):
        raise KiroValidationError(item, "config (the agent's JSON document) is required")
    config = copy.deepcopy(config)
    if config.setdefault("name", name) != name:
        raise KiroValidationError(item, "config.name %r differs from the agent name" % config["name"])
    for key in _LISTS:
        if key in config and (not isinstance(config[key], list) or not all(isinstance(v, str) for v in config[key])):
            raise KiroValidationError(item, "%s must be a list of strings" % key)
    for key in _MAPS:
        if key in config and not isinstance(config[key], dict):
            raise KiroValidationError(item, "%s must be a mapping" % key)
    if "*" in config.get("allowedTools", []):
        raise KiroValidationError(item, "allowedTools may not contain '*' (Kiro rejects it); list the tools")
    for trigger, entries in (config.get("hooks") or {}).items():
        if trigger not in AGENT_HOOK_TRIGGERS:
            raise KiroValidationError(item, "unknown agent hook trigger %r; use one of %s" % (trigger, ", ".join(AGENT_HOOK_TRIGGERS)))
        if not isinstance(entries, list) or not all(isinstance(e, dict) and e.get("command") for e in entries):
            raise KiroValidationError(item, "hooks.%s must be a list of {command, matcher, timeout_ms}" % trigger)
    return {"name": name, "state": state, "config": config}


def validate_specs(specs):
    return validation.validate_list(specs, "agents", "agent", validate_spec)


def parse(text, path="<agent>"):
    return changeset.load_json_object(path, text)


def render(doc):
    return fileio.dump_json(doc)


def read(path):
    return changeset.read_parsed(path, parse)


def desired(existing, spec):
    """The spec's config laid over the agent file's other keys."""
    want = copy.deepcopy(existing) if existing else {}
    want.update(copy.deepcopy(spec["config"]))
    return want


def plan(root, specs, purge=False):
    return changeset.per_item(root.join(SUBDIR), ".json", specs, read, desired, render, purge=purge, secret=True)


def describe(root):
    out = []
    for name, path in changeset.listing(root.join(SUBDIR), ".json"):
        _unused, doc = read(path)
        out.append({"name": name, "path": path, "allowed_tools": list(doc.get("allowedTools") or []),
                    "tools": list(doc.get("tools") or []), "mcp_servers": sorted(doc.get("mcpServers") or {})})
    return out
