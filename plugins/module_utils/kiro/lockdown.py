# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Lockdown (the kill switch): put every workspace and kiro_home in manual mode.

Manual mode is what ``facts.manual_mode`` checks, plus deny rules for Kiro's
write capabilities. Every file is parsed with its own module, only the keys
that let Kiro act on its own are changed, and the document is rendered again;
a file that is already locked down keeps its bytes (and mode). Keys, hooks,
servers and rules that lockdown does not need to change stay as they are, so a
snapshot taken before the lockdown restores exactly the previous state.

Unlike a profile, a lockdown does not stop at a file it cannot read: that file
is reported (naming it) and everything else is still locked down.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import os

from ansible_collections.kiro.platform.plugins.module_utils.common import clock
from ansible_collections.kiro.platform.plugins.module_utils.common.errors import PartialFailure, PlatformError
from ansible_collections.kiro.platform.plugins.module_utils.kiro import (
    agents, autonomy, changeset, facts, hooks, mcp, override, permissions, settings, snapshot, workflows)
from ansible_collections.kiro.platform.plugins.module_utils.kiro.errors import KiroParseError, KiroValidationError
from ansible_collections.kiro.platform.plugins.module_utils.kiro.changeset import Plan, roots_for

# The options of kiro.platform.lockdown beyond argspec.targets().
OPTIONS = dict(
    state=dict(type="str", choices=["locked", "cleared"], default="locked"),
    incident_id=dict(type="str"),
    actor=dict(type="str"),
    user_settings=dict(type="path"),
    settings_file=dict(type="str", default=autonomy.DEFAULT_SETTINGS_FILE),
    snapshot_dir=dict(type="path"),
    snapshot_label=dict(type="str"),
    snapshot_keep=dict(type="int", default=20),
    fail_on_error=dict(type="bool", default=False),
    in_process=dict(type="bool", default=True),
    **override.option()
)


class LockdownIncomplete(PartialFailure):
    """Raised by run() after everything else was done: ``result`` holds what was."""


# The write capabilities of Kiro's permission engine (kiro.dev/docs/cli/v3/permissions/),
# denied everywhere: deny beats ask and allow from any scope, so no rule kept in
# permissions.yaml, nor a session's consent, can let the agent write again.
DENY_RULES = (
    {"capability": "fs_write", "effect": "deny"},
    {"capability": "shell", "effect": "deny"},
    {"capability": "mcp", "effect": "deny"},
)

# No settings.json, or no key in it, means Kiro's default: Autopilot.
SUPERVISED = {settings.AUTONOMY_KEY: "Supervised", settings.TRUSTED_KEY: []}

# The only trigger a locked-down workflow keeps: a human pressing "Run workflow".
MANUAL_TRIGGER = "workflow_dispatch"


def error(path, exc):
    """One entry of ``errors``: the file that could not be locked down, and why."""
    detail = os.strerror(exc.errno) if isinstance(exc, (OSError, IOError)) and exc.errno else str(exc)
    return {"path": path, "msg": detail if str(path) in detail else "%s: %s" % (path, detail)}


def targets(workspaces, kiro_home=None, create=False):
    """(roots, errors). A listed workspace that does not exist is reported, not fatal:
    nothing there can act, and the other roots must still be locked down."""
    present, errors = [], []
    for workspace in workspaces or []:
        path = os.path.expanduser(workspace) if isinstance(workspace, str) else workspace
        if not create and isinstance(path, str) and os.path.isabs(path) and not os.path.isdir(path):
            errors.append({"path": os.path.normpath(path),
                           "msg": "%s: workspace does not exist, so nothing there was locked down "
                                  "(fix the workspace list, or set create_workspaces)" % os.path.normpath(path)})
        else:
            present.append(workspace)
    return roots_for(present, kiro_home, create=create), errors


def disable_servers(servers, where):
    """Disable every server of an ``mcpServers`` map in place; return the names changed."""
    if not isinstance(servers, dict) or not all(isinstance(s, dict) for s in servers.values()):
        raise KiroParseError(where, "mcpServers must be an object of server objects")
    changed = []
    for name, server in servers.items():
        if server.get("disabled") is not True or server.get("autoApprove") != []:
            server["disabled"] = True
            server["autoApprove"] = []
            changed.append(name)
    return changed


