"""Figures for the lesson on combined models: results of several experiments side by side, and
a hyperparameter sweep as a heatmap."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ._core import _PALETTE, _fit_layout, _get_ax, legend_outside

__all__ = ["plot_results_bars", "plot_sweep_heatmap", "plot_random_search"]


def plot_results_bars(
    results: Sequence[Any] | Mapping[str, Any],
    *,
    baseline: str | None = None,
    ax: Any = None,
    title: str | None = "Validation accuracy and gap, same budget",
) -> Any:
    """Draws one pair of bars per experiment: final validation accuracy and training accuracy
    (both in inference mode); the gap is the difference, printed above each pair (the y axis
    leaves room for it). Long experiment names are wrapped; the legend sits to the right.

    Args:
        results: :class:`course_utils.ExperimentResult` objects in row order (a list, or a dict
            whose values are results).
        baseline: Optional name of the reference experiment: a dotted line marks its validation
            accuracy.
        ax: Matplotlib axes to draw on; a new figure is created when ``None``.
        title: Axes title (``None`` for none).

    Returns:
        The matplotlib ``Axes``.

    Raises:
        ValueError: If ``results`` is empty, an item lacks ``name``/``val_accuracy``/
            ``train_accuracy``, or ``baseline`` is not one of the names.

    Example:

    >>> from course_utils import ExperimentResult, plot_results_bars
    >>> r = ExperimentResult("demo", {"val_accuracy": [0.8]}, epochs_budget=1,
    ...                      epochs_trained=1, elapsed_seconds=1.0, train_accuracy=0.9,
    ...                      val_accuracy=0.8, n_params=10, seed=0, batch_size=32, n_train=100)
    >>> ax = plot_results_bars([r])
    >>> ax.get_ylabel()
    'accuracy (inference mode)'
    """
    rows = list(results.values()) if isinstance(results, Mapping) else list(results)
    if not rows:
        raise ValueError("`results` is empty: nothing to plot.")
    missing = [
        type(r).__name__
        for r in rows
        if not all(hasattr(r, a) for a in ("name", "val_accuracy", "train_accuracy"))
    ]
    if missing:
        raise ValueError(
            "Every item of `results` needs `name`, `val_accuracy` and `train_accuracy` (use the "
            f"ExperimentResult objects returned by run_experiment). Received: {missing}"
        )
    names = [str(r.name) for r in rows]
    val = np.array([float(r.val_accuracy) for r in rows])
    train = np.array([float(r.train_accuracy) for r in rows])
    if baseline is not None and baseline not in names:
        raise ValueError(f"`baseline` must be one of {names}. Received: baseline={baseline!r}")
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(max(5.0, 1.2 * len(rows)) + 3.0, 4.5))
    x = np.arange(len(rows), dtype=float)
    width = 0.38
    ax.bar(x - width / 2, val, width, color=_PALETTE[0], label="validation")
    ax.bar(x + width / 2, train, width, color=_PALETTE[8], alpha=0.55, label="training")
    box = dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.8)
    for xi, t, v in zip(x, train, val):
        ax.annotate(
            f"val {v:.3f}\ngap {t - v:+.3f}",
            (xi, max(t, v)),
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize="x-small",
            bbox=box,
        )
    if baseline is not None:
        ref = val[names.index(baseline)]
        ax.axhline(ref, color=_PALETTE[1], ls=":", lw=1.5, label=f"{baseline} validation ({ref:.3f})")
    low = max(0.0, float(min(val.min(), train.min())) - 0.1)
    ax.set_ylim(low, _top_with_room_for_labels(ax, float(max(val.max(), train.max())), low, lines=2))
    ax.set_xticks(x, [textwrap.fill(n, 11) for n in names])
    ax.set_ylabel("accuracy (inference mode)")
    if title:
        ax.set_title(title)
    legend_outside(ax)
    return ax


def _top_with_room_for_labels(ax: Any, highest: float, low: float, *, lines: int) -> float:
    """The upper y limit that leaves room above ``highest`` for ``lines`` lines of x-small text
    (plus the 3-point offset), estimated from the axes' height in the figure."""
    from matplotlib.font_manager import FontProperties

    fig = ax.figure
    height_pt = ax.get_position().height * fig.get_figheight() * 72.0 * 0.8  # layout shrinks it
    size_pt = FontProperties(size="x-small").get_size_in_points()
    needed_pt = 3.0 + lines * 1.35 * size_pt + 4.0
    share = min(needed_pt / max(height_pt, 1.0), 0.5)
    top = (highest - share * low) / (1.0 - share)
    return max(top, highest + 0.02)


