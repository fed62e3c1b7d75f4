"""Watching a run with TensorBoard (lesson 05): a fresh log folder under the course's ``build/``
for ``keras.callbacks.TensorBoard``, and the scalars it wrote, read back from its event files.

The lesson uses Keras's own callback; these two helpers are the plumbing around it: where the
logs go (never into a folder that already holds something) and what they contain.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

__all__ = ["BUILD_DIR_ENV", "read_tensorboard_scalars", "tensorboard_log_dir"]

#: Environment variable naming the folder that ``build/`` would otherwise be found as.
BUILD_DIR_ENV = "COURSE_BUILD_DIR"

_SIMPLE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def _course_build_dir() -> Path:
    """``$COURSE_BUILD_DIR``; else the ``build/`` folder of the course checkout the working
    directory lies in (the folder holding ``pyproject.toml`` and ``course_utils/``); else
    ``./build``."""
    if os.environ.get(BUILD_DIR_ENV):
        return Path(os.environ[BUILD_DIR_ENV])
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").is_file() and (folder / "course_utils").is_dir():
            return folder / "build"
    return here / "build"


def tensorboard_log_dir(lesson: str, run: str, *, root: str | os.PathLike[str] | None = None) -> Path:
    """Creates a new, empty folder for one run's TensorBoard logs and returns it.

    The folder is ``<root>/tensorboard/<lesson>/<run>-<date>-<time>``, where ``root`` is, unless
    given, the course's ``build/`` folder (``$COURSE_BUILD_DIR`` if set). A run started again gets
    a new folder (a suffix ``-2``, ``-3``... within the same second), so earlier logs are never
    overwritten and TensorBoard shows every run side by side. Open them with
    ``tensorboard --logdir build/tensorboard`` (``make tensorboard``).

    Args:
        lesson: A simple name (letters, digits, ``_``, ``-``, ``.``), e.g. ``"05_early_stopping"``.
        run: A simple name for the run, e.g. ``"early_stopping"``.
        root: The folder that holds ``tensorboard/``; the course's ``build/`` when ``None``.

    Returns:
        The new folder (created, empty), to pass as ``keras.callbacks.TensorBoard(log_dir=...)``.

    Raises:
        ValueError: If ``lesson`` or ``run`` is not a simple name (a path separator, ``..``, a
            space or nothing).

    Example:

    >>> import tempfile
    >>> from course_utils import tensorboard_log_dir
    >>> first = tensorboard_log_dir("05_early_stopping", "demo", root=tempfile.mkdtemp())
    >>> second = tensorboard_log_dir("05_early_stopping", "demo", root=first.parents[2])
    >>> first != second and first.parent == second.parent
    True
    """
    for what, name in (("lesson", lesson), ("run", run)):
        if not isinstance(name, str) or not _SIMPLE_NAME.match(name) or ".." in name:
            raise ValueError(
                f"`{what}` must be a simple folder name (letters, digits, '_', '-', '.'), "
                f"e.g. 'early_stopping'. Received: {name!r}"
            )
    base = (Path(root) if root is not None else _course_build_dir()) / "tensorboard" / lesson
    stamp = f"{run}-{time.strftime('%Y%m%d-%H%M%S')}"
    base.mkdir(parents=True, exist_ok=True)
    for k in range(1, 10_000):
        path = base / (stamp if k == 1 else f"{stamp}-{k}")
        try:
            path.mkdir()  # fails if it exists: never reuse a folder
        except FileExistsError:
            continue
        return path
    raise RuntimeError(f"could not create a new run folder under {base}")  # pragma: no cover


def read_tensorboard_scalars(log_dir: str | os.PathLike[str]) -> dict[str, dict[str, list[float]]]:
    """The scalars that ``keras.callbacks.TensorBoard`` wrote into ``log_dir``, epoch by epoch.

    Keras writes the training logs to ``log_dir/train`` and the validation logs to
    ``log_dir/validation``, one value per epoch for each metric (``epoch_loss``,
    ``epoch_accuracy``, ``epoch_learning_rate``...). This reads them back with TensorBoard's own
    event reader, so that a lesson can check what TensorBoard will show.

    Args:
        log_dir: The folder given to ``keras.callbacks.TensorBoard(log_dir=...)``.

    Returns:
        ``{"train": {"epoch_loss": [...], ...}, "validation": {...}}``: for each sub-folder that
        holds event files, each scalar's values in step (epoch) order.

    Raises:
        FileNotFoundError: If ``log_dir`` does not exist.
        ValueError: If it holds no TensorBoard event files (did the training run with the
            callback?).
        ImportError: If the ``tensorboard`` package is missing (``pip install tensorboard``).

    Example:

    >>> from course_utils import read_tensorboard_scalars
    >>> # scalars = read_tensorboard_scalars(log_dir)
    >>> # scalars["validation"]["epoch_loss"] == history.history["val_loss"]   (as float32)
    """
    folder = Path(log_dir)
    if not folder.is_dir():
        raise FileNotFoundError(f"No TensorBoard log folder {folder}: pass the folder you gave the callback.")
    try:
        from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    except ImportError as exc:  # pragma: no cover - tensorboard is a course dependency
        raise ImportError(
            "Reading TensorBoard logs needs the `tensorboard` package: `pip install tensorboard` "
            "(it comes with the course's `make setup`)."
        ) from exc
    import numpy as np
    import tensorflow as tf

    out: dict[str, dict[str, list[float]]] = {}
    for sub in sorted({p.parent for p in folder.rglob("events.out.tfevents.*")}):
        accumulator = EventAccumulator(str(sub), size_guidance={"tensors": 0, "scalars": 0})
        accumulator.Reload()
        tags: dict[str, list[float]] = {}
        for tag in accumulator.Tags().get("tensors", []):
            events = sorted(accumulator.Tensors(tag), key=lambda e: e.step)
            values = [tf.make_ndarray(e.tensor_proto) for e in events]
            if values and all(v.shape == () and np.issubdtype(v.dtype, np.number) for v in values):
                tags[tag] = [float(v) for v in values]
        for tag in accumulator.Tags().get("scalars", []):
            tags[tag] = [float(e.value) for e in sorted(accumulator.Scalars(tag), key=lambda e: e.step)]
        out[sub.relative_to(folder).as_posix() if sub != folder else "."] = tags
    if not out:
        raise ValueError(
            f"{folder} holds no TensorBoard event files: train with "
            f"keras.callbacks.TensorBoard(log_dir={str(folder)!r}) first."
        )
    return out
