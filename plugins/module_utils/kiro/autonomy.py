# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Autonomy: the IDE keys in settings.json and the rules in permissions.yaml."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import os

from ansible_collections.kiro.platform.plugins.module_utils.kiro import changeset, permissions, settings
from ansible_collections.kiro.platform.plugins.module_utils.kiro.errors import KiroValidationError

DEFAULT_SETTINGS_FILE = os.path.join(".vscode", "settings.json")


def validate_spec(spec):
    """Return the normalised autonomy spec, or None when nothing is managed."""
    if not spec:
        return None
    if not isinstance(spec, dict):
        raise KiroValidationError("autonomy", "must be a mapping")
    known = {"agent_autonomy", "trusted_commands", "command_denylist", "settings", "permissions", "settings_file"}
    unknown = sorted(set(k for k, v in spec.items() if v is not None) - known)
    if unknown:
        raise KiroValidationError("autonomy", "unknown key(s) %s" % ", ".join(unknown))
    out = {"keys": {}, "permissions": None,
           "settings_file": spec.get("settings_file") or DEFAULT_SETTINGS_FILE}
    if os.path.isabs(out["settings_file"]) or ".." in out["settings_file"].split(os.sep):
        raise KiroValidationError("autonomy.settings_file", "must be a path relative to the workspace")
    level = spec.get("agent_autonomy")
    if level is not None:
        if level not in settings.AUTONOMY_VALUES:
            raise KiroValidationError("autonomy.agent_autonomy", "must be Autopilot or Supervised, not %r" % level)
        out["keys"][settings.AUTONOMY_KEY] = level
    for field, key in (("trusted_commands", settings.TRUSTED_KEY), ("command_denylist", settings.DENYLIST_KEY)):
        value = spec.get(field)
        if value is None:
            continue
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise KiroValidationError("autonomy.%s" % field, "must be a list of command prefixes")
        out["keys"][key] = list(value)
    extra = spec.get("settings") or {}
    if not isinstance(extra, dict):
        raise KiroValidationError("autonomy.settings", "must be a mapping of settings.json keys")
    for key, value in extra.items():
        if not str(key).startswith("kiroAgent."):
            raise KiroValidationError("autonomy.settings.%s" % key, "only kiroAgent.* keys are managed here")
        if key in out["keys"]:
            raise KiroValidationError("autonomy.settings.%s" % key, "duplicates a managed field")
        out["keys"][key] = copy.deepcopy(value)
    if spec.get("permissions") is not None:
        out["permissions"] = permissions.validate_rules(spec["permissions"])
    return out


def plan_settings(path, keys):
    before, existing = settings.read(path)
    if existing is None and not keys:
        return []
    want = copy.deepcopy(existing) if existing is not None else {}
    want.update(copy.deepcopy(keys))
    return [changeset.change(path, before, existing, want, settings.render, sorted(keys))]


def plan_permissions(root, rules, purge=False):
    path = root.join(permissions.RELPATH)
    before, existing = permissions.read(path)
    want = permissions.merge(existing, rules, purge=purge)
    return [changeset.change(path, before, existing, want, permissions.render, [r["capability"] for r in rules])]


def plan(roots, spec, user_settings=None, purge=False):
    """``roots``: workspace roots (settings.json per workspace) and the user root (permissions)."""
    if spec is None:
        return []
    changes = []
    for root in roots:
        if root.scope == "workspace" and spec["keys"]:
            changes.extend(plan_settings(os.path.join(root.workspace, spec["settings_file"]), spec["keys"]))
        if root.scope == "user" and spec["permissions"] is not None:
            changes.extend(plan_permissions(root, spec["permissions"], purge=purge))
    if user_settings and spec["keys"]:
        changes.extend(plan_settings(os.path.expanduser(user_settings), spec["keys"]))
    return changes


def describe_settings(path):
    _unused, doc = settings.read(path)
    out = settings.describe(doc)
    out["path"] = path
    out["present"] = doc is not None
    return out


def describe_permissions(root):
    path = root.join(permissions.RELPATH)
    _unused, doc = permissions.read(path)
    if doc is None:
        return {"path": path, "present": False, "rules": []}
    return {"path": path, "present": True, "rules": list(doc.get("rules") or [])}
