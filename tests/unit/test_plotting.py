"""Tests for course_utils.plotting (Agg backend; figures are closed after each test by the
autouse fixture in conftest.py)."""

from __future__ import annotations

import types
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import keras
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PathCollection, PolyCollection
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import Bbox

import course_utils as cu
import course_utils.plotting as cu_plotting
from course_utils import (
    plot_examples,
    plot_gap_summary,
    plot_history,
    plot_learning_curves,
    run_colors,
    set_style,
)

SMALL = {
    "loss": [1.0, 0.6, 0.5, 0.45],
    "val_loss": [1.1, 0.8, 0.9, 1.0],
    "accuracy": [0.5, 0.8, 0.9, 0.95],
    "val_accuracy": [0.45, 0.7, 0.72, 0.7],
}
BIG = {
    "loss": [0.9, 0.3, 0.1, 0.05],
    "val_loss": [1.0, 0.7, 0.6, 0.65],
    "accuracy": [0.6, 0.9, 0.98, 1.0],
    "val_accuracy": [0.5, 0.75, 0.8, 0.78],
}


def _curves(ax):
    """Lines with a label (the train / validation curves), as (label, linestyle, colour)."""
    return [
        (ln.get_label(), ln.get_linestyle(), to_hex(ln.get_color()))
        for ln in ax.lines
        if not ln.get_label().startswith("_")
    ]


def _all_plot_calls():
    """Calls every plotting helper once (used by the global-state tests)."""
    x = np.random.default_rng(0).random((4, 8, 8, 1))
    plot_learning_curves({"small": SMALL, "big": BIG})
    plot_history(SMALL)
    plot_gap_summary({"small": SMALL, "big": BIG})
    plot_examples(x, np.array([0, 1, 2, 3]), n=4)


# ---------------------------------------------------------------------------------------------
# plot_learning_curves
# ---------------------------------------------------------------------------------------------


def test_learning_curves_creates_axes_when_none():
    before = plt.get_fignums()
    ax = plot_learning_curves(SMALL)
    assert isinstance(ax, Axes)
    assert len(plt.get_fignums()) == len(before) + 1
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "loss"
    assert len(_curves(ax)) == 2


def test_learning_curves_draws_on_given_axes():
    fig, (ax0, ax1) = plt.subplots(1, 2)
    n_figs = len(plt.get_fignums())
    out = plot_learning_curves(SMALL, "accuracy", ax=ax1, title="acc")
    assert out is ax1
    assert len(plt.get_fignums()) == n_figs  # no new figure
    assert len(ax1.lines) >= 2 and len(ax0.lines) == 0
    assert ax1.get_title() == "acc" and ax1.get_ylabel() == "accuracy"
    # The plotted data are the history's values, epochs 1-based.
    train_line = next(ln for ln in ax1.lines if ln.get_label() == "train")
    np.testing.assert_allclose(train_line.get_xdata(), np.arange(1, len(SMALL["accuracy"]) + 1))
    np.testing.assert_allclose(train_line.get_ydata(), SMALL["accuracy"])


def test_learning_curves_styles_train_solid_validation_dashed_same_colour_per_run():
    names = ["small", "big"]
    ax = plot_learning_curves({"small": SMALL, "big": BIG})
    curves = _curves(ax)
    assert len(curves) == 4
    colours = {}
    for name in names:
        (train,) = [c for c in curves if c[0] == f"{name} train"]
        (val,) = [c for c in curves if c[0] == f"{name} validation"]
        assert train[1] == "-"
        assert val[1] == "--"
        assert train[2] == val[2]  # one colour per run
        colours[name] = train[2]
    assert colours["small"] != colours["big"]
    assert colours == {k: to_hex(v) for k, v in run_colors(names).items()}


def test_learning_curves_custom_colours_and_history_object():
    hist = keras.callbacks.History()
    hist.history = BIG
    ax = plot_learning_curves({"small": SMALL, "big": hist}, colors={"big": "#000000"})
    big = [c for c in _curves(ax) if c[0].startswith("big ")]
    assert len(big) == 2 and all(c[2] == "#000000" for c in big)
    ax2 = plot_learning_curves(hist)  # a single History
    assert len(_curves(ax2)) == 2


def test_learning_curves_marks_best_validation_epoch():
    ax = plot_learning_curves(SMALL)
    markers = [ln for ln in ax.lines if ln.get_marker() == "o" and ln.get_linestyle() == "None"]
    assert len(markers) == 1
    best = int(np.argmin(SMALL["val_loss"]))
    assert markers[0].get_xdata()[0] == best + 1
    assert markers[0].get_ydata()[0] == pytest.approx(SMALL["val_loss"][best])
    no_mark = plot_learning_curves(SMALL, mark_best=False)
    assert not [ln for ln in no_mark.lines if ln.get_marker() == "o"]


def test_learning_curves_without_validation_metric():
    ax = plot_learning_curves({"loss": [1.0, 0.5]})
    assert [c[:2] for c in _curves(ax)] == [("train", "-")]


def test_learning_curves_missing_metric_lists_present_ones():
    with pytest.raises(ValueError) as info:
        plot_learning_curves(SMALL, "precision")
    message = str(info.value)
    assert "'precision'" in message
    assert str(sorted(SMALL)) in message