def _change(path, before, doc, locked, items, render, secret_mode=False):
    """``locked`` is written only when it differs from ``doc``; else bytes and mode are kept.

    A rewritten document holding env or header values becomes 0600, as every
    writer of that file makes it.
    """
    return changeset.change(path, before, doc, locked, render, items, secret=secret_mode and locked != doc)


def lock_hook(fmt, path):
    """Classic: ``enabled: false``; v1: every entry's ``enabled: false``."""
    before, doc = changeset.read_parsed(path, hooks.parse_classic if fmt == "classic" else hooks.parse_v1)
    locked = copy.deepcopy(doc)
    if fmt == "classic":
        items = [os.path.basename(path)[:-len(hooks.CLASSIC_SUFFIX)]] if locked.get("enabled") is not False else []
        locked["enabled"] = False
    else:
        items = []
        for hook in locked.get("hooks", []):
            if hook.get("enabled") is not False:
                hook["enabled"] = False
                items.append(hook.get("name"))
    return _change(path, before, doc, locked, items, hooks.render)


def lock_mcp(path):
    before, doc = mcp.read(path)
    if doc is None:
        return None
    locked = copy.deepcopy(doc)
    items = disable_servers(locked["mcpServers"], path) if "mcpServers" in locked else []
    return _change(path, before, doc, locked, items, mcp.render, secret_mode=True)


def lock_agent(name, path):
    """No pre-approved tool, and every server of the agent's own ``mcpServers`` disabled."""
    before, doc = agents.read(path)
    locked = copy.deepcopy(doc)
    items = []
    if locked.get("allowedTools") != []:
        locked["allowedTools"] = []
        items.append(name)
    if "mcpServers" in locked:
        items.extend("%s/%s" % (name, server) for server in disable_servers(locked["mcpServers"], path))
    return _change(path, before, doc, locked, items, agents.render, secret_mode=True)


def unschedule(doc):
    """Leave a workflow runnable only by hand: every trigger but workflow_dispatch goes.

    A kiro-*.yml is ours whole (see workflows.py) and runs an agent with the
    team's API key, so a push or schedule trigger is the agent acting on its own.
    """
    # An unquoted ``on:`` is the boolean True to PyYAML; written back as 'on' so
    # GitHub (YAML 1.2) still reads the key.
    key = "on" if "on" in doc else (True if True in doc else None)
    if key is None:
        return doc
    triggers = doc[key]
    if isinstance(triggers, dict) and key == "on" and set(triggers) == {MANUAL_TRIGGER}:
        return doc
    manual = {MANUAL_TRIGGER: triggers.get(MANUAL_TRIGGER) or {}} if isinstance(triggers, dict) else {MANUAL_TRIGGER: {}}
    return dict(("on", manual) if k == key else (k, v) for k, v in doc.items())


def lock_workflow(name, path):
    before, doc = workflows.read(path)
    locked = unschedule(doc)
    return _change(path, before, doc, locked, [name] if locked != doc else [], workflows.render)


def _settings(path):
    return autonomy.plan_settings(path, SUPERVISED)[0]


def _permissions(root):
    return autonomy.plan_permissions(root, [dict(rule) for rule in DENY_RULES])[0]


class _Lockdown:
    """Collects each file's change; a file that cannot be read or parsed becomes an error."""

    def __init__(self):
        self.changes = []
        self.errors = []

    def attempt(self, path, lock, *args):
        try:
            change = lock(*args)
        except (PlatformError, OSError, IOError) as exc:
            self.errors.append(error(getattr(exc, "path", None) or path, exc))
            return
        if change is not None:
            self.changes.append(change)

    def listing(self, directory, list_files):
        try:
            return list_files(directory)
        except (PlatformError, OSError, IOError) as exc:
            self.errors.append(error(directory, exc))
            return []


def _lock_hooks(run, root):
    for fmt, path in run.listing(root, hooks.hook_files):
        run.attempt(path, lock_hook, fmt, path)


def _lock_mcp(run, root):
    path = root.join(mcp.RELPATH)
    run.attempt(path, lock_mcp, path)


def _lock_agents(run, root):
    directory = root.join(agents.SUBDIR)
    for name, path in run.listing(directory, lambda d: changeset.listing(d, ".json")):
        run.attempt(path, lock_agent, name, path)


