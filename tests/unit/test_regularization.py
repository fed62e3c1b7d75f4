"""Tests for course_utils.regularization and course_utils.plotting.weights (lesson 02)."""

from __future__ import annotations

import keras
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.axes import Axes

import course_utils as cu
from course_utils import (
    WeightStatistics,
    kernel_column_norms,
    kernel_weights,
    near_zero_fraction,
    plot_column_norms,
    plot_weight_histograms,
    regularization_penalty,
    weight_norm,
    weight_statistics,
)


def _model(regularizer=None, constraint=None, init="glorot_uniform"):
    return keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(
                3,
                kernel_initializer=init,
                bias_initializer="ones",
                kernel_regularizer=regularizer,
                kernel_constraint=constraint,
                name="hidden",
            ),
            keras.layers.Dense(2, kernel_initializer=init, name="out"),
        ],
        name="tiny",
    )


# ---------------------------------------------------------------------------------------------
# kernel_weights
# ---------------------------------------------------------------------------------------------


def test_kernel_weights_returns_kernels_by_layer_name_without_biases():
    model = _model()
    kernels = kernel_weights(model)
    assert list(kernels) == ["hidden", "out"]
    assert kernels["hidden"].shape == (4, 3) and kernels["out"].shape == (3, 2)
    assert all(isinstance(k, np.ndarray) for k in kernels.values())
    np.testing.assert_array_equal(kernels["hidden"], model.get_layer("hidden").kernel.numpy())


def test_kernel_weights_selects_regularized_and_constrained_layers():
    model = _model(regularizer=keras.regularizers.L2(0.1), constraint=keras.constraints.MaxNorm(1.0))
    assert list(kernel_weights(model, which="regularized")) == ["hidden"]
    assert list(kernel_weights(model, which="constrained")) == ["hidden"]
    assert kernel_weights(_model(), which="regularized") == {}


def test_kernel_weights_of_build_mlp_regularizes_hidden_layers_only():
    model = cu.build_mlp((8, 8, 1), 10, (16, 8), kernel_regularizer=keras.regularizers.L1(1e-3), seed=0)
    assert list(kernel_weights(model)) == ["dense_1", "dense_2", "output"]
    assert list(kernel_weights(model, which="regularized")) == ["dense_1", "dense_2"]


def test_kernel_weights_finds_conv_kernels():
    model = cu.build_cnn((8, 8, 1), 10, filters=(4,), dense_units=8, seed=0)
    kernels = kernel_weights(model)
    assert kernels["conv_1"].shape == (3, 3, 1, 4)


@pytest.mark.parametrize(
    "bad,match",
    [
        (np.zeros((3, 3)), "must be a Keras model"),
        ("model", "must be a Keras model"),
    ],
)
def test_kernel_weights_rejects_non_models(bad, match):
    with pytest.raises(ValueError, match=match):
        kernel_weights(bad)


def test_kernel_weights_rejects_unknown_selection():
    with pytest.raises(ValueError, match="which='biases'"):
        kernel_weights(_model(), which="biases")


def test_kernel_weights_rejects_models_without_kernels():
    with pytest.raises(ValueError, match="no layer with a kernel"):
        kernel_weights(keras.Sequential([keras.Input((4,)), keras.layers.Flatten()]))


# ---------------------------------------------------------------------------------------------
# weight_norm, near_zero_fraction
# ---------------------------------------------------------------------------------------------


def test_weight_norm_of_arrays_and_models():
    assert weight_norm(np.array([3.0, 4.0])) == pytest.approx(5.0)
    assert weight_norm({"a": np.array([[1.0, 2.0]]), "b": np.array([2.0])}) == pytest.approx(3.0)
    model = _model(init="ones")  # 12 + 6 kernel weights equal to 1; the biases do not count
    assert weight_norm(model) == pytest.approx(np.sqrt(18.0))


def test_weight_norm_accepts_keras_variables():
    v = keras.Variable(np.array([[0.6, 0.8]], dtype="float32"))
    assert weight_norm([v]) == pytest.approx(1.0, rel=1e-6)