def test_learning_curves_rejects_non_history():
    with pytest.raises(ValueError):
        plot_learning_curves([1.0, 2.0])


# ---------------------------------------------------------------------------------------------
# plot_history
# ---------------------------------------------------------------------------------------------


def test_plot_history_returns_figure_with_one_panel_per_metric():
    fig = plot_history(
        {"small": SMALL, "big": BIG}, metrics=("loss", "accuracy", "val_loss"), suptitle="sweep"
    )
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 3
    assert [ax.get_ylabel() for ax in fig.axes] == ["loss", "accuracy", "val_loss"]
    assert all(ax.lines for ax in fig.axes)
    assert fig.get_suptitle() == "sweep"


def test_plot_history_missing_metric():
    with pytest.raises(ValueError, match="'precision'"):
        plot_history(SMALL, metrics=("loss", "precision"))


# ---------------------------------------------------------------------------------------------
# plot_gap_summary
# ---------------------------------------------------------------------------------------------


def test_gap_summary_creates_axes_and_plots_final_accuracies():
    ax = plot_gap_summary({"small": SMALL, "big": BIG})
    assert isinstance(ax, Axes)
    by_label = {ln.get_label(): ln for ln in ax.lines}
    np.testing.assert_allclose(by_label["train"].get_ydata(), [SMALL["accuracy"][-1], BIG["accuracy"][-1]])
    np.testing.assert_allclose(
        by_label["validation"].get_ydata(), [SMALL["val_accuracy"][-1], BIG["val_accuracy"][-1]]
    )
    assert [t.get_text() for t in ax.get_xticklabels()] == ["small", "big"]
    # The gap of each run is written on the plot.
    texts = {t.get_text() for t in ax.texts}
    for h in (SMALL, BIG):
        assert f"gap {h['accuracy'][-1] - h['val_accuracy'][-1]:+.2f}" in texts


def test_gap_summary_draws_on_given_axes_with_numeric_x():
    _, ax = plt.subplots()
    out = plot_gap_summary({"small": SMALL, "big": BIG}, x=[1e3, 1e5], log_x=True, ax=ax, xlabel="parameters")
    assert out is ax
    assert ax.get_xscale() == "log"
    assert ax.get_xlabel() == "parameters"
    np.testing.assert_allclose(ax.lines[0].get_xdata(), [1e3, 1e5])


@pytest.mark.parametrize("x", [[1.0], [1.0, 2.0, 3.0]])
def test_gap_summary_x_length_mismatch(x):
    with pytest.raises(ValueError, match=rf"one value per run \(2\).*{len(x)} values"):
        plot_gap_summary({"small": SMALL, "big": BIG}, x=x)


def test_gap_summary_missing_metric():
    with pytest.raises(ValueError, match="val_accuracy"):
        plot_gap_summary({"a": {"loss": [1.0], "val_loss": [1.0], "accuracy": [0.5]}})


# ---------------------------------------------------------------------------------------------
# plot_examples
# ---------------------------------------------------------------------------------------------


def test_plot_examples_titles_and_highlight():
    rng = np.random.default_rng(0)
    x = rng.random((6, 8, 8, 1))
    y = np.array([3, 1, 4, 1, 5, 9])
    names = [f"class-{i}" for i in range(10)]
    highlight = np.array([False, True, False, False, True, False])
    fig = plot_examples(x, y, names, n=5, highlight=highlight)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 5
    assert [ax.get_title() for ax in fig.axes] == [names[i] for i in y[:5]]
    colours = [to_hex(ax.title.get_color()) for ax in fig.axes]
    assert len({colours[i] for i in range(5) if highlight[i]}) == 1
    assert len({colours[i] for i in range(5) if not highlight[i]}) == 1
    assert colours[1] != colours[0]
    np.testing.assert_allclose(fig.axes[2].images[0].get_array(), x[2, ..., 0])


def test_plot_examples_draws_in_given_figure_and_clips_n():
    fig = plt.figure()
    out = plot_examples(np.zeros((3, 4, 4, 3)), np.array([0, 1, 2]), n=10, fig=fig)
    assert out is fig
    assert len(fig.axes) == 3  # n is clipped to the number of images
    assert [ax.get_title() for ax in fig.axes] == ["0", "1", "2"]  # labels without class_names


def test_plot_examples_rejects_bad_n():
    with pytest.raises(ValueError, match="n=0"):
        plot_examples(np.zeros((3, 4, 4, 1)), np.array([0, 1, 2]), n=0)


# ---------------------------------------------------------------------------------------------
# run_colors
# ---------------------------------------------------------------------------------------------


def test_run_colors_are_stable_and_distinct():
    names = [f"run{i}" for i in range(12)]
    colours = run_colors(names)
    assert list(colours) == names
    assert run_colors(names[:2]) == {k: colours[k] for k in names[:2]}  # prefix-stable
    palette_size = len(set(colours.values()))
    assert palette_size >= 8
    assert len({colours[n] for n in names[:palette_size]}) == palette_size


# ---------------------------------------------------------------------------------------------
# Global state: rcParams and plt.show
# ---------------------------------------------------------------------------------------------


def test_importing_course_utils_does_not_change_rcparams(probes):
    data = probes["offline"].result()["data"]
    assert data["rcparams_changed"] == []


