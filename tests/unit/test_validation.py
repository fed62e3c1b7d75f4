"""Tests for course_utils._validation, the argument checks shared by the helpers."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils._validation import check_non_negative, check_positive_int, check_rate


@pytest.mark.parametrize("value", [1, 7, np.int64(3)])
def test_check_positive_int_accepts(value):
    out = check_positive_int("epochs", value)
    assert out == int(value) and type(out) is int


@pytest.mark.parametrize("value", [0, -2, 1.0, 2.5, True, "3", None])
def test_check_positive_int_rejects_and_names_the_value(value):
    with pytest.raises(ValueError) as info:
        check_positive_int("epochs", value)
    message = str(info.value)
    assert "`epochs`" in message and f"epochs={value!r}" in message


@pytest.mark.parametrize("value", [0, 0.0, 0.5, np.float32(0.25), 0.999])
def test_check_rate_accepts_values_in_unit_interval(value):
    out = check_rate("dropout", value)
    assert out == pytest.approx(float(value)) and type(out) is float


@pytest.mark.parametrize("value", [1, 1.0, -0.1, 2, True, False, "0.5", float("nan")])
def test_check_rate_rejects_and_names_the_value(value):
    with pytest.raises(ValueError) as info:
        check_rate("dropout", value)
    assert f"dropout={value!r}" in str(info.value)
    assert "[0, 1)" in str(info.value)


@pytest.mark.parametrize("value", [0, 0.0, 3, 1e9])
def test_check_non_negative_accepts(value):
    assert check_non_negative("max_gap", value) == pytest.approx(float(value))


@pytest.mark.parametrize("value", [-1e-9, -1, True, "1", None, float("nan")])
def test_check_non_negative_rejects(value):
    with pytest.raises(ValueError, match="max_gap="):
        check_non_negative("max_gap", value)
