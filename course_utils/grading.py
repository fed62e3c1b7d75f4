"""Helpers for the exercise checks: test functions that explain what is wrong.

The "Your turn" tests call these instead of bare ``assert`` so that a learner reads, for
example, "gap_at_end(...) returned None: your function does not return anything yet" rather
than an ``AssertionError`` with no message.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import otter

__all__ = [
    "Notebook",
    "call_student",
    "expect_allclose",
    "expect_array",
    "expect_at_least",
    "expect_choice",
    "expect_close",
    "expect_keys",
    "expect_number",
    "expect_values_at",
    "layer_kinds",
]


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




# ---- helpers for the capstone (lesson 09): arrays, step-by-step values, thresholds, dicts, layers ----


def expect_array(name: str, value: Any, *, shape: tuple[int, ...] | None = None) -> Any:
    """Asserts that ``value`` is a finite numeric array (of ``shape``, if given) and returns it.

    Args:
        name: What the value is, for the message.
        value: The learner's value (a NumPy array, a list, a scalar, a tensor...).
        shape: The shape it must have; ``None`` accepts any shape.

    Returns:
        ``value`` as a ``float64`` NumPy array.

    Raises:
        AssertionError: If ``value`` is ``None`` or ``...``, not numeric, has the wrong shape
            (the message shows both shapes) or contains NaN or infinity.

    Example:

    >>> from course_utils.grading import expect_array
    >>> expect_array("w", [[1.0, 2.0]], shape=(1, 2)).shape
    (1, 2)
    """
    import numpy as np

    if value is None:
        raise AssertionError(f"{name} is None: does your function `return` its result?")
    if value is Ellipsis:
        raise AssertionError(f"{name} is still `...`: replace it with your answer.")
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise AssertionError(
            f"{name} should be a numeric array; got {type(value).__name__} {_short(value)}."
        ) from None
    if shape is not None and array.shape != tuple(shape):
        raise AssertionError(
            f"{name} has the wrong shape: {array.shape} instead of {tuple(shape)}. "
            "Element-wise operations keep the shape of the weights; check for a stray sum, "
            "mean or transpose."
        )
    if not np.all(np.isfinite(array)):
        raise AssertionError(f"{name} contains NaN or infinity: {_short(array.tolist())}.")
    return array


def expect_allclose(
    name: str,
    value: Any,
    expected: Any,
    *,
    rtol: float = 1e-5,
    atol: float = 1e-8,
    hint: str = "",
) -> None:
    """Asserts that the array ``value`` has ``expected``'s shape and values (within tolerance).

    Args:
        name: What the value is, for the message.
        value: The learner's array.
        expected: The correct array.
        rtol: Relative tolerance (as in ``numpy.allclose``).
        atol: Absolute tolerance.
        hint: A sentence added to the message when a value is wrong.

    Raises:
        AssertionError: If the shape differs, or an entry is off; the message names the first
            wrong entry, its value and the expected one.

    Example:

    >>> from course_utils.grading import expect_allclose
    >>> expect_allclose("w", [1.0, 2.0000001], [1.0, 2.0])
    """
    import numpy as np

    want = np.asarray(expected, dtype=np.float64)
    got = expect_array(name, value, shape=want.shape)
    bad = ~np.isclose(got, want, rtol=rtol, atol=atol)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        where = f"{name}[{', '.join(map(str, index))}]" if index else name
        extra = f" {hint}" if hint else ""
        raise AssertionError(
            f"{where} is {got[index]:.6g} but should be {want[index]:.6g} "
            f"({int(bad.sum())} of {bad.size} entries are wrong).{extra}"
        )


def expect_values_at(
    name: str,
    values: Any,
    expected: Any,
    *,
    steps: Iterable[int] | None = None,
    rtol: float = 1e-6,
    atol: float = 1e-12,
    hints: dict[str, str] | None = None,
    phase: Callable[[int], str] | None = None,
) -> None:
    """Compares a sequence of per-step values with the expected ones; names the first wrong step.

    Args:
        name: What the values are, e.g. ``"warmup_cosine(step, ...)"``: ``step`` in the name is
            replaced by the step number in the message.
        values: The learner's value at each step (numbers).
        expected: The correct value at each step.
        steps: The step numbers (default ``0, 1, 2, ...``).
        rtol: Relative tolerance.
        atol: Absolute tolerance.
        hints: Extra sentences keyed by the phase that contains the wrong step.
        phase: A function ``step -> str`` naming the phase of a step (e.g. ``"warm-up"``), shown
            in the message and used to pick the hint.

    Raises:
        AssertionError: If the lengths differ or a value is wrong: "... at step k is x but should
            be y".

    Example:

    >>> from course_utils.grading import expect_values_at
    >>> expect_values_at("lr(step)", [0.1, 0.05], [0.1, 0.05])
    """
    got = list(values)
    want = list(expected)
    step_list = list(range(len(want))) if steps is None else list(steps)
    if len(got) != len(want):
        raise AssertionError(f"{name}: expected {len(want)} values, got {len(got)}.")
    for step, g, w in zip(step_list, got, want):
        label = name.replace("step", str(step)) if "step" in name else f"{name} at step {step}"
        number = expect_number(label, g)
        if not math.isclose(number, float(w), rel_tol=rtol, abs_tol=atol):
            stage = phase(step) if phase is not None else None
            where = f" ({stage} phase)" if stage else ""
            extra = f" {hints[stage]}" if hints and stage in hints else ""
            raise AssertionError(
                f"Wrong value at step {step}: {label} is {number:.6g} but should be {float(w):.6g}"
                f"{where}.{extra}"
            )


def expect_at_least(name: str, value: Any, threshold: float, *, hint: str = "") -> float:
    """Asserts that ``value`` reaches ``threshold``; the message says by how much it missed.

    Args:
        name: What the value is, for the message.
        value: The learner's number.
        threshold: The smallest passing value.
        hint: A sentence added to the message when the threshold is missed.

    Returns:
        ``float(value)``.

    Raises:
        AssertionError: If ``value`` is not a number or is below ``threshold``.

    Example:

    >>> from course_utils.grading import expect_at_least
    >>> expect_at_least("validation accuracy", 0.9, 0.85)
    0.9
    """
    got = expect_number(name, value)
    if got < threshold:
        extra = f" {hint}" if hint else ""
        raise AssertionError(
            f"{name} is {got:.3f}, below the threshold {threshold:.3f}: missed by "
            f"{threshold - got:.3f}.{extra}"
        )
    return got


def expect_keys(name: str, mapping: Any, keys: Iterable[Any]) -> dict[Any, Any]:
    """Asserts that ``mapping`` is a dict with exactly ``keys``; names missing and extra keys.

    Args:
        name: What the dict is, for the message.
        mapping: The learner's value.
        keys: The keys it must have (order ignored).

    Returns:
        ``mapping`` (a dict).

    Raises:
        AssertionError: If it is not a dict, or its keys differ.

    Example:

    >>> from course_utils.grading import expect_keys
    >>> expect_keys("sweep", {0.0: 0.8, 0.5: 0.9}, [0.5, 0.0])
    {0.0: 0.8, 0.5: 0.9}
    """
    wanted = list(keys)
    if mapping is Ellipsis:
        raise AssertionError(f"{name} is still `...`: replace it with a dict.")
    if not isinstance(mapping, dict):
        raise AssertionError(f"{name} should be a dict with the keys {wanted}; got {type(mapping).__name__}.")
    missing = [k for k in wanted if k not in mapping]
    extra = [k for k in mapping if k not in wanted]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing {missing}")
        if extra:
            parts.append(f"unexpected {extra}")
        raise AssertionError(f"{name} should have exactly the keys {wanted}: {'; '.join(parts)}.")
    return mapping


def layer_kinds(model: Any) -> list[str]:
    """Describes a Keras model as the sequence of operations its layers apply, for messages.

    ``Dense`` layers appear as ``"dense"`` (``"dense(no bias)"`` without a bias) followed by
    their activation when it is not linear; ``Activation`` layers by the activation's name,
    ``BatchNormalization`` as ``"batch_norm"``, ``Dropout(r)`` as ``"dropout(r)"``. Input and
    ``Flatten`` layers are left out.

    Args:
        model: A Keras model (``Sequential`` or functional).

    Returns:
        A list of strings, e.g. ``["dense(no bias)", "batch_norm", "relu", "dense", "softmax"]``.

    Raises:
        AssertionError: If ``model`` is not a Keras model.

    Example:

    >>> import keras
    >>> from course_utils.grading import layer_kinds
    >>> m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="relu")])
    >>> layer_kinds(m)
    ['dense', 'relu']
    """
    import keras

    if not isinstance(model, keras.Model):
        raise AssertionError(f"Expected a Keras model; got {type(model).__name__} {_short(model)}.")
    out: list[str] = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.Dense):
            out.append("dense" if layer.use_bias else "dense(no bias)")
            act = getattr(layer.activation, "__name__", str(layer.activation))
            if act != "linear":
                out.append(act)
        elif isinstance(layer, keras.layers.Activation):
            out.append(getattr(layer.activation, "__name__", str(layer.activation)))
        elif isinstance(layer, keras.layers.BatchNormalization):
            out.append("batch_norm")
        elif isinstance(layer, keras.layers.Dropout):
            out.append(f"dropout({float(layer.rate):g})")
        elif isinstance(layer, (keras.layers.Flatten, keras.layers.InputLayer)):
            continue
        else:
            out.append(type(layer).__name__)
    return out


class Notebook(otter.Notebook):
    """otter's ``Notebook`` (``grader.check("q1")``) with feedback that a learner reads first.

    Args:
        nb_path: The notebook's file name, as for ``otter.Notebook``.
        **kwargs: Passed on to ``otter.Notebook``.

    Example:

    >>> from course_utils.grading import Notebook
    >>> grader = Notebook("01_overfitting.ipynb")  # doctest: +SKIP
    """
