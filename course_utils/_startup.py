"""A quiet TensorFlow start: its C++/absl start-up log lines go to a file, not to the learner.

TensorFlow writes a screenful of log lines straight to file descriptor 2 when it is imported and
when it first looks for devices ("All log messages before absl::InitializeLog() ...", "oneDNN
custom operations are on", "failed call to cuInit", "cpu_feature_guard ..."). A Jupyter kernel
shows everything written to that descriptor as a pink stderr box under the setup cell. They
are harmless and say nothing about the lesson, so :func:`start_tensorflow_quietly` sends them
to a log file while TensorFlow is imported and its devices are listed, then restores the
descriptor: every later warning or error reaches the notebook as usual, with one exception:
TensorFlow's "N out of the last M calls to <function ...> triggered tf.function retracing"
warning, which :func:`quiet_retracing_warning` filters out. TensorFlow counts traces per
*source code* of a function, so every fresh model that ``fit``, ``evaluate`` or a callback
compiles counts as a retrace of the previous model's function: a lesson that compares five
models in a loop (the course's way of measuring) triggers it although nothing is retraced
needlessly. Every other message of TensorFlow's logger still reaches the learner.

This module is imported first by ``course_utils/__init__.py``; it is plumbing, not API.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

__all__: list[str] = []

#: Where the start-up lines went (set by :func:`start_tensorflow_quietly`); ``None`` if
#: TensorFlow was already imported before ``course_utils`` (its lines were shown then).
STARTUP_LOG: Path | None = None


def _log_path() -> Path:
    explicit = os.environ.get("COURSE_TF_LOG")
    if explicit:
        return Path(explicit)
    return Path(tempfile.gettempdir()) / f"course_utils-tensorflow-{os.getpid()}.log"


def start_tensorflow_quietly() -> Path | None:
    """Imports TensorFlow and initializes its devices with descriptor 2 sent to a log file, then
    filters TensorFlow's frequent-retracing warning (:func:`quiet_retracing_warning`).

    ``TF_CPP_MIN_LOG_LEVEL`` defaults to ``2`` (C++ warnings and info hidden, errors shown)
    unless the environment sets it; ``COURSE_TF_LOG`` chooses the log file.

    Returns:
        The log file's path, or ``None`` if TensorFlow had been imported already (nothing to
        hide any more) or the descriptor could not be redirected.
    """
    try:
        return _import_with_stderr_to_log()
    finally:
        quiet_retracing_warning()


def _import_with_stderr_to_log() -> Path | None:
    global STARTUP_LOG
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if "tensorflow" in sys.modules:
        return None
    path = _log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        log = open(path, "w")  # noqa: SIM115 - kept open only for the redirect below
    except OSError:
        return None
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        log.close()
        return None
    try:
        os.dup2(log.fileno(), 2)
        import tensorflow as tf

        tf.config.list_physical_devices()  # CUDA's initialization logs here, not at import
    finally:
        try:
            sys.stderr.flush()
        except ValueError:
            pass
        os.dup2(saved, 2)
        os.close(saved)
        log.close()
    STARTUP_LOG = path
    return path


class _RetracingWarningFilter:
    """A ``logging`` filter that drops TensorFlow's frequent-retracing warning only."""

    def filter(self, record: object) -> bool:
        message = getattr(record, "msg", "")
        return not (isinstance(message, str) and "triggered tf.function retracing" in message)


def quiet_retracing_warning() -> None:
    """Adds :class:`_RetracingWarningFilter` to TensorFlow's Python logger (once)."""
    import logging

    logger = logging.getLogger("tensorflow")
    if not any(isinstance(f, _RetracingWarningFilter) for f in logger.filters):
        logger.addFilter(_RetracingWarningFilter())
