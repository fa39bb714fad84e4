# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Agent hooks, in both of Kiro's forms.

classic: ``.kiro/hooks/<name>.kiro.hook``, one JSON hook per file
  {"name", "description", "version": "1", "enabled", "when": {"type", "patterns"|"toolTypes"},
   "then": {"type": "askAgent"|"runCommand", "prompt"|"command"}}
v1 (2026): ``.kiro/hooks/<name>.json`` = {"version": "v1", "hooks": [{"name", "trigger",
  "matcher", "action": {"type": "agent"|"command", "prompt"|"command"}, "timeout", "enabled"}]}

A desired hook is written in the classic vocabulary (when/then) or with v1 trigger
names; it is rendered in the format chosen by the caller.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import os
import re

from ansible_collections.kiro.platform.plugins.module_utils.common import fileio
from ansible_collections.kiro.platform.plugins.module_utils.kiro import changeset, validation
from ansible_collections.kiro.platform.plugins.module_utils.kiro.errors import KiroParseError, KiroValidationError

SUBDIR = "hooks"
FORMATS = ("classic", "v1")
CLASSIC_SUFFIX = ".kiro.hook"
V1_SUFFIX = ".json"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*\Z")

CLASSIC_TO_V1 = {
    "fileEdited": "PostFileSave",
    "fileCreated": "PostFileCreate",
    "fileDeleted": "PostFileDelete",
    "userTriggered": "Manual",
    "promptSubmit": "UserPromptSubmit",
    "agentStop": "Stop",
    "preToolUse": "PreToolUse",
    "postToolUse": "PostToolUse",
    "preTaskExecution": "PreTaskExec",
    "postTaskExecution": "PostTaskExec",
}
V1_TO_CLASSIC = dict((v, k) for k, v in CLASSIC_TO_V1.items())
V1_ONLY = ("SessionStart",)
FILE_TRIGGERS = ("fileEdited", "fileCreated", "fileDeleted")
TOOL_TRIGGERS = ("preToolUse", "postToolUse")
TOOL_TYPES = {
    "read": ["fs_read", "grep", "glob", "code"],
    "write": ["fs_write"],
    "shell": ["execute_bash"],
    "web": ["web_search", "web_fetch"],
    "spec": ["spec"],
}
ACTION_CLASSIC_TO_V1 = {"askAgent": "agent", "runCommand": "command"}
ACTION_V1_TO_CLASSIC = dict((v, k) for k, v in ACTION_CLASSIC_TO_V1.items())


def _glob(pattern):
    out = []
    i, n = 0, len(pattern)
    while i < n:
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and "]" in pattern[i + 1:]:
            end = pattern.index("]", i + 1)
            body = pattern[i + 1:end].replace("\\", "\\\\")
            out.append("[%s%s]" % ("^" if body.startswith("!") else "", body[1:] if body.startswith("!") else body))
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return "".join(out)


def glob_regex(patterns):
    """One anchored regex matching a path against any of the globs (the v1 ``matcher``).

    Only syntax that JavaScript, Rust and Python regex engines share is used.
    """
    return "^(?:%s)$" % "|".join(_glob(p) for p in patterns)


