"""Record the numbers a lesson measured, so the test suite can check its claims on the real run.

A lesson creates one :class:`LessonRecorder` and calls :meth:`LessonRecorder.record` next to the
``print`` that shows a number to the learner, :meth:`LessonRecorder.table` to show, record and
return a section's numbers in one call, and :meth:`LessonRecorder.claim` to state a claim next to
its measurement with the verdict the notebook computed (the results file lists every claim as
``{id, statement, holds, evidence}``, and the test suite asserts that each holds on the default
run). :func:`compare_over_seeds` turns a measurement repeated over several seeds into a
difference, its standard error and a verdict that is only given beyond twice that error.
When the environment variable
``COURSE_RESULTS_DIR`` is set (the course runner sets it), every record is also written, at once,
to ``$COURSE_RESULTS_DIR/<lesson>.results.json``, next to the executed notebook. In a learner's
own JupyterLab session nothing is written.
"""

from __future__ import annotations

import json
import math
import os
import platform
import tempfile
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "RESULTS_DIR_ENV",
    "Claim",
    "LessonRecorder",
    "Measurement",
    "SeedComparison",
    "accuracy_standard_error",
    "compare_on_seeds",
    "compare_over_seeds",
    "load_results",
    "wrap_line",
]

RESULTS_DIR_ENV = "COURSE_RESULTS_DIR"


def _jsonable(value: Any) -> Any:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if not math.isfinite(v):
            return str(v)
        return v
    if isinstance(value, str) or value is None:
        return value
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    raise TypeError(
        f"Cannot record a value of type {type(value).__name__}; record numbers, strings, booleans, "
        "or lists/dicts of them."
    )


CLAIM_WIDTH = 88
"""Printed claims are wrapped to this many characters."""


def wrap_line(text: str, indent: str = "", hanging: str = "    ") -> str:
    """Wraps one printed line at word boundaries, to :data:`CLAIM_WIDTH` characters.

    A notebook's output area breaks an over-long line wherever it runs out of room, mid-word
    included; this breaks it between words first. Words (numbers, hyphenated words) are never
    split.

    Args:
        text: The line.
        indent: Put before the first line.
        hanging: Put before every continuation line.

    Returns:
        The wrapped text, lines joined by ``"\\n"``.

    Example:

    >>> import course_utils as cu
    >>> print(cu.wrap_line("claim holds: " + "word " * 20, hanging="  "))
    claim holds: word word word word word word word word word word word word word word word
      word word word word word
    """
    wrapper = textwrap.TextWrapper(
        CLAIM_WIDTH,
        initial_indent=indent,
        subsequent_indent=hanging,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return wrapper.fill(text)


@dataclass(frozen=True)
class Claim:
    """A claim a lesson makes, with the verdict its own run computed.

    Attributes:
        id: A short stable name, e.g. ``"schedules_lower_training_loss"``.
        statement: The claim in words, as the lesson states it.
        holds: Whether this run's numbers bear it out.
        evidence: The numbers behind the verdict, in words.

    Example:

    >>> from course_utils import LessonRecorder
    >>> rec = LessonRecorder("demo", out_dir=None)
    >>> holds = rec.claim("gap", "The gap narrows.", True, "0.05 vs 0.20")  # prints the verdict
    claim holds: The gap narrows.
        evidence: 0.05 vs 0.20
    >>> rec.claims["gap"].as_dict()["holds"]
    True
    """

    id: str
    statement: str
    holds: bool
    evidence: str

    def __str__(self) -> str:
        verdict = "holds" if self.holds else "does NOT hold on this run"
        return "\n".join(
            [
                wrap_line(f"claim {verdict}: {self.statement}", hanging="    "),
                wrap_line(f"evidence: {self.evidence}", indent="    ", hanging="        "),
            ]
        )

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "statement": self.statement, "holds": self.holds, "evidence": self.evidence}


