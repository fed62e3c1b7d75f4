"""Figures for the lesson on dropout: the rate sweep, MC-dropout uncertainty histograms, and
what standard vs. spatial dropout do to a feature map."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ._core import _PALETTE, _fit_layout, _get_ax, _ticks_at_values, legend_outside

__all__ = ["plot_feature_map_dropout", "plot_rate_sweep", "plot_uncertainty_histograms"]


def plot_rate_sweep(
    rates: Sequence[float],
    val_accuracy: Sequence[float],
    *,
    train_accuracy: Sequence[float] | None = None,
    val_std_error: float | None = None,
    ax: Any = None,
    title: str | None = "Validation accuracy vs. dropout rate",
) -> Any:
    """Plots validation accuracy (and optionally training accuracy) against the dropout rate and
    marks the rate with the highest validation accuracy. The x ticks sit at the rates of the
    sweep; the legend sits to the right of the axes.

    Args:
        rates: The dropout rates of the sweep, each in ``[0, 1)``.
        val_accuracy: Validation accuracy of each rate (same length).
        train_accuracy: Optional training accuracy of each rate, drawn dashed.
        val_std_error: Optional standard error of a validation accuracy; drawn as a band of
            plus/minus one standard error around the validation curve.
        ax: Matplotlib axes to draw on; a new figure is created when ``None``.
        title: Axes title (``None`` for none).

    Returns:
        The matplotlib ``Axes``.

    Raises:
        ValueError: If the sequences are empty or differ in length, a rate is outside
            ``[0, 1)``, or ``val_std_error`` is negative.

    Example:

    >>> from course_utils import plot_rate_sweep
    >>> ax = plot_rate_sweep([0.0, 0.5, 0.9], [0.80, 0.85, 0.70])
    >>> ax.get_xlabel()
    'dropout rate'
    """
    r = np.asarray(rates, dtype=float)
    val = np.asarray(val_accuracy, dtype=float)
    if r.ndim != 1 or len(r) == 0 or val.shape != r.shape:
        raise ValueError(
            "`rates` and `val_accuracy` must be non-empty sequences of the same length. "
            f"Received: {len(r)} rates and {val.size} accuracies"
        )
    bad = [float(v) for v in r if not 0.0 <= v < 1.0]
    if bad:
        raise ValueError(f"Every rate must be in [0, 1). Received: rates={list(map(float, r))}")
    if val_std_error is not None and not val_std_error >= 0:
        raise ValueError(f"`val_std_error` must be >= 0. Received: val_std_error={val_std_error!r}")
    ax = _get_ax(ax)
    ax.plot(r, val, "o-", color=_PALETTE[0], lw=1.8, label="validation")
    if val_std_error:
        ax.fill_between(
            r,
            val - val_std_error,
            val + val_std_error,
            color=_PALETTE[0],
            alpha=0.15,
            lw=0,
            label="± 1 standard error",
        )
    if train_accuracy is not None:
        train = np.asarray(train_accuracy, dtype=float)
        if train.shape != r.shape:
            raise ValueError(
                f"`train_accuracy` must have one value per rate ({len(r)}). Received: {train.size}"
            )
        ax.plot(r, train, "s--", color=_PALETTE[8], lw=1.5, label="training (inference mode)")
    best = int(np.argmax(val))
    ax.plot(
        r[best],
        val[best],
        "*",
        color=_PALETTE[1],
        ms=16,
        zorder=5,
        label=f"best: rate {r[best]:g} ({val[best]:.3f})",
    )
    _ticks_at_values(ax.xaxis, r)
    ax.set_xlabel("dropout rate")
    ax.set_ylabel("accuracy")
    if title:
        ax.set_title(title)
    legend_outside(ax)
    return ax


def plot_uncertainty_histograms(
    values: Mapping[str, Sequence[float]],
    *,
    bins: int = 30,
    xlabel: str = "predictive spread (std of the predicted class's probability)",
    ax: Any = None,
    title: str | None = None,
) -> Any:
    """Overlaid histograms of a per-example uncertainty score for several input sets (e.g.
    in-distribution vs. out-of-distribution), each with a dashed vertical line at its mean.
    The legend sits to the right of the axes.

    Args:
        values: Input-set name -> one score per example (e.g. from
            :func:`course_utils.predictive_spread`).
        bins: Number of histogram bins (positive), shared by all sets.
        xlabel: Label of the x axis.
        ax: Matplotlib axes to draw on; a new figure is created when ``None``.
        title: Axes title (``None`` for none).

    Returns:
        The matplotlib ``Axes``.

    Raises:
        ValueError: If ``values`` is empty, a set is empty, or ``bins`` is not positive.

    Example:

    >>> import numpy as np
    >>> from course_utils import plot_uncertainty_histograms
    >>> ax = plot_uncertainty_histograms({"digits": [0.01, 0.02], "noise": [0.2, 0.3]})
    >>> len(ax.lines)  # one mean line per set
    2
    """
    if not isinstance(values, Mapping) or not values:
        raise ValueError(
            "`values` must be a non-empty dict such as {'validation digits': s1, 'noise': s2}. "
            f"Received: {type(values).__name__}"
        )
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 1:
        raise ValueError(f"`bins` must be a positive integer. Received: bins={bins!r}")
    arrays = {str(k): np.asarray(v, dtype=float).ravel() for k, v in values.items()}
    empty = [k for k, v in arrays.items() if v.size == 0]
    if empty:
        raise ValueError(f"These sets have no values: {empty}")
    lo = min(float(v.min()) for v in arrays.values())
    hi = max(float(v.max()) for v in arrays.values())
    edges = np.linspace(lo, hi if hi > lo else lo + 1e-6, bins + 1)
    ax = _get_ax(ax, figsize=(9.0, 4.2))
    for i, (name, v) in enumerate(arrays.items()):
        color = _PALETTE[i % len(_PALETTE)]
        ax.hist(v, bins=edges, color=color, alpha=0.45, density=True, label=f"{name} (mean {v.mean():.3f})")
        ax.axvline(v.mean(), color=color, lw=2, ls="--")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("density")
    if title:
        ax.set_title(title)
    legend_outside(ax, title="dashed: mean")
    return ax


def plot_feature_map_dropout(
    maps: Mapping[str, np.ndarray],
    *,
    n_channels: int = 8,
    example: int = 0,
    cmap: str = "viridis",
) -> Any:
    """Shows the first channels of one example's feature map under several treatments, one row
    each (e.g. ``{"input": fmap, "Dropout": y1, "SpatialDropout2D": y2}``); dropped values show
    as the colour of 0.

    Args:
        maps: Row name -> array of shape ``(batch, height, width, channels)``; all the same shape.
        n_channels: Number of channels to show (positive; at most the number of channels).
        example: Which example of the batch to show.
        cmap: Matplotlib colour map.

    Returns:
        The matplotlib ``Figure``.

    Raises:
        ValueError: If ``maps`` is empty, the arrays are not 4-D or differ in shape, or
            ``n_channels``/``example`` are out of range.

    Example:

    >>> import numpy as np
    >>> from course_utils import plot_feature_map_dropout
    >>> fmap = np.random.default_rng(0).random((2, 4, 4, 3))
    >>> fig = plot_feature_map_dropout({"input": fmap, "dropped": fmap * 0}, n_channels=3)
    >>> len(fig.axes)
    6
    """
    import matplotlib.pyplot as plt

    if not isinstance(maps, Mapping) or not maps:
        raise ValueError("`maps` must be a non-empty dict of name -> (batch, h, w, channels) array.")
    arrays = {str(k): np.asarray(v, dtype=float) for k, v in maps.items()}
    shapes = {a.shape for a in arrays.values()}
    if len(shapes) != 1 or len(next(iter(shapes))) != 4:
        raise ValueError(
            "Every map must be a 4-D array (batch, height, width, channels) of the same shape. "
            f"Received shapes: { {k: a.shape for k, a in arrays.items()} }"
        )
    batch, _, _, channels = next(iter(shapes))
    if isinstance(n_channels, bool) or not isinstance(n_channels, int) or not 1 <= n_channels <= channels:
        raise ValueError(
            f"`n_channels` must be an integer in [1, {channels}]. Received: n_channels={n_channels!r}"
        )
    if isinstance(example, bool) or not isinstance(example, int) or not 0 <= example < batch:
        raise ValueError(f"`example` must be an integer in [0, {batch - 1}]. Received: example={example!r}")
    vmax = max(float(a[example, ..., :n_channels].max()) for a in arrays.values()) or 1.0
    fig, axes = plt.subplots(
        len(arrays), n_channels, squeeze=False, figsize=(1.1 * n_channels + 1.5, 1.25 * len(arrays) + 0.4)
    )
    for row, (name, a) in enumerate(arrays.items()):
        for c in range(n_channels):
            ax = axes[row, c]
            ax.imshow(a[example, :, :, c], cmap=cmap, vmin=0.0, vmax=vmax)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
            if row == 0:
                ax.set_title(f"channel {c}", fontsize="small")
        axes[row, 0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize="small")
    _fit_layout(fig)
    return fig
