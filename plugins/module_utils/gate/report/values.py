# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How a report's values are written, the same in every output: numbers, scores,
durations, shortened text, markup-safe text, names safe in a path, plain JSON."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import html as html_mod
import math
import re

from ansible_collections.kiro.platform.plugins.module_utils.common import fileio


def _is_num(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def number(value):
    """A finite float, or None."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        result = float(value)
    except (TypeError, ValueError):
        return None
    if math.isnan(result) or math.isinf(result):
        return None
    return result


def fmt_num(value):
    """Short human text for a number; 'no data' for None."""
    if value is None:
        return "no data"
    if not _is_num(value):
        return str(value)
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return str(value)
    if float(value).is_integer() and abs(value) < 1e15:
        return "{:,}".format(int(value)) if abs(value) >= 10000 else str(int(value))
    if abs(value) >= 1000:
        return "{:,.1f}".format(value)
    if abs(value) >= 1:
        return ("%.3f" % value).rstrip("0").rstrip(".")
    return "%.4g" % value


def fmt_score(score):
    result = number(score)
    return "%.1f" % result if result is not None else "n/a"


def fmt_duration(seconds):
    result = number(seconds)
    if result is None:
        return "n/a"
    if result < 60:
        return "%.1f s" % result
    minutes, secs = divmod(int(round(result)), 60)
    if minutes < 60:
        return "%d min %02d s" % (minutes, secs)
    hours, minutes = divmod(minutes, 60)
    return "%d h %02d min" % (hours, minutes)


def short(text, limit=160):
    """``text`` on one line, cut to ``limit`` characters (ending '...' when cut)."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def escape(text):
    """``text`` (any value; None is empty) safe inside HTML or SVG, attributes included."""
    return html_mod.escape("" if text is None else str(text), quote=True)


def safe_name(text, fallback):
    """``text`` as one path part (letters, digits, '.', '_', '-'), or ``fallback`` when nothing is left."""
    text = re.sub(r"[^A-Za-z0-9._-]+", "_", str(text if text is not None else "")).strip("._")
    return text or fallback


def jsonable(obj):
    """Plain JSON: tuples as lists, non-finite floats as text, unknown objects as text."""
    if isinstance(obj, dict):
        return dict((str(k) if not isinstance(k, str) else k, jsonable(v)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, (set, frozenset)):
        return sorted((jsonable(v) for v in obj), key=str)
    if isinstance(obj, float) and (math.isnan(obj) or math.isinf(obj)):
        return str(obj)
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, bytes):
        return obj.decode("utf-8", "replace")
    return str(obj)


def dump_json(obj):
    """The bytes of a report file or evidence member: ``obj`` as plain JSON, two-space indent."""
    return fileio.dump_json(jsonable(obj))
