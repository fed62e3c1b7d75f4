"""Figures for the lessons. Every helper takes ``ax=None`` and returns what it drew on.

Nothing here changes matplotlib's global style on import; call :func:`set_style` once if you
want the course's look. No helper calls ``plt.show()``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..training import HistoryLike, as_history_dict, summarize_history

__all__ = [
    "plot_examples",
    "plot_gap_summary",
    "plot_history",
    "plot_learning_curves",
    "run_colors",
    "set_style",
]

_PALETTE = (
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
    "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22",
)


def set_style() -> None:
    """Applies the course's plot style (seaborn's whitegrid theme, readable sizes).

    This is the only function in the package that changes global matplotlib settings.

    Example:

    >>> from course_utils import set_style
    >>> set_style()
    """
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="notebook",
                  rc={"figure.figsize": (7.0, 4.0), "axes.titleweight": "bold"})


def run_colors(names: Sequence[str]) -> dict[str, str]:
    """Assigns each run a fixed colour, in order, so a run keeps its colour across figures.

    Args:
        names: Run names, in the order they should take colours.

    Returns:
        A dict from run name to a hex colour.

    Example:

    >>> from course_utils import run_colors
    >>> run_colors(["small", "big"])
    {'small': '#1f77b4', 'big': '#d62728'}
    """
    return {name: _PALETTE[i % len(_PALETTE)] for i, name in enumerate(names)}


def _as_runs(histories: HistoryLike | Mapping[str, HistoryLike]) -> dict[str, dict[str, list[float]]]:
    raw = getattr(histories, "history", histories)
    if isinstance(raw, Mapping) and raw and all(
        isinstance(v, (list, tuple, np.ndarray)) for v in raw.values()
    ):
        return {"run": as_history_dict(raw)}
    if not isinstance(raw, Mapping) or not raw:
        raise ValueError(
            "Expected a History, a history dict, or a dict of named histories such as "
            f"{{'small': h1, 'big': h2}}. Received: {type(histories).__name__}"
        )
    return {str(name): as_history_dict(h) for name, h in raw.items()}


def _get_ax(ax: Any) -> Any:
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots()
    return ax


def plot_learning_curves(
    histories: HistoryLike | Mapping[str, HistoryLike],
    metric: str = "loss",
    *,
    ax: Any = None,
    colors: Mapping[str, str] | None = None,
    mark_best: bool = True,
    title: str | None = None,
) -> Any:
    """Plots training (solid) and validation (dashed) curves of one metric for one or more runs.

    Each run keeps one colour for both of its curves. With ``mark_best`` and ``metric="loss"``,
    a dot marks each run's lowest validation loss: everything to its right is the model getting
    worse on data it has not seen.

    Args:
        histories: A ``History``, a history dict, or a dict of run name -> history.
        metric: The metric to plot, e.g. ``"loss"`` or ``"accuracy"``.
        ax: Matplotlib axes to draw on; a new figure is created when ``None``.
        colors: Optional run name -> colour (see :func:`run_colors`).
        mark_best: Mark the epoch of the lowest validation loss (loss plots only).
        title: Axes title; defaults to the metric name.

    Returns:
        The matplotlib ``Axes``.

    Raises:
        ValueError: If ``metric`` is missing from a history (the message lists those present).

    Example:

    >>> from course_utils import plot_learning_curves
    >>> ax = plot_learning_curves({"loss": [1.0, 0.5], "val_loss": [1.1, 0.9]})
    >>> ax.get_ylabel()
    'loss'
    """
    runs = _as_runs(histories)
    colors = {**run_colors(list(runs)), **(colors or {})}
    ax = _get_ax(ax)
    for name, h in runs.items():
        if metric not in h:
            raise ValueError(f"Run {name!r} has no metric {metric!r}; it has {sorted(h)}.")
        epochs = np.arange(1, len(h[metric]) + 1)
        label = "" if len(runs) == 1 else f"{name} "
        ax.plot(epochs, h[metric], color=colors[name], lw=1.8, label=f"{label}train")
        val_key = f"val_{metric}"
        if val_key in h:
            ax.plot(epochs, h[val_key], color=colors[name], lw=1.8, ls="--", label=f"{label}validation")
            if mark_best and metric == "loss":
                best = int(np.argmin(h[val_key]))
                ax.plot(best + 1, h[val_key][best], "o", color=colors[name], ms=7, zorder=5)
    ax.set_xlabel("epoch")
    ax.set_ylabel(metric)
    ax.set_title(title if title is not None else metric)
    ax.legend(fontsize="small", ncol=1 if len(runs) < 4 else 2)
    return ax


def plot_history(
    histories: HistoryLike | Mapping[str, HistoryLike],
    *,
    metrics: Sequence[str] = ("loss", "accuracy"),
    colors: Mapping[str, str] | None = None,
    suptitle: str | None = None,
) -> Any:
    """Draws :func:`plot_learning_curves` for several metrics side by side.

    Args:
        histories: As for :func:`plot_learning_curves`.
        metrics: One panel per metric.
        colors: Optional run name -> colour.
        suptitle: Optional figure title.

    Returns:
        The matplotlib ``Figure``.

    Example:

    >>> from course_utils import plot_history
    >>> fig = plot_history({"loss": [1.0, 0.5], "val_loss": [1.1, 0.9],
    ...                     "accuracy": [0.5, 0.8], "val_accuracy": [0.4, 0.6]})
    >>> len(fig.axes)
    2
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(metrics), figsize=(6.0 * len(metrics), 4.0), squeeze=False)
    for metric, ax in zip(metrics, axes[0]):
        plot_learning_curves(histories, metric, ax=ax, colors=colors)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def plot_gap_summary(
    histories: Mapping[str, HistoryLike],
    *,
    x: Sequence[float] | None = None,
    xlabel: str = "run",
    log_x: bool = False,
    ax: Any = None,
    title: str | None = None,
) -> Any:
    """Plots final training and validation accuracy per run, with the gap between them shaded.

    Use it for sweeps (model size, training-set size): the shaded band is the generalization
    gap, labelled with its value.

    Args:
        histories: Run name -> history, in sweep order.
        x: Numeric x position of each run (e.g. parameter counts); defaults to 0, 1, 2, ...
            with the run names as tick labels.
        xlabel: Label of the x axis.
        log_x: Use a logarithmic x axis (for sizes spanning orders of magnitude).
        ax: Matplotlib axes to draw on; a new figure is created when ``None``.
        title: Axes title.

    Returns:
        The matplotlib ``Axes``.

    Raises:
        ValueError: If ``x`` does not have one value per run.

    Example:

    >>> from course_utils import plot_gap_summary
    >>> h = {"loss": [1.0], "val_loss": [1.2], "accuracy": [0.9], "val_accuracy": [0.7]}
    >>> ax = plot_gap_summary({"a": h, "b": h})
    >>> ax.get_ylabel()
    'final accuracy'
    """
    runs = _as_runs(histories)
    names = list(runs)
    summaries = [summarize_history(runs[n]) for n in names]
    xs = np.arange(len(names), dtype=float) if x is None else np.asarray(x, dtype=float)
    if xs.shape != (len(names),):
        raise ValueError(f"`x` needs one value per run ({len(names)}). Received: {len(xs)} values")
    train = np.array([s.final_train_accuracy for s in summaries])
    val = np.array([s.final_val_accuracy for s in summaries])
    ax = _get_ax(ax)
    ax.fill_between(xs, val, train, color="#d62728", alpha=0.15, label="gap")
    ax.plot(xs, train, "o-", color="#1f77b4", label="train")
    ax.plot(xs, val, "s--", color="#ff7f0e", label="validation")
    for xi, t, v in zip(xs, train, val):
        ax.annotate(f"gap {t - v:+.2f}", (xi, (t + v) / 2), xytext=(6, 0), textcoords="offset points",
                    ha="left", va="center", fontsize="small", color="#7f1d1d")
    if log_x:
        ax.set_xscale("log")
    if x is None:
        ax.set_xticks(xs, names)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("final accuracy")
    ax.set_title(title if title is not None else "train vs. validation accuracy")
    ax.legend(fontsize="small")
    return ax