@dataclass(frozen=True)
class SeedComparison:
    """Two conditions measured on the same seeds: see :func:`compare_over_seeds`.

    Attributes:
        names: The two conditions' names ``(a, b)``.
        a, b: The measurements, one per seed, in seed order.
        difference: Mean over seeds of ``a - b`` (paired by seed).
        standard_error: Standard error of that mean (sample standard deviation of the paired
            differences over the square root of the number of seeds; 0 for one seed).
        higher_is_better: Whether a larger value is the better one.

    Example:

    >>> from course_utils import compare_over_seeds
    >>> c = compare_over_seeds([0.10, 0.11, 0.12], [0.20, 0.22, 0.21], names=("cosine", "constant"),
    ...                        higher_is_better=False)
    >>> c.winner, round(c.difference, 3), c.clear, c.close_call
    ('cosine', -0.1, True, False)
    """

    names: tuple[str, str]
    a: tuple[float, ...]
    b: tuple[float, ...]
    difference: float
    standard_error: float
    higher_is_better: bool

    @property
    def seeds(self) -> int:
        return len(self.a)

    @property
    def clear(self) -> bool:
        """Whether the difference exceeds twice its standard error (over at least 3 seeds)."""
        return self.seeds >= 3 and abs(self.difference) > 2 * self.standard_error

    @property
    def close_call(self) -> bool:
        """Whether the difference is within three standard errors: too close for a few seeds to
        decide, so the course measures such a comparison on more seeds (5 rather than 3)."""
        return abs(self.difference) <= 3 * self.standard_error

    @property
    def winner(self) -> str | None:
        """The better condition's name when the difference is :attr:`clear`, else ``None``."""
        if not self.clear:
            return None
        a_better = (self.difference > 0) == self.higher_is_better
        return self.names[0] if a_better else self.names[1]

    def verdict(self) -> str:
        """``"<a> is better"``, ``"<b> is better"`` or ``"no measurable difference"``."""
        return f"{self.winner} is better" if self.winner else "no measurable difference"

    def __str__(self) -> str:
        a, b = np.asarray(self.a), np.asarray(self.b)
        spread = lambda v: f"{v.mean():.4g} ± {v.std(ddof=1) if len(v) > 1 else 0.0:.2g}"  # noqa: E731
        return (
            f"{self.names[0]} {spread(a)} vs {self.names[1]} {spread(b)} over {self.seeds} seeds: "
            f"difference {self.difference:+.4g} ± {self.standard_error:.2g} (SE): {self.verdict()}"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "names": list(self.names),
            "a": list(self.a),
            "b": list(self.b),
            "difference": self.difference,
            "standard_error": self.standard_error,
            "clear": self.clear,
            "winner": self.winner,
        }


def compare_over_seeds(
    a: Sequence[float],
    b: Sequence[float],
    *,
    names: tuple[str, str] = ("a", "b"),
    higher_is_better: bool = True,
) -> SeedComparison:
    """Compares two conditions measured on the same seeds (``a[i]`` and ``b[i]`` on seed ``i``).

    The verdict names a winner only when the mean paired difference exceeds twice its standard
    error over at least 3 seeds; otherwise it is "no measurable difference".

    Args:
        a, b: One measurement per seed for each condition (same length, at least 1).
        names: The conditions' names, used in the verdict.
        higher_is_better: ``True`` for accuracies, ``False`` for losses.

    Returns:
        A :class:`SeedComparison`.

    Raises:
        ValueError: If ``a`` and ``b`` are empty, differ in length or hold a non-finite value.

    Example:

    >>> from course_utils import compare_over_seeds
    >>> c = compare_over_seeds([0.91, 0.92, 0.90], [0.85, 0.86, 0.86], names=("dropout", "baseline"))
    >>> c.verdict()
    'dropout is better'
    """
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if x.ndim != 1 or x.shape != y.shape or len(x) == 0:
        raise ValueError(
            "`a` and `b` must be two equally long, non-empty lists of one value per "
            f"seed. Received lengths {np.size(x)} and {np.size(y)}"
        )
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError(
            f"Every measurement must be a finite number. Received: a={x.tolist()}, b={y.tolist()}. "
            "A nan or inf usually means a run diverged: lower its learning rate (or clip its "
            "gradients) and run the cell again."
        )
    d = x - y
    se = float(d.std(ddof=1) / np.sqrt(len(d))) if len(d) > 1 else 0.0
    return SeedComparison(
        names=(str(names[0]), str(names[1])),
        a=tuple(x.tolist()),
        b=tuple(y.tolist()),
        difference=float(d.mean()),
        standard_error=se,
        higher_is_better=bool(higher_is_better),
    )


