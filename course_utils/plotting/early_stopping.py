"""Figures for the lesson on early stopping: where training stopped and which epoch was
restored, and how a selected model's score holds up on an untouched hold-out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..training import HistoryLike, as_history_dict
from ._core import _PALETTE, _get_ax, _whole_numbers, _wrap, legend_outside

__all__ = ["plot_early_stopping", "plot_selection_bias"]


def _check_epoch(name: str, epoch: object, n: int) -> int | None:
    if epoch is None:
        return None
    if isinstance(epoch, bool) or not isinstance(epoch, (int, np.integer)) or not 1 <= int(epoch) <= n:
        raise ValueError(f"`{name}` must be an epoch between 1 and {n} (or None). Received: {name}={epoch!r}")
    return int(epoch)


def plot_early_stopping(
    history: HistoryLike,
    *,
    stop_epoch: int | None = None,
    restored_epoch: int | None = None,
    full_history: HistoryLike | None = None,
    metric: str = "val_loss",
    ax: Any = None,
) -> Any:
    """Plots a monitored curve with the epoch where training stopped and the restored epoch.

    The run that was stopped early is drawn solid up to its last epoch; ``full_history`` (the
    same model trained for the whole budget) is drawn faint behind it, to show what the
    remaining epochs would have done. A vertical line marks ``stop_epoch`` and a star the
    ``restored_epoch`` (the weights that ``restore_best_weights=True`` puts back). The legend
    sits to the right of the axes, so zooming in with ``ax.set_ylim`` hides nothing under it.

    Args:
        history: The early-stopped run (``History`` or its dict).
        stop_epoch: Epoch at which training stopped (1-based), or ``None`` when the callback
            never fired (no line is drawn).
        restored_epoch: Epoch whose weights were restored (1-based), or ``None`` for no marker.
        full_history: Optional run of the same model over the whole epoch budget.
        metric: The monitored metric to draw (default ``"val_loss"``).
        ax: Matplotlib Axes to draw on; a new figure is created when ``None``.

    Returns:
        The Axes.

    Raises:
        ValueError: If ``metric`` is missing from a history or an epoch is out of range.

    Example:

    >>> from course_utils import plot_early_stopping
    >>> h = {"val_loss": [1.0, 0.7, 0.6, 0.65, 0.7]}
    >>> ax = plot_early_stopping(h, stop_epoch=5, restored_epoch=3)
    >>> ax.get_xlabel()
    'epoch'
    """
    run = as_history_dict(history)
    if metric not in run:
        raise ValueError(f"`metric` {metric!r} is not in the history; it has {sorted(run)}.")
    values = run[metric]
    n = len(values)
    full = None
    if full_history is not None:
        full = as_history_dict(full_history)
        if metric not in full:
            raise ValueError(f"`metric` {metric!r} is not in `full_history`; it has {sorted(full)}.")
    n_max = max(n, len(full[metric]) if full else 0)
    stop = _check_epoch("stop_epoch", stop_epoch, n_max)
    restored = _check_epoch("restored_epoch", restored_epoch, n)
    ax = _get_ax(ax)
    if full is not None:
        epochs_full = np.arange(1, len(full[metric]) + 1)
        ax.plot(
            epochs_full,
            full[metric],
            color="0.6",
            lw=1.5,
            alpha=0.7,
            label=f"without early stopping ({len(epochs_full)} epochs)",
        )
    ax.plot(np.arange(1, n + 1), values, color=_PALETTE[0], lw=2.2, label=f"with early stopping ({n} epochs)")
    if stop is not None:
        ax.axvline(stop, color=_PALETTE[1], ls="--", lw=1.3, label=f"stopped after epoch {stop}")
    if restored is not None:
        ax.plot(
            [restored],
            [values[restored - 1]],
            marker="*",
            ms=16,
            color=_PALETTE[3],
            markeredgecolor="black",
            ls="none",
            label=f"restored: epoch {restored} ({values[restored - 1]:.3f})",
        )
    _whole_numbers(ax.xaxis)
    ax.set_xlabel("epoch")
    ax.set_ylabel(metric)
    legend_outside(ax)
    return ax


def plot_selection_bias(
    selection_scores: Sequence[float],
    holdout_scores: Sequence[float],
    *,
    winner: int | None = None,
    selection_label: str = "score on the selection split",
    holdout_label: str = "score on the untouched hold-out",
    ax: Any = None,
) -> Any:
    """Scatter of each candidate's selection score against its hold-out score.

    Points on the dashed diagonal score the same on both; the winner (highest selection score)
    is drawn as a red star, with an arrow down to where it really lands on the hold-out. The
    legend sits to the right of the axes; long axis labels are wrapped.

    Args:
        selection_scores: One score per candidate on the data used for choosing.
        holdout_scores: The same candidates' scores on the untouched hold-out.
        winner: Index of the chosen candidate; defaults to the highest selection score.
        selection_label: x-axis label.
        holdout_label: y-axis label.
        ax: Matplotlib Axes to draw on; a new figure is created when ``None``.

    Returns:
        The Axes.

    Raises:
        ValueError: If the score lists differ in length, are empty, or ``winner`` is out of range.

    Example:

    >>> from course_utils import plot_selection_bias
    >>> ax = plot_selection_bias([0.80, 0.90, 0.85], [0.84, 0.83, 0.86])
    >>> len(ax.collections) >= 1
    True
    """
    sel = np.asarray(selection_scores, dtype=float)
    hold = np.asarray(holdout_scores, dtype=float)
    if sel.ndim != 1 or sel.shape != hold.shape or len(sel) == 0:
        raise ValueError(
            "`selection_scores` and `holdout_scores` must be 1-D and of the same, non-zero length. "
            f"Received shapes {sel.shape} and {hold.shape}"
        )
    if winner is None:
        winner = int(np.argmax(sel))
    if isinstance(winner, bool) or not isinstance(winner, (int, np.integer)) or not 0 <= winner < len(sel):
        raise ValueError(f"`winner` must be an index below {len(sel)}. Received: winner={winner!r}")
    ax = _get_ax(ax, figsize=(9.0, 5.0))
    # jitter-free scatter; identical scores overlap, so make points translucent
    ax.scatter(sel, hold, s=28, alpha=0.55, color=_PALETTE[0], label=f"{len(sel)} candidates")
    lo = float(min(sel.min(), hold.min())) - 0.02
    hi = float(max(sel.max(), hold.max())) + 0.02
    ax.plot([lo, hi], [lo, hi], ls="--", color="0.5", lw=1, label="same score on both")
    ax.scatter(
        [sel[winner]],
        [hold[winner]],
        marker="*",
        s=260,
        color=_PALETTE[1],
        edgecolor="black",
        zorder=3,
        label="selected (best on the selection split)",
    )
    ax.annotate(
        "",
        xy=(sel[winner], hold[winner]),
        xytext=(sel[winner], sel[winner]),
        arrowprops=dict(arrowstyle="->", color=_PALETTE[1], lw=1.5),
    )
    ax.axhline(hold.mean(), color=_PALETTE[2], lw=1, ls=":", label="average candidate, hold-out")
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_xlabel(_wrap(selection_label, 48))
    ax.set_ylabel(_wrap(holdout_label, 36))
    legend_outside(ax)
    return ax
