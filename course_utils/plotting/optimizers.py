"""Figures for lesson 07 (optimizers): loss curves of several optimizers from the same start,
and optimizer paths on a 2-D loss surface."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
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

__all__: list[str] = ["plot_optimizer_comparison", "plot_optimizer_paths"]


def plot_optimizer_comparison(
    histories: Mapping[str, HistoryLike],
    *,
    metrics: Sequence[str] = ("loss", "val_accuracy"),
    log_loss: bool = True,
    colors: Mapping[str, str] | None = None,
    axes: Sequence[Any] | None = None,
    title: str | None = None,
) -> Any:
    """Plots one curve per optimizer for each metric, side by side.

    Meant for runs that start from the same initial weights and see the same data, so that
    the only difference between the curves is the optimizer. Loss panels use a logarithmic
    axis by default (the losses of good and poor optimizers differ by orders of magnitude),
    labelled with plain numbers. One legend, to the right of the last panel, names the runs.

    Args:
        histories: Optimizer name -> ``History`` (or history dict), in legend order.
        metrics: The history keys to plot, one panel each, e.g. ``("loss", "val_accuracy")``.
        log_loss: Use a logarithmic y axis for metrics whose name contains ``"loss"``.
        colors: Optional optimizer name -> colour (defaults to :func:`run_colors`).
        axes: Matplotlib axes to draw on, one per metric; a new figure is created when ``None``.
        title: Optional figure title.

    Returns:
        The matplotlib ``Figure``.

    Raises:
        ValueError: If ``histories`` is empty, ``axes`` does not match ``metrics``, or a run
            lacks a metric (the message lists the metrics it has).

    Example:
        >>> from course_utils import plot_optimizer_comparison
        >>> fig = plot_optimizer_comparison({
        ...     "SGD": {"loss": [2.0, 1.0], "val_accuracy": [0.3, 0.6]},
        ...     "Adam": {"loss": [2.0, 0.5], "val_accuracy": [0.4, 0.8]}})
        >>> [ax.get_ylabel() for ax in fig.axes]
        ['loss', 'val_accuracy']
    """
    import matplotlib.pyplot as plt

    if not isinstance(histories, Mapping) or not histories:
        raise ValueError(
            "`histories` must be a non-empty dict of optimizer name -> history. "
            f"Received: {type(histories).__name__}"
        )
    runs = _as_runs(dict(histories))
    metrics = list(metrics)
    if not metrics:
        raise ValueError("`metrics` must name at least one metric. Received: metrics=[]")
    for name, h in runs.items():
        missing = [m for m in metrics if m not in h]
        if missing:
            raise ValueError(f"Run {name!r} has no metric {missing[0]!r}; it has {sorted(h)}.")
    if axes is None:
        fig, grid = plt.subplots(1, len(metrics), figsize=(5.4 * len(metrics) + 1.6, 4.2), squeeze=False)
        axes = list(grid[0])
    else:
        axes = list(np.ravel(np.asarray(axes, dtype=object)))
        if len(axes) != len(metrics):
            raise ValueError(f"`axes` needs one Axes per metric ({len(metrics)}). Received: {len(axes)} axes")
        fig = axes[0].figure
    colors = {**run_colors(list(runs)), **(colors or {})}
    for metric, ax in zip(metrics, axes):
        for name, h in runs.items():
            epochs = np.arange(1, len(h[metric]) + 1)
            ax.plot(epochs, h[metric], color=colors[name], lw=1.8, label=name)
        if log_loss and "loss" in metric:
            _plain_log_scale(ax.yaxis)
        _whole_numbers(ax.xaxis)
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.set_title(metric.replace("_", " "))
    legend_outside(axes[-1])
    if title:
        fig.suptitle(title)
    _fit_layout(fig)
    return fig


def plot_optimizer_paths(
    paths: Mapping[str, np.ndarray],
    loss_fn: Callable[[np.ndarray, np.ndarray], np.ndarray],
    *,
    minimum: Sequence[float] | None = (0.0, 0.0),
    ax: Any = None,
    colors: Mapping[str, str] | None = None,
    levels: int = 20,
    title: str | None = None,
) -> Any:
    """Draws optimizer paths (e.g. from :func:`course_utils.optimizer_trajectory`) on the
    contour lines of a 2-D loss surface. The legend sits to the right of the axes; a figure
    without a layout engine gets tight layout, so panels side by side keep clear of it.

    Args:
        paths: Optimizer name -> array of shape ``(steps + 1, 2)`` of visited points.
        loss_fn: The surface, vectorized over NumPy grids: ``loss_fn(X, Y) -> Z``.
        minimum: Where to draw a star for the minimum; ``None`` draws none.
        ax: Matplotlib axes to draw on; a new figure is created when ``None``.
        colors: Optional name -> colour (defaults to :func:`run_colors`).
        levels: Number of contour levels (log-spaced), at least 2.
        title: Axes title.

    Returns:
        The matplotlib ``Axes``.

    Raises:
        ValueError: If ``paths`` is empty, a path is not of shape ``(n, 2)`` or ``levels`` < 2.

    Example:
        >>> import numpy as np
        >>> from course_utils import plot_optimizer_paths
        >>> path = np.array([[2.0, 1.0], [1.0, 0.5], [0.5, 0.25]])
        >>> ax = plot_optimizer_paths({"SGD": path}, lambda x, y: x ** 2 + 4 * y ** 2)
        >>> ax.get_xlabel()
        '$w_1$'
    """
    if not isinstance(paths, Mapping) or not paths:
        raise ValueError(
            f"`paths` must be a non-empty dict of name -> (n, 2) array. Received: {type(paths).__name__}"
        )
    arrays = {str(k): np.asarray(v, dtype=float) for k, v in paths.items()}
    for name, p in arrays.items():
        if p.ndim != 2 or p.shape[1] != 2 or len(p) < 1:
            raise ValueError(f"Path {name!r} must have shape (n, 2). Received: shape {p.shape}")
    if isinstance(levels, bool) or not isinstance(levels, (int, np.integer)) or levels < 2:
        raise ValueError(f"`levels` must be an integer >= 2. Received: levels={levels!r}")
    ax = _get_ax(ax)
    points = np.concatenate(list(arrays.values()))
    lo, hi = points.min(axis=0), points.max(axis=0)
    pad = 0.15 * np.maximum(hi - lo, 1e-3)
    xs = np.linspace(lo[0] - pad[0], hi[0] + pad[0], 200)
    ys = np.linspace(lo[1] - pad[1], hi[1] + pad[1], 200)
    grid_x, grid_y = np.meshgrid(xs, ys)
    z = np.asarray(loss_fn(grid_x, grid_y), dtype=float)
    z_min = float(np.min(z))
    shifted = z - z_min + 1e-3 * (float(np.max(z)) - z_min + 1e-12)
    contour_levels = np.geomspace(float(shifted.min()), float(shifted.max()), int(levels))
    ax.contour(grid_x, grid_y, shifted, levels=contour_levels, colors="#bbbbbb", linewidths=0.8)
    colors = {**run_colors(list(arrays)), **(colors or {})}
    for name, p in arrays.items():
        ax.plot(p[:, 0], p[:, 1], "-", color=colors[name], lw=1.6, label=name)
        ax.plot(p[-1, 0], p[-1, 1], "o", color=colors[name], ms=5)
    first = next(iter(arrays.values()))
    ax.plot(first[0, 0], first[0, 1], "ks", ms=6, label="start")
    if minimum is not None:
        ax.plot(minimum[0], minimum[1], "*", color="black", ms=12, label="minimum")
    ax.set_xlabel("$w_1$")
    ax.set_ylabel("$w_2$")
    ax.set_title(title if title is not None else "optimizer paths")
    legend_outside(ax)
    return ax
