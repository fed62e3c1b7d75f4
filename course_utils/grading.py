"""Helpers for the exercise checks: test functions that explain what is wrong.

The "Your turn" tests call these instead of bare ``assert`` so that a learner reads, for
example, "gap_at_end(...) returned None: your function does not return anything yet" rather
than an ``AssertionError`` with no message.

A value the learner has not filled in yet (still ``...``) gets the same sentence from every helper:
"<name> is not answered yet: replace the `...` with <what>." (:func:`not_answered`). A multi-part
answer (a dict of answers) is checked with :func:`expect_each` / :func:`expect_choices`, which name
every invalid part in one message instead of stopping at the first.

:class:`Notebook` is otter's ``Notebook`` whose ``check`` returns a :class:`CheckResult`: a one-line
verdict, then the message of each failed test (never the test's source), wrapped at word boundaries.
"""

from __future__ import annotations

import html
import math
import os
import re
import sys
import textwrap
import traceback
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import otter

__all__ = [
    "CheckResult",
    "Notebook",
    "call_student",
    "expect_all",
    "expect_allclose",
    "expect_answered",
    "expect_array",
    "expect_at_least",
    "expect_choice",
    "expect_choices",
    "expect_close",
    "expect_each",
    "expect_keys",
    "expect_number",
    "expect_values_at",
    "layer_kinds",
    "not_answered",
]


def _show_args(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    parts = [_short(a) for a in args] + [f"{k}={_short(v)}" for k, v in kwargs.items()]
    return ", ".join(parts)


def _short(value: Any, limit: int = 60) -> str:
    text = "`...`" if value is Ellipsis else re.sub(r"\bEllipsis\b", "...", repr(value))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def not_answered(name: str, what: str = "your answer") -> str:
    """The sentence every helper uses for a value that is still ``...``.

    Args:
        name: What the value is, e.g. ``"answers['c1']"``.
        what: What should replace the ``...``, e.g. ``"one of ['a', 'b', 'c']"``.

    Returns:
        ``"<name> is not answered yet: replace the `...` with <what>."``

    Example:

    >>> from course_utils.grading import not_answered
    >>> not_answered("best_rate")
    'best_rate is not answered yet: replace the `...` with your answer.'
    """
    return f"{name} is not answered yet: replace the `...` with {what}."


def expect_answered(name: str, value: Any, what: str = "your answer") -> Any:
    """Asserts that ``value`` is not still ``...`` (the placeholder of an exercise cell).

    Args:
        name: What the value is, for the message.
        value: The learner's value.
        what: What should replace the ``...``, for the message.

    Returns:
        ``value``, unchanged.

    Raises:
        AssertionError: If ``value`` is ``...``, with the :func:`not_answered` sentence.

    Example:

    >>> from course_utils.grading import expect_answered
    >>> expect_answered("best_rate", 0.5)
    0.5
    """
    if value is Ellipsis:
        raise AssertionError(not_answered(name, what))
    return value


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
    if fn is Ellipsis:
        raise AssertionError(
            f"`{name}` is not answered yet, so it is not a function yet: replace the `...` with "
            f"`def {name}(...):` in the exercise cell, and run that cell before checking."
        )
    if fn is None or not callable(fn):
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
    expect_answered(name, value)
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
            f"{name} should be a single number; it is {type(value).__name__} {_short(value)}."
        ) from None
    if not math.isfinite(number):
        raise AssertionError(f"{name} should be a finite number; it is {number}.")
    return number


def expect_close(name: str, value: Any, expected: float, *, tol: float = 1e-6, hint: str = "") -> None:
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


def _choice_what(options: list[str]) -> str:
    return f"your answer; it should be one of {options}"


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
    expect_answered(name, value, _choice_what(options))
    if not isinstance(value, str):
        raise AssertionError(f"{name} should be one of {options}; it is {_short(value)}.")
    for option in options:
        if value.strip().lower() == option.lower():
            return option
    raise AssertionError(f"{name} is {value!r}, which is not one of {options}.")


