# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""kiro.platform.lockdown: the module, or for a local host the same code inside the worker
(plugin_utils/in_process.py says why)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kiro.platform.plugins.module_utils.kiro import argspec, lockdown
from ansible_collections.kiro.platform.plugins.plugin_utils.in_process import InProcessAction


class ActionModule(InProcessAction):
    module_name = "kiro.platform.lockdown"
    runner = lockdown

    @staticmethod
    def argument_spec():
        # The module's own spec (plugins/modules/lockdown.py builds the same).
        return argspec.targets(**lockdown.OPTIONS)