def plot_sweep_heatmap(
    scores: Any,
    row_values: Sequence[float],
    col_values: Sequence[float],
    *,
    row_label: str = "dropout rate",
    col_label: str = "L2 strength",
    score_label: str = "validation accuracy",
    ax: Any = None,
    title: str | None = None,
) -> Any:
    """Shows a 2-D hyperparameter sweep as a heatmap with each cell's score written in it and
    the best cell (highest score) outlined.

    Args:
        scores: Array-like of shape ``(len(row_values), len(col_values))``.
        row_values: The hyperparameter values of the rows.
        col_values: The hyperparameter values of the columns.
        row_label: Name of the row hyperparameter.
        col_label: Name of the column hyperparameter.
        score_label: Name of the score (colour-bar label).
        ax: Matplotlib axes to draw on; a new figure is created when ``None``.
        title: Axes title; defaults to "Sweep: best <row> x <col>".

    Returns:
        The matplotlib ``Axes``.

    Raises:
        ValueError: If ``scores`` does not have one row per ``row_values`` entry and one column
            per ``col_values`` entry, or contains non-finite values.

    Example:

    >>> from course_utils import plot_sweep_heatmap
    >>> ax = plot_sweep_heatmap([[0.80, 0.82], [0.85, 0.81]], [0.2, 0.5], [1e-4, 1e-3])
    >>> ax.get_ylabel()
    'dropout rate'
    """
    s = np.asarray(scores, dtype=float)
    shape = (len(row_values), len(col_values))
    if s.shape != shape:
        raise ValueError(f"`scores` must have shape {shape} (rows x columns). Received: shape {s.shape}")
    if s.size == 0 or not np.isfinite(s).all():
        raise ValueError(f"`scores` must be non-empty and finite. Received: {s.tolist()}")
    ax = _get_ax(ax)
    image = ax.imshow(s, cmap="viridis", aspect="auto")
    ax.figure.colorbar(image, ax=ax, label=score_label)
    mid = (float(s.min()) + float(s.max())) / 2
    for i in range(shape[0]):
        for j in range(shape[1]):
            ax.text(
                j,
                i,
                f"{s[i, j]:.3f}",
                ha="center",
                va="center",
                color="black" if s[i, j] > mid else "white",
                fontsize="small",
            )
    best_i, best_j = np.unravel_index(int(np.argmax(s)), s.shape)
    ax.add_patch(_outline(int(best_j), int(best_i)))
    ax.set_xticks(np.arange(shape[1]), [f"{v:g}" for v in col_values])
    ax.set_yticks(np.arange(shape[0]), [f"{v:g}" for v in row_values])
    ax.set_xlabel(col_label)
    ax.set_ylabel(row_label)
    ax.grid(False)
    ax.set_title(title if title is not None else f"Sweep: {row_label} x {col_label} (best outlined)")
    _fit_layout(ax.figure)
    return ax


def _outline(x: float, y: float) -> Any:
    from matplotlib.patches import Rectangle

    return Rectangle((x - 0.5, y - 0.5), 1.0, 1.0, fill=False, edgecolor=_PALETTE[1], lw=3)


