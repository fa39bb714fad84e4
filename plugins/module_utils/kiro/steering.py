# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Steering documents: ``.kiro/steering/<name>.md`` with optional YAML front matter.

Front matter keys Kiro reads: ``inclusion`` (always | fileMatch | manual | auto),
``fileMatchPattern`` (for fileMatch), ``name`` and ``description`` (for auto).
Other front matter keys already in a file are kept.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.kiro.platform.plugins.module_utils.kiro import changeset, validation
from ansible_collections.kiro.platform.plugins.module_utils.kiro.errors import KiroParseError, KiroValidationError

try:
    import yaml
    HAS_YAML = True
except ImportError:  # pragma: no cover - PyYAML is present wherever Ansible runs locally
    HAS_YAML = False

INCLUSIONS = ("always", "fileMatch", "manual", "auto")
FRONT_KEYS = ("inclusion", "fileMatchPattern", "name", "description")
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\Z")
SUBDIR = "steering"

_FRONT_RE = re.compile(r"\A---[ \t]*\r?\n(.*?)(?:\r?\n)?^---[ \t]*(?:\r?\n|\Z)", re.S | re.M)


class SteeringDoc:
    def __init__(self, front=None, body=""):
        self.front = front  # dict (ordered) or None when the file has no front matter
        self.body = body

    def __eq__(self, other):
        return isinstance(other, SteeringDoc) and (self.front or {}) == (other.front or {}) and self.body == other.body

    def __ne__(self, other):
        return not self == other

    def __repr__(self):
        return "SteeringDoc(front=%r, body=%r)" % (self.front, self.body)

    @property
    def inclusion(self):
        return (self.front or {}).get("inclusion", "always")


def parse(text, path="<steering>"):
    match = _FRONT_RE.match(text)
    if not match:
        if text.startswith("---\n") or text.startswith("---\r\n"):
            raise KiroParseError(path, "front matter starts with '---' but is never closed")
        return SteeringDoc(None, text)
    if not HAS_YAML:
        raise KiroParseError(path, "PyYAML is required on the host to read steering front matter")
    try:
        front = yaml.safe_load(match.group(1)) if match.group(1).strip() else {}
    except yaml.YAMLError as exc:
        raise KiroParseError(path, "invalid YAML front matter: %s" % exc)
    if not isinstance(front, dict):
        raise KiroParseError(path, "front matter must be a YAML mapping")
    return SteeringDoc(front, text[match.end():])


def _reads_back(text):
    if not HAS_YAML:
        return not re.match(r"^[-+.0-9]|^(yes|no|true|false|null|on|off|y|n)$", text, re.I)
    try:
        return yaml.safe_load(text) == text
    except yaml.YAMLError:
        return False


def _scalar(value):
    """A YAML scalar that reads back as exactly ``value``."""
    import json
    if not isinstance(value, str):
        if HAS_YAML:
            return yaml.safe_dump(value, default_flow_style=True).strip().replace("\n...", "").strip()
        return json.dumps(value)
    if re.match(r"^[A-Za-z0-9][A-Za-z0-9 _./-]*$", value) and value.strip() == value and _reads_back(value):
        return value
    # A JSON string is a valid YAML scalar; YAML also breaks or folds on DEL, C1
    # controls and the Unicode line/paragraph separators, so escape those too.
    return re.sub("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]", lambda m: "\\u%04x" % ord(m.group(0)),
                  json.dumps(value, ensure_ascii=False))


def render(doc):
    if doc.front is None:
        return doc.body
    lines = ["---"]
    for key, value in doc.front.items():
        if isinstance(value, (dict, list)):
            if not HAS_YAML:
                raise KiroValidationError(key, "PyYAML is required to render nested front matter")
            dumped = yaml.safe_dump({key: value}, default_flow_style=False, sort_keys=False, allow_unicode=True)
            lines.append(dumped.rstrip("\n"))
        else:
            lines.append("%s: %s" % (key, _scalar(value)))
    lines.append("---")
    return "\n".join(lines) + "\n" + doc.body


def validate_spec(spec, item):
    """Validate one desired steering doc (a dict) and return it normalised."""
    name = validation.named(spec, item, NAME_RE, "must be a file name such as 'operations' or 'operations.md'")
    name = name[:-3] if name.endswith(".md") else name
    item = "steering %s" % name
    state = validation.state_of(spec, item)
    out = {"name": name, "state": state}
    if state == "absent":
        return out
    content = spec.get("content")
    if not isinstance(content, str):
        if spec.get("source"):
            raise KiroValidationError(item, "source %s must be read on the controller; use kiro.platform.profile "
                                            "(its action plugin reads it) or pass content" % spec["source"])
        raise KiroValidationError(item, "content (the Markdown body) or source (a file) is required")
    inclusion = spec.get("inclusion") or "always"
    if inclusion not in INCLUSIONS:
        raise KiroValidationError(item, "inclusion %r is not one of %s" % (inclusion, ", ".join(INCLUSIONS)))
    pattern = spec.get("file_match_pattern", spec.get("fileMatchPattern"))
    if inclusion == "fileMatch" and not pattern:
        raise KiroValidationError(item, "inclusion fileMatch needs file_match_pattern")
    if pattern and inclusion != "fileMatch":
        raise KiroValidationError(item, "file_match_pattern is only valid with inclusion fileMatch")
    if inclusion == "auto" and not spec.get("description"):
        raise KiroValidationError(item, "inclusion auto needs a description (Kiro matches requests against it)")
    if content.startswith("---"):
        raise KiroValidationError(item, "content must be the Markdown body without front matter; "
                                        "use inclusion/file_match_pattern/description instead")
    front = {"inclusion": inclusion}
    if pattern:
        front["fileMatchPattern"] = pattern
    if inclusion == "auto":
        front["name"] = spec.get("title") or name
    if spec.get("description"):
        front["description"] = spec["description"]
    out["front"] = front
    out["content"] = content if content.endswith("\n") else content + "\n"
    return out


def validate_specs(specs):
    return validation.validate_list(specs, "steering", "steering", validate_spec)


def desired_doc(existing, spec):
    """Merge: managed front keys set, other front keys of the existing file kept, body replaced."""
    front = {}
    if existing is not None and existing.front:
        front.update((k, v) for k, v in existing.front.items() if k not in FRONT_KEYS)
    merged = dict(spec["front"])
    merged.update(front)
    return SteeringDoc(merged, spec["content"])


def read(path):
    return changeset.read_parsed(path, parse)


def plan(root, specs, purge=False):
    """FileChanges for one root. ``specs`` must come from validate_specs."""
    return changeset.per_item(root.join(SUBDIR), ".md", specs, read, desired_doc,
                              lambda doc: render(doc).encode("utf-8"), purge=purge)


def describe(root):
    """Facts: the steering docs under a root (name, inclusion)."""
    docs = []
    for name, path in changeset.listing(root.join(SUBDIR), ".md"):
        _unused, doc = read(path)
        docs.append({"name": name, "path": path, "inclusion": doc.inclusion,
                     "file_match_pattern": (doc.front or {}).get("fileMatchPattern")})
    return docs
