# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""VS Code-style ``settings.json`` (JSON with comments) holding Kiro's IDE keys.

Kiro reads ``kiroAgent.agentAutonomy`` (Autopilot | Supervised) and
``kiroAgent.trustedCommands`` (command prefixes, or "*") from it. Comments and
trailing commas are accepted when reading; a rewrite drops comments (the
snapshot taken before every change keeps the original bytes).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kiro.platform.plugins.module_utils.common import fileio
from ansible_collections.kiro.platform.plugins.module_utils.kiro import changeset
AUTONOMY_KEY = "kiroAgent.agentAutonomy"
TRUSTED_KEY = "kiroAgent.trustedCommands"
DENYLIST_KEY = "kiroAgent.commandDenylist"
AUTONOMY_VALUES = ("Autopilot", "Supervised")


def _scan(text, on_code):
    """Copy ``text``, letting ``on_code(text, i)`` rewrite what lies outside strings.

    ``on_code`` returns (replacement, next index) or None to copy the character.
    """
    out = []
    i, n = 0, len(text)
    in_string = False
    while i < n:
        ch = text[i]
        if in_string:
            out.append(ch)
            if ch == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 2
                continue
            if ch == '"':
                in_string = False
            i += 1
            continue
        if ch == '"':
            in_string = True
            out.append(ch)
            i += 1
            continue
        handled = on_code(text, i)
        if handled is None:
            out.append(ch)
            i += 1
        else:
            out.append(handled[0])
            i = handled[1]
    return "".join(out)


def _comment(text, i):
    if text.startswith("//", i):
        end = text.find("\n", i)
        return ("", len(text) if end < 0 else end)
    if text.startswith("/*", i):
        end = text.find("*/", i + 2)
        return (" ", len(text) if end < 0 else end + 2)
    return None


def _trailing_comma(text, i):
    if text[i] != ",":
        return None
    j = i + 1
    while j < len(text) and text[j] in " \t\r\n":
        j += 1
    if j < len(text) and text[j] in "}]":
        return ("", i + 1)
    return None


def strip_jsonc(text):
    """Remove // and /* */ comments, then trailing commas, outside strings."""
    return _scan(_scan(text, _comment), _trailing_comma)


def parse(text, path="<settings.json>"):
    if not text.strip():
        return {}
    return changeset.load_json_object(path, strip_jsonc(text))


def render(doc):
    return fileio.dump_json(doc)


def read(path):
    return changeset.read_parsed(path, parse)


def describe(doc):
    doc = doc or {}
    return {"agent_autonomy": doc.get(AUTONOMY_KEY), "trusted_commands": list(doc.get(TRUSTED_KEY) or []),
            "command_denylist": list(doc.get(DENYLIST_KEY) or [])}
