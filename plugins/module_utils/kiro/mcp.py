# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""MCP configuration: ``settings/mcp.json`` with a top-level ``mcpServers`` map.

Local servers have ``command`` (+ args, env); remote ones ``url`` (+ headers).
Both may carry disabled, autoApprove, disabledTools (and timeout, oauth).
Keys we do not manage, and servers we do not manage, are kept as they are.
A file that holds env values or headers is written with mode 0600.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import os
import re

from ansible_collections.kiro.platform.plugins.module_utils.common import fileio, secrets
from ansible_collections.kiro.platform.plugins.module_utils.kiro import changeset, validation
from ansible_collections.kiro.platform.plugins.module_utils.kiro.errors import KiroParseError, KiroValidationError

RELPATH = os.path.join("settings", "mcp.json")
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@/-]*\Z")

# module/profile key -> mcp.json key
FIELDS = (
    ("command", "command"),
    ("args", "args"),
    ("env", "env"),
    ("url", "url"),
    ("headers", "headers"),
    ("disabled", "disabled"),
    ("auto_approve", "autoApprove"),
    ("disabled_tools", "disabledTools"),
    ("timeout", "timeout"),
    ("oauth", "oauth"),
)
_ALIASES = dict((camel, snake) for snake, camel in FIELDS if snake != camel)


def _strings(value, item, field):
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise KiroValidationError(item, "%s must be a list of strings" % field)
    return list(value)


def _str_map(value, item, field):
    if not isinstance(value, dict):
        raise KiroValidationError(item, "%s must be a mapping of names to values" % field)
    out = {}
    for key, val in value.items():
        if isinstance(val, bool):
            val = "true" if val else "false"
        elif isinstance(val, (int, float)):
            val = str(val)
        if not isinstance(val, str):
            raise KiroValidationError(item, "%s.%s must be a string" % (field, key))
        out[str(key)] = val
    return out


def _join_secrets(spec):
    """Fold secret_env/secret_headers/secret_url (see secrets.split_server_secrets) back in."""
    spec = dict(spec)
    for key in ("env", "headers"):
        secret = spec.pop("secret_" + key, None)
        if secret:
            merged = dict(spec.get(key) or {})
            merged.update(secret)
            spec[key] = merged
    secret_url = spec.pop("secret_url", None)
    if secret_url:
        if spec.get("url"):
            raise KiroValidationError("MCP server %s" % spec.get("name"), "give url or secret_url, not both")
        spec["url"] = secret_url
    return spec


def validate_server(spec, item):
    """Return (name, state, fields) where fields are mcp.json keys to set."""
    name = validation.named(spec, item, NAME_RE, "is not a valid MCP server name")
    spec = _join_secrets(dict((_ALIASES.get(k, k), v) for k, v in spec.items()))
    item = "MCP server %s" % name
    state = validation.state_of(spec, item)
    if state == "absent":
        return name, state, {}
    known = set(s for s, _unused in FIELDS) | {"name", "state", "extra"}
    unknown = sorted(k for k in spec if k not in known)
    if unknown:
        raise KiroValidationError(item, "unknown field(s) %s; put other mcp.json keys under 'extra'" % ", ".join(unknown))
    command, url = spec.get("command"), spec.get("url")
    if bool(command) == bool(url):
        raise KiroValidationError(item, "needs exactly one of command (local server) or url (remote server)")
    fields = {}
    if command:
        if not isinstance(command, str):
            raise KiroValidationError(item, "command must be a string")
        fields["command"] = command
        if spec.get("headers") is not None:
            raise KiroValidationError(item, "headers are for remote (url) servers only")
    else:
        if not isinstance(url, str) or not re.match(r"^https?://", url):
            raise KiroValidationError(item, "url must start with https:// (or http:// for localhost)")
        if url.startswith("http://") and not re.match(r"^http://(localhost|127\.0\.0\.1|\[::1\])(:|/|$)", url):
            raise KiroValidationError(item, "plain http is only allowed for localhost; use https")
        fields["url"] = url
        for key in ("args", "env"):
            if spec.get(key) is not None:
                raise KiroValidationError(item, "%s is for local (command) servers only" % key)
    if spec.get("args") is not None:
        fields["args"] = _strings(spec["args"], item, "args")
    for key in ("env", "headers"):
        if spec.get(key) is not None:
            fields[key] = _str_map(spec[key], item, key)
    if spec.get("disabled") is not None:
        if not isinstance(spec["disabled"], bool):
            raise KiroValidationError(item, "disabled must be true or false")
        fields["disabled"] = spec["disabled"]
    for snake, camel in (("auto_approve", "autoApprove"), ("disabled_tools", "disabledTools")):
        if spec.get(snake) is not None:
            fields[camel] = _strings(spec[snake], item, camel)
    if spec.get("timeout") is not None:
        if isinstance(spec["timeout"], bool) or not isinstance(spec["timeout"], int) or spec["timeout"] <= 0:
            raise KiroValidationError(item, "timeout must be a positive number of milliseconds")
        fields["timeout"] = spec["timeout"]
    if spec.get("oauth") is not None:
        fields["oauth"] = spec["oauth"]
    extra = spec.get("extra") or {}
    if not isinstance(extra, dict):
        raise KiroValidationError(item, "extra must be a mapping of mcp.json keys")
    for key, val in extra.items():
        if key in fields or key in _ALIASES:
            raise KiroValidationError(item, "extra.%s duplicates a managed field" % key)
        fields[key] = val
    return name, state, fields


