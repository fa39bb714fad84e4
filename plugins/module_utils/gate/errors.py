# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Errors of the gate engine."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kiro.platform.plugins.module_utils.common.errors import InvalidInput, PlatformError, Unavailable


class GateError(PlatformError):
    """What the gate engine raises on purpose."""


class CriterionError(GateError, InvalidInput):
    """A criterion is misconfigured. Raised before any provider is queried."""

    def __init__(self, criterion, detail):
        self.criterion = criterion
        InvalidInput.__init__(self, "criterion %s" % criterion, detail)


class ProviderError(GateError, Unavailable):
    """A provider could not answer (unreachable, HTTP 5xx, timeout, bad answer).

    ``retryable`` tells the retry helper whether trying again may help.
    The message must never contain a credential. Shared code (common.http) raises the
    general :class:`Unavailable`; the engine handles both alike.
    """
