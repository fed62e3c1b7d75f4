"""Figures for the lessons. Every helper takes ``ax=None`` and returns what it drew on.

Nothing here changes matplotlib's global style on import; call :func:`set_style` once if you
want the course's look. No helper calls ``plt.show()``.
"""

from __future__ import annotations

import functools
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from ..training import HistoryLike, as_history_dict, summarize_history

__all__ = [
    "legend_outside",
    "plot_examples",
    "plot_gap_summary",
    "plot_history",
    "plot_learning_curves",
    "run_colors",
    "set_style",
]

_PALETTE = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#ff7f0e",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#7f7f7f",
    "#bcbd22",
)


def set_style() -> None:
    """Applies the course's plot style (seaborn's whitegrid theme, readable sizes).

    This is the only function in the package that changes global matplotlib settings.

    Example:

    >>> from course_utils import set_style
    >>> set_style()
    """
    import seaborn as sns

    sns.set_theme(
        style="whitegrid", context="notebook", rc={"figure.figsize": (7.0, 4.0), "axes.titleweight": "bold"}
    )


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
    if (
        isinstance(raw, Mapping)
        and raw
        and all(isinstance(v, (list, tuple, np.ndarray)) for v in raw.values())
    ):
        return {"run": as_history_dict(raw)}
    if not isinstance(raw, Mapping) or not raw:
        raise ValueError(
            "Expected a History, a history dict, or a dict of named histories such as "
            f"{{'small': h1, 'big': h2}}. Received: {type(histories).__name__}"
        )
    return {str(name): as_history_dict(h) for name, h in raw.items()}


def _get_ax(ax: Any, figsize: tuple[float, float] | None = None) -> Any:
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=figsize)
    return ax


# --------------------------------------------------------------------------------------------
# Readability: legends beside the data, layout that keeps every label in the figure, tick
# labels that show the values a lesson used.
# --------------------------------------------------------------------------------------------


def _fit_layout(fig: Any) -> None:
    """Gives ``fig`` matplotlib's tight layout (applied at every draw) unless it already has a
    layout engine, so that legends outside the axes, long labels and titles stay in the figure
    and off the neighbouring panels. Calling ``fig.tight_layout()`` afterwards stays fine."""
    from matplotlib.layout_engine import PlaceHolderLayoutEngine

    root = fig.get_figure(root=True) if hasattr(fig, "get_figure") else fig
    root = root if root is not None else fig
    engine = root.get_layout_engine()
    if engine is None or isinstance(engine, PlaceHolderLayoutEngine):
        root.set_layout_engine("tight")


def legend_outside(
    ax: Any,
    handles: Sequence[Any] | None = None,
    labels: Sequence[str] | None = None,
    *,
    fontsize: str | float = "small",
    title: str | None = None,
    ncol: int | None = None,
) -> Any:
    """Draws the legend of ``ax`` to the right of the axes, outside them, so that it covers no
    curve, and lays the figure out so that the legend stays inside it.

    Every plot helper of the course places its legend this way. Use it for the legends you add
    yourself, e.g. after drawing an extra curve on a helper's axes. If the figure has no layout
    engine yet, it gets matplotlib's tight layout (applied at each draw).

    Args:
        ax: The matplotlib ``Axes`` whose legend to draw.
        handles: Artists to list; defaults to every labelled artist of ``ax``.
        labels: Their labels; defaults to each handle's own label.
        fontsize: Font size of the entries (and of the title).
        title: Optional legend title.
        ncol: Number of columns; defaults to 1 (2 beyond 12 entries).

    Returns:
        The matplotlib ``Legend``, or ``None`` (and no legend) when there is nothing to list.

    Example:

    >>> import matplotlib.pyplot as plt
    >>> from course_utils import legend_outside
    >>> fig, ax = plt.subplots()
    >>> _ = ax.plot([1, 2, 3], [3, 1, 2], label="loss")
    >>> legend = legend_outside(ax)
    >>> [t.get_text() for t in legend.get_texts()]
    ['loss']
    """
    if handles is None:
        handles, found = ax.get_legend_handles_labels()
        labels = found if labels is None else labels
    else:
        handles = list(handles)
        labels = [h.get_label() for h in handles] if labels is None else labels
    labels = list(labels)
    if not handles:
        if ax.get_legend() is not None:
            ax.get_legend().remove()
        return None
    legend = ax.legend(
        handles,
        labels,
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0),
        borderaxespad=0.0,
        fontsize=fontsize,
        title=title,
        title_fontsize=fontsize,
        ncol=ncol if ncol is not None else (1 if len(handles) <= 12 else 2),
    )
    _fit_layout(ax.figure)
    return legend