def test_near_zero_fraction_is_strict_pooled_and_uses_magnitudes():
    w = np.array([0.0, 1e-4, -1e-4, 1e-3, -0.5])
    assert near_zero_fraction(w, threshold=1e-3) == pytest.approx(3 / 5)  # 1e-3 is not < 1e-3
    # pooled over all weights, not an average of per-array fractions
    pooled = near_zero_fraction([np.zeros(1), np.ones(9)], threshold=0.5)
    assert pooled == pytest.approx(0.1)
    assert near_zero_fraction(_model(init="zeros")) == 1.0


@pytest.mark.parametrize("threshold", [-1e-3, 0, 0.0, float("nan"), float("inf"), "1e-3", True])
def test_near_zero_fraction_rejects_bad_thresholds(threshold):
    with pytest.raises(ValueError, match=f"threshold={threshold!r}".replace("(", r"\(").replace(")", r"\)")):
        near_zero_fraction(np.ones(3), threshold=threshold)


@pytest.mark.parametrize("bad", [None, 3.0, "weights", [], {}])
def test_weight_helpers_reject_what_is_not_weights(bad):
    with pytest.raises(ValueError, match="weights"):
        weight_norm(bad)


# ---------------------------------------------------------------------------------------------
# kernel_column_norms
# ---------------------------------------------------------------------------------------------


def test_kernel_column_norms_match_maxnorm_axis_convention():
    kernel = np.array([[3.0, 0.0, 1.0], [4.0, 2.0, 0.0]])  # (inputs=2, units=3)
    np.testing.assert_allclose(kernel_column_norms(kernel), [5.0, 2.0, 1.0])
    np.testing.assert_allclose(kernel_column_norms(kernel, axis=1), [np.sqrt(10.0), np.sqrt(20.0)])


def test_keras_maxnorm_bounds_exactly_the_norms_we_measure():
    rng = np.random.default_rng(0)
    kernel = rng.normal(0, 1, (20, 6)).astype("float32")
    constrained = np.asarray(keras.constraints.MaxNorm(max_value=1.5, axis=0)(kernel))
    norms = kernel_column_norms(constrained, axis=0)
    assert norms.max() <= 1.5 + 1e-5
    np.testing.assert_allclose(norms, np.minimum(kernel_column_norms(kernel), 1.5), rtol=1e-5)


def test_kernel_column_norms_of_conv_kernels_per_filter():
    kernel = np.ones((3, 3, 2, 5))
    np.testing.assert_allclose(kernel_column_norms(kernel, axis=(0, 1, 2)), np.full(5, np.sqrt(18.0)))


@pytest.mark.parametrize(
    "kernel,axis,match",
    [
        (np.ones(4), 0, "at least 2 dimensions"),
        (np.ones((2, 3)), 2, "axis=2"),
        (np.ones((2, 3)), (), r"axis=\(\)"),
        (np.ones((2, 3)), True, "axis=True"),
    ],
)
def test_kernel_column_norms_validates(kernel, axis, match):
    with pytest.raises(ValueError, match=match):
        kernel_column_norms(kernel, axis=axis)


# ---------------------------------------------------------------------------------------------
# regularization_penalty, weight_statistics
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "regularizer,expected",
    [
        (keras.regularizers.L2(0.1), lambda w: 0.1 * np.sum(w**2)),
        (keras.regularizers.L1(0.01), lambda w: 0.01 * np.sum(np.abs(w))),
        (keras.regularizers.L1L2(l1=0.01, l2=0.1), lambda w: 0.01 * np.sum(np.abs(w)) + 0.1 * np.sum(w**2)),
    ],
)
def test_regularization_penalty_is_what_keras_adds(regularizer, expected):
    model = _model(regularizer=regularizer)
    w = model.get_layer("hidden").kernel.numpy().astype(np.float64)
    assert regularization_penalty(model) == pytest.approx(expected(w), rel=1e-5)


def test_regularization_penalty_is_zero_without_regularizers():
    assert regularization_penalty(_model()) == 0.0


