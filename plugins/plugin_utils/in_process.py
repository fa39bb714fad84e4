# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a module inside the worker when the host is the controller itself, else the module.

A host with ``ansible_connection=local`` and no become is the controller: its work is done
here, without starting a module interpreter for it (about 0.3 s of the ~0.5 s a module task
costs a local host), so a fleet of local hosts is safe sooner. Every other host runs the
module. This suits any module whose whole work is one module_utils
``run(params, check_mode, diff)``; the module and this action validate with the same
argument spec, the module_utils one (``argument_spec()``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.plugins.action import ActionBase

from ansible_collections.kiro.platform.plugins.module_utils.common.errors import PartialFailure
from ansible_collections.kiro.platform.plugins.plugin_utils import argspec

LOCAL = ("local", "ansible.builtin.local")
FALSE = (False, "false", "False", "no", "0", 0)


class InProcessAction(ActionBase):
    """Run ``module_name`` through ``runner`` in this process when the host is the controller."""

    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = True
    module_name = None
    runner = None  # a module_utils module with run(params, check_mode, diff); raises PartialFailure

    @staticmethod
    def argument_spec():
        raise NotImplementedError

    def _runs_here(self):
        return (self._task.args.get("in_process", True) not in FALSE
                and not self._task.async_val
                and getattr(self._connection, "transport", None) in LOCAL
                and not self._play_context.become)

    def run(self, tmp=None, task_vars=None):
        result = super(InProcessAction, self).run(tmp, task_vars)
        if not self._runs_here():
            # As ansible.builtin's normal action runs a module (async included).
            wrap_async = bool(self._task.async_val) and not self._connection.has_native_async
            result.update(self._execute_module(module_name=self.module_name, module_args=self._task.args,
                                               task_vars=task_vars, wrap_async=wrap_async))
            if not wrap_async:
                self._remove_tmp_path(self._connection._shell.tmpdir)
            return result
        spec = self.argument_spec()
        params, error = argspec.validate(spec, self._task.args)
        if error:
            result.update(failed=True, msg=error)
            return result
        try:
            out = self.runner.run(params, check_mode=bool(self._task.check_mode), diff=bool(self._task.diff))
        except PartialFailure as exc:
            out = dict(exc.result, failed=True, msg=str(exc))
        out.setdefault("changed", False)
        # As a module reports its arguments: no_log options masked.
        out["invocation"] = {"module_args": argspec.masked(params, spec)}
        result.update(out)
        return result
