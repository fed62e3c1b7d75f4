"""Figures for the lesson on learning-rate schedules: schedules side by side, the range test."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..schedules import schedule_values, smooth_losses
from ._core import _PALETTE, _get_ax, _whole_numbers, legend_outside

__all__ = ["plot_lr_range_test", "plot_schedules"]


def plot_schedules(
    schedules: Mapping[str, Any],
    steps: Sequence[int] | np.ndarray | None = None,
    *,
    ax: Any = None,
    log_y: bool = False,
    xlabel: str = "step",
    title: str | None = "Learning-rate schedules",
) -> Any:
    """Draws several learning-rate schedules on one axes, with the legend to the right of it.

    Args:
        schedules: Name -> a Keras schedule, a function of the step, or an array of rates
            (one per step of ``steps``, or per index when ``steps`` is ``None``).
        steps: The steps to evaluate at; required when a schedule is not an array.
        ax: Axes to draw on; a new figure is created when ``None``.
        log_y: Logarithmic rate axis (useful for exponential decay and 1cycle's tiny end).
        xlabel: Label of the horizontal axis (``"step"`` or ``"epoch"``).
        title: Axes title (``None`` for none).

    Returns:
        The matplotlib Axes.

    Raises:
        ValueError: If ``schedules`` is empty, or ``steps`` is missing for a schedule object.

    Example:

    >>> import numpy as np
    >>> from course_utils import OneCycleSchedule, plot_schedules
    >>> ax = plot_schedules({"1cycle": OneCycleSchedule(0.1, 100)}, steps=np.arange(120))
    """
    if not isinstance(schedules, Mapping) or not schedules:
        raise ValueError(
            f"`schedules` must be a non-empty dict such as {{'cosine': schedule}}. Received: {schedules!r}"
        )
    ax = _get_ax(ax)
    for i, (name, schedule) in enumerate(schedules.items()):
        if callable(schedule):
            if steps is None:
                raise ValueError(f"Pass `steps` to evaluate the schedule {name!r} at.")
            x = np.asarray(steps)
            y = schedule_values(schedule, x)
        else:
            y = np.asarray(schedule, dtype=float)
            x = np.arange(len(y)) if steps is None else np.asarray(steps)
            if len(x) != len(y):
                raise ValueError(f"{name!r} has {len(y)} rates but `steps` has {len(x)} entries.")
        ax.plot(x, y, color=_PALETTE[i % len(_PALETTE)], lw=2, label=str(name))
    if log_y:
        ax.set_yscale("log")
    _whole_numbers(ax.xaxis)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("learning rate")
    if title:
        ax.set_title(title)
    legend_outside(ax)
    return ax


def plot_lr_range_test(
    learning_rates: Any,
    losses: Sequence[float] | np.ndarray | None = None,
    *,
    suggestion: float | None = None,
    beta: float = 0.9,
    ax: Any = None,
    title: str | None = "Learning-rate range test",
) -> Any:
    """Draws a range test: the loss of each batch against its (log-scaled) learning rate.

    Args:
        learning_rates: The rates tried, or an :class:`~course_utils.LRRangeTestResult` (then
            ``losses`` and ``suggestion`` are taken from it unless given).
        losses: The loss of each batch.
        suggestion: A rate to mark with a vertical line.
        beta: Smoothing factor of the drawn smoothed curve.
        ax: Axes to draw on; a new figure is created when ``None``.
        title: Axes title.

    Returns:
        The matplotlib Axes.

    Raises:
        ValueError: If the rates and losses differ in length.

    Example:

    >>> import numpy as np
    >>> from course_utils import plot_lr_range_test
    >>> lrs = np.logspace(-4, 0, 50)
    >>> ax = plot_lr_range_test(lrs, 2 - np.tanh(np.log10(lrs) + 2), suggestion=1e-2)
    """
    if hasattr(learning_rates, "learning_rates"):
        result = learning_rates
        learning_rates = result.learning_rates
        losses = result.losses if losses is None else losses
        suggestion = result.suggestion if suggestion is None else suggestion
    lrs = np.asarray(learning_rates, dtype=float)
    raw = np.asarray(losses, dtype=float)
    if lrs.shape != raw.shape:
        raise ValueError(
            f"`learning_rates` and `losses` must have the same length. Received: {lrs.shape} and {raw.shape}"
        )
    ax = _get_ax(ax)
    finite = np.isfinite(raw)
    ax.plot(lrs[finite], raw[finite], color=_PALETTE[0], alpha=0.35, lw=1, label="loss per batch")
    smoothed = smooth_losses(np.where(finite, raw, np.nanmax(np.where(finite, raw, np.nan))), beta=beta)
    ax.plot(lrs, smoothed, color=_PALETTE[0], lw=2, label="smoothed")
    if suggestion is not None:
        ax.axvline(suggestion, color=_PALETTE[1], ls="--", lw=1.5, label=f"suggested {suggestion:.1e}")
    ax.set_xscale("log")
    # the diverging tail would squash the useful part of the curve
    top = float(np.nanmax(smoothed[: max(3, int(np.argmin(smoothed)) + 1)]))
    ax.set_ylim(
        top=min(float(np.nanmax(raw[finite])), 1.5 * top) * 1.02,
        bottom=max(0.0, float(np.nanmin(raw[finite])) * 0.9),
    )
    ax.set_xlabel("learning rate (log scale)")
    ax.set_ylabel("training loss")
    if title:
        ax.set_title(title)
    legend_outside(ax)
    return ax