def plot_random_search(
    x_values: Sequence[float],
    y_values: Sequence[float],
    scores: Sequence[float],
    *,
    x_label: str = "L2 strength",
    y_label: str = "dropout rate",
    score_label: str = "validation accuracy",
    log_x: bool = True,
    x_range: tuple[float, float] | None = None,
    y_range: tuple[float, float] | None = None,
    ax: Any = None,
    title: str | None = None,
) -> Any:
    """Shows the trials of a random search over two hyperparameters: one dot per trial, coloured
    and labelled with its score, the best one ringed. A log-scale hyperparameter (a penalty's
    strength, a learning rate) goes on the logarithmic x axis, where random draws spread evenly.

    Args:
        x_values: Each trial's value of the x hyperparameter (positive when ``log_x``).
        y_values: Each trial's value of the y hyperparameter.
        scores: Each trial's score (higher is better).
        x_label: Name of the x hyperparameter.
        y_label: Name of the y hyperparameter.
        score_label: Name of the score (colour-bar label).
        log_x: Logarithmic x axis.
        x_range: The range the x values were drawn from: the axes show all of it, so the
            reader sees how evenly the trials cover it (default: the trials' own span).
        y_range: The same for the y values.
        ax: Matplotlib axes to draw on; a new figure is created when ``None``.
        title: Axes title; defaults to "Random search: N trials (best ringed)".

    Returns:
        The matplotlib ``Axes``.

    Raises:
        ValueError: If the three sequences are empty or differ in length, a value is not finite,
            or an x value is not positive on a log axis.

    Example:

    >>> from course_utils import plot_random_search
    >>> ax = plot_random_search([1e-4, 3e-3, 2e-5], [0.2, 0.5, 0.4], [0.84, 0.81, 0.86])
    >>> ax.get_xscale()
    'log'
    """
    x = np.asarray(x_values, dtype=float)
    y = np.asarray(y_values, dtype=float)
    s = np.asarray(scores, dtype=float)
    if x.ndim != 1 or len(x) == 0 or x.shape != y.shape or x.shape != s.shape:
        raise ValueError(
            "`x_values`, `y_values` and `scores` must be non-empty sequences of the same length, one "
            f"value per trial. Received lengths {x.size}, {y.size} and {s.size}"
        )
    if not (np.isfinite(x).all() and np.isfinite(y).all() and np.isfinite(s).all()):
        raise ValueError("Every value and score must be a finite number (did a trial diverge?).")
    if log_x and (x <= 0).any():
        raise ValueError(f"On a log axis every x value must be positive. Received: {x.tolist()}")
    ax = _get_ax(ax)
    dots = ax.scatter(x, y, c=s, cmap="viridis", s=90, edgecolors="black", linewidths=0.5, zorder=3)
    ax.figure.colorbar(dots, ax=ax, label=score_label)
    for xi, yi, si in zip(x, y, s):
        ax.annotate(f"{si:.3f}", (xi, yi), xytext=(7, 5), textcoords="offset points", fontsize="small")
    best = int(np.argmax(s))
    ax.scatter(
        [x[best]], [y[best]], s=320, facecolors="none", edgecolors=_PALETTE[1], linewidths=2.5, zorder=4
    )
    x_lo, x_hi = x_range if x_range is not None else (float(x.min()), float(x.max()))
    y_lo, y_hi = y_range if y_range is not None else (float(y.min()), float(y.max()))
    if log_x:
        ax.set_xscale("log")
        ax.set_xlim(x_lo / 2.0, x_hi * 3.0)  # room for the score written right of a dot
    else:
        span = max(x_hi - x_lo, 1e-12)
        ax.set_xlim(x_lo - 0.1 * span, x_hi + 0.25 * span)
    pad = 0.1 * max(y_hi - y_lo, 0.1)
    ax.set_ylim(y_lo - pad, y_hi + 2 * pad)
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    ax.set_title(title if title is not None else f"Random search: {len(s)} trials (best ringed)")
    _fit_layout(ax.figure)
    return ax
