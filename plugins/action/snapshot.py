# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of kiro.platform.snapshot: a restore is refused while the ledger of the host's
environment holds a manual override (plugin_utils/override_guard.py); then the module runs."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.plugins.action import ActionBase

from ansible_collections.kiro.platform.plugins.plugin_utils import override_guard


class ActionModule(ActionBase):

    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        args = dict(self._task.args)
        if args.get("operation") == "restore":
            refused = override_guard.check(args, self._loader.get_basedir())
            if refused:
                result.update(refused)
                return result
        else:
            # Taking or listing snapshots raises nothing: no ledger to consult.
            args.pop(override_guard.OPTION, None)
        result.update(self._execute_module(module_name="kiro.platform.snapshot", module_args=args,
                                           task_vars=task_vars))
        return result
