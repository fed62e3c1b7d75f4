"""Figures for the curse of dimensionality (lesson 01): how distances concentrate as the
dimension grows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ._core import _PALETTE, _get_ax, legend_outside

__all__ = ["plot_distance_contrast"]


def plot_distance_contrast(
    contrast: Mapping[int, Sequence[float]],
    *,
    reference: Mapping[str, tuple[int, float]] | None = None,
    ax: Any = None,
    title: str | None = "Distances concentrate as the dimension grows",
) -> Any:
    """Draws the relative contrast of distances against the dimension, on log-log axes.

    The relative contrast of a query point is ``(farthest - nearest) / nearest``, its distances to
    a set of points; near 0, the nearest and the farthest point are about equally far away.

    Args:
        contrast: Dimension -> one contrast per seed (uniform random points), drawn as dots with
            their mean as a line.
        reference: Label -> ``(dimension, contrast)`` of real data, drawn as stars.
        ax: Axes to draw on; a new figure is created when ``None``.
        title: Axes title (``None`` for none).

    Returns:
        The matplotlib Axes.

    Raises:
        ValueError: If ``contrast`` is empty, or a dimension or a contrast is not positive.

    Example:

    >>> from course_utils import plot_distance_contrast
    >>> ax = plot_distance_contrast({2: [9.0, 11.0], 64: [0.9, 1.1], 1024: [0.2, 0.25]},
    ...                             reference={"digits": (64, 2.5)})
    """
    if not isinstance(contrast, Mapping) or not contrast:
        raise ValueError(
            "`contrast` must be a non-empty dict {dimension: [contrast per seed]}, such as "
            f"{{2: [9.8, 10.4], 64: [1.0, 1.1]}}. Received: {contrast!r}"
        )
    dims = sorted(contrast)
    values = [np.asarray(contrast[d], dtype=float).ravel() for d in dims]
    points = list((reference or {}).values())
    if (
        min(dims) <= 0
        or any(v.size == 0 or (v <= 0).any() for v in values)
        or any(d <= 0 or c <= 0 for d, c in points)
    ):
        raise ValueError(
            "Every dimension and every contrast must be positive (the axes are logarithmic). "
            f"Received: contrast={dict(contrast)!r}, reference={reference!r}"
        )
    ax = _get_ax(ax)
    color = _PALETTE[0]
    for d, v in zip(dims, values):
        ax.scatter(np.full(v.size, d), v, s=14, color=color, alpha=0.5, zorder=2)
    ax.plot(dims, [v.mean() for v in values], color=color, lw=2, marker="o", label="uniform random points")
    for i, (label, (d, c)) in enumerate((reference or {}).items()):
        ax.scatter(
            [d], [c], marker="*", s=180, color=_PALETTE[(i + 1) % len(_PALETTE)], zorder=3, label=label
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(dims)
    ax.set_xticklabels([str(d) for d in dims])
    ax.minorticks_off()
    from matplotlib.ticker import FuncFormatter

    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))  # 0.1, not 10^-1
    ax.set_xlabel("dimension of the input")
    ax.set_ylabel("(farthest - nearest) / nearest")
    if title:
        ax.set_title(title)
    legend_outside(ax)
    return ax
