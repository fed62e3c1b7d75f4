"""Tests for course_utils.normalization and course_utils.plotting.normalization (lesson 04)."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure

import course_utils as cu
from course_utils import (
    MovingStatistics,
    batch_dependence,
    build_mlp,
    compare_moving_statistics,
    ema_initial_weight,
    ema_steps_to_forget,
    epochs_to_reach,
    layer_inputs,
    plot_activation_scales,
    plot_epochs_to_target,
    plot_moving_statistics,
    plot_unit_distributions,
)

# ---------------------------------------------------------------------------------------------
# epochs_to_reach
# ---------------------------------------------------------------------------------------------


def test_epochs_to_reach_is_one_based_and_first_crossing():
    h = {"loss": [2.0, 0.9, 0.4, 0.6, 0.2]}
    assert epochs_to_reach(h, 0.5) == 3
    assert epochs_to_reach(h, 0.4) == 3  # reaching counts (<=)
    assert epochs_to_reach(h, 5.0) == 1
    assert epochs_to_reach(h, 0.1) is None


def test_epochs_to_reach_accepts_a_keras_history():
    history = keras.callbacks.History()
    history.history = {"loss": [1.0, 0.3], "accuracy": [0.4, 0.95]}
    assert epochs_to_reach(history, 0.5) == 2


def test_epochs_to_reach_accuracy_rises_to_target():
    h = {"accuracy": [0.3, 0.7, 0.92, 0.9], "val_accuracy": [0.2, 0.5, 0.6, 0.8]}
    assert epochs_to_reach(h, 0.9, metric="accuracy") == 3
    assert epochs_to_reach(h, 0.75, metric="val_accuracy") == 4
    assert epochs_to_reach(h, 0.95, metric="accuracy") is None
    # explicit mode overrides the name-based guess
    assert epochs_to_reach(h, 0.5, metric="accuracy", mode="min") == 1
    assert epochs_to_reach(h, 0.1, metric="accuracy", mode="min") is None
    assert epochs_to_reach({"loss": [0.1, 0.5, 1.0]}, 0.9, mode="max") == 3


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"target": -0.1}, "target=-0.1"),
        ({"target": float("nan")}, "finite"),
        ({"target": "0.1"}, "target='0.1'"),
        ({"target": 1.5, "metric": "accuracy"}, "target=1.5"),
        ({"target": 0.1, "metric": "val_loss"}, "no metric 'val_loss'"),
        ({"target": 0.1, "mode": "lowest"}, "mode='lowest'"),
    ],
)
def test_epochs_to_reach_validates(kwargs, match):
    with pytest.raises(ValueError, match=match):
        epochs_to_reach({"loss": [1.0, 0.5], "accuracy": [0.5, 0.7]}, **kwargs)


# ---------------------------------------------------------------------------------------------
# moving averages
# ---------------------------------------------------------------------------------------------


def test_ema_initial_weight_matches_an_actual_moving_average():
    momentum, steps = 0.9, 25
    moving = 0.0  # starts at 0 and then sees the value 1 at every step
    for _ in range(steps):
        moving = momentum * moving + (1 - momentum) * 1.0
    assert math.isclose(1.0 - moving, ema_initial_weight(momentum, steps), rel_tol=1e-9)
    assert ema_initial_weight(0.99, 0) == 1.0


def test_ema_steps_to_forget_is_the_smallest_sufficient_k():
    for momentum, remaining in [(0.99, 0.01), (0.9, 0.5), (0.999, 0.05), (0.5, 0.25)]:
        k = ema_steps_to_forget(momentum, remaining)
        assert momentum**k <= remaining + 1e-15
        assert k == 0 or momentum ** (k - 1) > remaining
    assert ema_steps_to_forget(0.99) == 459
    assert ema_steps_to_forget(0.5, 0.25) == 2  # exact power: no extra step from rounding


@pytest.mark.parametrize(
    "fn,args,match",
    [
        (ema_initial_weight, (1.0, 10), "momentum=1.0"),
        (ema_initial_weight, (0.0, 10), "momentum=0.0"),
        (ema_initial_weight, (0.99, -1), "steps=-1"),
        (ema_initial_weight, (0.99, 2.5), "steps=2.5"),
        (ema_steps_to_forget, (0.99, 0.0), "remaining=0.0"),
        (ema_steps_to_forget, (0.99, 1.0), "remaining=1.0"),
        (ema_steps_to_forget, (-0.5, 0.1), "momentum=-0.5"),
    ],
)
def test_ema_helpers_validate(fn, args, match):
    with pytest.raises(ValueError, match=match):
        fn(*args)


# ---------------------------------------------------------------------------------------------
# layer_inputs and compare_moving_statistics
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bn_model():
    return build_mlp((8, 8, 1), 10, (16, 8), batch_norm=True, seed=0)


def test_layer_inputs_are_the_dense_outputs(bn_model):
    x = np.random.default_rng(0).random((7, 8, 8, 1)).astype("float32")
    got = layer_inputs(bn_model, "batch_norm_1", x)
    kernel = bn_model.get_layer("dense_1").get_weights()[0]  # no bias before batch norm
    np.testing.assert_allclose(got, x.reshape(7, -1) @ kernel, atol=1e-5)
    assert layer_inputs(bn_model, bn_model.get_layer("batch_norm_2"), x).shape == (7, 8)


def test_layer_inputs_validates(bn_model):
    x = np.zeros((3, 8, 8, 1), "float32")
    with pytest.raises(ValueError, match="no layer 'batch_norm_9'"):
        layer_inputs(bn_model, "batch_norm_9", x)
    with pytest.raises(ValueError, match="batch_size=0"):
        layer_inputs(bn_model, "batch_norm_1", x, batch_size=0)
    with pytest.raises(ValueError, match="is not a layer"):
        layer_inputs(bn_model, keras.layers.Dense(3, name="stray"), x)


def test_compare_moving_statistics_fresh_and_caught_up():
    rng = np.random.default_rng(0)
    x = rng.normal([1.0, -2.0, 5.0], [1.0, 2.0, 0.5], size=(512, 3)).astype("float32")
    bn = keras.layers.BatchNormalization(momentum=0.9)
    bn(x, training=False)
    fresh = compare_moving_statistics(bn, x)
    assert isinstance(fresh, MovingStatistics)
    assert fresh.mean_error == pytest.approx(1.0)  # moving mean starts at 0
    np.testing.assert_allclose(fresh.data_mean, x.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(fresh.data_variance, x.var(axis=0), rtol=1e-6)
    np.testing.assert_allclose(fresh.moving_variance, 1.0)
    for _ in range(100):  # 0.9 ** 100 ~ 3e-5 of the starting values left
        bn(x, training=True)
    caught_up = compare_moving_statistics(bn, x)
    assert caught_up.mean_error < 1e-3 and caught_up.variance_error < 1e-3
    assert set(caught_up.as_dict()) == {"mean_error", "variance_error"}


def test_compare_moving_statistics_handles_channels_axis():
    x = np.random.default_rng(1).normal(2.0, 1.0, size=(16, 4, 4, 3)).astype("float32")
    bn = keras.layers.BatchNormalization()
    bn(x, training=False)
    s = compare_moving_statistics(bn, x)
    np.testing.assert_allclose(s.data_mean, x.mean(axis=(0, 1, 2)), rtol=1e-6)


def test_compare_moving_statistics_validates():
    with pytest.raises(ValueError, match="BatchNormalization"):
        compare_moving_statistics(keras.layers.LayerNormalization(), np.zeros((4, 3)))
    with pytest.raises(ValueError, match="built"):
        compare_moving_statistics(keras.layers.BatchNormalization(), np.zeros((4, 3)))
    bn = keras.layers.BatchNormalization()
    bn(np.zeros((4, 3), "float32"))
    with pytest.raises(ValueError, match=r"3 features.*\(4, 5\)"):
        compare_moving_statistics(bn, np.zeros((4, 5)))


# ---------------------------------------------------------------------------------------------
# batch_dependence
# ---------------------------------------------------------------------------------------------


def test_batch_dependence_separates_batch_norm_from_layer_norm():
    x = np.random.default_rng(0).normal(size=(40, 6)).astype("float32")
    assert batch_dependence(keras.layers.LayerNormalization(), x) < 1e-5
    bn = keras.layers.BatchNormalization()
    assert batch_dependence(bn, x, training=True) > 0.05
    assert batch_dependence(bn, x, training=False) < 1e-6  # inference: moving statistics only


def test_batch_dependence_leaves_moving_statistics_unchanged():
    x = np.random.default_rng(0).normal(3.0, 1.0, size=(40, 6)).astype("float32")
    bn = keras.layers.BatchNormalization()
    bn(x, training=False)
    before = [w.copy() for w in bn.get_weights()]
    batch_dependence(bn, x, training=True)
    for w0, w1 in zip(before, bn.get_weights()):
        np.testing.assert_array_equal(w0, w1)


def test_batch_dependence_works_on_a_model(bn_model):
    x = np.random.default_rng(2).random((30, 8, 8, 1)).astype("float32")
    assert batch_dependence(bn_model, x, index=3, batch_size=4) > 0
    assert batch_dependence(bn_model, x, training=False) < 1e-6


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"batch_size": 0}, "batch_size=0"),
        ({"batch_size": 1}, "batch_size=1"),
        ({"n_batches": 1}, "n_batches=1"),
        ({"index": 10}, "index=10"),
        ({"batch_size": 11}, "batch_size=11"),
    ],
)
def test_batch_dependence_validates(kwargs, match):
    with pytest.raises(ValueError, match=match):
        batch_dependence(keras.layers.LayerNormalization(), np.zeros((10, 3), "float32"), **kwargs)


# ---------------------------------------------------------------------------------------------
# plots
# ---------------------------------------------------------------------------------------------


def test_plot_epochs_to_target_marks_each_run():
    runs = {
        "plain": {"loss": [2.0, 1.0, 0.5, 0.2, 0.08]},
        "bn": {"loss": [1.0, 0.3, 0.09, 0.05, 0.02]},
        "stuck": {"loss": [2.3, 2.3, 2.3, 2.3, 2.3]},
    }
    ax = plot_epochs_to_target(runs, 0.1)
    assert isinstance(ax, Axes)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[:3] == ["plain: epoch 5", "bn: epoch 3", "stuck: not reached"]
    assert ax.get_yscale() == "log"
    with pytest.raises(ValueError, match="target=-1"):
        plot_epochs_to_target(runs, -1.0)


def test_plot_epochs_to_target_draws_on_given_axes():
    import matplotlib.pyplot as plt

    _, ax = plt.subplots()
    assert plot_epochs_to_target({"a": {"loss": [1.0, 0.1]}}, 0.5, ax=ax, log_y=False) is ax
    assert ax.get_yscale() == "linear"


def test_plot_moving_statistics():
    s0 = MovingStatistics(np.zeros(3), np.arange(3.0), np.ones(3), np.ones(3), 1.0, 0.0)
    s1 = MovingStatistics(np.arange(3.0), np.arange(3.0), np.ones(3), np.ones(3), 0.0, 0.0)
    ax = plot_moving_statistics({"before": s0, "after": s1})
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0] == "before (relative error 1.00)" and labels[1] == "after (relative error 0.00)"
    with pytest.raises(ValueError, match="not MovingStatistics"):
        plot_moving_statistics({"before": {"mean_error": 1.0}})
    with pytest.raises(ValueError, match="non-empty"):
        plot_moving_statistics({})


def test_plot_unit_distributions():
    x = np.random.default_rng(0).normal(size=(50, 6))
    fig = plot_unit_distributions({"raw": 2 * x + 3, "normalized": x}, units=2)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    assert fig.axes[0].get_title() == "raw"
    with pytest.raises(ValueError, match="units=0"):
        plot_unit_distributions({"raw": x}, units=0)
    with pytest.raises(ValueError, match="2-D"):
        plot_unit_distributions({"raw": x[:, 0]})


def test_plot_activation_scales_draws_measured_and_predicted_lines():
    ax = plot_activation_scales(
        {"He": [0.5, 0.52, 0.49], "Glorot": [0.5, 0.35, 0.25]}, predicted={"Glorot": [0.5, 0.354, 0.25]}
    )
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "hidden layer"
    assert len(ax.lines) == 3 and ax.lines[2].get_linestyle() == ":"
    assert list(ax.lines[2].get_ydata()) == [0.5, 0.354, 0.25]  # drawn over the line it predicts
    assert list(ax.lines[0].get_xdata()) == [1, 2, 3]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["He", "Glorot", "predicted"]
    assert [t.get_text() for t in plot_activation_scales({"He": [1.0]}).get_legend().get_texts()] == ["He"]
    with pytest.raises(ValueError, match="non-empty dict"):
        plot_activation_scales({})
    with pytest.raises(ValueError, match="positive"):
        plot_activation_scales({"too small": [0.1, 0.0]})
    with pytest.raises(ValueError, match="same name and length"):
        plot_activation_scales({"He": [0.5, 0.5]}, predicted={"He": [0.5]})
    with pytest.raises(ValueError, match="same name and length"):
        plot_activation_scales({"He": [0.5, 0.5]}, predicted={"Glorot": [0.5, 0.5]})


def test_names_are_exported_at_the_top_level():
    for name in (
        "epochs_to_reach",
        "batch_dependence",
        "compare_moving_statistics",
        "plot_epochs_to_target",
        "plot_moving_statistics",
    ):
        assert hasattr(cu, name)
