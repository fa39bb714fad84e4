# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The emergency rollback's account of itself: what was locked, what still covers the
hosts that could not be reached, what failed; the pre-filled post-mortem; the evidence.

Pure Python. summary.py turns what the playbook collected (each host's lockdown result,
the central switches' result, the ledger writes) into the summary that the
notifications, the post-mortem and the exit status use; postmortem.py writes that
summary up as the pre-filled post-mortem (Markdown); record.py puts the summary, the
post-mortem and the evidence bundle in a new directory of their own.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# The package's public API: what the filter and the action call.
from ansible_collections.kiro.platform.plugins.module_utils.emergency.incident.record import write
from ansible_collections.kiro.platform.plugins.module_utils.emergency.incident.summary import (
    IncidentError, add_notifications, not_done, summarize)

__all__ = ("IncidentError", "add_notifications", "not_done", "summarize", "write")
