# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``~/.kiro/settings/permissions.yaml``: ``rules: [{capability, match, exclude, effect}]``.

Effects are deny | ask | allow, and deny beats ask beats allow, so rule order
does not matter. A rule is identified by (capability, match, exclude).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import os

from ansible_collections.kiro.platform.plugins.module_utils.kiro import changeset
from ansible_collections.kiro.platform.plugins.module_utils.kiro.errors import KiroParseError, KiroValidationError

try:
    import yaml
    HAS_YAML = True
except ImportError:  # pragma: no cover
    HAS_YAML = False

RELPATH = os.path.join("settings", "permissions.yaml")
EFFECTS = ("deny", "ask", "allow")


def _as_list(value):
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def identity(rule):
    return (rule.get("capability"), tuple(_as_list(rule.get("match"))), tuple(_as_list(rule.get("exclude"))))


def validate_rules(rules):
    out = []
    seen = set()
    for index, rule in enumerate(rules or []):
        item = "permissions[%d]" % index
        if not isinstance(rule, dict):
            raise KiroValidationError(item, "must be a mapping")
        if not rule.get("capability") or not isinstance(rule["capability"], str):
            raise KiroValidationError(item, "capability is required")
        if rule.get("effect") not in EFFECTS:
            raise KiroValidationError(item, "effect must be one of %s, not %r" % (", ".join(EFFECTS), rule.get("effect")))
        unknown = sorted(set(rule) - {"capability", "match", "exclude", "effect"})
        if unknown:
            raise KiroValidationError(item, "unknown key(s) %s" % ", ".join(unknown))
        key = identity(rule)
        if key in seen:
            raise KiroValidationError(item, "duplicates an earlier rule for %s" % rule["capability"])
        seen.add(key)
        out.append(dict((k, rule[k]) for k in ("capability", "match", "exclude", "effect") if rule.get(k) is not None))
    return out


def parse(text, path="<permissions.yaml>"):
    if not HAS_YAML:
        raise KiroParseError(path, "PyYAML is required on the host to read permissions.yaml")
    try:
        doc = yaml.safe_load(text) if text.strip() else {}
    except yaml.YAMLError as exc:
        raise KiroParseError(path, "invalid YAML: %s" % exc)
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise KiroParseError(path, "the top level must be a mapping with a 'rules' list")
    rules = doc.get("rules", [])
    if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
        raise KiroParseError(path, "rules must be a list of mappings")
    return doc


def render(doc):
    if not HAS_YAML:
        raise KiroValidationError("permissions.yaml", "PyYAML is required on the host to write permissions.yaml")
    return yaml.safe_dump(doc, default_flow_style=False, sort_keys=False).encode("utf-8")


def read(path):
    return changeset.read_parsed(path, parse)


def merge(doc, rules, purge=False):
    doc = copy.deepcopy(doc) if doc else {}
    current = [] if purge else list(doc.get("rules") or [])
    index = dict((identity(r), i) for i, r in enumerate(current))
    for rule in rules:
        key = identity(rule)
        if key in index:
            merged = dict(current[index[key]])
            merged.update(rule)
            current[index[key]] = merged
        else:
            index[key] = len(current)
            current.append(dict(rule))
    doc["rules"] = current
    return doc
