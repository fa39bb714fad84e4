# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Scheduled Kiro CLI agents: ``<workspace>/.github/workflows/kiro-<name>.yml``.

Each file is a GitHub Actions workflow that installs the Kiro CLI and runs
``kiro-cli chat --no-interactive --agent NAME`` on a cron schedule (and on
manual dispatch). A disabled workflow keeps its file but has no schedule, so it
only runs when someone dispatches it by hand.

We own ``kiro-*.yml`` whole: keys in such a file that we do not manage are not
kept. Every other workflow in the directory is never read, written or purged.
PyYAML drops comments when parsing, so whether a file changes is decided by
comparing parsed documents, not bytes. Workspace roots only: a user root
(``kiro_home``) has no workflows.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible_collections.kiro.platform.plugins.module_utils.kiro import changeset, validation
from ansible_collections.kiro.platform.plugins.module_utils.kiro.errors import KiroParseError, KiroValidationError

try:
    import yaml
    HAS_YAML = True
except ImportError:  # pragma: no cover - PyYAML is present wherever Ansible runs locally
    HAS_YAML = False

RELDIR = os.path.join(".github", "workflows")
PREFIX = "kiro-"
SUFFIX = ".yml"
PATTERN = PREFIX + "*" + SUFFIX
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*\Z")
TOOL_RE = re.compile(r"^[A-Za-z0-9_@][A-Za-z0-9_@/.:-]*\Z")
KEYS = ("name", "state", "agent", "schedule", "enabled", "prompt", "trust_tools", "timeout_minutes", "runs_on")
DEFAULT_TIMEOUT = 30
MAX_TIMEOUT = 360  # GitHub-hosted runners stop a job after 6 hours
DEFAULT_RUNS_ON = "ubuntu-latest"
INSTALL = 'curl -fsSL https://cli.kiro.dev/install | bash && echo "$HOME/.local/bin" >> "$GITHUB_PATH"'
API_KEY = "${{ secrets.KIRO_API_KEY }}"
HEADER = ("# Managed by kiro.platform (Ansible): runs the Kiro CLI agent %s on a schedule.\n"
          "# Local changes are overwritten on the next run; change the rollout profile instead.\n")

# (low, high, names) of the five cron fields: minute, hour, day of month, month, day of week.
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
CRON_FIELDS = (
    ("minute", 0, 59, None),
    ("hour", 0, 23, None),
    ("day of month", 1, 31, None),
    ("month", 1, 12, dict((n, i + 1) for i, n in enumerate(_MONTHS))),
    ("day of week", 0, 6, dict((n, i) for i, n in enumerate(_DAYS))),
)
_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")


# ---------------------------------------------------------------- validation

def _cron_value(text, low, high, names):
    if names and text.upper() in names:
        return names[text.upper()]
    if not text.isdigit():
        raise ValueError("%r is not a number%s" % (text, " or a name" if names else ""))
    value = int(text)
    if not low <= value <= high:
        raise ValueError("%d is outside %d-%d" % (value, low, high))
    return value


def cron_error(expression):
    """Why ``expression`` is not a 5-field cron schedule GitHub accepts, or None."""
    if not isinstance(expression, str):
        return "schedule must be a cron string such as '0 6 * * 1', not %r" % (expression,)
    fields = expression.split()
    if len(fields) != 5:
        return "schedule %r must have 5 fields (minute hour day-of-month month day-of-week), not %d" % (
            expression, len(fields))
    for text, (label, low, high, names) in zip(fields, CRON_FIELDS):
        for part in text.split(","):
            try:
                base, slash, step = part.partition("/")
                if slash and (not step.isdigit() or int(step) < 1):
                    raise ValueError("step %r must be a positive number" % step)
                if base == "*":
                    continue
                first, dash, last = base.partition("-")
                start = _cron_value(first, low, high, names)
                if dash and _cron_value(last, low, high, names) < start:
                    raise ValueError("range %r runs backwards" % base)
            except ValueError as exc:
                return "schedule %r: %s field %r: %s" % (expression, label, part, exc)
    return None


def _bool(value, item, key):
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in _TRUE + _FALSE:
        return value.lower() in _TRUE
    raise KiroValidationError(item, "%s must be true or false, not %r" % (key, value))


def _int(value, item, key):
    if isinstance(value, bool):
        raise KiroValidationError(item, "%s must be a whole number of minutes, not %r" % (key, value))
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if not isinstance(value, int):
        raise KiroValidationError(item, "%s must be a whole number of minutes, not %r" % (key, value))
    return value


