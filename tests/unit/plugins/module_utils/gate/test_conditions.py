"""Pass/warn conditions (gate/conditions.py): parsing, tolerance, baselines."""

import math

import pytest
from hypothesis import assume, given, settings as hsettings, strategies as st

from ansible_collections.kiro.platform.plugins.module_utils.gate import conditions
from ansible_collections.kiro.platform.plugins.module_utils.gate.conditions import parse


def close(a, b):
    """The tolerance conditions.py promises (kept separate: a change there should show here)."""
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


# --- parsing every form ------------------------------------------------------

@pytest.mark.parametrize("text, subject, op, low, high", [
    ("> 0.9", "value", ">", 0.9, None),
    (">= 0.9", "value", ">=", 0.9, None),
    ("< 30", "value", "<", 30.0, None),
    ("<= 30", "value", "<=", 30.0, None),
    ("== 0", "value", "==", 0.0, None),
    ("!= 0", "value", "!=", 0.0, None),
    (">0.9", "value", ">", 0.9, None),
    ("  >=   5  ", "value", ">=", 5.0, None),
    ("value > 1", "value", ">", 1.0, None),
    ("between 4 and 5", "value", "between", 4.0, 5.0),
    ("between 4.5 and 4.5", "value", "between", 4.5, 4.5),
    ("between -1 and 1", "value", "between", -1.0, 1.0),
    ("value between 0 and 1e3", "value", "between", 0.0, 1000.0),
    ("savings >= 0.20", "savings", ">=", 0.2, None),
    ("savings between 0.1 and 0.3", "savings", "between", 0.1, 0.3),
    ("change <= 0.10", "change", "<=", 0.1, None),
    ("change > -0.05", "change", ">", -0.05, None),
    # numbers: int, float, negative, exponent, leading/trailing dot, explicit sign
    ("> 7", "value", ">", 7.0, None),
    ("> 7.25", "value", ">", 7.25, None),
    ("> -7.25", "value", ">", -7.25, None),
    ("> +3", "value", ">", 3.0, None),
    ("> .5", "value", ">", 0.5, None),
    ("> 5.", "value", ">", 5.0, None),
    ("> 1e3", "value", ">", 1000.0, None),
    ("> 1E3", "value", ">", 1000.0, None),
    ("> -1.5e-3", "value", ">", -0.0015, None),
    ("< 2.5E+2", "value", "<", 250.0, None),
])
def test_parse_forms(text, subject, op, low, high):
    cond = parse(text)
    assert (cond.subject, cond.op, cond.low, cond.high) == (subject, op, low, high)
    assert str(cond) == text.strip()
    assert cond.threshold() == ([low] if high is None else [low, high])
    assert cond.needs_baseline == (subject != "value")


@pytest.mark.parametrize("number, low", [(5, 5.0), (0.25, 0.25), (-3, -3.0), (1e20, 1e20)])
def test_bare_number_means_equal(number, low):
    cond = parse(number)
    assert cond.op == "==" and cond.low == low
    assert cond.holds(float(number)) is True
    assert cond.holds(float(number) + 1 + abs(number)) is False


@pytest.mark.parametrize("text, fragment", [
    ("", "is not a condition"),
    ("0.9", "is not a condition"),         # text without an operator
    ("=> 0.9", "is not a condition"),
    ("=< 0.9", "is not a condition"),
    ("= 0.9", "is not a condition"),
    ("<> 1", "is not a condition"),
    ("> ", "is not a condition"),
    ("> abc", "is not a condition"),
    ("> 0.9 and < 1", "is not a condition"),
    ("> 1.2.3", "is not a condition"),
    ("> 1e", "is not a condition"),
    ("> inf", "is not a condition"),
    ("> nan", "is not a condition"),
    ("> 0,9", "is not a condition"),
    ("profit >= 0.2", "is not a condition"),
    ("between 4", "is not a condition"),
    ("between 4 and", "is not a condition"),
    ("between 4 or 5", "is not a condition"),
    ("between 5 and 4", "lower bound is above the upper bound"),
    ("savings between 0.3 and 0.1", "lower bound is above the upper bound"),
])
def test_malformed_rejected_with_a_message(text, fragment):
    with pytest.raises(ValueError) as info:
        parse(text)
    message = str(info.value)
    assert fragment in message
    if fragment == "is not a condition":
        # the message shows the text and how to write it
        assert "'%s'" % text in message and "> 0.9" in message


@pytest.mark.parametrize("value", [None, True, False, float("nan"), float("inf")])
def test_non_text_rejected(value):
    with pytest.raises(ValueError):
        parse(value)


def test_subject_without_whitespace_before_operator():
    # Written as tightly as '>0.9' is, a baseline condition means the same thing.
    tight, spaced = parse("savings>=0.2"), parse("savings >= 0.2")
    assert (tight.subject, tight.op, tight.low) == (spaced.subject, spaced.op, spaced.low) == ("savings", ">=", 0.2)
    assert tight.holds(80, 100) and not tight.holds(85, 100)


# --- evaluation --------------------------------------------------------------

@pytest.mark.parametrize("text, value, expected", [
    ("> 0.9", 0.95, True), ("> 0.9", 0.9, False), ("> 0.9", 0.5, False),
    (">= 0.9", 0.9, True), (">= 0.9", 0.89, False),
    ("< 30", 29, True), ("< 30", 30, False),
    ("<= 30", 30, True), ("<= 30", 31, False),
    ("== 0", 0, True), ("== 0", 0.001, False),
    ("!= 0", 1, True), ("!= 0", 0, False),
    ("between 4 and 5", 4, True), ("between 4 and 5", 5, True), ("between 4 and 5", 4.5, True),
    ("between 4 and 5", 3.99, False), ("between 4 and 5", 5.01, False),
    ("> -5", -4, True), ("> -5", -6, False),
])
def test_holds(text, value, expected):
    assert parse(text).holds(value) is expected


