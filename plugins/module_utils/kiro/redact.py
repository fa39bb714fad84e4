# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Keep secrets (MCP env values, headers, URL credentials) out of output."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

MASK = "<redacted>"
_VAR_REF = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*\}$")
# Values that are switches, not secrets; shown so diffs stay reviewable.
_PLAIN_VALUES = {"true", "false", "1", "0", "yes", "no", "on", "off"}
_PLAIN_KEYS = {"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "READ_OPERATIONS_ONLY",
               "REQUIRE_MUTATION_CONSENT", "GITHUB_READ_ONLY", "FASTMCP_LOG_LEVEL",
               "GITHUB_TOOLSETS", "X-MCP-Readonly", "X-MCP-Toolsets"}


def value(key, val):
    """The value to show for an env var or header ``key``."""
    if not isinstance(val, str):
        return val
    if key in _PLAIN_KEYS or _VAR_REF.match(val) or val.lower() in _PLAIN_VALUES:
        return val
    return MASK


def mapping(values):
    if not isinstance(values, dict):
        return values
    return dict((k, value(k, v)) for k, v in values.items())


def url(text):
    """Drop user:password@ and query strings (tokens travel there)."""
    if not isinstance(text, str):
        return text
    text = re.sub(r"(://)[^/@]*@", r"\1%s@" % MASK, text)
    if "?" in text:
        text = text.split("?", 1)[0] + "?" + MASK
    return text



_SECRET_CONTAINERS = ("env", "headers")


def walk(obj):
    """A copy of a JSON-like value with env/header values and URLs masked, at any depth."""
    if isinstance(obj, dict):
        out = {}
        for key, val in obj.items():
            if key in _SECRET_CONTAINERS and isinstance(val, dict):
                out[key] = mapping(val)
            elif key == "url":
                out[key] = url(val)
            else:
                out[key] = walk(val)
        return out
    if isinstance(obj, list):
        return [walk(v) for v in obj]
    return obj


def holds_secrets(obj):
    if isinstance(obj, dict):
        for key, val in obj.items():
            if key in _SECRET_CONTAINERS and isinstance(val, dict) and val:
                return True
            if holds_secrets(val):
                return True
    elif isinstance(obj, list):
        return any(holds_secrets(v) for v in obj)
    return False


def diff_text(path, data):
    """Text of a file for a diff: JSON documents are shown with secrets masked."""
    if data is None:
        return ""
    text = data.decode("utf-8", "replace")
    if path.endswith(".json") or path.endswith(".hook"):
        import json
        try:
            return json.dumps(walk(json.loads(text)), indent=2, ensure_ascii=False) + "\n"
        except ValueError:
            return "<unparsable JSON, %d bytes, not shown>\n" % len(data)
    return text


def split_server_secrets(server):
    """Move an MCP server's secret values to ``secret_env``/``secret_headers``/``secret_url``.

    The modules declare those ``no_log``, so Ansible masks exactly the secrets
    (in results, -vvv invocations and the host's syslog) and nothing else:
    declaring ``env`` itself no_log would mask every "1" or "true" in the output.
    """
    if not isinstance(server, dict):
        return server
    server = dict(server)
    for key in _SECRET_CONTAINERS:
        values = server.get(key)
        if not isinstance(values, dict):
            continue
        plain = dict((k, v) for k, v in values.items() if value(k, v) == v)
        hidden = dict((k, v) for k, v in values.items() if value(k, v) != v)
        server[key] = plain
        if hidden:
            merged = dict(server.get("secret_" + key) or {})
            merged.update(hidden)
            server["secret_" + key] = merged
    if isinstance(server.get("url"), str) and url(server["url"]) != server["url"]:
        server["secret_url"] = server.pop("url")
    return server