def validate_servers(specs):
    return validation.validate_list(specs, "mcp_servers", "MCP server", validate_server, name_of=lambda norm: norm[0])


def parse(text, path="<mcp.json>"):
    doc = changeset.load_json_object(path, text)
    servers = doc.get("mcpServers", {})
    if not isinstance(servers, dict):
        raise KiroParseError(path, "mcpServers must be an object keyed by server name")
    for name, server in servers.items():
        if not isinstance(server, dict):
            raise KiroParseError(path, "mcpServers.%s must be an object" % name)
    return doc


def render(doc):
    return fileio.dump_json(doc)


def read(path):
    return changeset.read_parsed(path, parse)


def workspace_of(path):
    """The workspace a ``<ws>/.kiro/settings/mcp.json`` belongs to (its servers start there), or None."""
    parts = os.path.normpath(path).split(os.sep)
    if len(parts) > 3 and parts[-3:-1] == [changeset.KIRO_DIR, "settings"]:
        return os.sep.join(parts[:-3]) or os.sep
    return None


def merge(doc, servers, purge=False):
    """Return a new document with ``servers`` (from validate_servers) applied."""
    doc = copy.deepcopy(doc) if doc is not None else {}
    current = doc.get("mcpServers")
    if not isinstance(current, dict):
        current = {}
    result = {}
    wanted = dict((name, (state, fields)) for name, state, fields in servers)
    for name, entry in current.items():
        if name in wanted:
            continue
        if not purge:
            result[name] = entry
    for name, state, fields in servers:
        if state == "absent":
            continue
        entry = copy.deepcopy(current.get(name) or {})
        # A server switching between local and remote drops the other transport's keys.
        if "url" in fields:
            for key in ("command", "args", "env"):
                entry.pop(key, None)
        if "command" in fields:
            for key in ("url", "headers"):
                entry.pop(key, None)
        entry.update(copy.deepcopy(fields))
        result[name] = entry
    doc["mcpServers"] = result
    return doc


def plan(root, servers, purge=False):
    path = root.join(RELPATH)
    before, existing = read(path)
    if existing is None and not servers:
        return []
    want = merge(existing, servers, purge=purge)
    return [changeset.change(path, before, existing, want, render, [name for name, _unused, _unused in servers], secret=True)]


def read_only(server):
    """True / False / None (unknown) from the server's documented read-only switches."""
    env = server.get("env") or {}
    args = [str(a) for a in server.get("args") or []]
    headers = dict((k.lower(), v) for k, v in (server.get("headers") or {}).items())
    if "--allow-write" in args:
        return False
    if str(env.get("READ_OPERATIONS_ONLY", "")).lower() == "true":
        return True
    if str(env.get("GITHUB_READ_ONLY", "")).lower() in ("1", "true"):
        return True
    url = server.get("url") or ""
    if url.rstrip("/").endswith("/readonly") or str(headers.get("x-mcp-readonly", "")).lower() == "true":
        return True
    if any("eks-mcp-server" in a or "cloudwatch-mcp-server" in a or "cost-explorer-mcp-server" in a
           for a in args + [server.get("command") or ""]):
        return True
    return None


def describe_server(name, server):
    env = server.get("env") or {}
    return {
        "name": name,
        "transport": "remote" if server.get("url") else "stdio",
        "command": server.get("command"),
        "args": list(server.get("args") or []),
        "url": secrets.url(server.get("url")),
        "env_keys": sorted(env),
        "header_keys": sorted(server.get("headers") or {}),
        "disabled": bool(server.get("disabled", False)),
        "auto_approve": list(server.get("autoApprove") or []),
        "disabled_tools": list(server.get("disabledTools") or []),
        "read_only": read_only(server),
        "mutation_consent": str(env.get("REQUIRE_MUTATION_CONSENT", "")).lower() == "true",
    }


def describe(root):
    path = root.join(RELPATH)
    _unused, doc = read(path)
    if doc is None:
        return []
    return [describe_server(name, server) for name, server in sorted(doc["mcpServers"].items())]
