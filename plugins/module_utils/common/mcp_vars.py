# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``${VAR}`` in an MCP server's settings, expanded as Kiro expands them.

Kiro replaces ``${VAR}`` in a server's ``command``, ``args``, ``env``, ``headers`` and
``url`` only for the variables the user approved (``kiroAgent.mcpApprovedEnvVars``);
any other reference stays as written. Every value that is or becomes a secret (an
expanded reference, an env or header value that is not a plain switch) is handed to
the caller's :class:`~common.secrets.Scrubber`, so no message built afterwards can
show it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible_collections.kiro.platform.plugins.module_utils.common import secrets
from ansible_collections.kiro.platform.plugins.module_utils.common.errors import PlatformError

_VAR_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class SettingError(PlatformError):
    """A server setting has the wrong type; the message names the setting, never its value."""


class Expander:
    """Expands the settings of one server: ``approved`` variable names, taken from ``environ``."""

    def __init__(self, approved, scrubber, environ=None):
        self.approved = set(approved or ())
        self.scrubber = scrubber
        self.environ = os.environ if environ is None else environ

    def value(self, value, key=None):
        """One setting (``key`` names an env var or header) as a string, references expanded."""
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, (int, float)):
            value = str(value)
        if not isinstance(value, str):
            raise SettingError("%s must be a string" % (key or "a value"))

        def sub(match):
            var = match.group(1)
            if var in self.approved and var in self.environ:
                # Alone too: a server may print the variable's value without what surrounds it.
                self.scrubber.add(self.environ[var])
                return self.environ[var]
            return match.group(0)

        expanded = _VAR_REF.sub(sub, value)
        if expanded != value:
            self.scrubber.add(expanded)
        if key is not None and secrets.value(key, value) != value:
            self.scrubber.add(value)
        return expanded

    def mapping(self, server, field):
        """``server[field]`` (``env`` or ``headers``) with every value expanded."""
        values = server.get(field) or {}
        if not isinstance(values, dict):
            raise SettingError("%s must be a mapping" % field)
        # Collect every secret first, so an error about one value cannot show another.
        self.scrubber.add_env(values)
        return dict((str(key), self.value(value, key)) for key, value in values.items())