def test_plot_helpers_do_not_change_rcparams():
    before = matplotlib.rcParams.copy()
    _all_plot_calls()
    after = matplotlib.rcParams.copy()
    assert [k for k in before if before[k] != after[k]] == []


def test_set_style_changes_rcparams():
    # rc_context restores every rcParam afterwards, so the other tests keep the defaults.
    with matplotlib.rc_context():
        matplotlib.rcParams["axes.grid"] = False
        before = matplotlib.rcParams.copy()
        assert set_style() is None
        after = matplotlib.rcParams.copy()
        changed = [k for k in before if before[k] != after[k]]
        assert changed
        assert after["axes.grid"] is True  # seaborn's whitegrid theme


def test_no_helper_calls_show(monkeypatch):
    def _forbidden(*args, **kwargs):
        raise AssertionError("plt.show() was called")

    monkeypatch.setattr(plt, "show", _forbidden)
    monkeypatch.setattr(Figure, "show", _forbidden)
    _all_plot_calls()
    _, ax = plt.subplots()
    plot_learning_curves(SMALL, ax=ax)
    plot_gap_summary({"a": SMALL}, ax=ax)


# ---------------------------------------------------------------------------------------------
# Readability of every figure: legends cover no data, texts stay inside the figure (annotations
# inside their axes), tick labels do not overlap, log axes of sizes show the sizes used.
# ---------------------------------------------------------------------------------------------

_TOL = 1.0  # pixels


def _densify(points: np.ndarray, closed: bool = False, per_segment: int = 24) -> np.ndarray:
    """Points along the straight display-space segments between consecutive vertices."""
    points = points[np.isfinite(points).all(axis=1)]
    if closed and len(points) > 1:
        points = np.vstack([points, points[:1]])
    if len(points) < 2:
        return points
    t = np.linspace(0.0, 1.0, per_segment, endpoint=False)[None, :, None]
    a, b = points[:-1, None, :], points[1:, None, :]
    return np.vstack([(a + t * (b - a)).reshape(-1, 2), points[-1:]])


def _data_points(ax: Axes) -> np.ndarray:
    """Display coordinates of what `ax` plots: line vertices and the segments between them,
    scatter offsets, bar / histogram / band outlines. Only points inside the axes count (the
    rest is clipped away)."""
    chunks = [np.empty((0, 2))]
    for line in ax.lines:
        if not line.get_visible():
            continue
        xy = line.get_transform().transform(np.asarray(line.get_xydata(), dtype=float))
        joined = line.get_linestyle() not in ("None", "none", "", " ")
        chunks.append(_densify(xy) if joined else xy[np.isfinite(xy).all(axis=1)])
    for patch in ax.patches:
        if patch.get_visible():
            xy = patch.get_transform().transform(patch.get_path().vertices)
            chunks.append(_densify(xy, closed=True))
    for coll in ax.collections:
        if not coll.get_visible():
            continue
        if isinstance(coll, PathCollection):  # scatter: one marker per offset
            chunks.append(coll.get_offset_transform().transform(coll.get_offsets()))
        elif isinstance(coll, PolyCollection):  # fill_between bands
            for path in coll.get_paths():
                chunks.append(_densify(coll.get_transform().transform(path.vertices), closed=True))
    points = np.vstack(chunks)
    box = ax.get_window_extent()
    inside = (
        (points[:, 0] >= box.x0 - _TOL)
        & (points[:, 0] <= box.x1 + _TOL)
        & (points[:, 1] >= box.y0 - _TOL)
        & (points[:, 1] <= box.y1 + _TOL)
    )
    return points[inside]


def _drawn_tick_labels(axis: Any, which: str = "major") -> list[Text]:
    """The tick labels matplotlib draws: non-empty, visible, with the tick inside the view."""
    ticks = axis.get_major_ticks() if which == "major" else axis.get_minor_ticks()
    locs = axis.get_majorticklocs() if which == "major" else axis.get_minorticklocs()
    lo, hi = sorted(axis.get_view_interval())
    span = hi - lo
    labels = []
    for tick, loc in zip(ticks, locs):
        if not lo - 1e-9 * span <= loc <= hi + 1e-9 * span:
            continue
        for label in (tick.label1, tick.label2):
            if label.get_visible() and label.get_text().strip():
                labels.append(label)
    return labels


def _texts(fig: Figure) -> Iterator[tuple[str, Text]]:
    """(where, text) for every text the figure draws, legends included."""
    for t in fig.texts:
        yield "figure text", t
    for attr in ("_suptitle", "_supxlabel", "_supylabel"):
        if getattr(fig, attr, None) is not None:
            yield "figure title", getattr(fig, attr)
    for legend in fig.legends:
        for t in [legend.get_title(), *legend.get_texts()]:
            yield "legend", t
    for i, ax in enumerate(fig.axes):
        for t in (
            ax.title,
            ax._left_title,
            ax._right_title,
            ax.xaxis.label,
            ax.yaxis.label,
            ax.xaxis.get_offset_text(),
            ax.yaxis.get_offset_text(),
        ):
            yield f"axes {i}", t
        for axis in (ax.xaxis, ax.yaxis):
            for which in ("major", "minor"):
                for t in _drawn_tick_labels(axis, which):
                    yield f"axes {i} tick", t
        for t in ax.texts:
            yield f"axes {i} annotation", t
        if ax.get_legend() is not None:
            legend = ax.get_legend()
            for t in [legend.get_title(), *legend.get_texts()]:
                yield "legend", t


