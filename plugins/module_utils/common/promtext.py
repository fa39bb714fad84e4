# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Prometheus text exposition format (version 0.0.4): the one writer.

Every producer of metrics in the collection writes through here: the telemetry
exporter on each host, the ledger's incident metrics and the security scan. The
output is what node_exporter's textfile collector reads (``*.prom`` files):
no client timestamps (the collector skips a whole file that has one), HELP and
TYPE before the first sample of a family, every line ending in a newline.

Standard library only: it runs inside the telemetry exporter on managed hosts.

    families = [Family("kiro_operations_total", "counter", "Tool calls", [
        Sample({"env": "production", "outcome": "success"}, 12),
    ])]
    write_textfile("/var/lib/prometheus/node-exporter/kiro.prom", render(families))
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math
import os
import re

from ansible_collections.kiro.platform.plugins.module_utils.common import fileio
from ansible_collections.kiro.platform.plugins.module_utils.common.errors import InvalidInput

TYPES = ("counter", "gauge", "histogram", "summary", "untyped")
_NAME = re.compile(r"\A[a-zA-Z_:][a-zA-Z0-9_:]*\Z")
_LABEL = re.compile(r"\A[a-zA-Z_][a-zA-Z0-9_]*\Z")


class Sample:
    """One line: ``suffix`` ("" or _bucket/_sum/_count for histograms), labels, value."""

    __slots__ = ("labels", "value", "suffix")

    def __init__(self, labels, value, suffix=""):
        self.labels = labels or {}
        self.value = value
        self.suffix = suffix


class Family:
    """A metric family: name, type, help text and its samples."""

    __slots__ = ("name", "type", "help", "samples")

    def __init__(self, name, mtype, help_text, samples=None):
        if not _NAME.match(name or ""):
            raise InvalidInput("metric %r" % (name,), "is not a valid Prometheus metric name")
        if mtype not in TYPES:
            raise InvalidInput("metric %s" % name, "type must be one of %s, not %r" % (", ".join(TYPES), mtype))
        self.name = name
        self.type = mtype
        self.help = help_text or name
        self.samples = list(samples or [])

    def add(self, labels, value, suffix=""):
        self.samples.append(Sample(labels, value, suffix))
        return self


def histogram_samples(labels, buckets, counts, total_sum):
    """Samples of one histogram series: cumulative ``_bucket`` lines (``le`` ascending,
    ending in +Inf), ``_sum`` and ``_count``. ``counts[i]`` is the number of
    observations in bucket i alone (above ``buckets[i-1]``, at most ``buckets[i]``);
    the extra last entry counts those above the last bound."""
    if len(counts) != len(buckets) + 1:
        raise InvalidInput("histogram", "needs one count per bucket plus one for +Inf")
    out = []
    running = 0
    for bound, count in zip(list(buckets) + [math.inf], counts):
        running += count
        out.append(Sample(dict(labels, le=format_value(bound)), running, "_bucket"))
    out.append(Sample(labels, total_sum, "_sum"))
    out.append(Sample(labels, running, "_count"))
    return out


def format_value(value):
    """A sample value as Prometheus writes it (Go float syntax for the specials)."""
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, int):
        return str(value)
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def escape_label(value):
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _escape_help(text):
    return str(text).replace("\\", "\\\\").replace("\n", "\\n")


def _labels(labels):
    if not labels:
        return ""
    parts = []
    for key in sorted(labels):
        if not _LABEL.match(key) or key.startswith("__"):
            raise InvalidInput("label %r" % (key,), "is not a valid Prometheus label name")
        parts.append('%s="%s"' % (key, escape_label(labels[key])))
    return "{" + ",".join(parts) + "}"


def render(families):
    """The text of ``families``: one uninterrupted group per family, in the order given.
    A family name given twice, or a duplicate (name, labels) line, is an error."""
    lines = []
    seen = set()
    for family in families:
        if family.name in seen:
            raise InvalidInput("metric %s" % family.name, "appears twice; merge its samples into one family")
        seen.add(family.name)
        lines.append("# HELP %s %s" % (family.name, _escape_help(family.help)))
        lines.append("# TYPE %s %s" % (family.name, family.type))
        keys = set()
        for sample in family.samples:
            text = family.name + sample.suffix + _labels(sample.labels)
            if text in keys:
                raise InvalidInput("metric %s" % family.name, "has the series %s twice" % text)
            keys.add(text)
            lines.append("%s %s" % (text, format_value(sample.value)))
    return "\n".join(lines) + "\n" if lines else ""


def write_textfile(path, text, mode=0o644):
    """Write ``text`` atomically to ``path`` (which must end in ``.prom``): the
    temp file's name does not end in ``.prom``, so the collector never reads a
    half-written file, and a link in place of the file is refused."""
    if not str(path).endswith(".prom"):
        raise InvalidInput(str(path), "a textfile-collector file must end in .prom")
    fileio.atomic_write(str(path), text.encode("utf-8"), mode=mode, root=os.path.dirname(os.path.abspath(str(path))))