def test_none_value_is_nothing_to_compare():
    assert parse("> 0.9").holds(None) is None
    assert parse("savings >= 0.2").holds(None, 100) is None


# --- float tolerance -----------------------------------------------------------

def test_savings_tolerance_1_minus_80_over_100_meets_0_2():
    assert 1 - 80 / 100 < 0.2  # 0.19999999999999996: why the tolerance exists
    assert parse("savings >= 0.2").holds(80, 100) is True
    assert parse("savings >= 0.20").holds(80.0, 100.0) is True
    assert parse("savings > 0.2").holds(80, 100) is False      # equal within tolerance: not strictly above
    assert parse("savings == 0.2").holds(80, 100) is True
    assert parse("savings <= 0.2").holds(80, 100) is True
    assert parse("savings >= 0.2").holds(81, 100) is False


def test_change_tolerance():
    assert 110 / 100 - 1 > 0.1  # 0.10000000000000009
    assert parse("change <= 0.1").holds(110, 100) is True
    assert parse("change < 0.1").holds(110, 100) is False
    assert parse("change <= 0.1").holds(111, 100) is False
    assert parse("change >= -0.1").holds(90, 100) is True


def test_outside_tolerance_is_not_rounded():
    assert parse("> 0.2").holds(0.19999) is False
    assert parse(">= 0.2").holds(0.19999) is False
    assert parse("== 0.2").holds(0.19999) is False
    assert parse("> 0.2").holds(0.20001) is True
    assert parse("< 0.2").holds(0.2 - 1e-15) is False  # within tolerance: equal, so not below
    assert parse("<= 0.2").holds(0.2 + 1e-15) is True
    assert parse("== 0").holds(1e-13) is True            # abs_tol 1e-12 around zero
    assert parse("== 0").holds(1e-11) is False


# --- baselines ------------------------------------------------------------------

def test_savings_and_change_values():
    assert parse("savings >= 0.25").subject_value(75, 100) == pytest.approx(0.25)
    assert parse("change <= 0.1").subject_value(105, 100) == pytest.approx(0.05)
    assert parse("> 1").subject_value(5, 100) == 5  # value subject ignores the baseline


@pytest.mark.parametrize("baseline", [None, 0, 0.0])
@pytest.mark.parametrize("text", ["savings >= 0.2", "change <= 0.1", "savings between 0 and 1"])
def test_missing_or_zero_baseline_is_nothing_to_compare(text, baseline):
    assert parse(text).holds(50, baseline) is None


def test_value_condition_ignores_missing_baseline():
    assert parse("> 1").holds(5, None) is True
    assert parse("> 1").holds(5, 0) is True


def test_nan_value_is_nothing_to_compare():
    nan = float("nan")
    for text in ("!= 0", "> 0.9", "< 5", "between 1 and 2"):
        assert parse(text).holds(nan) is None, text


# --- properties -------------------------------------------------------------------

finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
PYTHON_OPS = {">": lambda a, b: a > b, ">=": lambda a, b: a >= b, "<": lambda a, b: a < b,
              "<=": lambda a, b: a <= b, "==": lambda a, b: a == b, "!=": lambda a, b: a != b}


@hsettings(max_examples=300, deadline=None)
@given(x=finite, t=finite)
def test_property_greater_than(x, t):
    cond = parse("> %r" % t)
    assert cond.low == t  # repr round-trips through the parser
    if close(x, t):
        assert cond.holds(x) is False
    else:
        assert cond.holds(x) == (x > t)


@hsettings(max_examples=300, deadline=None)
@given(x=finite, t=finite, op=st.sampled_from(sorted(PYTHON_OPS)))
def test_property_every_operator(x, t, op):
    cond = parse("%s %r" % (op, t))
    if close(x, t):
        assert cond.holds(x) == (op in (">=", "<=", "=="))
    else:
        assert cond.holds(x) == PYTHON_OPS[op](x, t)


@hsettings(max_examples=200, deadline=None)
@given(x=finite, a=finite, b=finite)
def test_property_between(x, a, b):
    low, high = min(a, b), max(a, b)
    cond = parse("between %r and %r" % (low, high))
    assume(not close(x, low) and not close(x, high))
    assert cond.holds(x) == (low <= x <= high)


@hsettings(max_examples=200, deadline=None)
@given(value=st.floats(min_value=0, max_value=1e6, allow_nan=False),
       baseline=st.floats(min_value=1e-3, max_value=1e6, allow_nan=False),
       t=st.floats(min_value=-1, max_value=1, allow_nan=False))
def test_property_savings(value, baseline, t):
    savings = 1.0 - value / baseline
    cond = parse("savings >= %r" % t)
    assert cond.holds(value, baseline) == (savings >= t or close(savings, t))


@hsettings(max_examples=100, deadline=None)
@given(text=st.text(max_size=30))
def test_property_parse_never_crashes_otherwise(text):
    try:
        cond = parse(text)
    except ValueError:
        return
    assert isinstance(cond, conditions.Condition)
    assert cond.op in list(conditions.OPERATORS) + ["between"]