def _lock_workflows(run, root):
    directory = workflows.directory(root)
    if directory is None:
        return
    for name, path in run.listing(directory, workflows.managed):
        run.attempt(path, lock_workflow, name, path)


def _lock_autonomy(run, root, settings_file):
    if root.scope == "workspace":
        path = os.path.join(root.workspace, settings_file)
        run.attempt(path, _settings, path)
    else:
        run.attempt(root.join(permissions.RELPATH), _permissions, root)


# Every kind of file through which Kiro can act on its own, locked per root.
# A new kind (say, another scheduler of agents) is one more function here.
ROOT_LOCKS = (_lock_hooks, _lock_mcp, _lock_agents, _lock_workflows)


def validate_settings_file(settings_file):
    if not settings_file or os.path.isabs(settings_file) or ".." in settings_file.split(os.sep):
        raise KiroValidationError("settings_file", "%r must be a path relative to the workspace" % (settings_file,))
    return settings_file


def plan(roots, user_settings=None, settings_file=autonomy.DEFAULT_SETTINGS_FILE):
    """(changes, errors): the FileChanges that lock every root down, and the files that cannot be.

    ``errors`` lists {path, msg} for each file that does not parse or cannot be
    read (or lies behind a link below its root); the rest of that root and every
    other root are still planned.
    """
    with changeset.Confined(roots):
        return _plan(roots, user_settings, settings_file)


def _plan(roots, user_settings, settings_file):
    settings_file = validate_settings_file(settings_file)
    run = _Lockdown()
    for root in roots:
        for lock in ROOT_LOCKS:
            lock(run, root)
        _lock_autonomy(run, root, settings_file)
    if user_settings:
        path = os.path.expanduser(user_settings)
        run.attempt(path, _settings, path)
    for change in run.changes:
        if not change.changed:
            change.items = []
    return run.changes, run.errors


def apply(changes, check_mode=False, roots=None):
    """Write every change that can be written; return {path, msg} for those that could not.

    Unlike Plan.apply, a failure does not undo the others: every file locked down is safer.
    No write leaves its root (see changeset.Confined).
    """
    failed = []
    if check_mode:
        return failed
    with changeset.Confined(roots):
        for change in changes:
            try:
                change.apply()
            except (PlatformError, OSError, IOError) as exc:
                failed.append(error(change.path, exc))
    return failed


def validate_incident_id(incident_id, required):
    if incident_id is None and not required:
        return None
    if not incident_id or incident_id != incident_id.strip() or len(incident_id.split()) != 1:
        raise KiroValidationError("incident_id", "%r must be one word without spaces or newlines, for example INC-42%s"
                                  % (incident_id, " (state=cleared needs it)" if required else ""))
    return incident_id


def mark(params, check_mode, errors, warnings):
    """Write the override marker (first of all); its result. A marker that cannot be written is
    reported in ``errors`` (the host is locked down, but a write could raise it again) and
    stops nothing."""
    try:
        marked = override.engage(params["override_marker"], params["incident_id"], params["actor"],
                                 check_mode=check_mode)
    except (PlatformError, OSError, IOError) as exc:
        path = override.path_of(params["override_marker"])
        entry = error(path, exc)
        entry["msg"] = ("%s: the override marker could not be written (%s): the host is locked down, but a phase "
                        "run or a restore is not refused on the host itself; fix the path (override_marker) and run "
                        "the lockdown again" % (path, entry["msg"]))
        errors.append(entry)
        return {"path": path, "incident_id": params["incident_id"], "status": "failed", "msg": entry["msg"]}
    if marked.get("warning"):
        warnings.append("%s: %s" % (marked["path"], marked["warning"]))
    return marked


def take_snapshot(params, roots, changes, check_mode, result, warnings):
    """Snapshot before the lockdown writes; a snapshot that cannot be taken stops nothing.

    The lockdown must not depend on the snapshot (a full disk, an unwritable directory):
    the failure is a warning and ``snapshot_error`` names the directory.
    """
    snapshot_dir = os.path.expanduser(params["snapshot_dir"])
    try:
        _unused, manifest, _unused = snapshot.create(
            roots, snapshot_dir, label=params["snapshot_label"], keep=params["snapshot_keep"],
            user_settings=params["user_settings"], extra_files=unsnapshotted(roots, changes, params["user_settings"]),
            check_mode=check_mode)
    except (PlatformError, OSError, IOError) as exc:
        detail = error(getattr(exc, "filename", None) or snapshot_dir, exc)["msg"]
        result["snapshot_error"] = {"path": snapshot_dir, "msg": detail}
        warnings.append("no snapshot was taken before the lockdown (the host was locked down all the same), so the "
                        "configuration from before cannot be restored from %s: %s" % (snapshot_dir, detail))
        return
    result["snapshot"] = snapshot.summary(manifest)