Measurement = Mapping[str, tuple[float, float, bool]]
"""What a lesson measures on one seed for :func:`compare_on_seeds`: comparison label ->
``(value of A, value of B, whether a higher value is the better one)``."""


def compare_on_seeds(
    measure: Callable[[int], Measurement],
    *,
    seed: int,
    seeds: int = 3,
    close_call_seeds: int = 5,
) -> dict[str, SeedComparison]:
    """Repeats a measurement on several seeds and compares A with B seed by seed, with the
    course's close-call rule.

    ``measure(s)`` trains and measures on seed ``s`` and returns, per comparison, the values of
    A and B on that seed. It is called once for each of the seeds ``seed, seed + 1, ...,
    seed + seeds - 1``. When any comparison is a close call there (a difference within three
    standard errors, :attr:`SeedComparison.close_call`), every comparison is measured on
    ``close_call_seeds`` seeds instead, and a line says which comparisons were close. Each seed
    is measured once: the extra seeds only add to the first ones.

    Args:
        measure: Seed -> {label: (a, b, higher_is_better)}; the same labels on every seed.
        seed: The first seed (the lesson's ``SEED``).
        seeds: How many seeds every comparison gets (at least 1).
        close_call_seeds: How many seeds when one is a close call (no more seeds if it is not
            larger than ``seeds``).

    Returns:
        Label -> :class:`SeedComparison` (A against B, names ``("A", "B")``), in ``measure``'s order.

    Raises:
        ValueError: If a count is not a positive integer, ``measure`` returns different labels
            on different seeds, or a value that is not finite (a diverged run): the message names
            the comparison and the seed.

    Example:

    >>> from course_utils import compare_on_seeds
    >>> c = compare_on_seeds(lambda s: {"loss: A=cosine B=constant": (0.10 + s / 100, 0.30, False)},
    ...                      seed=0, seeds=3)
    >>> c["loss: A=cosine B=constant"].verdict()
    'A is better'
    """
    from ._validation import check_positive_int

    first = check_positive_int("seeds", seeds)
    more = check_positive_int("close_call_seeds", close_call_seeds)
    measured: dict[int, Measurement] = {}

    def over(count: int) -> dict[str, SeedComparison]:
        for s in range(seed, seed + count):
            if s not in measured:
                measured[s] = measure(s)
                if list(measured[s]) != list(measured[seed]):
                    raise ValueError(
                        f"`measure` returned other comparisons on seed {s} ({list(measured[s])}) "
                        f"than on seed {seed} ({list(measured[seed])}): return the same labels on every seed."
                    )
                for label, (a, b, _) in measured[s].items():
                    if not (np.isfinite(float(a)) and np.isfinite(float(b))):
                        raise ValueError(
                            f"{label!r} measured A={float(a)} and B={float(b)} on seed {s}: every value must "
                            "be a finite number. A nan or inf usually means that run diverged: lower its "
                            "learning rate (or clip its gradients) and run the cell again."
                        )
        rows = [measured[s] for s in range(seed, seed + count)]
        return {
            label: compare_over_seeds(
                [r[label][0] for r in rows],
                [r[label][1] for r in rows],
                names=("A", "B"),
                higher_is_better=bool(rows[0][label][2]),
            )
            for label in rows[0]
        }

    compared = over(first)
    close = [label for label, c in compared.items() if c.close_call]
    if close and more > first:
        print(
            wrap_line(
                f"within 3 standard errors at {first} seeds: {'; '.join(close)}. "
                f"Every comparison is measured on {more} seeds."
            )
        )
        compared = over(more)
    return compared


