"""Record the numbers a lesson measured, so the test suite can check its claims on the real run.

A lesson creates one :class:`LessonRecorder` and calls :meth:`LessonRecorder.record` next to the
``print`` that shows a number to the learner. When the environment variable
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
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["RESULTS_DIR_ENV", "LessonRecorder", "load_results"]

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


class LessonRecorder:
    """Collects a lesson's measured numbers and (optionally) saves them as JSON.

    Args:
        lesson: The lesson's name, e.g. ``"01_overfitting"``; it names the JSON file.
        parameters: The values of the notebook's parameters cell, saved alongside.
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
        self.parameters = _jsonable(dict(parameters or {}))
        directory = out_dir if out_dir is not None else os.environ.get(RESULTS_DIR_ENV)
        self.path: Path | None = Path(directory) / f"{lesson}.results.json" if directory else None
        self.values: dict[str, Any] = {}

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
        The payload: ``lesson``, ``parameters``, ``values`` and ``environment``.

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
