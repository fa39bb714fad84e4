# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A plan: every file change of one task, computed before anything is written."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.kiro.platform.plugins.module_utils.kiro import fileio
from ansible_collections.kiro.platform.plugins.module_utils.kiro.errors import KiroValidationError

KIRO_DIR = ".kiro"


class Root:
    """A directory laid out like ``.kiro/``: a workspace's or the user's kiro_home."""

    def __init__(self, path, scope, workspace=None):
        self.path = path
        self.scope = scope  # "workspace" or "user"
        self.workspace = workspace

    def join(self, *parts):
        return os.path.join(self.path, *parts)

    def __repr__(self):
        return "Root(%r, %r)" % (self.path, self.scope)


def workspace_roots(workspaces, create=False):
    """Validate the workspace list and return their ``.kiro`` roots."""
    roots = []
    seen = set()
    for index, workspace in enumerate(workspaces or []):
        if not isinstance(workspace, str) or not workspace:
            raise KiroValidationError("workspaces[%d]" % index, "must be a non-empty path")
        workspace = os.path.expanduser(workspace)
        if not os.path.isabs(workspace):
            raise KiroValidationError("workspaces[%d]" % index, "%r must be an absolute path" % workspace)
        workspace = os.path.normpath(workspace)
        if workspace in seen:
            raise KiroValidationError("workspaces[%d]" % index, "%s is listed twice" % workspace)
        seen.add(workspace)
        if not os.path.isdir(workspace):
            if not create:
                raise KiroValidationError(
                    "workspaces[%d]" % index,
                    "workspace %s does not exist (create it, fix kiro_workspaces, or set create=true)" % workspace)
        roots.append(Root(os.path.join(workspace, KIRO_DIR), "workspace", workspace))
    return roots


def home_root(kiro_home):
    if not kiro_home:
        return None
    path = os.path.normpath(os.path.expanduser(kiro_home))
    if not os.path.isabs(path):
        raise KiroValidationError("kiro_home", "%r must be an absolute path (or start with ~)" % kiro_home)
    return Root(path, "user")


def roots_for(workspaces, kiro_home=None, create=False):
    roots = workspace_roots(workspaces, create=create)
    home = home_root(kiro_home)
    if home is not None:
        roots.append(home)
    return roots


class Plan:
    def __init__(self):
        self.changes = []

    def add(self, change):
        self.changes.append(change)
        return change

    def extend(self, changes):
        for change in changes:
            self.add(change)

    @property
    def changed(self):
        return any(change.changed for change in self.changes)

    def apply(self, check_mode=False):
        if check_mode:
            return
        for change in self.changes:
            change.apply()
            fileio.sweep_temp(change.path)

    def files(self):
        return [
            {"path": change.path, "action": change.action, "items": list(change.items)}
            for change in self.changes
        ]

    def diffs(self):
        return [change.diff() for change in self.changes if change.changed]

    def result(self):
        return {
            "changed": self.changed,
            "files": self.files(),
            "changed_files": [change.path for change in self.changes if change.changed],
        }
