"""Tests for course_utils.grading: the messages a learner reads when an exercise check fails."""

from __future__ import annotations

import math

import numpy as np
import pytest

from course_utils.grading import call_student, expect_choice, expect_close, expect_number

CHOICES = ["underfitting", "overfitting", "good fit"]


# ---------------------------------------------------------------------------------------------
# call_student
# ---------------------------------------------------------------------------------------------


def test_call_student_returns_the_result():
    assert call_student(lambda a, b: a - b, "gap", 1.0, b=0.75) == pytest.approx(0.25)


@pytest.mark.parametrize("not_a_function", [Ellipsis, None, 42, "gap_at_end"])
def test_call_student_rejects_undefined_functions(not_a_function):
    with pytest.raises(AssertionError) as info:
        call_student(not_a_function, "gap_at_end", 1.0)
    message = str(info.value)
    assert "`gap_at_end`" in message
    assert "def gap_at_end(" in message  # says how to define it
    assert "Define" in message
    assert repr(not_a_function) in message  # says what it is now


def test_call_student_reports_the_exception():
    def broken(a, b):
        return a / b

    with pytest.raises(AssertionError) as info:
        call_student(broken, "ratio", 1.0, b=0)
    message = str(info.value)
    assert "ZeroDivisionError" in message
    try:
        broken(1.0, 0)
    except ZeroDivisionError as exc:
        expected_text = str(exc)
    assert expected_text in message  # the exception's args
    assert "ratio(1.0, b=0)" in message  # the call that failed


def test_call_student_shortens_long_arguments():
    def fail(x):
        raise ValueError("bad")

    with pytest.raises(AssertionError) as info:
        call_student(fail, "f", list(range(1000)))
    assert len(str(info.value)) < 400
    assert "..." in str(info.value)


def test_call_student_does_not_swallow_keyboard_interrupt():
    def interrupted():
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        call_student(interrupted, "f")


# ---------------------------------------------------------------------------------------------
# expect_number
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0.25, 3, np.float32(0.5), np.int64(-2)])
def test_expect_number_accepts_numbers(value):
    out = expect_number("gap", value)
    assert type(out) is float
    assert out == pytest.approx(float(value))


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (None, "return"),
        (Ellipsis, "`...`"),
        ("abc", "not the text"),
        ([0.1, 0.2], "single number"),
        (float("nan"), "finite"),
        (math.inf, "finite"),
        (True, "boolean"),
    ],
)
def test_expect_number_rejects(value, fragment):
    with pytest.raises(AssertionError) as info:
        expect_number("the gap", value)
    message = str(info.value)
    assert message.startswith("the gap ")
    assert fragment in message


def test_expect_number_rejects_numeric_strings():
    with pytest.raises(AssertionError):
        expect_number("gap", "0.25")


# ---------------------------------------------------------------------------------------------
# expect_close
# ---------------------------------------------------------------------------------------------


def test_expect_close_passes_within_tolerance():
    assert expect_close("gap", 0.2500001, 0.25, tol=1e-4) is None
    assert expect_close("gap", np.float32(0.25), 0.25) is None


def test_expect_close_message_shows_both_values_and_difference():
    got, expected = 0.75, 0.5
    with pytest.raises(AssertionError) as info:
        expect_close("gap", got, expected, hint="Use the last epoch.")
    message = str(info.value)
    assert message.startswith("gap ")
    assert str(got) in message and str(expected) in message
    assert f"{got - expected:+}" in message  # "+0.25"
    assert message.endswith("Use the last epoch.")


def test_expect_close_negative_difference_and_type_errors():
    with pytest.raises(AssertionError) as info:
        expect_close("loss", 0.1, 0.4)
    assert f"{0.1 - 0.4:+.3g}" in str(info.value)
    with pytest.raises(AssertionError, match="return"):
        expect_close("loss", None, 0.4)


# ---------------------------------------------------------------------------------------------
# expect_choice
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("answer", [" Overfitting", "OVERFITTING", "overfitting\n", "\toverFitting "])
def test_expect_choice_normalizes_case_and_spaces(answer):
    assert expect_choice("diagnosis", answer, CHOICES) == "overfitting"


def test_expect_choice_returns_canonical_spelling():
    assert expect_choice("diagnosis", "GOOD FIT", ["Good fit", "Overfitting"]) == "Good fit"
    assert expect_choice("diagnosis", "good fit", iter(CHOICES)) == "good fit"  # any iterable


@pytest.mark.parametrize("answer", ["overfit", "good  fit", "", 3, None, ["overfitting"]])
def test_expect_choice_rejects_others(answer):
    with pytest.raises(AssertionError) as info:
        expect_choice("diagnosis", answer, CHOICES)
    message = str(info.value)
    assert message.startswith("diagnosis ")
    assert str(CHOICES) in message
