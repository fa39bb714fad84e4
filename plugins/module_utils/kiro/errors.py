# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Errors raised by the Kiro model. Every error names the file or item at fault."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kiro.platform.plugins.module_utils.common.errors import InvalidInput, PlatformError


class KiroError(PlatformError):
    """Base class: a message an operator can act on."""


class KiroParseError(KiroError):
    """An existing file on disk does not parse. The file is left untouched."""

    def __init__(self, path, detail):
        self.path = path
        self.detail = detail
        super(KiroParseError, self).__init__(
            "%s: cannot parse existing file: %s. The file was left unchanged; "
            "fix or move it and run again." % (path, detail), path)


class KiroValidationError(KiroError, InvalidInput):
    """Desired configuration (profile data, module arguments) is invalid: ``item: detail``."""