def validate_spec(spec, item):
    name = validation.named(spec, item, NAME_RE, "must be a file stem such as 'cost-optimization'")
    item = "hook %s" % name
    state = validation.state_of(spec, item)
    if state == "absent":
        return {"name": name, "state": state}
    when = spec.get("when")
    then = spec.get("then")
    if not isinstance(when, dict) or not when.get("type"):
        raise KiroValidationError(item, "when.type (the trigger) is required")
    trigger = when["type"]
    if trigger in V1_TO_CLASSIC:
        trigger = V1_TO_CLASSIC[trigger]
    if trigger not in CLASSIC_TO_V1 and trigger not in V1_ONLY:
        raise KiroValidationError(item, "unknown trigger %r; use one of %s" % (
            when["type"], ", ".join(sorted(list(CLASSIC_TO_V1) + list(V1_TO_CLASSIC) + list(V1_ONLY)))))
    patterns = when.get("patterns")
    if trigger in FILE_TRIGGERS:
        if not patterns or not isinstance(patterns, list) or not all(isinstance(p, str) and p for p in patterns):
            raise KiroValidationError(item, "trigger %s needs when.patterns, a list of globs" % trigger)
    elif patterns:
        raise KiroValidationError(item, "when.patterns is only for file triggers (%s)" % ", ".join(FILE_TRIGGERS))
    tool_types = when.get("toolTypes", when.get("tool_types"))
    if tool_types is not None:
        if trigger not in TOOL_TRIGGERS:
            raise KiroValidationError(item, "when.toolTypes is only for tool triggers (preToolUse, postToolUse)")
        bad = [t for t in tool_types if t not in TOOL_TYPES and not str(t).startswith("@")]
        if bad:
            raise KiroValidationError(item, "unknown toolTypes %s; use %s or @mcp-server" % (bad, ", ".join(TOOL_TYPES)))
    if not isinstance(then, dict):
        raise KiroValidationError(item, "then (the action) is required")
    action = ACTION_V1_TO_CLASSIC.get(then.get("type"), then.get("type"))
    if action == "askAgent":
        if not then.get("prompt"):
            raise KiroValidationError(item, "then.type askAgent needs then.prompt")
        payload = {"type": "askAgent", "prompt": then["prompt"]}
    elif action == "runCommand":
        if not then.get("command"):
            raise KiroValidationError(item, "then.type runCommand needs then.command")
        payload = {"type": "runCommand", "command": then["command"]}
    else:
        raise KiroValidationError(item, "then.type must be askAgent or runCommand, not %r" % (then.get("type"),))
    enabled = spec.get("enabled", True)
    if not isinstance(enabled, bool):
        raise KiroValidationError(item, "enabled must be true or false")
    timeout = spec.get("timeout")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, int) or timeout <= 0):
        raise KiroValidationError(item, "timeout must be a positive number of seconds")
    norm_when = {"type": trigger}
    if patterns:
        norm_when["patterns"] = list(patterns)
    if tool_types is not None:
        norm_when["toolTypes"] = list(tool_types)
    return {
        "name": name, "state": state, "title": spec.get("title") or name,
        "description": spec.get("description") or "", "enabled": enabled,
        "when": norm_when, "then": payload, "matcher": when.get("matcher"), "timeout": timeout,
    }


def validate_specs(specs, hook_format="classic"):
    if hook_format not in FORMATS:
        raise KiroValidationError("hooks_format", "must be one of %s, not %r" % (", ".join(FORMATS), hook_format))

    def validate_for_format(spec, item):
        norm = validate_spec(spec, item)
        if hook_format == "classic" and norm.get("when", {}).get("type") in V1_ONLY:
            raise KiroValidationError("hook %s" % norm["name"], "trigger %s exists only in the v1 hook format" % norm["when"]["type"])
        return norm

    return validation.validate_list(specs, "hooks", "hook", validate_for_format)


def classic_entry(spec):
    return {"name": spec["title"], "description": spec["description"], "version": "1",
            "enabled": spec["enabled"], "when": dict(spec["when"]), "then": dict(spec["then"])}


def v1_entry(spec):
    when = spec["when"]
    trigger = CLASSIC_TO_V1.get(when["type"], when["type"])
    entry = {"name": spec["name"], "trigger": trigger}
    matcher = spec.get("matcher")
    if not matcher and when.get("patterns"):
        matcher = glob_regex(when["patterns"])
    if not matcher and when.get("toolTypes"):
        tools = []
        for tool_type in when["toolTypes"]:
            tools.extend(TOOL_TYPES.get(tool_type, [tool_type]))
        matcher = "^(%s)$" % "|".join(re.escape(t) for t in tools)
    if matcher:
        entry["matcher"] = matcher
    then = spec["then"]
    action = {"type": ACTION_CLASSIC_TO_V1[then["type"]]}
    action["prompt" if then["type"] == "askAgent" else "command"] = then.get("prompt") or then.get("command")
    entry["action"] = action
    if spec.get("timeout"):
        entry["timeout"] = spec["timeout"]
    entry["enabled"] = spec["enabled"]
    return entry


def parse_classic(text, path="<hook>"):
    doc = changeset.load_json_object(path, text)
    for key in ("when", "then"):
        if key in doc and not isinstance(doc[key], dict):
            raise KiroParseError(path, "%s must be an object" % key)
    return doc