# ---- helpers for the capstone (lesson 10): arrays, step-by-step values, thresholds, dicts, layers ----


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
    expect_answered(name, value)
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise AssertionError(
            f"{name} should be a numeric array; it is {type(value).__name__} {_short(value)}."
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


def _expect_a_filled_dict(name: str, mapping: Any, wanted: list[Any]) -> None:
    """Raises the learner-facing message when ``mapping`` is unanswered, not a dict, or empty."""
    expect_answered(name, mapping, f"a dict with the keys {wanted}")
    if not isinstance(mapping, dict):
        raise AssertionError(
            f"{name} should be a dict with the keys {wanted}; it is {type(mapping).__name__} {_short(mapping)}."  # noqa: E501
        )
    if not mapping and wanted:
        raise AssertionError(f"{name} is still empty: fill it in (it needs the keys {wanted}).")


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
    _expect_a_filled_dict(name, mapping, wanted)
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


# ---- multi-part answers: every invalid part named in one message ----


#: Separates the items of a message that names several problems. The message stays on one line, so
#: that every reader of otter's text (tools/grade.py's feedback, Gradescope) shows all of it; the
#: learner's display (:class:`CheckResult`) puts each item on a line of its own.
_ITEM = " \u2022 "


def _problem_list(header: Callable[[int], str], problems: list[str]) -> str:
    """One message for several problems: the problem itself if there is one, else a header and the
    items (a nested list's items are merged in, without its header)."""
    items: list[str] = []
    for problem in problems:
        problem = " ".join(problem.split("\n"))
        items.extend(problem.split(_ITEM)[1:] if _ITEM in problem else [problem])
    if len(items) == 1:
        return items[0]
    return header(len(items)) + "".join(_ITEM + item for item in items)


def expect_each(
    name: str,
    mapping: Any,
    keys: Iterable[Any],
    check: Callable[[str, Any], Any],
    *,
    what: str | Callable[[Any], str] = "your answer",
    exact: bool = True,
) -> dict[Any, Any]:
    """Checks every entry of a multi-part answer (a dict) and names every invalid one at once.

    Each entry ``mapping[key]`` is passed to ``check(label, value)`` with ``label`` like
    ``"answers['c1']"``; whatever ``AssertionError`` messages the entries raise are collected, so a
    learner with three invalid answers reads about all three in one go.

    Args:
        name: What the dict is, e.g. ``"answers"``.
        mapping: The learner's dict.
        keys: The keys it must have.
        check: Called as ``check(label, value)`` for each key present; raises ``AssertionError``
            with a message if the value is invalid, else returns the checked value.
        what: What should replace a ``...`` entry, for the "not answered yet" message (or a
            function ``key -> str``, when it differs from key to key).
        exact: If true, extra keys are a problem too (as in :func:`expect_keys`).

    Returns:
        ``{key: check(label, mapping[key])}`` for every key.

    Raises:
        AssertionError: If ``mapping`` is not a dict, lacks keys (or has extra ones when
            ``exact``), or some entries are invalid. The message names every problem: one
            problem is reported as it is, several as "<name> has N problems to fix:" followed by
            each (one line, items separated by " • "; the learner's display lists them).
            When every entry is still ``...`` it says so in one sentence.

    Example:

    >>> from course_utils.grading import expect_choice, expect_each
    >>> expect_each("answers", {"c1": "B", "c2": "a"}, ["c1", "c2"],
    ...             lambda label, v: expect_choice(label, v, ["a", "b"]))
    {'c1': 'b', 'c2': 'a'}
    """
    wanted = list(keys)
    _expect_a_filled_dict(name, mapping, wanted)
    present = [k for k in wanted if k in mapping]
    what_for = what if callable(what) else (lambda key: what)
    if wanted and len(present) == len(wanted) and all(mapping[k] is Ellipsis for k in wanted):
        labels = ", ".join(repr(k) for k in wanted)
        everywhere = what if isinstance(what, str) else "your answer"
        raise AssertionError(f"{name} is not answered yet: replace each `...` ({labels}) with {everywhere}.")

    problems: list[str] = []
    missing = [k for k in wanted if k not in mapping]
    extra = [k for k in mapping if k not in wanted] if exact else []
    if missing or extra:
        parts = ([f"missing {missing}"] if missing else []) + ([f"unexpected {extra}"] if extra else [])
        problems.append(
            f"{name} should have exactly the keys {wanted}: {'; '.join(parts)}."
            if exact
            else f"{name} lacks the keys {missing}."
        )
    results: dict[Any, Any] = {}
    for key in present:
        label = f"{name}[{key!r}]"
        try:
            results[key] = check(label, expect_answered(label, mapping[key], what_for(key)))
        except AssertionError as err:
            problems.append(str(err).strip())
    if problems:
        raise AssertionError(_problem_list(lambda n: f"{name} has {n} problems to fix:", problems))
    return results


def expect_choices(
    name: str,
    mapping: Any,
    choices: Iterable[str] | Mapping[Any, Iterable[str]],
    *,
    keys: Iterable[Any] | None = None,
    exact: bool = True,
) -> dict[Any, str]:
    """Checks a dict of multiple-choice answers; names every answer that is not one of its choices.

    Args:
        name: What the dict is, e.g. ``"answers"``.
        mapping: The learner's dict, e.g. ``{"c1": "b", "c2": ...}``.
        choices: The allowed answers, the same for every key, or a dict ``{key: allowed answers}``.
        keys: The keys the dict must have (default: the keys of ``choices`` when it is a dict).
        exact: If true, extra keys are a problem too.

    Returns:
        ``{key: canonical choice}`` (as :func:`expect_choice` spells it).

    Raises:
        AssertionError: As :func:`expect_each`, with :func:`expect_choice`'s message per answer.

    Example:

    >>> from course_utils.grading import expect_choices
    >>> expect_choices("answers", {"c1": " B", "c2": "a"}, ["a", "b", "c"], keys=["c1", "c2"])
    {'c1': 'b', 'c2': 'a'}
    """
    per_key = isinstance(choices, Mapping)
    options_of: dict[Any, list[str]] = (
        {k: list(v) for k, v in choices.items()} if isinstance(choices, Mapping) else {}
    )
    shared: list[str] = [] if isinstance(choices, Mapping) else list(choices)
    if keys is None:
        if not per_key:
            raise TypeError("expect_choices needs `keys` when `choices` is a single list")
        keys = list(options_of)
    wanted = list(keys)
    key_of = {f"{name}[{k!r}]": k for k in wanted}
    what = (lambda key: _choice_what(options_of[key])) if per_key else _choice_what(shared)

    def check(label: str, value: Any) -> str:
        return expect_choice(label, value, options_of[key_of[label]] if per_key else shared)

    return expect_each(name, mapping, wanted, check, what=what, exact=exact)


def expect_all(*checks: Callable[[], Any]) -> list[Any]:
    """Runs several checks of one question and reports all their messages together.

    Args:
        *checks: Functions without arguments (e.g. ``lambda: expect_choice(...)``) that raise
            ``AssertionError`` with a message when something is wrong.

    Returns:
        What each check returned, in order.

    Raises:
        AssertionError: If any check failed; one failure is reported as it is, several as
            "N problems to fix:" followed by each message (a list's items merged in).

    Example:

    >>> from course_utils.grading import expect_all, expect_number
    >>> expect_all(lambda: expect_number("a", 1), lambda: expect_number("b", 2.5))
    [1.0, 2.5]
    """
    results: list[Any] = []
    problems: list[str] = []
    for check in checks:
        try:
            results.append(check())
        except AssertionError as err:
            results.append(None)
            problems.append(str(err).strip())
    if problems:
        raise AssertionError(_problem_list(lambda n: f"{n} problems to fix:", problems))
    return results


def _activation_kinds(activation: Any) -> list[str]:
    """The name of an activation function (or of a layer used as one); ``[]`` for ``linear``."""
    import keras

    if isinstance(activation, keras.layers.Layer):
        return _one_layer_kinds(activation)
    name = getattr(activation, "__name__", None) or type(activation).__name__
    return [] if name == "linear" else [name]


def _relu_kind(layer: Any) -> str:
    """``ReLU()`` with its defaults is ``"relu"``, like ``Activation("relu")``; else its settings."""
    slope = float(getattr(layer, "negative_slope", 0.0) or 0.0)
    threshold = float(getattr(layer, "threshold", 0.0) or 0.0)
    max_value = getattr(layer, "max_value", None)
    if max_value is None and slope == 0.0 and threshold == 0.0:
        return "relu"
    settings = [f"max_value={float(max_value):g}"] if max_value is not None else []
    settings += [f"negative_slope={slope:g}"] if slope else []
    settings += [f"threshold={threshold:g}"] if threshold else []
    return f"relu({', '.join(settings)})"


def _one_layer_kinds(layer: Any) -> list[str]:
    import keras

    layers = keras.layers
    if isinstance(layer, keras.Model):  # a model used as a block of a larger one
        return _model_kinds(layer)
    if isinstance(layer, layers.Dense):
        return ["dense" if layer.use_bias else "dense(no bias)", *_activation_kinds(layer.activation)]
    if isinstance(layer, layers.Activation):
        return _activation_kinds(layer.activation)
    if isinstance(layer, layers.ReLU):
        return [_relu_kind(layer)]
    if isinstance(layer, layers.LeakyReLU):
        return ["leaky_relu"]
    if isinstance(layer, layers.Softmax):
        return ["softmax"]
    if isinstance(layer, layers.ELU):
        return ["elu"]
    if isinstance(layer, layers.BatchNormalization):
        return ["batch_norm"]
    if isinstance(layer, layers.Dropout):
        return [f"dropout({float(layer.rate):g})"]
    if isinstance(layer, (layers.Flatten, layers.InputLayer, layers.Identity)):
        return []
    return [type(layer).__name__]


def _model_kinds(model: Any) -> list[str]:
    out: list[str] = []
    for layer in model.layers:
        out += _one_layer_kinds(layer)
    return out


def layer_kinds(model: Any) -> list[str]:
    """Describes a Keras model as the sequence of operations its layers apply, for messages.

    Two models that compute the same thing get the same description, however they were written:
    ``Sequential`` or functional, hand-written or from ``cu.build_mlp``, and whether an
    activation is an argument (``Dense(64, activation="relu")``), an ``Activation("relu")``
    layer or a ``ReLU()`` layer: each of these is ``"relu"``. ``Dense`` layers appear as
    ``"dense"`` (``"dense(no bias)"`` without a bias) followed by their activation when it is
    not linear; ``BatchNormalization`` as ``"batch_norm"``, ``Dropout(r)`` as ``"dropout(r)"``,
    ``Softmax()`` as ``"softmax"``, ``LeakyReLU`` as ``"leaky_relu"``, a ``ReLU`` with other
    settings by them (``"relu(max_value=6)"``), a model nested as a layer by its own layers, and
    any other layer by its class name. Input, ``Flatten`` and ``Identity`` layers are left out.

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
    >>> layer_kinds(keras.Sequential([keras.Input((4,)), keras.layers.Dense(3), keras.layers.ReLU()]))
    ['dense', 'relu']
    """
    import keras

    if model is Ellipsis:
        raise AssertionError(not_answered("the model", "a Keras model"))
    if model is None:
        raise AssertionError("Expected a Keras model, but it is None: does your function `return` the model?")
    if not isinstance(model, keras.Model):
        raise AssertionError(f"Expected a Keras model; got {type(model).__name__} {_short(model)}.")
    return _model_kinds(model)


# ---- what a learner sees after grader.check("q1") ----

_WRAP_STYLE = "white-space: pre-wrap; word-break: normal; overflow-wrap: break-word;"
_TEXT_WIDTH = 79


def _learner_frame(exc: BaseException, user_globals: dict[str, Any] | None) -> Any:
    """The outermost frame of ``exc``'s traceback that runs the learner's own code, if any."""
    for frame, _ in traceback.walk_tb(exc.__traceback__):
        if (user_globals is not None and frame.f_globals is user_globals) or frame.f_globals.get(
            "__name__"
        ) == "__main__":
            return frame
    return None


def _test_arguments(exc: BaseException, test_path: str | None) -> dict[str, Any]:
    """The arguments of the test function that ``exc`` went through (the names it took from the notebook)."""
    if not test_path:
        return {}
    wanted = os.path.normcase(os.path.normpath(test_path))
    for frame, _ in traceback.walk_tb(exc.__traceback__):
        if os.path.normcase(os.path.normpath(frame.f_code.co_filename)) == wanted:
            code = frame.f_code
            return {n: frame.f_locals.get(n) for n in code.co_varnames[: code.co_argcount]}
    return {}


def _describe_failure(
    exc: BaseException, user_globals: dict[str, Any] | None, test_path: str | None = None
) -> str:
    """The message a learner reads for one failed test case.

    An ``AssertionError`` raised by the test (or by a helper of this module) is the message the
    test wrote. Any other exception, or an assertion in the learner's own code, is shown as
    "<Type>: <message>" and where it was raised; never the test's source or a traceback. When the
    test's own code failed on a name that is still ``...`` (or not defined), that is what it says.
    """
    learner = _learner_frame(exc, user_globals)
    if learner is None and not isinstance(exc, AssertionError):
        arguments = {k: v for k, v in _test_arguments(exc, test_path).items() if k != "env"}
        unanswered = [not_answered(f"`{k}`") for k, v in arguments.items() if v is Ellipsis]
        undefined = [
            f"`{k}` is not defined yet: run the cell that defines it, then check again."
            for k in arguments
            if user_globals is not None and k not in user_globals
        ]
        if unanswered or undefined:
            return " ".join(unanswered + undefined)
    if isinstance(exc, AssertionError) and learner is None:
        text = str(exc).strip()
        return text or "A test failed without saying why (its check has no message)."
    detail = str(exc).strip()
    head = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
    if learner is not None:
        where = (
            "your code"
            if learner.f_code.co_name in ("<module>", "<lambda>")
            else (f"your function `{learner.f_code.co_name}`")
        )
        return f"{head} (raised inside {where}). Fix the error, re-run its cell, then check again."
    return (
        f"{head} (raised while the test was using your answer). Check that your answer has the "
        "type and shape the exercise asks for, re-run its cell, then check again."
    )


def _message_from_otter(message: str | None) -> str:
    """Fallback: the learner's part of otter's message, without the header and the test's source line."""
    lines = (message or "").strip().splitlines()
    if lines and "Test case failed" in lines[0]:
        lines = lines[1:]
    if lines and lines[0].startswith("Error at line "):
        lines = lines[2:]  # the header and the one source line otter quotes (context 0)
    text = "\n".join(lines).strip()
    if text.startswith("AssertionError: ") or text == "AssertionError":
        text = text[len("AssertionError: ") :].strip()
    return text or "A test failed without saying why (its check has no message)."


class _FailureRecorder:
    """While active, notes the learner-facing message of each exception otter catches in a test.

    otter's ``ExceptionTestFile.run`` turns each failure into "Error at line N in test ..." plus the
    test's source line; this keeps otter's message as it is (its logs and grading use it) and only
    records, in order, what the learner should read instead.
    """

    def __init__(self, user_globals: dict[str, Any] | None) -> None:
        self.user_globals = user_globals
        self.messages: list[str | None] = []
        self._original: Any = None

    def __enter__(self) -> _FailureRecorder:
        from otter.test_files import ExceptionTestFile

        self._original = ExceptionTestFile.__dict__.get("_generate_error_message")
        original, recorder = self._original, self
        if original is None:  # another otter version: fall back to parsing its messages
            return self

        def generate(test_file: Any, excp: Exception, *args: Any, **kwargs: Any) -> str:
            try:
                recorder.messages.append(
                    _describe_failure(excp, recorder.user_globals, getattr(test_file, "path", None))
                )
            except Exception:  # noqa: BLE001 - never let the feedback break otter's own message
                recorder.messages.append(None)
            return original(test_file, excp, *args, **kwargs)

        ExceptionTestFile._generate_error_message = generate
        return self

    def __exit__(self, *exc_info: Any) -> None:
        from otter.test_files import ExceptionTestFile

        if self._original is not None:
            ExceptionTestFile._generate_error_message = self._original


class CheckResult:
    """The result of ``grader.check(question)``, displayed for a learner.

    It shows a one-line verdict ("q1_gap: all tests passed (2/2)" or "q1_gap: 1 of 2 tests
    failed"), then, for each failed test, only its message: no test source, no otter "Error at line"
    header, no traceback. As HTML the text wraps at word boundaries. Every other attribute
    (``grade``, ``score``, ``possible``, ``passed_all``, ``test_case_results``, ``to_dict()``...)
    is the one of otter's ``TestFile`` that ran the tests, kept in :attr:`test_file`.

    Args:
        test_file: The otter ``TestFile`` after it ran.
        messages: For each failed test case, in order, the message to show (``None``: derive it from
            otter's message).
    """

    def __init__(self, test_file: Any, messages: list[str | None] | None = None) -> None:
        self.test_file = test_file
        failed = [tcr for tcr in test_file.test_case_results if not tcr.passed]
        given = list(messages or [])
        if len(given) != len(failed):  # something else failed the test file: trust otter's text
            given = [None] * len(failed)
        self.failures: list[tuple[Any, str]] = []
        for tcr, text in zip(failed, given):
            text = text or _message_from_otter(tcr.message)
            extra = getattr(tcr.test_case, "failure_message", None)
            self.failures.append((tcr, f"{text}\n{extra}" if extra else text))

    def __getattr__(self, attr: str) -> Any:
        test_file = self.__dict__.get("test_file")
        if test_file is None or attr.startswith("__"):
            raise AttributeError(attr)
        return getattr(test_file, attr)

    def passed_all_tests(self) -> bool:
        """Whether every test case of the question passed (otter's ``passed_all``)."""
        return bool(self.test_file.passed_all)

    def _cases(self, public_only: bool) -> tuple[list[Any], list[tuple[Any, str]]]:
        results = list(self.test_file.test_case_results)
        failures = self.failures
        if public_only:
            results = [r for r in results if not r.test_case.hidden]
            failures = [(r, m) for r, m in failures if not r.test_case.hidden]
        return results, failures

    def verdict(self, public_only: bool = False) -> str:
        """The first line: "<question>: all tests passed (n/n)" or "<question>: k of n tests failed"."""
        results, failures = self._cases(public_only)
        n = len(results)
        if not failures:
            return f"{self.test_file.name}: all tests passed ({n}/{n})"
        return f"{self.test_file.name}: {len(failures)} of {n} test{'s' if n != 1 else ''} failed"

    def _success_messages(self, public_only: bool) -> list[str]:
        results, _ = self._cases(public_only)
        return [
            r.test_case.success_message
            for r in results
            if r.passed and getattr(r.test_case, "success_message", None)
        ]

    def messages(self, public_only: bool = False) -> list[str]:
        """The messages shown under the verdict, in order; one message failed by several tests once."""
        _, failures = self._cases(public_only)
        counts: dict[str, int] = {}
        for _, message in failures:
            counts[message] = counts.get(message, 0) + 1
        shown = self._success_messages(public_only)
        for message, count in counts.items():
            shown.append(message if count == 1 else f"{message}\n({count} tests fail with this message.)")
        return shown

    def summary(self, public_only: bool = False) -> str:
        """The plain-text feedback (what ``repr`` shows), wrapped at word boundaries."""
        return "\n\n".join([self.verdict(public_only)] + [_wrap_text(m) for m in self.messages(public_only)])

    def __repr__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        _, failures = self._cases(False)
        ok = not failures
        color = "var(--jp-success-color1, #2e7d32)" if ok else "var(--jp-error-color1, #c62828)"
        parts = [
            f'<div class="course-check" style="{_WRAP_STYLE} line-height: 1.45;">',
            f'<div style="{_WRAP_STYLE} font-weight: bold; color: {color}; margin: 0 0 0.4em 0;">'
            f"{_html_text(self.verdict())}</div>",
        ]
        block = (
            f'<div style="{_WRAP_STYLE} margin: 0 0 0.5em 0; padding: 0.1em 0 0.1em 0.7em; '
            'border-left: 3px solid {};">{}</div>'
        )
        for message in self.messages():
            parts.append(block.format(color, _html_text(message)))
        parts.append("</div>")
        return "".join(parts)


def _as_list(text: str) -> str:
    """A message naming several problems, with each on a line of its own."""
    return text.replace(_ITEM, "\n\u2022 ")


def _html_text(text: str) -> str:
    """Escaped text for the HTML display; `code` spans become <code> (wrapping like the text)."""
    escaped = html.escape(_as_list(text), quote=True)
    return re.sub(r"`([^`\n]+)`", rf'<code style="{_WRAP_STYLE}">\1</code>', escaped)


def _wrap_text(text: str, width: int = _TEXT_WIDTH) -> str:
    """Wrap each line at word boundaries (never inside a word); list items get a hanging indent."""
    out: list[str] = []
    for line in _as_list(text).splitlines() or [""]:
        stripped = line.lstrip(" ")
        lead = line[: len(line) - len(stripped)]
        hang = lead + ("  " if stripped.startswith(("- ", "\u2022 ")) else "")
        out.append(
            textwrap.fill(
                line, width=width, subsequent_indent=hang, break_long_words=False, break_on_hyphens=False
            )
            if line.strip()
            else ""
        )
    return "\n".join(out)


class Notebook(otter.Notebook):
    """otter's ``Notebook`` (``grader.check("q1")``) with feedback that a learner reads first.

    ``check`` runs the tests exactly as otter does (same logging, same results tracked while
    grading) and returns a :class:`CheckResult`: a one-line verdict, then the message of each
    failed test, without the test's source or otter's "Error at line" header, wrapped at word
    boundaries.

    Args:
        nb_path: The notebook's file name, as for ``otter.Notebook``.
        **kwargs: Passed on to ``otter.Notebook``.

    Example:

    >>> from course_utils.grading import Notebook
    >>> grader = Notebook("01_overfitting.ipynb")  # doctest: +SKIP
    >>> grader.check("q1_gap")  # doctest: +SKIP
    q1_gap: 1 of 2 tests failed
    <BLANKLINE>
    generalization_gap(h) is 0.05 but should be 0.14 (off by -0.09). Use the values of the LAST
    epoch: training minus validation accuracy.
    """

    def check(self, question: str, global_env: dict[str, Any] | None = None) -> CheckResult:
        """Runs the tests of ``question`` against ``global_env`` (default: the caller's globals).

        Args:
            question: The question's name, e.g. ``"q1_gap"``.
            global_env: The names the tests use; by default the globals of the calling cell.

        Returns:
            A :class:`CheckResult` wrapping otter's ``TestFile``.
        """
        if global_env is None:
            global_env = sys._getframe(1).f_globals
        with _FailureRecorder(global_env) as recorder:
            test_file = super().check(question, global_env)
        return CheckResult(test_file, recorder.messages)
