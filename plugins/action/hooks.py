# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of kiro.platform.hooks: pass the secrets in the arguments as the no_log secret_values."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kiro.platform.plugins.plugin_utils.secret_args import SecretArgsAction


class ActionModule(SecretArgsAction):

    module_name = "kiro.platform.hooks"