def _overlap(a: Bbox, b: Bbox) -> bool:
    return (min(a.x1, b.x1) - max(a.x0, b.x0) > _TOL) and (min(a.y1, b.y1) - max(a.y0, b.y0) > _TOL)


def _inside(inner: Bbox, outer: Bbox) -> bool:
    return (
        inner.x0 >= outer.x0 - _TOL
        and inner.x1 <= outer.x1 + _TOL
        and inner.y0 >= outer.y0 - _TOL
        and inner.y1 <= outer.y1 + _TOL
    )


def readability_problems(fig: Figure) -> list[str]:
    """Draws `fig` and lists what a reader could not read:

    (a) a legend that covers a plotted point of any axes (its own or a neighbour's), or covers
        another text (tick labels, titles, annotations), or leaves the figure;
    (b) a text outside the figure, or an annotation (``ax.texts``) outside its axes;
    (c) tick labels of one axis that overlap each other.
    """
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    fig_box = fig.bbox
    problems: list[str] = []
    texts = [
        (where, t, t.get_window_extent(renderer))
        for where, t in _texts(fig)
        if t.get_visible() and t.get_text().strip()
    ]
    for where, t, box in texts:
        if not _inside(box, fig_box):
            problems.append(f"{where} {t.get_text()!r} leaves the figure: {box} vs {fig_box}")
    for ax in fig.axes:
        ax_box = ax.get_window_extent(renderer)
        for t in ax.texts:
            if t.get_visible() and t.get_text().strip():
                box = t.get_window_extent(renderer)
                if not _inside(box, ax_box):
                    problems.append(f"annotation {t.get_text()!r} spills out of its axes: {box} vs {ax_box}")
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None] + list(fig.legends)
    for legend in legends:
        if not legend.get_visible():
            continue
        box = legend.get_window_extent(renderer)
        label = [t.get_text() for t in legend.get_texts()][:3]
        if not _inside(box, fig_box):
            problems.append(f"legend {label} leaves the figure: {box} vs {fig_box}")
        shrunk = Bbox.from_extents(box.x0 + _TOL, box.y0 + _TOL, box.x1 - _TOL, box.y1 - _TOL)
        for i, ax in enumerate(fig.axes):
            points = _data_points(ax)
            covered = shrunk.count_contains(points) if len(points) else 0
            if covered:
                problems.append(f"legend {label} covers {covered} plotted points of axes {i}")
        own = {id(t) for t in [legend.get_title(), *legend.get_texts()]}
        for where, t, tbox in texts:
            if id(t) not in own and _overlap(box, tbox):
                problems.append(f"legend {label} covers {where} {t.get_text()!r}")
    for i, ax in enumerate(fig.axes):
        for name, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
            labels = _drawn_tick_labels(axis)
            boxes = [lab.get_window_extent(renderer) for lab in labels]
            for j in range(len(boxes)):
                for k in range(j + 1, len(boxes)):
                    if _overlap(boxes[j], boxes[k]):
                        problems.append(
                            f"axes {i}: {name} tick labels {labels[j].get_text()!r} and "
                            f"{labels[k].get_text()!r} overlap"
                        )
    return problems


def tick_texts(axis: Any, which: str = "major") -> list[str]:
    """The tick labels an axis shows, in order (after a draw)."""
    return [t.get_text() for t in _drawn_tick_labels(axis, which)]


def _as_figure(out: Any) -> Figure:
    return out if isinstance(out, Figure) else out.figure


def _result(name: str, val: float, train: float) -> cu.ExperimentResult:
    return cu.ExperimentResult(
        name,
        {"val_accuracy": [val]},
        epochs_budget=1,
        epochs_trained=1,
        elapsed_seconds=1.0,
        train_accuracy=train,
        val_accuracy=val,
        n_params=10,
        seed=0,
        batch_size=32,
        n_train=100,
    )


def _histories(n_runs: int, epochs: int = 40, seed: int = 0) -> dict[str, dict[str, list[float]]]:
    kinds = ["overfitting", "good fit", "underfitting"]
    return {
        f"run {i}": cu.make_learning_curves(kinds[i % 3], epochs=epochs, seed=seed + i) for i in range(n_runs)
    }


def _sweep_runs(xs: Sequence[float], seed: int = 0) -> dict[str, dict[str, list[float]]]:
    rng = np.random.default_rng(seed)
    runs = {}
    for i, x in enumerate(xs):
        train = min(1.0, 0.75 + 0.06 * i)
        val = train - 0.22 + 0.04 * i + 0.01 * rng.random()
        runs[f"{x:g}"] = {
            "loss": [1.0, 0.5],
            "val_loss": [1.1, 0.8],
            "accuracy": [0.5, train],
            "val_accuracy": [0.4, val],
        }
    return runs


def _valley(x: Any, y: Any) -> Any:
    return 0.5 * (x**2 + 20.0 * y**2)


def _toy_path(lr: float, momentum: float, steps: int = 40) -> np.ndarray:
    w, v, out = np.array([-4.0, 1.0]), np.zeros(2), []
    for _ in range(steps + 1):
        out.append(w.copy())
        v = momentum * v - lr * np.array([w[0], 20.0 * w[1]])
        w = w + v
    return np.array(out)


