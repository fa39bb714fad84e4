# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Errors raised by the Kiro model. Every error names the file or item at fault."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kiro.platform.plugins.module_utils.common.errors import InvalidInput, PartialFailure, PlatformError


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


class ArchiveRefused(KiroError):
    """A snapshot archive holds something a restore must not write; nothing was restored."""

    def __init__(self, archive, member, detail):
        self.archive = archive
        self.member = member
        super(ArchiveRefused, self).__init__(
            "snapshot archive %s refused, nothing was restored: %s%s. Restore another snapshot (operation=list "
            "shows them) or put the files back by hand" % (archive, "member %r: " % member if member else "", detail),
            archive)


class KiroValidationError(KiroError, InvalidInput):
    """Desired configuration (profile data, module arguments) is invalid: ``item: detail``."""


class WriteFailed(KiroError, PartialFailure):
    """A write failed part-way through a plan; what the plan had written was put back.

    ``path`` is the file whose write failed; ``result`` holds ``failed_path``,
    ``touched_files`` (every file the task wrote or tried to), ``restored_files``,
    ``unrestored_files`` ({path, msg}) and ``changed`` (true only when something could
    not be put back), for a module to report with ``failed: true``.
    """

    def __init__(self, path, detail, touched, restored, unrestored):
        self.path = path
        if unrestored:
            after = ("%d file(s) could NOT be put back and are left changed: %s; restore them from the snapshot"
                     % (len(unrestored), "; ".join(u["msg"] for u in unrestored)))
        elif restored:
            after = "the %d file(s) already written were put back as they were: %s" % (len(restored), ", ".join(restored))
        else:
            after = "nothing had been written yet, so the host is as it was"
        result = {"changed": bool(unrestored), "failed_path": path, "touched_files": list(touched),
                  "restored_files": list(restored), "unrestored_files": list(unrestored)}
        PartialFailure.__init__(self, "writing %s failed: %s; %s" % (path, detail, after), result)
        self.item = path