def _format_value(value: float) -> str:
    """A tick label for a value a lesson chose: ``75``, ``1,210``, ``0.5``, ``0.001``."""
    v = float(value)
    if v.is_integer() and abs(v) < 1e15:
        return f"{int(v):,}"
    return f"{v:g}"


def _ticks_at_values(axis: Any, values: Iterable[float]) -> None:
    """Puts the ticks of ``axis`` (``ax.xaxis`` / ``ax.yaxis``) at exactly ``values``, labelled
    with the values themselves, and removes the minor ticks (on a log axis, matplotlib would
    otherwise label 2x10^2, 3x10^2, ... instead of the sizes used)."""
    from matplotlib.ticker import NullLocator

    ticks = sorted({float(v) for v in values if np.isfinite(v)})
    axis.set_ticks(ticks, [_format_value(v) for v in ticks])
    axis.set_minor_locator(NullLocator())


def _whole_numbers(axis: Any) -> None:
    """Integer ticks only (epochs, steps): no "1.25" epochs on a short run."""
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 2.5, 5, 10], min_n_ticks=1))


@functools.cache
def _plain_log_locator_class() -> type:
    from matplotlib.ticker import Locator, LogLocator, MaxNLocator

    class PlainLogLocator(Locator):
        """Ticks for a log axis that read as plain numbers: 1-2-5 steps when the view spans a
        few decades, whole decades when it spans many, evenly stepped values when it spans
        less than one (where the default log ticks would show no label at all)."""

        def __call__(self) -> Any:
            assert self.axis is not None, "the locator is not attached to an axis"
            vmin, vmax = self.axis.get_view_interval()
            return self.tick_values(vmin, vmax)

        def tick_values(self, vmin: float, vmax: float) -> Any:
            vmin, vmax = sorted((float(vmin), float(vmax)))
            if not (np.isfinite(vmin) and np.isfinite(vmax)) or vmax <= 0:
                return np.array([])
            vmin = vmin if vmin > 0 else vmax / 10.0
            decades = np.log10(vmax / vmin)
            if decades < 0.8:
                ticks = np.asarray(MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]).tick_values(vmin, vmax))
                return ticks[ticks > 0]
            if decades <= 2.2:
                return LogLocator(subs=(1.0, 2.0, 5.0), numticks=30).tick_values(vmin, vmax)
            if decades <= 6.0:
                return LogLocator(subs=(1.0,), numticks=30).tick_values(vmin, vmax)
            return LogLocator(subs=(1.0,), numticks=7).tick_values(vmin, vmax)

    return PlainLogLocator


def _plain_log_scale(axis: Any) -> None:
    """Makes ``axis`` logarithmic with ticks labelled as plain numbers (0.5, 1, 2; 0.01, 0.1, 1)
    and no minor ticks, instead of matplotlib's 2x10^0 / 10^-1 labels."""
    from matplotlib.ticker import FuncFormatter, NullLocator

    getattr(axis.axes, f"set_{axis.axis_name}scale")("log")
    axis.set_major_locator(_plain_log_locator_class()())
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: _format_value(float(f"{v:.6g}"))))
    axis.set_minor_locator(NullLocator())


def _wrap(label: str, width: int = 40) -> str:
    """Breaks a long axis label over lines of at most ``width`` characters."""
    return label if len(label) <= width else textwrap.fill(label, width)


def _curve_legend_handles(
    runs: Mapping[str, Mapping[str, Sequence[float]]],
    colors: Mapping[str, str],
    metrics: Sequence[str],
    mark_best: bool,
) -> list[Any]:
    """Legend entries for learning curves: with one run, its train and validation curves; with
    several, one colour per run plus what solid and dashed mean (shorter than 2 x runs entries)."""
    from matplotlib.lines import Line2D

    has_val = any(f"val_{m}" in h for h in runs.values() for m in metrics)
    marked = mark_best and "loss" in metrics and any("val_loss" in h for h in runs.values())
    if len(runs) == 1:
        color = next(iter(colors[name] for name in runs))
        handles = [Line2D([], [], color=color, lw=1.8, label="train")]
        if has_val:
            handles.append(Line2D([], [], color=color, lw=1.8, ls="--", label="validation"))
    else:
        color = "0.35"
        handles = [Line2D([], [], color=colors[name], lw=3.0, label=name) for name in runs]
        handles.append(Line2D([], [], color=color, lw=1.8, label="train (solid)"))
        if has_val:
            handles.append(Line2D([], [], color=color, lw=1.8, ls="--", label="validation (dashed)"))
    if marked:
        handles.append(
            Line2D([], [], color=color, marker="o", ms=7, ls="none", label="lowest validation loss")
        )
    return handles