def test_regularization_penalty_rejects_non_models():
    with pytest.raises(ValueError, match="must be a Keras model"):
        regularization_penalty([np.ones(3)])


def test_weight_statistics_summarizes_a_model():
    model = _model(regularizer=keras.regularizers.L2(0.5), init="ones")
    stats = weight_statistics(model, threshold=0.01)
    assert isinstance(stats, WeightStatistics)
    assert stats.n_weights == 18 and stats.threshold == 0.01
    assert stats.norm == pytest.approx(np.sqrt(18.0))
    assert stats.near_zero == 0.0 and stats.max_abs == 1.0
    assert stats.max_column_norm == pytest.approx(2.0)  # 4 incoming weights of 1 per hidden unit
    assert stats.penalty == pytest.approx(0.5 * 12)
    assert set(stats.as_dict()) == {
        "n_weights",
        "norm",
        "near_zero",
        "threshold",
        "max_abs",
        "max_column_norm",
        "penalty",
    }


def test_weight_statistics_validates_threshold():
    with pytest.raises(ValueError, match="threshold=-0.1"):
        weight_statistics(_model(), threshold=-0.1)


# ---------------------------------------------------------------------------------------------
# plotting.weights
# ---------------------------------------------------------------------------------------------


def test_weight_histograms_one_outline_per_run_and_threshold_band():
    rng = np.random.default_rng(0)
    runs = {"baseline": _model(), "sparse": [rng.normal(0, 1e-4, 50), np.zeros(5)]}
    ax = plot_weight_histograms(runs, threshold=1e-3)
    assert isinstance(ax, Axes)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[:2] == ["baseline", "sparse"] and "|w| < 0.001" in labels
    assert ax.get_yscale() == "log"


def test_weight_histograms_log_abs_view_counts_every_weight_once():
    fig, (left, right) = plt.subplots(1, 2)
    w = np.array([0.0, 1e-5, -1e-3, 0.2, 0.5])
    ax = plot_weight_histograms({"w": w}, ax=right, log_abs=True, threshold=1e-3, bins=10)
    assert ax is right and ax.get_xlabel() == "log10 |w|"
    # a step outline visits (x0, 0), (x0, n0), (x1, n0), (x1, n1), ...: n_i = vertex 2i+1
    counts = ax.patches[0].get_path().vertices[1 : 2 * 10 : 2, 1]
    assert counts.sum() == len(w)  # the exact zero is drawn too (leftmost bin)
    assert counts[0] >= 1
    assert not left.patches


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"threshold": -1e-3}, "threshold=-0.001"),
        ({"threshold": 0}, "threshold=0"),
        ({"bins": 1}, "bins=1"),
    ],
)
def test_weight_histograms_validate(kwargs, match):
    with pytest.raises(ValueError, match=match):
        plot_weight_histograms({"w": np.ones(3)}, **kwargs)


def test_weight_histograms_need_named_runs():
    with pytest.raises(ValueError, match="dict of run name"):
        plot_weight_histograms([np.ones(3)])


def test_column_norms_plot_marks_the_bound():
    model = _model(constraint=keras.constraints.MaxNorm(0.5))
    ax = plot_column_norms({"max-norm": model, "kernel": np.ones((4, 2))}, max_value=0.5)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["max-norm", "kernel", "max_value = 0.5"]
    assert any(np.allclose(line.get_xdata(), 0.5) for line in ax.lines)


@pytest.mark.parametrize("max_value", [-1.0, 0.0])
def test_column_norms_plot_rejects_bad_bounds(max_value):
    with pytest.raises(ValueError, match=f"max_value={max_value!r}"):
        plot_column_norms({"k": np.ones((2, 2))}, max_value=max_value)


def test_weight_plots_leave_global_style_alone():
    import matplotlib

    before = matplotlib.rcParams.copy()
    plot_weight_histograms({"w": np.ones(3)}, log_abs=True)
    plot_column_norms({"k": np.ones((2, 2))})
    assert matplotlib.rcParams == before
