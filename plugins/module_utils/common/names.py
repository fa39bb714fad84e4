# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Names every layer agrees on, matched exactly.

``\\Z``, not ``$``: ``$`` also matches before a trailing newline, so ``"INC-42\\n"`` would pass
and end up in file names, ledger entries and the match that clears an override.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

# An incident id names the post-mortem and evidence files and the override it set.
INCIDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z")