def plot_learning_curves(
    histories: HistoryLike | Mapping[str, HistoryLike],
    metric: str = "loss",
    *,
    ax: Any = None,
    colors: Mapping[str, str] | None = None,
    mark_best: bool = True,
    title: str | None = None,
    log_y: bool = False,
    legend: bool = True,
) -> Any:
    """Plots training (solid) and validation (dashed) curves of one metric for one or more runs.

    Each run keeps one colour for both of its curves. With ``mark_best`` and ``metric="loss"``,
    a dot marks each run's lowest validation loss: everything to its right is the model getting
    worse on data it has not seen. The legend sits to the right of the axes, off the curves.

    Args:
        histories: A ``History``, a history dict, or a dict of run name -> history.
        metric: The metric to plot, e.g. ``"loss"`` or ``"accuracy"``.
        ax: Matplotlib axes to draw on; a new figure is created when ``None``.
        colors: Optional run name -> colour (see :func:`run_colors`).
        mark_best: Mark the epoch of the lowest validation loss (loss plots only).
        title: Axes title; defaults to the metric name.
        log_y: Logarithmic y axis, labelled with plain numbers (0.1, 0.2, 0.5, 1). Use this
            rather than ``ax.set_yscale("log")`` afterwards, which brings back 2x10^0 labels.
        legend: Draw the legend (``False`` when several panels share one, as in
            :func:`plot_history`).

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
        point = "." if len(epochs) == 1 else None  # a one-epoch "curve" is a single point
        ax.plot(epochs, h[metric], color=colors[name], lw=1.8, marker=point, label=f"{label}train")
        val_key = f"val_{metric}"
        if val_key in h:
            ax.plot(
                epochs,
                h[val_key],
                color=colors[name],
                lw=1.8,
                ls="--",
                marker=point,
                label=f"{label}validation",
            )
            if mark_best and metric == "loss":
                best = int(np.argmin(h[val_key]))
                ax.plot(best + 1, h[val_key][best], "o", color=colors[name], ms=7, zorder=5)
    if log_y:
        _plain_log_scale(ax.yaxis)
    _whole_numbers(ax.xaxis)
    ax.set_xlabel("epoch")
    ax.set_ylabel(metric)
    ax.set_title(title if title is not None else metric)
    if legend:
        legend_outside(ax, _curve_legend_handles(runs, colors, [metric], mark_best))
    else:
        _fit_layout(ax.figure)
    return ax


def plot_history(
    histories: HistoryLike | Mapping[str, HistoryLike],
    *,
    metrics: Sequence[str] = ("loss", "accuracy"),
    colors: Mapping[str, str] | None = None,
    suptitle: str | None = None,
    log_loss: bool = False,
) -> Any:
    """Draws :func:`plot_learning_curves` for several metrics side by side, with one legend for
    all panels to the right of the last one.

    Args:
        histories: As for :func:`plot_learning_curves`.
        metrics: One panel per metric.
        colors: Optional run name -> colour.
        suptitle: Optional figure title.
        log_loss: Logarithmic y axis (plain-number labels) for the panels of metrics whose
            name contains ``"loss"``: the late rise of a validation loss shows better there.

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

    runs = _as_runs(histories)
    colors = {**run_colors(list(runs)), **(colors or {})}
    fig, axes = plt.subplots(1, len(metrics), figsize=(5.4 * len(metrics) + 1.8, 4.0), squeeze=False)
    for metric, ax in zip(metrics, axes[0]):
        plot_learning_curves(
            runs, metric, ax=ax, colors=colors, legend=False, log_y=log_loss and "loss" in metric
        )
    legend_outside(axes[0][-1], _curve_legend_handles(runs, colors, list(metrics), True))
    if suptitle:
        fig.suptitle(suptitle)
    _fit_layout(fig)
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
    gap, labelled with its value. With numeric ``x`` the ticks sit at exactly those values
    (``75, 150, 600``, also on a log axis).

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
    last = int(np.argmax(xs)) if len(xs) > 1 else -1
    for i, (xi, t, v) in enumerate(zip(xs, train, val)):
        # Labels point into the plot: the rightmost run's to its left, every other to its right.
        inward = -1 if i == last else 1
        ax.annotate(
            f"gap {t - v:+.2f}",
            (xi, (t + v) / 2),
            xytext=(6 * inward, 0),
            textcoords="offset points",
            ha="left" if inward > 0 else "right",
            va="center",
            fontsize="small",
            color="#7f1d1d",
            bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.75),
        )
    if log_x:
        ax.set_xscale("log")
    if x is None:
        ax.set_xticks(xs, names)
    else:
        _ticks_at_values(ax.xaxis, xs)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("final accuracy")
    ax.set_title(title if title is not None else "train vs. validation accuracy")
    legend_outside(ax)
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
