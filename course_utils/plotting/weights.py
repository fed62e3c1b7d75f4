"""Figures for the lesson on L1, L2 and weight constraints (lesson 02): weight histograms and
the norms of the weight vectors that ``MaxNorm`` bounds."""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Real
from typing import Any

import numpy as np

from ..regularization import WeightsLike, _as_arrays, kernel_column_norms, kernel_weights
from ._core import _get_ax, _plain_log_scale, legend_outside, run_colors

__all__ = ["plot_column_norms", "plot_weight_histograms"]


def _as_named_runs(runs: Any, what: str) -> dict[str, Any]:
    if not isinstance(runs, Mapping) or not runs:
        raise ValueError(
            f"`{what}` must be a non-empty dict of run name -> model (or weights), e.g. "
            f"{{'baseline': model_a, 'L1': model_b}}. Received: {type(runs).__name__}"
        )
    return {str(k): v for k, v in runs.items()}


def _check_positive_or_none(name: str, value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Real) or not float(value) > 0.0:
        raise ValueError(f"`{name}` must be a number > 0 (or None). Received: {name}={value!r}")
    return float(value)


def plot_weight_histograms(
    runs: Mapping[str, WeightsLike],
    *,
    ax: Any = None,
    log_abs: bool = False,
    threshold: float | None = None,
    bins: int = 80,
    colors: Mapping[str, str] | None = None,
    title: str | None = None,
) -> Any:
    """Overlays the histograms of the kernel weights of several models (one outline per run),
    with the legend to the right of the axes.

    Two views:

    * ``log_abs=False``: the weights themselves, on a logarithmic count axis, so that both the
      spike at 0 (L1) and the tails (no penalty) stay visible;
    * ``log_abs=True``: ``log10 |w|``, which spreads the near-zero weights over several decades.
      With ``threshold`` a dashed line marks it: everything to its left counts as "near zero".
      Weights that are exactly 0 are drawn in the leftmost bin.

    Args:
        runs: Run name -> Keras model (its kernels are used), dict/list of arrays, or array.
        ax: Matplotlib axes to draw on; a new figure is created when ``None``.
        log_abs: Plot ``log10 |w|`` instead of ``w``.
        threshold: Optional near-zero threshold (> 0) to mark; shaded as ``|w| < threshold``.
        bins: Number of histogram bins (at least 2).
        colors: Optional run name -> colour (see :func:`run_colors`).
        title: Axes title.

    Returns:
        The matplotlib ``Axes``.

    Raises:
        ValueError: If ``runs`` is not a non-empty dict, ``threshold`` is not > 0 or ``bins``
            is smaller than 2.

    Example:

    >>> import numpy as np
    >>> from course_utils import plot_weight_histograms
    >>> rng = np.random.default_rng(0)
    >>> ax = plot_weight_histograms({"wide": rng.normal(0, 1, 500),
    ...                              "narrow": rng.normal(0, 0.1, 500)}, threshold=0.01)
    >>> ax.get_xlabel()
    'weight value w'
    """
    named = _as_named_runs(runs, "runs")
    threshold = _check_positive_or_none("threshold", threshold)
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 2:
        raise ValueError(f"`bins` must be an integer >= 2. Received: bins={bins!r}")
    values = {name: np.concatenate(_as_arrays(w, name=f"runs[{name!r}]")) for name, w in named.items()}
    colors = {**run_colors(list(named)), **(colors or {})}
    ax = _get_ax(ax)
    if log_abs:
        nonzero = np.concatenate([np.abs(v)[np.abs(v) > 0] for v in values.values()] or [np.ones(1)])
        low = np.log10(nonzero.min()) if nonzero.size else -8.0
        high = np.log10(nonzero.max()) if nonzero.size else 0.0
        floor = np.floor(low) - 0.5
        edges = np.linspace(floor, np.ceil(high) + 0.1, bins + 1)
        for name, v in values.items():
            a = np.abs(v)
            logged = np.where(a > 0, np.log10(np.where(a > 0, a, 1.0)), floor)
            ax.hist(logged, bins=edges, histtype="step", lw=1.8, color=colors[name], label=name)
        if threshold is not None:
            ax.axvline(np.log10(threshold), color="k", ls="--", lw=1)
            ax.axvspan(edges[0], np.log10(threshold), color="0.5", alpha=0.12, label=f"|w| < {threshold:g}")
        ax.set_xlabel("log10 |w|")
    else:
        largest = max(float(np.abs(v).max()) for v in values.values()) or 1.0
        edges = np.linspace(-largest, largest, bins + 1)
        for name, v in values.items():
            ax.hist(v, bins=edges, histtype="step", lw=1.8, color=colors[name], label=name)
        if threshold is not None:
            ax.axvspan(-threshold, threshold, color="0.5", alpha=0.2, label=f"|w| < {threshold:g}")
        _plain_log_scale(ax.yaxis)
        ax.set_xlabel("weight value w")
    ax.set_ylabel("number of weights")
    ax.set_title(title if title is not None else "distribution of the kernel weights")
    legend_outside(ax)
    return ax


