"""Tests for course_utils.plotting (Agg backend; figures are closed after each test by the
autouse fixture in conftest.py)."""

from __future__ import annotations

import keras
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from course_utils import (
    plot_examples,
    plot_gap_summary,
    plot_history,
    plot_learning_curves,
    run_colors,
    set_style,
)

SMALL = {"loss": [1.0, 0.6, 0.5, 0.45], "val_loss": [1.1, 0.8, 0.9, 1.0],
         "accuracy": [0.5, 0.8, 0.9, 0.95], "val_accuracy": [0.45, 0.7, 0.72, 0.7]}
BIG = {"loss": [0.9, 0.3, 0.1, 0.05], "val_loss": [1.0, 0.7, 0.6, 0.65],
       "accuracy": [0.6, 0.9, 0.98, 1.0], "val_accuracy": [0.5, 0.75, 0.8, 0.78]}


def _curves(ax):
    """Lines with a label (the train / validation curves), as (label, linestyle, colour)."""
    return [(ln.get_label(), ln.get_linestyle(), to_hex(ln.get_color())) for ln in ax.lines
            if not ln.get_label().startswith("_")]


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
    fig = plot_history({"small": SMALL, "big": BIG}, metrics=("loss", "accuracy", "val_loss"),
                       suptitle="sweep")
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
    np.testing.assert_allclose(by_label["train"].get_ydata(),
                               [SMALL["accuracy"][-1], BIG["accuracy"][-1]])
    np.testing.assert_allclose(by_label["validation"].get_ydata(),
                               [SMALL["val_accuracy"][-1], BIG["val_accuracy"][-1]])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["small", "big"]
    # The gap of each run is written on the plot.
    texts = {t.get_text() for t in ax.texts}
    for h in (SMALL, BIG):
        assert f"gap {h['accuracy'][-1] - h['val_accuracy'][-1]:+.2f}" in texts


def test_gap_summary_draws_on_given_axes_with_numeric_x():
    _, ax = plt.subplots()
    out = plot_gap_summary({"small": SMALL, "big": BIG}, x=[1e3, 1e5], log_x=True, ax=ax,
                           xlabel="parameters")
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
