"""Tests for course_utils.grading: the messages a learner reads when an exercise check fails."""

from __future__ import annotations

import math

import numpy as np
import pytest

from course_utils.grading import (
    call_student,
    expect_allclose,
    expect_array,
    expect_at_least,
    expect_choice,
    expect_close,
    expect_keys,
    expect_number,
    expect_values_at,
    layer_kinds,
)

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


# ---------------------------------------------------------------------------------------------
# expect_array / expect_allclose: shapes and the first wrong entry
# ---------------------------------------------------------------------------------------------


def test_expect_array_returns_float_array():
    out = expect_array("w", [[1, 2]], shape=(1, 2))
    assert out.dtype == np.float64 and out.shape == (1, 2)


@pytest.mark.parametrize(
    ("value", "shape", "fragment"),
    [
        (None, None, "return"),
        (Ellipsis, None, "`...`"),
        (np.zeros(3), (2, 3), "wrong shape: (3,) instead of (2, 3)"),
        ([1.0, float("nan")], None, "NaN"),
        ({"a": 1}, None, "numeric array"),
    ],
)
def test_expect_array_rejects(value, shape, fragment):
    with pytest.raises(AssertionError) as info:
        expect_array("new_w", value, shape=shape)
    assert str(info.value).startswith("new_w ")
    assert fragment in str(info.value)


def test_expect_allclose_names_the_first_wrong_entry():
    with pytest.raises(AssertionError) as info:
        expect_allclose("new_w", [[1.0, 2.0], [3.0, 5.0]], [[1.0, 2.0], [3.0, 4.0]], hint="Check the sign.")
    message = str(info.value)
    assert message.startswith("new_w[1, 1] is 5 but should be 4")
    assert "1 of 4 entries" in message and message.endswith("Check the sign.")
    expect_allclose("new_w", [1.0, 2.0 + 1e-9], [1.0, 2.0])  # within tolerance


def test_expect_allclose_checks_the_shape_first():
    with pytest.raises(AssertionError, match=r"wrong shape: \(2,\) instead of \(3,\)"):
        expect_allclose("new_m", [1.0, 2.0], [1.0, 2.0, 3.0])


# ---------------------------------------------------------------------------------------------
# expect_values_at: "wrong value at step k"
# ---------------------------------------------------------------------------------------------


def test_expect_values_at_reports_the_first_wrong_step_with_phase_and_hint():
    phase = lambda s: "warm-up" if s < 2 else "decay"  # noqa: E731
    with pytest.raises(AssertionError) as info:
        expect_values_at("lr(step)", [0.0, 0.5, 0.9, 0.7], [0.0, 0.5, 1.0, 0.7], steps=[0, 1, 2, 3],
                         phase=phase, hints={"decay": "Start the decay at the peak.", "warm-up": "no"})
    message = str(info.value)
    assert message.startswith("Wrong value at step 2: lr(2) is 0.9 but should be 1")
    assert "(decay phase)" in message and message.endswith("Start the decay at the peak.")


def test_expect_values_at_passes_and_checks_lengths_and_types():
    expect_values_at("f", [1.0, 2.0], [1.0, 2.0 + 1e-9])
    with pytest.raises(AssertionError, match="expected 3 values, got 2"):
        expect_values_at("f", [1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(AssertionError, match="return"):
        expect_values_at("f(step)", [None], [1.0])
    with pytest.raises(AssertionError, match="at step 5"):
        expect_values_at("f", [1.0], [2.0], steps=[5])


# ---------------------------------------------------------------------------------------------
# expect_at_least: "missed by"
# ---------------------------------------------------------------------------------------------


def test_expect_at_least_says_by_how_much():
    assert expect_at_least("accuracy", 0.9, 0.85) == pytest.approx(0.9)
    assert expect_at_least("accuracy", 0.85, 0.85) == pytest.approx(0.85)  # the threshold itself passes
    with pytest.raises(AssertionError) as info:
        expect_at_least("accuracy", 0.8, 0.85, hint="Regularize.")
    message = str(info.value)
    assert message.startswith("accuracy is 0.800, below the threshold 0.850: missed by 0.050.")
    assert message.endswith("Regularize.")
    with pytest.raises(AssertionError, match="return"):
        expect_at_least("accuracy", None, 0.85)


# ---------------------------------------------------------------------------------------------
# expect_keys
# ---------------------------------------------------------------------------------------------


def test_expect_keys_names_missing_and_unexpected():
    assert expect_keys("sweep", {0.0: 1, 0.5: 2}, [0.5, 0.0]) == {0.0: 1, 0.5: 2}
    with pytest.raises(AssertionError) as info:
        expect_keys("sweep", {0.0: 1, 0.3: 2}, [0.0, 0.5])
    assert "missing [0.5]" in str(info.value) and "unexpected [0.3]" in str(info.value)
    with pytest.raises(AssertionError, match="should be a dict"):
        expect_keys("sweep", [0.0, 0.5], [0.0, 0.5])
    with pytest.raises(AssertionError, match="still `...`"):
        expect_keys("sweep", ..., [0.0])


# ---------------------------------------------------------------------------------------------
# layer_kinds
# ---------------------------------------------------------------------------------------------


def test_layer_kinds_describes_batch_norm_placement_and_dropout():
    from course_utils import build_mlp

    before = build_mlp((8, 8, 1), 10, (4,), batch_norm="before", dropout=0.25, seed=0)
    after = build_mlp((8, 8, 1), 10, (4,), batch_norm="after", seed=0)
    assert layer_kinds(before) == ["dense(no bias)", "batch_norm", "relu", "dropout(0.25)", "dense", "softmax"]
    assert layer_kinds(after) == ["dense", "relu", "batch_norm", "dense", "softmax"]


def test_layer_kinds_rejects_non_models():
    with pytest.raises(AssertionError, match="Expected a Keras model; got ellipsis"):
        layer_kinds(...)
