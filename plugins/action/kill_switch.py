# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""kiro.platform.kill_switch: on the controller (localhost), run inside the worker, without a
module interpreter, so the central switches are done sooner; elsewhere, the module."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kiro.platform.plugins.module_utils.emergency import switches
from ansible_collections.kiro.platform.plugins.plugin_utils.in_process import InProcessAction


class ActionModule(InProcessAction):
    module_name = "kiro.platform.kill_switch"
    runner = switches

    @staticmethod
    def argument_spec():
        # The module's own spec (plugins/modules/kill_switch.py uses the same function).
        return switches.argument_spec()