def plot_examples(
    x: np.ndarray,
    y: np.ndarray,
    class_names: Sequence[str] | None = None,
    *,
    n: int = 10,
    highlight: np.ndarray | None = None,
    fig: Any = None,
) -> Any:
    """Shows the first ``n`` images with their labels in one row.

    Args:
        x: Images, ``(n, height, width, channels)`` with values in ``[0, 1]``.
        y: Integer labels.
        class_names: Optional names for the labels.
        n: How many images to show (positive).
        highlight: Optional boolean mask over ``x``; highlighted images get a red title
            (e.g. the labels flipped by ``label_noise``).
        fig: Matplotlib figure to draw in; a new one is created when ``None``.

    Returns:
        The matplotlib ``Figure``.

    Raises:
        ValueError: If ``n`` is not a positive integer.

    Example:

    >>> import numpy as np
    >>> from course_utils import plot_examples
    >>> fig = plot_examples(np.zeros((3, 8, 8, 1)), np.array([0, 1, 2]), n=3)
    >>> len(fig.axes)
    3
    """
    import matplotlib.pyplot as plt

    from .._validation import check_positive_int

    n = min(check_positive_int("n", n), len(x))
    if fig is None:
        fig = plt.figure(figsize=(1.2 * n, 1.6))
    axes = fig.subplots(1, n, squeeze=False)[0]
    for i, ax in enumerate(axes):
        img = x[i]
        ax.imshow(img[..., 0] if img.shape[-1] == 1 else img, cmap="gray_r" if img.shape[-1] == 1 else None)
        label = class_names[int(y[i])] if class_names is not None else str(int(y[i]))
        flagged = highlight is not None and bool(highlight[i])
        ax.set_title(label, color="#d62728" if flagged else "black", fontsize="small")
        ax.axis("off")
    return fig
