"""Helpers for the exercise checks: test functions that explain what is wrong.

The "Your turn" tests call these instead of bare ``assert`` so that a learner reads, for
example, "gap_at_end(...) returned None: your function does not return anything yet" rather
than an ``AssertionError`` with no message.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

__all__ = ["call_student", "expect_choice", "expect_close", "expect_number"]


def _show_args(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    parts = [_short(a) for a in args] + [f"{k}={_short(v)}" for k, v in kwargs.items()]
    return ", ".join(parts)


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def call_student(fn: Any, name: str, *args: Any, **kwargs: Any) -> Any:
    """Calls a learner's function and turns every way it can fail into a clear message.

    Args:
        fn: The object the learner defined (may still be ``...`` or ``None``).
        name: The name the exercise asked for, used in messages.
        *args: Positional arguments for the call.
        **kwargs: Keyword arguments for the call.

    Returns:
        What the function returned.

    Raises:
        AssertionError: If ``fn`` is not callable, or calling it raised; the message names the
            problem and what to do.

    Example:

    >>> from course_utils.grading import call_student
    >>> call_student(lambda a, b: a - b, "gap", 1.0, 0.75)
    0.25
    """
    if fn is None or fn is Ellipsis or not callable(fn):
        raise AssertionError(
            f"`{name}` is not a function yet (it is {_short(fn)}). Define it with "
            f"`def {name}(...):` in the exercise cell and run that cell before checking."
        )
    try:
        return fn(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - any learner error becomes a message
        raise AssertionError(
            f"`{name}({_show_args(args, kwargs)})` raised {type(exc).__name__}: {exc}. "
            "Fix the error in your function, re-run its cell, then check again."
        ) from None


def expect_number(name: str, value: Any) -> float:
    """Asserts that ``value`` is a finite real number and returns it as ``float``.

    Args:
        name: What the value is, for the message.
        value: The learner's value.

    Returns:
        ``float(value)``.

    Raises:
        AssertionError: If ``value`` is ``None``, ``...``, not a number, or not finite.

    Example:

    >>> from course_utils.grading import expect_number
    >>> expect_number("gap", 0.25)
    0.25
    """
    if value is None:
        raise AssertionError(f"{name} is None: does your function `return` its result?")
    if value is Ellipsis:
        raise AssertionError(f"{name} is still `...`: replace it with your answer.")
    if isinstance(value, bool):
        raise AssertionError(f"{name} should be a number, not a boolean ({value!r}).")
    if isinstance(value, (str, bytes)):
        raise AssertionError(
            f"{name} should be a number, not the text {value!r}: return the value itself, "
            "not a formatted string."
        )
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise AssertionError(
            f"{name} should be a single number; got {type(value).__name__} {_short(value)}."
        ) from None
    if not math.isfinite(number):
        raise AssertionError(f"{name} should be a finite number; got {number}.")
    return number


def expect_close(
    name: str, value: Any, expected: float, *, tol: float = 1e-6, hint: str = ""
) -> None:
    """Asserts ``value`` is a number within ``tol`` of ``expected``.

    Args:
        name: What the value is, for the message.
        value: The learner's value.
        expected: The correct value.
        tol: Absolute tolerance.
        hint: A sentence added to the message when the value is wrong.

    Raises:
        AssertionError: If ``value`` is not a number or is further than ``tol`` from
            ``expected``; the message shows both and by how much they differ.

    Example:

    >>> from course_utils.grading import expect_close
    >>> expect_close("gap", 0.2500001, 0.25, tol=1e-4)
    """
    got = expect_number(name, value)
    if abs(got - expected) > tol:
        extra = f" {hint}" if hint else ""
        raise AssertionError(
            f"{name} is {got:.6g} but should be {expected:.6g} (off by {got - expected:+.3g}).{extra}"
        )


def expect_choice(name: str, value: Any, choices: Iterable[str]) -> str:
    """Asserts that ``value`` is one of ``choices`` (case and surrounding spaces ignored).

    Args:
        name: What the value is, for the message.
        value: The learner's answer.
        choices: The allowed answers.

    Returns:
        The matching choice, in its canonical spelling.

    Raises:
        AssertionError: If ``value`` is not a string or not one of ``choices``.

    Example:

    >>> from course_utils.grading import expect_choice
    >>> expect_choice("diagnosis", " Overfitting", ["underfitting", "overfitting", "good fit"])
    'overfitting'
    """
    options = list(choices)
    if not isinstance(value, str):
        raise AssertionError(f"{name} should be one of {options}; got {_short(value)}.")
    for option in options:
        if value.strip().lower() == option.lower():
            return option
    raise AssertionError(f"{name} is {value!r}, which is not one of {options}.")


