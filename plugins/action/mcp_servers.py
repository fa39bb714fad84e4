# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of kiro.platform.mcp_servers: pass secret values as no_log options."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.plugins.action import ActionBase

from ansible_collections.kiro.platform.plugins.module_utils.common import secrets
from ansible_collections.kiro.platform.plugins.plugin_utils import secret_args


class ActionModule(ActionBase):

    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        args = dict(self._task.args)
        args["mcp_servers"] = [secrets.split_server_secrets(s) for s in args.get("mcp_servers") or []]
        # What split_server_secrets cannot move (extra, oauth) is masked by value.
        args = secret_args.with_secret_values(args)
        result.update(self._execute_module(module_name="kiro.platform.mcp_servers", module_args=args,
                                           task_vars=task_vars))
        return result
