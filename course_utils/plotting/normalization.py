"""Figures for the lesson on batch normalization and layer normalization (lesson 04)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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

__all__ = [
    "plot_activation_scales",
    "plot_epochs_to_target",
    "plot_moving_statistics",
    "plot_unit_distributions",
]


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


def plot_activation_scales(
    scales: Mapping[str, Sequence[float]],
    *,
    predicted: Mapping[str, Sequence[float]] | None = None,
    ax: Any = None,
    title: str | None = "Activation scale per layer, at initialization",
) -> Any:
    """The size of a network's activations at each hidden layer, one line per initialization.

    Use it to see an initialization's effect before any training: a scale that stays flat from
    layer to layer passes the signal on; one that falls or rises by a constant factor per layer
    vanishes or explodes exponentially with depth (a straight line on the logarithmic axis).

    Args:
        scales: Name -> one measured value per hidden layer (e.g. the root mean square of each
            layer's ReLU outputs), positive, in layer order.
        predicted: Optional name -> one predicted value per layer, drawn dotted in the same
            line over the measured line of that name (one legend entry, "predicted").
        ax: Matplotlib axes to draw on; a new figure is created when ``None``.
        title: Axes title (``None`` for none).

    Returns:
        The matplotlib ``Axes``.

    Raises:
        ValueError: If ``scales`` is empty, a line is empty or not positive, or a predicted line
            has no measured line of its name or another length.

    Example:

    >>> from course_utils import plot_activation_scales
    >>> ax = plot_activation_scales({"He": [0.5, 0.5, 0.5], "Glorot": [0.5, 0.35, 0.25]},
    ...                             predicted={"Glorot": [0.5, 0.354, 0.25]})
    >>> len(ax.lines)
    3
    """
    if not isinstance(scales, Mapping) or not scales:
        raise ValueError(
            "`scales` must be a non-empty dict of name -> one value per hidden layer, e.g. "
            f"{{'He normal': [0.5, 0.52, 0.49]}}. Received: {scales!r}"
        )
    lines = {str(k): np.asarray(v, dtype=float) for k, v in scales.items()}
    bad = [k for k, v in lines.items() if v.ndim != 1 or v.size == 0 or not np.all(v > 0)]
    if bad:
        raise ValueError(
            f"Every line must be a non-empty list of positive numbers (one per layer): {bad} "
            "is not. A scale of 0 cannot be drawn on a logarithmic axis."
        )
    guesses = {str(k): np.asarray(v, dtype=float) for k, v in (predicted or {}).items()}
    unknown = [k for k in guesses if k not in lines or guesses[k].shape != lines[k].shape]
    if unknown:
        raise ValueError(
            f"Predicted lines {unknown} have no measured line of the same name and length "
            f"(measured: {', '.join(f'{k} ({v.size} layers)' for k, v in lines.items())})."
        )
    colors = run_colors(list(lines))
    ax = _get_ax(ax, figsize=(9.0, 4.2))
    for name, values in lines.items():
        layers = np.arange(1, values.size + 1)
        ax.plot(layers, values, "o-", color=colors[name], label=name)
        if name in guesses:  # one legend entry for all predictions, below
            ax.plot(layers, guesses[name], ":", lw=2.5, color="black", alpha=0.7, label="_nolegend_")
    ax.set_yscale("log")
    ax.set_xlabel("hidden layer")
    ax.set_ylabel("RMS of the ReLU outputs")
    _whole_numbers(ax.xaxis)
    if title is not None:
        ax.set_title(title)
    handles, labels = ax.get_legend_handles_labels()
    if guesses:
        from matplotlib.lines import Line2D

        handles.append(Line2D([], [], ls=":", lw=2.5, color="black", alpha=0.7))
        labels.append("predicted")
    legend_outside(ax, handles, labels)
    _fit_layout(ax.figure)
    return ax