def clear(params, check_mode=False):
    """state=cleared: take ``incident_id`` out of the host's override marker (clear_override.yml)."""
    try:
        validate_incident_id(params["incident_id"], required=True)
        released = override.release(params["override_marker"], params["incident_id"], check_mode=check_mode)
    except (PlatformError, OSError, IOError) as exc:
        raise LockdownIncomplete(error(override.path_of(params["override_marker"]), exc)["msg"], {"changed": False})
    return {"changed": released["removed"], "override": released, "files": [], "changed_files": [], "errors": []}


def run(params, check_mode=False, diff=False):
    """The whole lockdown of one host from the module's validated ``params``: its result dict.

    With an ``incident_id`` the override marker is written first, before anything is read.
    Raises LockdownIncomplete (with the partial result) for what a module reports as failed:
    a KiroError or I/O error that stops everything, or errors with fail_on_error.
    """
    # Callers that predate the override marker pass no state, incident_id or marker: a plain lockdown.
    params = dict(dict((name, option.get("default")) for name, option in OPTIONS.items()), **params)
    if params["state"] == "cleared":
        return clear(params, check_mode)
    result = {}
    errors, warnings = [], []
    try:
        if params["incident_id"] is not None:
            try:
                validate_incident_id(params["incident_id"], required=False)
                result["override"] = mark(params, check_mode, errors, warnings)
            except KiroValidationError as exc:
                # A bad id must not stop the kill switch: the host is locked down without a marker.
                errors.append({"path": override.path_of(params["override_marker"]),
                               "msg": "%s; the override marker was not written" % exc})
        roots, missing = targets(params["workspaces"], params["kiro_home"], params["create_workspaces"])
        errors.extend(missing)
        changes, unreadable = plan(roots, user_settings=params["user_settings"], settings_file=params["settings_file"])
        errors.extend(unreadable)
        planned = Plan()
        planned.extend(changes)
        if planned.changed and params["snapshot_dir"]:
            take_snapshot(params, roots, changes, check_mode, result, warnings)
        unwritten = apply(changes, check_mode=check_mode, roots=roots)
        errors.extend(unwritten)
        # A file that could not be written is reported under errors, not as changed.
        failed = set(e["path"] for e in unwritten)
        done = Plan()
        done.extend(change for change in changes if change.path not in failed)
        result.update(done.result())
        if diff:
            result["diff"] = done.diffs()
        result["errors"] = errors
        result["finished"] = clock.iso()
        result["ansible_facts"] = {"kiro": facts.gather(roots, user_settings=params["user_settings"],
                                                        settings_file=params["settings_file"])}
    except PlatformError as exc:
        raise LockdownIncomplete(str(exc), dict(result, warnings=warnings) if warnings else result)
    except (OSError, IOError) as exc:
        raise LockdownIncomplete("%s: %s" % (getattr(exc, "filename", None) or "I/O error",
                                             os.strerror(exc.errno) if exc.errno else exc),
                                 dict(result, warnings=warnings) if warnings else result)
    if warnings:
        result["warnings"] = warnings
    if errors and params["fail_on_error"]:
        raise LockdownIncomplete("lockdown incomplete: %d file(s) could not be locked down (everything else was): %s"
                                 % (len(errors), "; ".join(e["msg"] for e in errors)), result)
    return result


def unsnapshotted(roots, changes, user_settings=None):
    """Paths a lockdown changes that a snapshot of ``roots`` would not cover (a custom settings_file)."""
    directories, files = snapshot.managed_locations(roots, user_settings)
    covered = set(files)
    out = []
    for change in changes:
        if not change.changed or change.path in covered:
            continue
        if any(change.path.startswith(directory + os.sep) for directory in directories):
            continue
        out.append(change.path)
    return out