def _text(spec, key, item, required=True, default=None):
    value = spec.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise KiroValidationError(item, "%s is required" % key)
        return default
    if not isinstance(value, str):
        raise KiroValidationError(item, "%s must be a string, not %r" % (key, value))
    return value


def validate_spec(spec, item):
    name = validation.named(spec, item, NAME_RE, "must be a file stem such as 'cost-optimizer' "
                                                 "(the file is kiro-<name>.yml)")
    item = "workflow %s" % name
    unknown = sorted(str(k) for k in spec if k not in KEYS)
    if unknown:
        raise KiroValidationError(item, "unknown key(s) %s; expected %s" % (", ".join(unknown), ", ".join(KEYS)))
    state = validation.state_of(spec, item)
    if state == "absent":
        return {"name": name, "state": state}
    agent = _text(spec, "agent", item)
    if not NAME_RE.match(agent):
        raise KiroValidationError(item, "agent %r must be a Kiro CLI agent name such as 'cost-optimizer'" % agent)
    schedule = _text(spec, "schedule", item)
    problem = cron_error(schedule)
    if problem:
        raise KiroValidationError(item, problem)
    prompt = _text(spec, "prompt", item)
    if "${{" in prompt:
        raise KiroValidationError(item, "prompt may not contain '${{' (GitHub Actions would evaluate it as an expression)")
    trust_tools = spec.get("trust_tools")
    if trust_tools is None:
        trust_tools = []
    if not isinstance(trust_tools, list) or not all(isinstance(t, str) for t in trust_tools):
        raise KiroValidationError(item, "trust_tools must be a list of tool names")
    if "*" in trust_tools:
        raise KiroValidationError(item, "trust_tools may not contain '*' (that trusts every tool); list the tools")
    for tool in trust_tools:
        if not TOOL_RE.match(tool):
            raise KiroValidationError(item, "trust_tools entry %r is not a tool name such as 'fs_read' or "
                                            "'@cloudwatch/get_metric_data'" % tool)
    if len(set(trust_tools)) != len(trust_tools):
        raise KiroValidationError(item, "trust_tools lists a tool twice")
    timeout = spec.get("timeout_minutes")
    timeout = DEFAULT_TIMEOUT if timeout is None else _int(timeout, item, "timeout_minutes")
    if not 1 <= timeout <= MAX_TIMEOUT:
        raise KiroValidationError(item, "timeout_minutes must be between 1 and %d, not %d" % (MAX_TIMEOUT, timeout))
    runs_on = _text(spec, "runs_on", item, required=False, default=DEFAULT_RUNS_ON)
    enabled = spec.get("enabled")
    enabled = True if enabled is None else _bool(enabled, item, "enabled")
    return {"name": name, "state": state, "agent": agent, "schedule": " ".join(schedule.split()),
            "enabled": enabled, "prompt": prompt, "trust_tools": list(trust_tools),
            "timeout_minutes": timeout, "runs_on": runs_on}


def validate_specs(specs):
    if specs is not None and not isinstance(specs, list):
        raise KiroValidationError("workflows", "must be a list")
    return validation.validate_list(specs, "workflows", "workflow", validate_spec)


# ---------------------------------------------------------------- the document

def command(spec):
    """The run line: the prompt comes from the step's env, so no shell quoting can break it."""
    parts = ["kiro-cli", "chat", "--no-interactive", "--agent", spec["agent"]]
    if spec["trust_tools"]:
        parts.append("--trust-tools=" + ",".join(spec["trust_tools"]))
    parts.append('"$KIRO_PROMPT"')
    return " ".join(parts)


def document(spec):
    """The whole workflow for a validated, present spec."""
    on = {}
    if spec["enabled"]:
        on["schedule"] = [{"cron": spec["schedule"]}]
    on["workflow_dispatch"] = {}
    return {
        "name": "%s%s: Kiro CLI agent %s" % (PREFIX, spec["name"], spec["agent"]),
        "on": on,
        "permissions": {"contents": "read", "pull-requests": "write"},
        "concurrency": {"group": PREFIX + spec["name"], "cancel-in-progress": False},
        "jobs": {
            "kiro-agent": {
                "runs-on": spec["runs_on"],
                "timeout-minutes": spec["timeout_minutes"],
                "steps": [
                    {"name": "Check out the repository", "uses": "actions/checkout@v4"},
                    {"name": "Install the Kiro CLI", "run": INSTALL},
                    {"name": "Run the %s agent" % spec["agent"],
                     "env": {"KIRO_API_KEY": API_KEY, "KIRO_PROMPT": spec["prompt"]},
                     "run": command(spec)},
                ],
            },
        },
    }


