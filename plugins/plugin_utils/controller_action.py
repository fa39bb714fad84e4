# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base of the actions that do their whole work on the controller (gate, incident, ledger,
notify): no connection, no file transfer, arguments validated against the doc-only module's
DOCUMENTATION (see argspec.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.kiro.platform.plugins.plugin_utils import argspec


def plugin_name(python_module):
    """``ansible_collections.<ns>.<collection>.plugins.action.<name>`` -> ``<ns>.<collection>.<name>``."""
    parts = python_module.split(".")
    if len(parts) == 6 and parts[0] == "ansible_collections" and parts[3:5] == ["plugins", "action"]:
        return ".".join(parts[1:3] + parts[5:])
    return parts[-1]


class ControllerAction(ActionBase):
    """Subclasses set MODULE (their doc-only module, imported) and implement ``run``, calling
    ``validated_args``."""

    TRANSFERS_FILES = False
    _requires_connection = False

    MODULE = None
    # Option paths whose values are secrets (``channels.url``): DOCUMENTATION cannot say so.
    NO_LOG = ()
    # ArgumentSpecValidator's conditionals (required_if, mutually_exclusive, ...).
    CONDITIONALS = {}

    @property
    def name(self):
        return plugin_name(type(self).__module__)

    def argument_spec(self):
        return argspec.from_module(self.MODULE, no_log=self.NO_LOG)

    def scrub(self, message):
        """More masking of an argument error than the no_log values (none by default)."""
        return message

    def validated_args(self):
        """The task's arguments, converted and with defaults; AnsibleActionFail naming every error."""
        params, error = argspec.validate(self.argument_spec(), self._task.args, **self.CONDITIONALS)
        if error:
            raise AnsibleActionFail("%s: %s" % (self.name, self.scrub(error)))
        return params