def parse_v1(text, path="<hooks.json>"):
    doc = changeset.load_json_object(path, text)
    hooks = doc.get("hooks", [])
    if not isinstance(hooks, list) or not all(isinstance(h, dict) for h in hooks):
        raise KiroParseError(path, "hooks must be a list of objects")
    return doc


def render(doc):
    return fileio.dump_json(doc)


def plan(root, specs, hook_format="classic", purge=False):
    directory = root.join(SUBDIR)
    changes = []
    for spec in specs:
        name = spec["name"]
        classic_path = os.path.join(directory, name + CLASSIC_SUFFIX)
        v1_path = os.path.join(directory, name + V1_SUFFIX)
        keep, other = (classic_path, v1_path) if hook_format == "classic" else (v1_path, classic_path)
        if spec["state"] == "absent":
            for path in (classic_path, v1_path):
                before = changeset.read_bytes(path)
                if before is not None:
                    changes.append(changeset.FileChange(path, before, None, items=[name]))
            continue
        if hook_format == "classic":
            before, existing = changeset.read_parsed(keep, parse_classic)
            want = copy.deepcopy(existing) if existing else {}
            want.update(classic_entry(spec))
        else:
            before, existing = changeset.read_parsed(keep, parse_v1)
            want = copy.deepcopy(existing) if existing else {"version": "v1", "hooks": []}
            want["version"] = "v1"
            want.setdefault("hooks", [])
            entry = v1_entry(spec)
            for index, hook in enumerate(want["hooks"]):
                if hook.get("name") == name:
                    # matcher and timeout are derived from the spec: drop stale ones.
                    merged = dict((k, v) for k, v in hook.items() if k not in ("matcher", "timeout"))
                    merged.update(entry)
                    want["hooks"][index] = merged
                    break
            else:
                want["hooks"].append(entry)
        changes.append(changeset.change(keep, before, existing, want, render, [name]))
        # The same hook left in the other format would fire twice.
        changes.extend(_remove_other_form(other, name, hook_format))
    if purge:
        for suffix in (CLASSIC_SUFFIX, V1_SUFFIX):
            changes.extend(changeset.purge_except(directory, suffix, set(spec["name"] for spec in specs)))
    return changes


def _remove_other_form(path, name, hook_format):
    before = changeset.read_bytes(path)
    if before is None:
        return []
    if hook_format == "v1":
        return [changeset.FileChange(path, before, None, items=[name])]
    # A v1 file may list other hooks too: remove only this one's entry.
    _unused, doc = changeset.read_parsed(path, parse_v1)
    rest = [h for h in doc.get("hooks", []) if h.get("name") != name]
    if rest:
        doc = dict(doc, hooks=rest)
        return [changeset.FileChange(path, before, render(doc), items=[name])]
    return [changeset.FileChange(path, before, None, items=[name])]


def hook_files(root):
    directory = root.join(SUBDIR)
    out = []
    for entry in changeset.names(directory):
        path = os.path.join(directory, entry)
        if entry.endswith(CLASSIC_SUFFIX):
            out.append(("classic", path))
        elif entry.endswith(V1_SUFFIX):
            out.append(("v1", path))
    return out


def describe(root):
    hooks = []
    for fmt, path in hook_files(root):
        if fmt == "classic":
            _unused, doc = changeset.read_parsed(path, parse_classic)
            hooks.append({"name": os.path.basename(path)[:-len(CLASSIC_SUFFIX)], "title": doc.get("name"),
                          "format": fmt, "path": path, "enabled": doc.get("enabled", True) is not False,
                          "trigger": (doc.get("when") or {}).get("type"),
                          "action": (doc.get("then") or {}).get("type")})
        else:
            _unused, doc = changeset.read_parsed(path, parse_v1)
            for hook in doc.get("hooks", []):
                hooks.append({"name": hook.get("name"), "title": hook.get("name"), "format": fmt, "path": path,
                              "enabled": hook.get("enabled", True) is not False, "trigger": hook.get("trigger"),
                              "action": (hook.get("action") or {}).get("type")})
    return hooks