def accuracy_standard_error(accuracy: float, n: int) -> float:
    """Standard error of an accuracy measured on ``n`` independent examples.

    An accuracy ``p`` counted on ``n`` images is a mean of ``n`` right-or-wrong outcomes, so its
    standard error is ``sqrt(p (1 - p) / n)``: at most ``0.5 / sqrt(n)`` (at ``p = 0.5``), and
    smaller near 0 or 1. A lesson computes it at the accuracy it measured, never at a value
    written into the prose, so that it stays right on another dataset or seed.

    Args:
        accuracy: The measured accuracy, in ``[0, 1]``.
        n: The number of examples it was measured on (a positive integer).

    Returns:
        The standard error, as a float.

    Raises:
        ValueError: If ``accuracy`` is not a number in ``[0, 1]`` or ``n`` is not a positive integer.

    Example:

    >>> from course_utils import accuracy_standard_error
    >>> round(accuracy_standard_error(0.9, 400), 4)
    0.015
    """
    from ._validation import check_fraction, check_positive_int

    p, n = check_fraction("accuracy", accuracy), check_positive_int("n", n)
    return float(np.sqrt(p * (1.0 - p) / n))


def _format_cell(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return f"{v:.3g}" if v != 0 and (abs(v) < 1e-3 or abs(v) >= 1e5) else f"{v:.4f}"
    return str(value)


TABLE_WIDTH = 100
"""A printed table wider than this is shown as blocks of columns, each repeating the row names
(JupyterLab's output area fits about 107 characters at 1280 pixels and wraps longer lines)."""


def _render_table(
    rows: Mapping[str, Mapping[str, Any]],
    shown: Sequence[str],
    title: str | None,
    headers: Sequence[str] | None = None,
) -> str:
    cells = [[_format_cell(row.get(c, "")) for c in shown] for row in rows.values()]
    names = [str(n) for n in rows]
    name_w = max(len(n) for n in names)
    shown = list(headers) if headers is not None else list(shown)
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(shown)]
    blocks: list[list[int]] = [[]]
    used = name_w
    for i, w in enumerate(widths):
        if blocks[-1] and used + 2 + w > TABLE_WIDTH:
            blocks.append([])
            used = name_w
        blocks[-1].append(i)
        used += 2 + w
    lines = [title] if title else []
    for n, block in enumerate(blocks):
        if n:
            lines.append("")
        lines.append(" " * name_w + "".join(f"  {shown[i]:>{widths[i]}}" for i in block))
        for name, row in zip(names, cells):
            lines.append(f"{name:<{name_w}}" + "".join(f"  {row[i]:>{widths[i]}}" for i in block))
    return "\n".join(lines)


_PLAIN = (bool, int, float, str, type(None), tuple, list, np.integer, np.floating)


def _parameters_of(parameters: Mapping[str, Any]) -> dict[str, Any]:
    """A dict as it is; a module namespace (``globals()``) as its upper-case plain-valued names."""
    if "__name__" not in parameters:
        return dict(parameters)
    return {
        name: value
        for name, value in parameters.items()
        if name.isupper() and not name.startswith("_") and isinstance(value, _PLAIN)
    }