def parse(text, path="<workflow>"):
    if not HAS_YAML:
        raise KiroParseError(path, "PyYAML is required on the host to read GitHub workflows")
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise KiroParseError(path, "invalid YAML: %s" % exc)
    if not isinstance(doc, dict):
        raise KiroParseError(path, "a GitHub workflow must be a YAML mapping, not %s"
                             % ("an empty document" if doc is None else type(doc).__name__))
    return doc


def render(doc, agent=None):
    if not HAS_YAML:
        raise KiroValidationError("workflows", "PyYAML is required on the host to write GitHub workflows")
    agent = agent or _agent_of(doc) or "?"
    body = yaml.safe_dump(doc, default_flow_style=False, sort_keys=False, allow_unicode=True, width=100)
    return (HEADER % agent + body).encode("utf-8")


def read(path):
    return changeset.read_parsed(path, parse)


# ---------------------------------------------------------------- reading back

def _on(doc):
    # An unquoted ``on:`` key is the boolean True to a YAML 1.1 parser such as PyYAML.
    value = doc.get("on", doc.get(True))
    return value if isinstance(value, dict) else {}


def _steps(doc):
    jobs = doc.get("jobs")
    for job in (jobs.values() if isinstance(jobs, dict) else []):
        steps = job.get("steps") if isinstance(job, dict) else None
        for step in steps if isinstance(steps, list) else []:
            if isinstance(step, dict):
                yield job, step


def _kiro_step(doc):
    for job, step in _steps(doc):
        run = step.get("run")
        if isinstance(run, str) and "kiro-cli chat" in run:
            return job, step
    return None, None


def _flag(run, flag):
    match = re.search(r"(?:^|\s)%s(?:=|\s+)(\S+)" % re.escape(flag), run)
    return match.group(1).strip("'\"") if match else None


def _agent_of(doc):
    _unused, step = _kiro_step(doc)
    return _flag(step["run"], "--agent") if step else None


def schedules(doc):
    entries = _on(doc).get("schedule")
    return [e["cron"] for e in entries or [] if isinstance(e, dict) and isinstance(e.get("cron"), str)] \
        if isinstance(entries, list) else []


def spec_of(name, doc):
    """The spec a workflow document expresses (the inverse of ``document``, for what it holds)."""
    job, step = _kiro_step(doc)
    run = step["run"] if step else ""
    tools = _flag(run, "--trust-tools")
    env = step.get("env") if step and isinstance(step.get("env"), dict) else {}
    crons = schedules(doc)
    return {
        "name": name,
        "state": "present",
        "agent": _flag(run, "--agent"),
        "schedule": crons[0] if crons else None,
        "enabled": bool(crons),
        "prompt": env.get("KIRO_PROMPT"),
        "trust_tools": tools.split(",") if tools else [],
        "timeout_minutes": job.get("timeout-minutes") if job else None,
        "runs_on": job.get("runs-on") if job else None,
    }


# ---------------------------------------------------------------- planning

def directory(root):
    """``<workspace>/.github/workflows``, or None for a root without a workspace (kiro_home)."""
    if root.scope != "workspace" or not root.workspace:
        return None
    return os.path.join(root.workspace, RELDIR)


def managed(directory_path):
    """(name, path) of the kiro-*.yml files in ``directory_path`` (any Overlay applied), sorted."""
    return changeset.listing(directory_path, SUFFIX, PREFIX)


def plan(root, specs, purge=False):
    base = directory(root)
    if base is None:
        return []
    # Only kiro-*.yml is purged: the repository's own workflows are never ours to delete.
    # render() finds the agent in the document, which names it (--agent).
    return changeset.per_item(base, SUFFIX, specs, read, lambda existing, spec: document(spec), render,
                              purge=purge, prefix=PREFIX)


def describe(root):
    base = directory(root)
    if base is None:
        return []
    out = []
    for name, path in managed(base):
        _unused, doc = read(path)
        spec = spec_of(name, doc)
        out.append({"name": name, "path": path, "agent": spec["agent"], "enabled": spec["enabled"],
                    "schedule": spec["schedule"], "trust_tools": spec["trust_tools"]})
    return out
