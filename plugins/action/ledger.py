# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""kiro.platform.ledger: read, append to, verify and lock an environment's rollout ledger
(the operations are module_utils/ledger/operations.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible.errors import AnsibleActionFail

from ansible_collections.kiro.platform.plugins.module_utils.common import aws
from ansible_collections.kiro.platform.plugins.module_utils.ledger import operations
from ansible_collections.kiro.platform.plugins.module_utils.common.errors import UnsafePath
from ansible_collections.kiro.platform.plugins.module_utils.ledger.entries import LedgerError
from ansible_collections.kiro.platform.plugins.modules import ledger as documented
from ansible_collections.kiro.platform.plugins.plugin_utils.controller_action import ControllerAction


class ActionModule(ControllerAction):

    MODULE = documented
    NO_LOG = aws.SECRET_KEYS + ("key",)
    CONDITIONALS = {"required_if": [("operation", "append", ("event",)), ("backend", "s3", ("bucket",))],
                    "mutually_exclusive": [("key_file", "key", "kms_key_id")]}

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        task_vars = task_vars or {}
        args = self.validated_args()
        args["actor"] = args["actor"] or operations.default_actor(task_vars)
        args["run_id"] = args["run_id"] or operations.default_run_id(task_vars)
        # A lock belongs to the ansible-playbook process (this worker's parent): when that
        # process is gone from this controller, its lock may be broken.
        args["pid"] = os.getppid()
        try:
            ledger = operations.open_for(args, self._loader.get_basedir())
            result.update(operations.operate(ledger, args, check_mode=self._play_context.check_mode))
        except (LedgerError, UnsafePath) as exc:
            raise AnsibleActionFail(str(exc), result=operations.error_result(exc))
        if ledger.warnings:
            result["warnings"] = list(result.get("warnings") or []) + list(ledger.warnings)
        return result
