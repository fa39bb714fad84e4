# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pass a module the secrets of its own arguments as the no_log option ``secret_values``.

A module's free-form options (an agent's ``config``, an MCP server's ``extra`` or
``oauth``, a hook's ``then``, settings) may hold secrets at any depth, and declaring such
an option no_log would mask every string in it wherever it appears in the result (an
agent name in a path, a "1" in a diff). Instead the action finds the secrets
(common/secrets.secret_values) and hands them over in ``secret_values``; Ansible masks
exactly those strings in the ``-vvv`` invocation, the result and the host's syslog.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible.plugins.action import ActionBase

from ansible_collections.kiro.platform.plugins.module_utils.common import secrets

OPTION = "secret_values"


def with_secret_values(args):
    """A copy of the task arguments ``args`` whose ``secret_values`` holds every secret found in them."""
    args = copy.deepcopy(dict(args))
    given = list(args.get(OPTION) or [])
    found = secrets.secret_values(dict((k, v) for k, v in args.items() if k != OPTION))
    if given or found:
        args[OPTION] = sorted(set(str(v) for v in given) | set(found))
    return args


class SecretArgsAction(ActionBase):
    """Run ``module_name`` (as ansible.builtin's normal action does) with ``secret_values`` filled."""

    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = True
    module_name = None

    def run(self, tmp=None, task_vars=None):
        result = super(SecretArgsAction, self).run(tmp, task_vars)
        wrap_async = bool(self._task.async_val) and not self._connection.has_native_async
        result.update(self._execute_module(module_name=self.module_name, module_args=with_secret_values(self._task.args),
                                           task_vars=task_vars, wrap_async=wrap_async))
        if not wrap_async:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result