class LessonRecorder:
    """Collects a lesson's measured numbers and (optionally) saves them as JSON.

    Args:
        lesson: The lesson's name, e.g. ``"01_overfitting"``; it names the JSON file.
        parameters: The values of the notebook's parameters cell, saved alongside: a dict, or
            the notebook's ``globals()`` right after its parameters cell, of which the upper-case
            names holding plain values (numbers, strings, booleans, ``None``, tuples and lists:
            the course's parameters cells) are kept, papermill's injected values included.
        out_dir: Folder to write to; defaults to ``$COURSE_RESULTS_DIR`` (nothing is written
            when neither is set).

    Raises:
        ValueError: If ``lesson`` is empty or contains a path separator.

    Example:

    >>> from course_utils import LessonRecorder
    >>> rec = LessonRecorder("01_overfitting", out_dir=None)
    >>> rec.record("final_train_accuracy", 0.995)
    0.995
    >>> rec["final_train_accuracy"]
    0.995
    >>> notebook = {"__name__": "__main__", "SEED": 0, "EPOCHS": 10, "helper": print}  # globals()
    >>> LessonRecorder("01_overfitting", parameters=notebook, out_dir=None).parameters
    {'SEED': 0, 'EPOCHS': 10}
    """

    def __init__(
        self,
        lesson: str,
        parameters: Mapping[str, Any] | None = None,
        out_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        if not lesson or any(sep in lesson for sep in ("/", "\\")):
            raise ValueError(f"`lesson` must be a plain name such as '01_overfitting'. Received: {lesson!r}")
        self.lesson = lesson
        self.parameters = _jsonable(_parameters_of(parameters or {}))
        directory = out_dir if out_dir is not None else os.environ.get(RESULTS_DIR_ENV)
        self.path: Path | None = Path(directory) / f"{lesson}.results.json" if directory else None
        self.values: dict[str, Any] = {}
        self.claims: dict[str, Claim] = {}

    def record(self, key: str, value: Any) -> Any:
        """Stores ``value`` under ``key`` (and saves the file, if any); returns ``value``.

        Args:
            key: A name for the measurement, e.g. ``"baseline.gap"``.
            value: A number, string, boolean, or a list/dict of them (NumPy types are fine).

        Returns:
            ``value``, unchanged, so the call can wrap an expression.

        Raises:
            TypeError: If ``value`` cannot be stored as JSON.
        """
        self.values[str(key)] = _jsonable(value)
        self.save()
        return value

    def table(
        self,
        key: str,
        rows: Mapping[str, Mapping[str, Any]],
        *,
        title: str | None = None,
        columns: Sequence[str] | Mapping[str, str] | None = None,
    ) -> Mapping[str, Mapping[str, Any]]:
        """Shows a section's numbers as one table, records them under ``key``, returns them.

        A table wider than :data:`TABLE_WIDTH` characters is printed as blocks of columns, one
        under the other, each repeating the row names (as pandas prints a wide frame).

        Args:
            key: The name to record the table under.
            rows: Row name -> {column name -> value}.
            title: A line printed above the table.
            columns: The columns to show, in order (default: every column, in first-seen order);
                a mapping shows its keys' columns under its values as headers, e.g.
                ``{"val_accuracy": "val acc"}``. Every column is recorded either way, under its key.

        Returns:
            ``rows``, unchanged.

        Raises:
            TypeError: If a value cannot be stored as JSON.
            ValueError: If ``rows`` is empty.

        Example:

        >>> rec = LessonRecorder("demo", out_dir=None)
        >>> _ = rec.table("runs", {"baseline": {"val_accuracy": 0.9}}, title="after 10 epochs")
        after 10 epochs
                  val_accuracy
        baseline        0.9000
        """
        if not rows:
            raise ValueError(f"`rows` of table {key!r} is empty: pass at least one row.")
        self.record(key, {str(name): dict(row) for name, row in rows.items()})
        shown = (
            list(columns)
            if columns is not None
            else list(dict.fromkeys(c for row in rows.values() for c in row))
        )
        headers = [columns[c] for c in shown] if isinstance(columns, Mapping) else None
        print(_render_table(rows, shown, title, headers))
        return rows

    def comparisons(
        self, key: str, compared: Mapping[str, SeedComparison], *, title: str | None = None
    ) -> Mapping[str, SeedComparison]:
        """Shows comparisons over seeds as one table, records them under ``key``, returns them.

        One row per comparison: the means of A and of B, the mean paired difference A - B, twice
        its standard error and the verdict. The record keeps every seed's values
        (:meth:`SeedComparison.as_dict`), so a test can recompute each verdict.

        Args:
            key: The name to record the comparisons under.
            compared: Label -> :class:`SeedComparison`, e.g. from :func:`compare_on_seeds`.
            title: A line printed above the table (default: how many seeds).

        Returns:
            ``compared``, unchanged.

        Raises:
            ValueError: If ``compared`` is empty.

        Example:

        >>> from course_utils import compare_over_seeds
        >>> rec = LessonRecorder("demo", out_dir=None)
        >>> c = {"gap: A=l2 B=none": compare_over_seeds([0.1, 0.12, 0.11], [0.2, 0.21, 0.2],
        ...                                             names=("A", "B"), higher_is_better=False)}
        >>> _ = rec.comparisons("l2", c)
        over 3 seeds (A - B paired by seed):
                          mean A  mean B    A - B    2 SE      verdict
        gap: A=l2 B=none  0.1100  0.2033  -0.0933  0.0067  A is better
        """
        if not compared:
            raise ValueError(f"`compared` of {key!r} is empty: pass at least one comparison.")
        self.record(key, {str(label): c.as_dict() for label, c in compared.items()})
        counts = sorted({c.seeds for c in compared.values()})
        rows = {
            label: {
                "mean A": float(np.mean(c.a)),
                "mean B": float(np.mean(c.b)),
                "A - B": c.difference,
                "2 SE": 2 * c.standard_error,
                "verdict": c.verdict(),
            }
            for label, c in compared.items()
        }
        seeds = "/".join(map(str, counts))
        print(
            _render_table(
                rows, list(next(iter(rows.values()))), title or f"over {seeds} seeds (A - B paired by seed):"
            )
        )
        return compared

    def claim(self, id: str, statement: str, holds: Any, evidence: str) -> None:
        """States a claim next to its measurement, with the verdict this run computed.

        Prints the verdict, the statement and the evidence, and records the claim (the results
        file lists every claim as ``{id, statement, holds, evidence}``; the test suite asserts
        that each one holds on the default run). Stating a claim again with the same ``id``
        replaces it.

        Args:
            id: A short stable name, e.g. ``"l2_narrows_gap"``.
            statement: The claim in words.
            holds: Whether this run's numbers bear it out (anything with a truth value).
            evidence: The numbers behind the verdict.

        Returns:
            ``None``, so that a claim that ends a cell prints no stray ``True`` under it; the
            verdict is in :attr:`claims` (``rec.claims[id].holds``).

        Raises:
            ValueError: If ``id`` or ``statement`` is empty.

        Example:

        >>> rec = LessonRecorder("demo", out_dir=None)
        >>> rec.claim("gap", "The gap narrows.", 0.05 < 0.2, "gap 0.05 vs 0.20")
        claim holds: The gap narrows.
            evidence: gap 0.05 vs 0.20
        >>> rec.claims["gap"].holds
        True
        """
        if not id or not statement:
            raise ValueError(
                f"A claim needs an `id` and a `statement`. Received: id={id!r}, statement={statement!r}"
            )
        result = Claim(id=str(id), statement=str(statement), holds=bool(holds), evidence=str(evidence))
        self.claims[result.id] = result
        self.save()
        print(result)

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def save(self) -> Path | None:
        """Writes the JSON file atomically; returns its path, or ``None`` if there is none."""
        if self.path is None:
            return None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "lesson": self.lesson,
            "parameters": self.parameters,
            "values": self.values,
            "claims": [c.as_dict() for c in self.claims.values()],
            "environment": {"python": platform.python_version(), **_versions()},
        }
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, suffix=".tmp")
        with os.fdopen(fd, "w") as f:
            json.dump(payload, f, indent=2, sort_keys=True)
        os.replace(tmp, self.path)
        return self.path


def _versions() -> dict[str, str]:
    out: dict[str, str] = {}
    for mod in ("tensorflow", "keras", "numpy"):
        try:
            out[mod] = __import__(mod).__version__
        except Exception:  # pragma: no cover - reporting only
            out[mod] = "unavailable"
    return out


def load_results(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Reads a ``*.results.json`` file written by :class:`LessonRecorder`.

    Args:
        path: The file.

    Returns:
        The payload: ``lesson``, ``parameters``, ``values``, ``claims`` (a list of
        ``{id, statement, holds, evidence}``) and ``environment``.

    Raises:
        FileNotFoundError: If the file does not exist (run the lesson through the runner first).

    Example:

    >>> from course_utils import load_results
    >>> # load_results("build/executed/01_overfitting.results.json")["values"]
    """
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(
            f"No results file at {p}. Execute the lesson with `make run` (or "
            "`python tools/run_lessons.py`) first."
        )
    return json.loads(p.read_text())