def _moving_statistics() -> dict[str, Any]:
    rng = np.random.default_rng(0)
    data = rng.normal(0, 0.4, 64)
    return {
        "before training": cu.MovingStatistics(np.zeros(64), data, np.ones(64), np.ones(64), 1.0, 0.5),
        "after training": cu.MovingStatistics(
            0.9 * data + rng.normal(0, 0.02, 64), data, np.ones(64), np.ones(64), 0.11, 0.2
        ),
    }


def _draw_early_stopping() -> Axes:
    full = cu.make_learning_curves("overfitting", epochs=60, seed=1)
    best = int(np.argmin(full["val_loss"])) + 1
    stopped = {k: v[: best + 10] for k, v in full.items()}
    fig, ax = plt.subplots(figsize=(8, 4.2))  # as lesson 05 draws it
    cu.plot_early_stopping(stopped, stop_epoch=best + 10, restored_epoch=best, full_history=full, ax=ax)
    ax.set_ylim(0.9 * min(full["val_loss"]), 1.15 * max(full["val_loss"][-1], 1.2 * min(full["val_loss"])))
    return ax


def _draw_optimizer_paths() -> Figure:
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.6))  # as lesson 07 draws it: no tight_layout
    families = {
        "SGD family": {"SGD": (0.04, 0.0), "momentum": (0.04, 0.7), "Nesterov": (0.04, 0.75)},
        "adaptive": {"RMSprop": (0.02, 0.5), "Adam": (0.03, 0.8), "AdaBelief": (0.03, 0.85)},
    }
    colors = cu.run_colors([n for f in families.values() for n in f])
    for ax, (family, members) in zip(axes, families.items()):
        cu.plot_optimizer_paths(
            {n: _toy_path(*p) for n, p in members.items()}, _valley, ax=ax, colors=colors, title=family
        )
    return fig


def _draw_schedules() -> Figure:
    steps = np.arange(1, 72)
    values = {
        "exponential": 0.03 * 0.75**steps,
        "piecewise constant": np.where(steps < 10, 0.03, np.where(steps < 15, 3e-3, 3e-4)),
        "cosine + warm-up": np.maximum(0.03 * np.cos(np.minimum(steps, 20) / 20 * np.pi / 2), 1e-9),
        "1cycle": np.concatenate([np.linspace(1e-3, 0.03, 8), np.linspace(0.03, 1e-7, 63)]),
    }
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))  # as lesson 06 draws it: no tight_layout
    cu.plot_schedules(values, steps=steps, ax=axes[0], title="per step")
    cu.plot_schedules(values, steps=steps, ax=axes[1], log_y=True, title="log scale")
    return fig


def _draw_weight_histograms() -> Figure:
    rng = np.random.default_rng(0)
    trio = {
        "baseline": rng.uniform(-0.3, 0.3, 3000),
        "L2": rng.normal(0, 0.1, 3000),
        "L1": np.concatenate([rng.laplace(0, 0.05, 2000), np.zeros(500), rng.normal(0, 1e-5, 500)]),
    }
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))  # as lesson 02 draws it
    cu.plot_weight_histograms(trio, ax=axes[0], threshold=1e-3, title="kernel weights")
    cu.plot_weight_histograms(trio, ax=axes[1], threshold=1e-3, log_abs=True, title="magnitudes")
    fig.tight_layout()
    return fig


_LONG_NAMES = [
    "baseline",
    "dropout + Adam",
    "L2 + batch norm",
    "early stop + schedule",
    "custom opt + batch norm",
    "everything",
    "combined",
]

