# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What is deployed: hooks, MCP servers, agents, workflows, steering and autonomy per root.

A file that does not parse is reported under ``errors`` (naming the file)
instead of failing, so facts still describe everything else on the host.
No env value, header or URL credential is ever returned.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.kiro.platform.plugins.module_utils.common.errors import PlatformError
from ansible_collections.kiro.platform.plugins.module_utils.kiro import (
    agents, autonomy, changeset, hooks, mcp, snapshot, steering, workflows)


def _safe(errors, func, *args):
    try:
        return func(*args)
    except (PlatformError, OSError, IOError) as exc:
        errors.append(str(exc))
        return None


def describe_root(root, settings_file=autonomy.DEFAULT_SETTINGS_FILE):
    errors = []
    out = {
        "path": root.path,
        "scope": root.scope,
        "workspace": root.workspace,
        "steering": _safe(errors, steering.describe, root) or [],
        "hooks": _safe(errors, hooks.describe, root) or [],
        "mcp_servers": _safe(errors, mcp.describe, root) or [],
        "agents": _safe(errors, agents.describe, root) or [],
        "workflows": _safe(errors, workflows.describe, root) or [],
    }
    if root.scope == "workspace":
        out["autonomy"] = _safe(errors, autonomy.describe_settings, os.path.join(root.workspace, settings_file))
    else:
        out["permissions"] = _safe(errors, autonomy.describe_permissions, root)
    out["errors"] = errors
    return out


def manual_mode(root_facts):
    """True when nothing in this root can act on its own (the lockdown state)."""
    if root_facts["errors"]:
        return False
    if any(h["enabled"] for h in root_facts["hooks"]):
        return False
    if any(not s["disabled"] or s["auto_approve"] for s in root_facts["mcp_servers"]):
        return False
    if any(a["allowed_tools"] for a in root_facts["agents"]):
        return False
    if any(w["enabled"] for w in root_facts.get("workflows") or []):
        return False
    settings = root_facts.get("autonomy")
    if settings is not None:
        # No settings.json, or no key in it, means Kiro's default: Autopilot.
        if settings["agent_autonomy"] != "Supervised" or settings["trusted_commands"]:
            return False
    return True


def gather(roots, user_settings=None, settings_file=autonomy.DEFAULT_SETTINGS_FILE, digest=True):
    """``digest`` False skips the sha256 over the files on disk (as when describing a plan).

    Nothing is read through a link below a root: such a file is one of the root's errors.
    """
    with changeset.Confined(roots):
        return _gather(roots, user_settings, settings_file, digest)


def _gather(roots, user_settings, settings_file, digest):
    described = [describe_root(root, settings_file) for root in roots]
    for entry in described:
        entry["manual_mode"] = manual_mode(entry)
    entries = snapshot.collect(roots, user_settings)[0] if digest else {}
    user = None
    if user_settings:
        errors = []
        user = _safe(errors, autonomy.describe_settings, os.path.expanduser(user_settings)) or {}
        user["errors"] = errors
    summary = {
        "roots": len(described),
        "hooks": sum(len(r["hooks"]) for r in described),
        "hooks_enabled": sum(1 for r in described for h in r["hooks"] if h["enabled"]),
        "mcp_servers": sum(len(r["mcp_servers"]) for r in described),
        "mcp_servers_enabled": sum(1 for r in described for s in r["mcp_servers"] if not s["disabled"]),
        "auto_approved_tools": sum(len(s["auto_approve"]) for r in described for s in r["mcp_servers"]),
        "agents": sum(len(r["agents"]) for r in described),
        "workflows": sum(len(r["workflows"]) for r in described),
        "workflows_enabled": sum(1 for r in described for w in r["workflows"] if w["enabled"]),
        "steering": sum(len(r["steering"]) for r in described),
        "errors": sum(len(r["errors"]) for r in described) + (len(user["errors"]) if user else 0),
        "manual_mode": all(r["manual_mode"] for r in described),
    }
    return {"roots": described, "user_settings": user, "summary": summary,
            "digest": snapshot.digest(entries) if digest else None, "files": len(entries)}
