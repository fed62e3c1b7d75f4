"""Figures for the lesson on batch normalization and layer normalization (lesson 04)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..training import HistoryLike
from ._core import (
    _as_runs,
    _fit_layout,
    _get_ax,
    _plain_log_scale,
    _whole_numbers,
    legend_outside,
    run_colors,
)

__all__ = ["plot_epochs_to_target", "plot_moving_statistics", "plot_unit_distributions"]


def plot_epochs_to_target(
    histories: Mapping[str, HistoryLike],
    target: float,
    *,
    metric: str = "loss",
    ax: Any = None,
    colors: Mapping[str, str] | None = None,
    log_y: bool = True,
    title: str | None = None,
) -> Any:
    """Plots each run's training curve with a target line and marks where each run reaches it.

    The legend (to the right of the axes) says, for every run, the first epoch at which it
    reached the target (or that it never did), as computed by
    :func:`course_utils.epochs_to_reach`.

    Args:
        histories: Run name -> ``History`` or history dict.
        target: The target value (e.g. a training loss of 0.1).
        metric: The metric to plot, e.g. ``"loss"``.
        ax: Matplotlib axes to draw on; a new figure is created when ``None``.
        colors: Optional run name -> colour (see :func:`course_utils.run_colors`).
        log_y: Use a logarithmic y axis (losses span orders of magnitude), labelled with plain
            numbers (0.1, 0.2, 0.5, 1).
        title: Axes title.

    Returns:
        The matplotlib ``Axes``.

    Raises:
        ValueError: If a run lacks ``metric`` or ``target`` is out of range (see
            :func:`course_utils.epochs_to_reach`).

    Example:

    >>> from course_utils import plot_epochs_to_target
    >>> ax = plot_epochs_to_target({"a": {"loss": [2.0, 0.5, 0.05]},
    ...                             "b": {"loss": [2.0, 1.5, 1.0]}}, 0.1)
    >>> [t.get_text() for t in ax.get_legend().get_texts()][:2]
    ['a: epoch 3', 'b: not reached']
    """
    from ..normalization import epochs_to_reach

    runs = _as_runs(histories)
    colors = {**run_colors(list(runs)), **(colors or {})}
    ax = _get_ax(ax)
    for name, h in runs.items():
        reached = epochs_to_reach(h, target, metric=metric)
        values = np.asarray(h[metric], dtype=float)
        epochs = np.arange(1, len(values) + 1)
        label = f"{name}: epoch {reached}" if reached else f"{name}: not reached"
        ax.plot(epochs, values, color=colors[name], lw=1.8, label=label)
        if reached:
            ax.plot(reached, values[reached - 1], "o", color=colors[name], ms=8, zorder=5)
            ax.axvline(reached, color=colors[name], lw=0.8, ls=":")
    ax.axhline(target, color="black", lw=1.0, ls="--", label=f"target {metric} {target:g}")
    if log_y:
        _plain_log_scale(ax.yaxis)
    _whole_numbers(ax.xaxis)
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"training {metric}" if not metric.startswith("val_") else metric)
    ax.set_title(title if title is not None else f"epochs to reach {metric} {target:g}")
    legend_outside(ax)
    return ax


def plot_moving_statistics(
    comparisons: Mapping[str, Any],
    *,
    ax: Any = None,
    title: str | None = None,
) -> Any:
    """Scatter of a batch-norm layer's moving mean against the actual mean, one dot per unit.

    Dots on the diagonal mean the moving average has caught up with the data: inference mode
    then normalizes with the right statistics.

    Args:
        comparisons: Label -> :class:`course_utils.MovingStatistics`, e.g.
            ``{"before training": s0, "after training": s1}``.
        ax: Matplotlib axes to draw on; a new figure is created when ``None``.
        title: Axes title.

    Returns:
        The matplotlib ``Axes``.

    Raises:
        ValueError: If ``comparisons`` is empty or holds something other than
            ``MovingStatistics``.

    Example:

    >>> import numpy as np
    >>> from course_utils import MovingStatistics, plot_moving_statistics
    >>> s = MovingStatistics(np.zeros(3), np.arange(3.0), np.ones(3), np.ones(3), 1.0, 0.0)
    >>> ax = plot_moving_statistics({"before": s})
    >>> ax.get_xlabel()
    'actual mean over the training data'
    """
    from ..normalization import MovingStatistics

    if not isinstance(comparisons, Mapping) or not comparisons:
        raise ValueError("`comparisons` must be a non-empty dict of label -> MovingStatistics.")
    bad = [k for k, v in comparisons.items() if not isinstance(v, MovingStatistics)]
    if bad:
        raise ValueError(f"Entries {bad} are not MovingStatistics (use compare_moving_statistics).")
    colors = run_colors(list(comparisons))
    ax = _get_ax(ax)
    lo, hi = np.inf, -np.inf
    for label, s in comparisons.items():
        ax.scatter(
            s.data_mean,
            s.moving_mean,
            s=18,
            alpha=0.8,
            color=colors[label],
            label=f"{label} (relative error {s.mean_error:.2f})",
        )
        lo = min(lo, float(np.min(s.data_mean)), float(np.min(s.moving_mean)))
        hi = max(hi, float(np.max(s.data_mean)), float(np.max(s.moving_mean)))
    pad = 0.05 * (hi - lo if hi > lo else 1.0)
    ax.plot(
        [lo - pad, hi + pad],
        [lo - pad, hi + pad],
        color="black",
        lw=0.8,
        ls="--",
        label="moving mean = actual mean",
    )
    ax.set_xlabel("actual mean over the training data")
    ax.set_ylabel("moving_mean of the layer")
    ax.set_title(title if title is not None else "moving mean vs. data mean, one dot per unit")
    legend_outside(ax)
    return ax


def plot_unit_distributions(
    values: Mapping[str, np.ndarray],
    *,
    units: int = 4,
    bins: int = 30,
    fig: Any = None,
) -> Any:
    """Histograms of the first few units' values, one panel per entry of ``values``.

    Use it to show what a normalization does: the raw pre-activations of different units sit at
    different centres and spreads; after batch norm each unit is centred near 0 with spread near 1.
    Each panel's legend (every unit's mean and standard deviation) sits to its right.

    Args:
        values: Panel title -> array of shape ``(n_examples, n_units)``.
        units: How many units (the first ones) to draw in each panel (positive).
        bins: Histogram bins (positive).
        fig: Matplotlib figure to draw in; a new one is created when ``None``.

    Returns:
        The matplotlib ``Figure``.

    Raises:
        ValueError: If ``values`` is empty, an array is not 2-D, or ``units``/``bins`` is not
            a positive integer.

    Example:

    >>> import numpy as np
    >>> from course_utils import plot_unit_distributions
    >>> x = np.random.default_rng(0).normal(size=(100, 5))
    >>> fig = plot_unit_distributions({"raw": 3 * x + 1, "normalized": x}, units=3)
    >>> len(fig.axes)
    2
    """
    import matplotlib.pyplot as plt

    from .._validation import check_positive_int

    units = check_positive_int("units", units)
    bins = check_positive_int("bins", bins)
    if not isinstance(values, Mapping) or not values:
        raise ValueError("`values` must be a non-empty dict of title -> (n_examples, n_units) array.")
    arrays = {str(k): np.asarray(v, dtype=float) for k, v in values.items()}
    bad = {k: a.shape for k, a in arrays.items() if a.ndim != 2}
    if bad:
        raise ValueError(f"Every array must be 2-D (examples, units). Received shapes: {bad}")
    if fig is None:
        fig = plt.figure(figsize=(6.6 * len(arrays), 3.8))
    axes = fig.subplots(1, len(arrays), squeeze=False)[0]
    colors = run_colors([f"unit {i + 1}" for i in range(units)])
    for ax, (title, a) in zip(axes, arrays.items()):
        for i in range(min(units, a.shape[1])):
            col = a[:, i]
            ax.hist(
                col,
                bins=bins,
                alpha=0.45,
                color=colors[f"unit {i + 1}"],
                label=f"unit {i + 1}: mean {col.mean():+.2f}, std {col.std():.2f}",
            )
        ax.set_title(title)
        ax.set_xlabel("value")
        legend_outside(ax, fontsize="x-small")
    axes[0].set_ylabel("examples")
    _fit_layout(fig)
    return fig