#: name -> function drawing one lesson-like figure (what it returns: an Axes or a Figure).
FIGURES: dict[str, Callable[[], Any]] = {
    "learning_curves, one run": lambda: plot_learning_curves(_histories(1)["run 0"]),
    "learning_curves, five runs": lambda: plot_learning_curves(_histories(5), "accuracy"),
    "history, mystery runs (lesson 01)": lambda: plot_history(cu.make_mystery_runs(seed=0)),
    "history, mystery runs + baseline (lesson 10)": lambda: plot_history(
        {**cu.make_mystery_runs(seed=9), "baseline": _histories(1, epochs=50, seed=3)["run 0"]},
        suptitle="Which is which?",
    ),
    "history, one run, log loss": lambda: plot_history(
        _histories(1, epochs=100)["run 0"], log_loss=True, suptitle="Over-sized MLP"
    ),
    "gap_summary, capacity (log)": lambda: plot_gap_summary(
        _sweep_runs([1210, 4810, 19210, 301066]),
        x=[1210, 4810, 19210, 301066],
        log_x=True,
        xlabel="number of parameters (log scale)",
    ),
    "gap_summary, data sizes (log)": lambda: plot_gap_summary(
        _sweep_runs([75, 150, 600]), x=[75, 150, 600], log_x=True, xlabel="training images (log scale)"
    ),
    "gap_summary, regularizers": lambda: plot_gap_summary(
        dict(
            zip(["baseline", "L2", "L1", "elastic net", "max-norm", "AdamW"], _sweep_runs(range(6)).values())
        ),
        xlabel="regularizer",
    ),
    "gap_summary, dropout rates (lesson 10)": lambda: plot_gap_summary(
        _sweep_runs([0.0, 0.5]), x=[0.0, 0.5], xlabel="dropout rate", title="Dropout-rate sweep"
    ),
    "rate_sweep": lambda: cu.plot_rate_sweep(
        [0.0, 0.1, 0.2, 0.3, 0.5, 0.7],
        [0.80, 0.84, 0.86, 0.85, 0.83, 0.78],
        train_accuracy=[1.0, 0.99, 0.97, 0.94, 0.9, 0.82],
        val_std_error=0.02,
    ),
    "uncertainty_histograms": lambda: cu.plot_uncertainty_histograms(
        {
            "validation digits": np.random.default_rng(0).gamma(2, 0.015, 360),
            "inverted digits": np.random.default_rng(1).gamma(3, 0.035, 360),
            "uniform noise": np.random.default_rng(2).gamma(4, 0.015, 360),
        }
    ),
    "feature_map_dropout": lambda: cu.plot_feature_map_dropout(
        {
            "feature map": np.random.default_rng(0).random((2, 6, 6, 8)),
            "SpatialDropout2D": np.random.default_rng(1).random((2, 6, 6, 8)),
        }
    ),
    "early_stopping (lesson 05)": _draw_early_stopping,
    "selection_bias (lesson 05)": lambda: cu.plot_selection_bias(
        np.linspace(0.05, 0.225, 8),
        np.random.default_rng(0).uniform(0.05, 0.2, 8),
        selection_label="accuracy on the selection split (40 images)",
        holdout_label="accuracy on the untouched hold-out (360 images)",
    ),
    "epochs_to_target": lambda: cu.plot_epochs_to_target(
        {
            "plain": {"loss": list(2.3 * 0.9 ** np.arange(40))},
            "batch_norm": {"loss": list(2.0 * 0.8 ** np.arange(40))},
        },
        0.1,
    ),
    "moving_statistics": lambda: cu.plot_moving_statistics(_moving_statistics()),
    "activation_scales": lambda: cu.plot_activation_scales(
        {
            "Glorot uniform (Keras default)": list(0.3 * 0.707 ** np.arange(10)),
            "He normal": list(0.5 * np.ones(10)),
            "too small (normal, std 0.01)": list(0.03 * 0.08 ** np.arange(10)),
            "too large (normal, std 1)": list(3 * 8.0 ** np.arange(10)),
        },
        predicted={"He normal": list(0.5 * np.ones(10))},
    ),
    "unit_distributions": lambda: cu.plot_unit_distributions(
        {
            "Dense output, before batch norm": np.random.default_rng(0).normal(
                [0.04, 0.16, 0.35, -0.33], 0.3, (300, 4)
            ),
            "after batch norm (training mode)": np.random.default_rng(1).normal(0, 1, (300, 4)),
        },
        units=4,
    ),
    "optimizer_comparison, seven runs": lambda: cu.plot_optimizer_comparison(
        {
            n: {
                "loss": list(2.3 * (0.9 - 0.02 * i) ** np.arange(30)),
                "val_accuracy": list(0.95 - 0.8 * (0.85 - 0.01 * i) ** np.arange(30)),
            }
            for i, n in enumerate(["SGD", "momentum", "Nesterov", "RMSprop", "Adam", "AdamW", "Nadam"])
        },
        title="Seven optimizers",
    ),
    "optimizer_paths, two panels (lesson 07)": _draw_optimizer_paths,
    "schedules, two panels (lesson 06)": _draw_schedules,
    "lr_range_test": lambda: cu.plot_lr_range_test(
        np.logspace(-5, 0, 60),
        2.4
        - 0.6 * np.exp(-((np.log10(np.logspace(-5, 0, 60)) + 1.7) ** 2))
        + np.where(np.logspace(-5, 0, 60) > 0.05, 20 * np.logspace(-5, 0, 60), 0),
        suggestion=1.3e-2,
    ),
    "weight_histograms, two panels (lesson 02)": _draw_weight_histograms,
    "column_norms": lambda: cu.plot_column_norms(
        {
            "baseline": np.random.default_rng(0).normal(0, 0.05, (400, 64)),
            "max-norm": np.random.default_rng(1).normal(0, 0.045, (400, 64)),
        },
        max_value=1.0,
    ),
    "results_bars (lesson 08)": lambda: cu.plot_results_bars(
        [
            _result(n, v, t)
            for n, v, t in zip(
                _LONG_NAMES,
                [0.792, 0.539, 0.628, 0.672, 0.617, 0.558, 0.339],
                [0.707, 0.52, 0.687, 0.606, 0.70, 0.54, 1.0],
            )
        ],
        baseline="baseline",
    ),
    "random_search (lesson 08)": lambda: cu.plot_random_search(
        [6.4e-5, 1.1e-5, 5.5e-3, 1e-4],
        [0.42, 0.12, 0.51, 0.5],
        [0.858, 0.844, 0.847, 0.844],
        x_range=(1e-5, 1e-2),
        y_range=(0.1, 0.6),
    ),
    "explorer, learning curves per rate (lesson 03)": lambda: _explorer_figure(),
    "sweep_heatmap": lambda: cu.plot_sweep_heatmap(
        [[0.80, 0.82, 0.79], [0.85, 0.81, 0.83], [0.78, 0.8, 0.77]], [0.2, 0.35, 0.5], [1e-5, 1e-4, 1e-3]
    ),
    "distance_contrast (lesson 01)": lambda: cu.plot_distance_contrast(
        {2: [12.0, 9.5, 10.4], 8: [2.1, 2.3, 2.0], 64: [0.55, 0.6, 0.52], 512: [0.2, 0.19, 0.21]},
        reference={"digits (64 pixels)": (64, 2.4)},
    ),
    "examples": lambda: plot_examples(
        np.random.default_rng(0).random((12, 8, 8, 1)),
        np.arange(12) % 10,
        [f"class {i}" for i in range(10)],
        n=12,
    ),
}