def plot_column_norms(
    runs: Mapping[str, Any],
    *,
    max_value: float | None = None,
    ax: Any = None,
    bins: int = 40,
    colors: Mapping[str, str] | None = None,
    title: str | None = None,
) -> Any:
    """Histograms the norms of the weight vectors of each unit (what ``MaxNorm`` bounds).

    For every kernel the norm is taken over all axes but the last (for a ``Dense`` kernel
    ``(inputs, units)`` that is ``axis=0``: one norm per unit, over its incoming weights).

    Args:
        runs: Run name -> Keras model (its kernels), dict of name -> kernel, or a single kernel.
        max_value: The ``MaxNorm`` bound to mark with a vertical line (> 0), or ``None``.
        ax: Matplotlib axes to draw on; a new figure is created when ``None``.
        bins: Number of histogram bins (at least 2).
        colors: Optional run name -> colour.
        title: Axes title.

    Returns:
        The matplotlib ``Axes``.

    Raises:
        ValueError: If ``runs`` is not a non-empty dict, ``max_value`` is not > 0, ``bins`` is
            smaller than 2, or a kernel has fewer than 2 dimensions.

    Example:

    >>> import numpy as np
    >>> from course_utils import plot_column_norms
    >>> rng = np.random.default_rng(0)
    >>> ax = plot_column_norms({"free": rng.normal(0, 1, (16, 8))}, max_value=3.0)
    >>> ax.get_xlabel()
    "norm of a unit's incoming weight vector"
    """
    named = _as_named_runs(runs, "runs")
    max_value = _check_positive_or_none("max_value", max_value)
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 2:
        raise ValueError(f"`bins` must be an integer >= 2. Received: bins={bins!r}")
    norms: dict[str, np.ndarray] = {}
    for name, w in named.items():
        if hasattr(w, "layers"):
            kernels = list(kernel_weights(w).values())
        elif isinstance(w, Mapping):
            kernels = list(w.values())
        else:
            kernels = [w]
        norms[name] = np.concatenate(
            [kernel_column_norms(k, axis=tuple(range(np.ndim(k) - 1))) for k in kernels]
        )
    colors = {**run_colors(list(named)), **(colors or {})}
    ax = _get_ax(ax)
    high = max(float(n.max()) for n in norms.values())
    if max_value is not None:
        high = max(high, max_value)
    edges = np.linspace(0.0, high * 1.05, bins + 1)
    for name, n in norms.items():
        ax.hist(n, bins=edges, histtype="step", lw=1.8, color=colors[name], label=name)
    if max_value is not None:
        ax.axvline(max_value, color="k", ls="--", lw=1.2, label=f"max_value = {max_value:g}")
    ax.set_xlabel("norm of a unit's incoming weight vector")
    ax.set_ylabel("number of units")
    ax.set_title(title if title is not None else "weight-vector norms")
    legend_outside(ax)
    return ax
