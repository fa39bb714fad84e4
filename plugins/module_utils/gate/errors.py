# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Errors of the gate engine."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class GateError(Exception):
    """Base class."""


class CriterionError(GateError):
    """A criterion is misconfigured. Raised before any provider is queried."""

    def __init__(self, criterion, detail):
        self.criterion = criterion
        self.detail = detail
        super(CriterionError, self).__init__("criterion %s: %s" % (criterion, detail))


class ProviderError(GateError):
    """A provider could not answer (unreachable, HTTP 5xx, timeout, bad answer).

    ``retryable`` tells the retry helper whether trying again may help.
    The message must never contain a credential.
    """

    def __init__(self, message, retryable=True):
        self.retryable = retryable
        super(ProviderError, self).__init__(message)