@pytest.fixture(params=["matplotlib defaults", "course style"])
def style(request: pytest.FixtureRequest) -> Iterator[str]:
    """Runs a test under matplotlib's defaults and under cu.set_style() (what the lessons use)."""
    with matplotlib.rc_context():
        if request.param == "course style":
            set_style()
        yield request.param


@pytest.mark.parametrize("name", list(FIGURES))
def test_figure_is_readable(name, style):
    fig = _as_figure(FIGURES[name]())
    assert readability_problems(fig) == []


def test_every_legend_drawing_helper_is_checked():
    """A new plot helper must be added to FIGURES (and so to the readability check)."""
    drawn = {n for n in cu_plotting.__all__ if n.startswith("plot_")}
    covered = {n for n in drawn if any(n.removeprefix("plot_") in key.replace(" ", "_") for key in FIGURES)}
    assert drawn - covered == set()


@pytest.mark.parametrize(
    "sizes,expected",
    [
        ([75, 150, 600], ["75", "150", "600"]),
        ([1210, 4810, 19210, 301066], ["1,210", "4,810", "19,210", "301,066"]),
    ],
)
def test_log_size_axis_shows_the_sizes_used(sizes, expected, style):
    ax = plot_gap_summary(_sweep_runs(sizes), x=sizes, log_x=True, xlabel="training images")
    ax.figure.canvas.draw()
    assert ax.get_xscale() == "log"
    assert tick_texts(ax.xaxis) == expected
    assert tick_texts(ax.xaxis, "minor") == []


def test_linear_sweep_axes_show_the_values_used():
    ax = plot_gap_summary(_sweep_runs([0.0, 0.25, 0.5]), x=[0.0, 0.25, 0.5], xlabel="dropout rate")
    rates = cu.plot_rate_sweep([0.0, 0.1, 0.3, 0.5], [0.8, 0.85, 0.83, 0.8])
    for a in (ax, rates):
        a.figure.canvas.draw()
    assert tick_texts(ax.xaxis) == ["0", "0.25", "0.5"]
    assert tick_texts(rates.xaxis) == ["0", "0.1", "0.3", "0.5"]


def test_epoch_axes_have_whole_epochs():
    ax = plot_learning_curves({"loss": [1.0, 0.6, 0.5], "val_loss": [1.1, 0.8, 0.9]})
    ax.figure.canvas.draw()
    assert all(float(t).is_integer() for t in tick_texts(ax.xaxis))


def test_log_loss_axes_read_as_plain_numbers():
    fig = plot_history(
        {
            "loss": [2.3, 1.6, 1.2, 1.0],
            "val_loss": [1.9, 1.4, 1.1, 0.99],
            "accuracy": [0.3, 0.8, 0.85, 0.9],
            "val_accuracy": [0.8, 0.8, 0.85, 0.87],
        },
        log_loss=True,
    )
    fig.canvas.draw()
    loss_ax = fig.axes[0]
    assert loss_ax.get_yscale() == "log" and fig.axes[1].get_yscale() == "linear"
    labels = tick_texts(loss_ax.yaxis)
    assert len(labels) >= 2
    for text in labels:
        float(text)  # "1.5", not "$\\mathdefault{1.5\\times10^{0}}$"
    assert tick_texts(loss_ax.yaxis, "minor") == []


def test_readability_check_catches_the_old_defects():
    """The checker itself: an inside legend over the curves, a label past the axes' edge and
    overlapping tick labels are all reported."""
    fig, ax = plt.subplots(figsize=(4, 3))
    x = np.linspace(0, 1, 50)
    ax.plot(x, np.ones_like(x) * 0.9, label="a long legend entry that covers the line")
    ax.set_ylim(0, 1)
    ax.legend(loc="upper right")
    ax.annotate("gap +0.22", (1.0, 0.5), xytext=(6, 0), textcoords="offset points")
    ax.set_xticks([0.0, 0.01, 0.02], ["0.000000", "0.010000", "0.020000"])
    problems = readability_problems(fig)
    assert any("covers" in p and "plotted points" in p for p in problems), problems
    assert any("spills out of its axes" in p for p in problems), problems
    assert any("overlap" in p for p in problems), problems


@pytest.mark.parametrize("module_name", [f"course_utils.plotting.{m}" for m in cu_plotting.SUBMODULES])
def test_docstring_examples_run(module_name):
    import doctest
    import importlib

    module = importlib.import_module(module_name)
    failures, tried = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert failures == 0


