# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one root exception of the collection and its two general kinds.

Every error the collection raises on purpose derives from :class:`PlatformError`, so a
caller (an action plugin, a module, a test) can catch the collection's own failures in
one ``except`` and leave programming errors alone. Each names the item at fault (a file,
a host, a criterion, a variable, a channel) in ``item`` and in its message.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class PlatformError(Exception):
    """Root: a message an operator can act on; ``item`` names what is at fault, if known."""

    def __init__(self, message, item=None):
        self.item = item
        super(PlatformError, self).__init__(message)


class InvalidInput(PlatformError):
    """Configuration or arguments are wrong; nothing was changed or asked."""

    def __init__(self, item, detail):
        self.detail = detail
        super(InvalidInput, self).__init__("%s: %s" % (item, detail), item)


class PartialFailure(PlatformError):
    """Raised after everything else that could be done was done: ``result`` holds what was
    (a module reports it with ``failed: true``)."""

    def __init__(self, message, result):
        self.result = result
        super(PartialFailure, self).__init__(message)


class UnsafePath(PlatformError):
    """A path that may not be read or written: a symbolic link (or a special file) where a
    directory or a regular file of ours is expected, or a path outside the directory it must
    stay in. ``path`` is the offending path; nothing was read or written through it."""

    def __init__(self, path, detail):
        self.path = path
        self.detail = detail
        super(UnsafePath, self).__init__("%s: %s" % (path, detail), path)


class Unavailable(PlatformError):
    """A service could not answer (refused, timed out, HTTP error, a bad answer).

    ``retryable`` says whether asking again may help; ``status`` is the HTTP status when
    there was one. The message never holds a credential.
    """

    def __init__(self, message, retryable=True, status=None, item=None):
        self.retryable = retryable
        self.status = status
        super(Unavailable, self).__init__(message, item)
