# -*- coding: utf-8 -*-
# Copyright: contributors to kiro.platform
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pass/warn conditions: ``> 0.9``, ``<= 30``, ``== 0``, ``between 4 and 5``,
and baseline-relative ``savings >= 0.20`` (savings = 1 - value / baseline) or
``change <= 0.10`` (change = value / baseline - 1)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math
import re


def _close(a, b):
    # Ratios computed from floats (1 - 80 / 100 = 0.19999999999999996) must meet
    # a threshold written as 0.2.
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


OPERATORS = {
    ">": lambda a, b: a > b and not _close(a, b),
    ">=": lambda a, b: a > b or _close(a, b),
    "<": lambda a, b: a < b and not _close(a, b),
    "<=": lambda a, b: a < b or _close(a, b),
    "==": _close,
    "!=": lambda a, b: not _close(a, b),
}
SUBJECTS = ("value", "savings", "change")
_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_CMP = re.compile(r"^\s*(?:(%s)\s*)?(>=|<=|==|!=|>|<)\s*(%s)\s*$" % ("|".join(SUBJECTS), _NUM))
_BETWEEN = re.compile(r"^\s*(?:(%s)\s*)?between\s+(%s)\s+and\s+(%s)\s*$" % ("|".join(SUBJECTS), _NUM, _NUM))


class Condition:
    def __init__(self, text, subject, op, low, high=None):
        self.text = text
        self.subject = subject
        self.op = op  # an OPERATORS key, or "between"
        self.low = low
        self.high = high

    @property
    def needs_baseline(self):
        return self.subject != "value"

    def subject_value(self, value, baseline=None):
        return subject_value(self.subject, value, baseline)

    def holds(self, value, baseline=None):
        """True / False, or None when there is nothing to compare."""
        subject = self.subject_value(value, baseline)
        if subject is None or math.isnan(subject):
            return None
        if self.op == "between":
            return OPERATORS[">="](subject, self.low) and OPERATORS["<="](subject, self.high)
        return OPERATORS[self.op](subject, self.low)

    def threshold(self):
        """The number(s) to draw on a chart."""
        return [self.low] if self.high is None else [self.low, self.high]

    def __str__(self):
        return self.text


def subject_value(subject, value, baseline=None):
    """What a condition on ``subject`` compares: the value, or its savings or change against the baseline."""
    if value is None:
        return None
    if subject == "value":
        return value
    if baseline in (None, 0):
        return None
    if subject == "savings":
        return 1.0 - value / baseline
    return value / baseline - 1.0


def parse(text):
    """Parse a condition; raise ValueError with a readable reason."""
    if isinstance(text, bool) or text is None:
        raise ValueError("a condition must be text such as '> 0.9' or 'between 4 and 5'")
    if isinstance(text, (int, float)):
        text = "== %s" % text
    text = str(text)
    match = _BETWEEN.match(text)
    if match:
        low, high = float(match.group(2)), float(match.group(3))
        if low > high:
            raise ValueError("'%s': the lower bound is above the upper bound" % text)
        return Condition(text.strip(), match.group(1) or "value", "between", low, high)
    match = _CMP.match(text)
    if match:
        return Condition(text.strip(), match.group(1) or "value", match.group(2), float(match.group(3)))
    raise ValueError("'%s' is not a condition; write e.g. '> 0.9', '<= 30', 'between 4 and 5' "
                     "or 'savings >= 0.2'" % text)