def test_layout_engine_is_kept_and_later_tight_layout_is_quiet():
    """A helper drawing into the learner's figure gives it tight layout only when it has no
    layout engine; a constrained figure stays constrained; fig.tight_layout() afterwards (as
    lesson 02 does) neither warns nor breaks the legends."""
    import warnings

    weights = {"a": np.linspace(-1, 1, 200), "b": np.linspace(-0.5, 0.5, 200)}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig, axes = plt.subplots(1, 2, figsize=(10, 4))
        cu.plot_weight_histograms(weights, ax=axes[0])
        cu.plot_weight_histograms(weights, ax=axes[1], log_abs=True)
        fig.tight_layout()
        assert readability_problems(fig) == []
        constrained, ax = plt.subplots(layout="constrained")
        cu.plot_column_norms({"k": np.ones((4, 3))}, ax=ax)
        assert type(constrained.get_layout_engine()).__name__ == "ConstrainedLayoutEngine"
        assert readability_problems(constrained) == []


def test_legend_outside_replaces_a_legend_and_handles_nothing_to_list():
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1], label="a")
    ax.legend(loc="upper left")
    legend = cu.legend_outside(ax)
    assert ax.get_legend() is legend and [t.get_text() for t in legend.get_texts()] == ["a"]
    assert readability_problems(fig) == []
    _, empty = plt.subplots()
    empty.plot([0, 1], [1, 0])
    assert cu.legend_outside(empty) is None and empty.get_legend() is None


def test_distance_contrast_draws_every_seed_and_refuses_what_a_log_axis_cannot_show():
    ax = cu.plot_distance_contrast({2: [10.0, 12.0], 64: [0.5, 0.6]}, reference={"digits": (64, 2.0)})
    assert ax.get_xscale() == ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["uniform random points", "digits"]
    dots = sum(len(c.get_offsets()) for c in ax.collections)
    assert dots == 4 + 1
    for bad in ({}, {0: [1.0]}, {2: [-1.0]}, {2: []}):
        with pytest.raises(ValueError, match="contrast"):
            cu.plot_distance_contrast(bad)


# ---- plot_explorer ------------------------------------------------------------------------------


class _Shown:
    """Stands in for IPython's display(): records what is shown and every in-place update."""

    def __init__(self) -> None:
        self.shown: list = []
        self.updates: list = []

    def __call__(self, obj, display_id=None):
        self.shown.append(obj)
        if display_id:
            return types.SimpleNamespace(update=self.updates.append)
        return None


def test_plot_explorer_draws_the_first_value_and_redraws_in_place_on_a_move(monkeypatch):
    import IPython.display

    shown = _Shown()
    monkeypatch.setattr(IPython.display, "display", shown)
    drawn = []
    open_before = set(plt.get_fignums())

    def draw(rate, ax):
        drawn.append(rate)
        ax.plot([0, 1], [rate, rate])

    slider = cu.plot_explorer(draw, [0.0, 0.5, 0.9], description="rate", value=0.5)
    assert drawn == [0.5] and slider.value == 0.5
    assert shown.shown[0] is slider and isinstance(shown.shown[1], Figure)
    assert [label for label, _ in slider.options] == ["0", "0.5", "0.9"]
    bundle = slider._repr_mimebundle_()
    assert "drag it to redraw" in bundle["text/plain"] and "now 0.5" in bundle["text/plain"]
    slider.value = 0.9
    assert drawn == [0.5, 0.9] and len(shown.updates) == 1
    assert shown.updates[0].axes[0].lines[0].get_ydata()[0] == 0.9
    assert set(plt.get_fignums()) == open_before, (
        "every figure it drew is closed (no duplicate at the cell's end)"
    )


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"values": []}, "at least one value"),
        ({"values": [1, 2], "value": 3}, "must be one of `values` \\(1, 2\\)"),
        ({"values": [1, 2], "description": " "}, "must name what the slider sets"),
    ],
)
def test_plot_explorer_rejects_bad_arguments(kwargs, message):
    args = {"description": "rate", **kwargs}
    values = args.pop("values")
    with pytest.raises(ValueError, match=message):
        cu.plot_explorer(lambda v, ax: None, values, **args)


def _explorer_figure() -> Figure:
    """The figure cu.plot_explorer shows first (IPython's display() stood in for)."""
    import IPython.display

    shown, original = _Shown(), IPython.display.display
    IPython.display.display = shown
    try:
        cu.plot_explorer(
            lambda rate, ax: plot_learning_curves(
                _histories(1)["run 0"], "accuracy", ax=ax, title=f"rate {rate:g}"
            ),
            [0.0, 0.5],
            description="dropout rate",
        )
    finally:
        IPython.display.display = original
    fig = shown.shown[1]
    FigureCanvasAgg(fig)  # closed once shown: a canvas again, to measure its text
    return fig


def test_plot_explorer_shows_an_error_of_draw_in_the_figures_place(monkeypatch):
    import IPython.display

    shown = _Shown()
    monkeypatch.setattr(IPython.display, "display", shown)

    def draw(rate, ax):
        if rate > 0.5:
            raise KeyError(rate)
        ax.plot([0, 1], [rate, rate])

    slider = cu.plot_explorer(draw, [0.0, 0.9], description="rate")
    slider.value = 0.9
    assert shown.updates == ["draw(0.9, ax) failed: KeyError: 0.9"]
