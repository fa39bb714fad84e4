# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's one way to write and read a moment.

Timestamps in records (ledger entries, gate reports, switch results, snapshot manifests,
incident summaries) are UTC ISO 8601 with milliseconds and a ``Z``:
``2026-12-03T23:36:49.123Z``. Names of files and directories use the compact form
``20261203T233649Z`` (sortable, no colons); a name that must also be unique within a
second adds microseconds (``compact(moment, precise=True)``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re

UTC = datetime.timezone.utc
# Readers accept 0-6 fractional digits: records written before this module existed.
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z\Z")


def now():
    """The current moment, timezone-aware UTC."""
    return datetime.datetime.now(UTC)


def _aware(moment):
    if isinstance(moment, (int, float)):
        return datetime.datetime.fromtimestamp(moment, UTC)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def moment(value=None):
    """An aware UTC datetime from None (now), a datetime, epoch seconds, or an ISO 8601 text."""
    if value is None:
        return now()
    if isinstance(value, str):
        text = value.strip()
        if text.replace(".", "", 1).isdigit():
            return _aware(float(text))
        return parse(text)
    return _aware(value)


def iso(moment=None):
    """``moment`` (a datetime or epoch seconds; default now) as ``YYYY-MM-DDTHH:MM:SS.mmmZ``."""
    moment = _aware(now() if moment is None else moment)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (moment.microsecond // 1000)


def is_iso(text):
    return isinstance(text, str) and bool(_ISO.match(text))


def parse(text):
    """The aware datetime of an ISO 8601 text (``Z`` or an offset); ValueError otherwise."""
    if not isinstance(text, str):
        raise ValueError("not a timestamp: %r" % (text,))
    return _aware(datetime.datetime.fromisoformat(text.strip().replace("Z", "+00:00")))


def compact(moment=None, precise=False):
    """``moment`` (default now) as ``YYYYmmddTHHMMSSZ`` (``...SSffffffZ`` when ``precise``), for names."""
    moment = _aware(now() if moment is None else moment)
    return moment.strftime("%Y%m%dT%H%M%S%fZ" if precise else "%Y%m%dT%H%M%SZ")
