# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of kiro.platform.profile: read steering sources, validate, refuse under a manual override
(plugin_utils/override_guard.py), then run the module."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible.errors import AnsibleActionFail, AnsibleError
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase

from ansible_collections.kiro.platform.plugins.module_utils.common import secrets
from ansible_collections.kiro.platform.plugins.module_utils.kiro import changeset, profile
from ansible_collections.kiro.platform.plugins.module_utils.kiro.errors import KiroError
from ansible_collections.kiro.platform.plugins.plugin_utils import override_guard, secret_args


class ActionModule(ActionBase):

    TRANSFERS_FILES = False

    def _read_source(self, source, item):
        try:
            path = self._find_needle("files", source)
        except AnsibleError as exc:
            raise AnsibleActionFail("steering %s: source %s not found: %s" % (item, source, to_text(exc)))
        with open(path, "rb") as handle:
            data = handle.read()
        try:
            # The one decoder of Kiro text files: an editor's UTF-8 BOM is not part of the content.
            return changeset.decode_text(path, data)
        except KiroError as exc:
            raise AnsibleActionFail("steering %s: source %s: %s" % (item, source, exc))

    def _resolve(self, docs):
        resolved = []
        for doc in docs or []:
            doc = dict(doc)
            if doc.get("source") and doc.get("content") is None:
                doc["content"] = self._read_source(doc["source"], doc.get("name"))
            doc.pop("source", None)
            resolved.append(doc)
        return resolved

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        args = copy.deepcopy(self._task.args)
        args["steering"] = self._resolve(args.get("steering"))
        if args.get("user"):
            args["user"] = dict(args["user"])
            args["user"]["steering"] = self._resolve(args["user"].get("steering"))
        # Fail once, on the controller, with the item named, before any host is touched.
        desired = dict((kind, args.get(kind)) for kind in profile.KINDS)
        desired["user"] = args.get("user")
        desired["autonomy"] = args.get("autonomy")
        try:
            profile.validate(desired, args.get("hooks_format") or "classic")
        except KiroError as exc:
            raise AnsibleActionFail("invalid profile: %s" % exc)
        args["mcp_servers"] = [secrets.split_server_secrets(s) for s in args.get("mcp_servers") or []]
        # Last, right before the host is written: the ledger of its environment may have got an
        # override since the preflight (the host checks its own marker when it writes).
        refused = override_guard.check(args, self._loader.get_basedir())
        if refused:
            result.update(refused)
            return result
        # Agents' mcpServers, extra, oauth, user, autonomy settings: masked by value.
        args = secret_args.with_secret_values(args)
        result.update(self._execute_module(module_name="kiro.platform.profile", module_args=args,
                                           task_vars=task_vars))
        return result
