"""Tests for course_utils.dropout and course_utils.plotting.dropout."""

from __future__ import annotations

import keras
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure

import course_utils as cu
from course_utils import (
    OOD_KINDS,
    build_cnn,
    build_mlp,
    count_dropout_layers,
    make_ood_images,
    mc_dropout_predict,
    mutual_information,
    plot_feature_map_dropout,
    plot_rate_sweep,
    plot_uncertainty_histograms,
    predictive_entropy,
    predictive_spread,
)

# ---------------------------------------------------------------------------------------------
# count_dropout_layers / mc_dropout_predict
# ---------------------------------------------------------------------------------------------


def test_count_dropout_layers():
    assert count_dropout_layers(build_mlp((8, 8, 1), 10, (16, 16), seed=0)) == 0
    assert count_dropout_layers(build_mlp((8, 8, 1), 10, (16, 16), dropout=0.3, seed=0)) == 2
    cnn = build_cnn((8, 8, 1), 10, (4, 8), dense_units=8, spatial_dropout=0.2, dropout=0.5, seed=0)
    assert count_dropout_layers(cnn) == 3
    # nested models are searched too
    inner = build_mlp((4,), 3, (8,), dropout=0.5, seed=0)
    outer = keras.Sequential([keras.Input(shape=(4,)), inner])
    assert count_dropout_layers(outer) == 1


@pytest.fixture(scope="module")
def dropout_model():
    return build_mlp((8, 8, 1), 10, (32,), dropout=0.5, seed=0)


def test_mc_dropout_predict_shape_and_probabilities(dropout_model):
    x = np.random.default_rng(0).random((7, 8, 8, 1)).astype("float32")
    probs = mc_dropout_predict(dropout_model, x, n_samples=4)
    assert probs.shape == (4, 7, 10) and probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(-1), 1.0, atol=1e-5)


def test_mc_dropout_passes_differ_and_inference_does_not(dropout_model):
    x = np.random.default_rng(0).random((5, 8, 8, 1)).astype("float32")
    probs = mc_dropout_predict(dropout_model, x, n_samples=6)
    assert not np.allclose(probs[0], probs[1])
    # each pass is a proper training-mode pass: not the inference output
    inference = np.asarray(dropout_model(x, training=False))
    assert not np.allclose(probs.mean(0), inference, atol=1e-7)


def test_mc_dropout_chunking_gives_the_same_layout(dropout_model):
    """Several small calls return the same (pass, example, class) layout as one big call."""
    x = np.random.default_rng(1).random((5, 8, 8, 1)).astype("float32")
    a = mc_dropout_predict(dropout_model, x, n_samples=3, batch_size=2)
    assert a.shape == (3, 5, 10)
    np.testing.assert_allclose(a.sum(-1), 1.0, atol=1e-5)


def test_mc_dropout_rows_map_to_examples():
    """Row k of pass t must belong to example k: with a dropout layer whose rate is tiny, every
    pass reproduces the inference output example by example, whatever the chunking."""
    model = keras.Sequential(
        [
            keras.Input(shape=(3,)),
            keras.layers.Dropout(1e-7, seed=0),
            keras.layers.Dense(
                4, activation="softmax", kernel_initializer=keras.initializers.GlorotUniform(seed=0)
            ),
        ]
    )
    x = np.random.default_rng(2).normal(size=(5, 3)).astype("float32")
    expected = np.asarray(model(x, training=False))
    for batch_size in (1, 2, 7, 100):
        probs = mc_dropout_predict(model, x, n_samples=3, batch_size=batch_size)
        for t in range(3):
            np.testing.assert_allclose(probs[t], expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"n_samples": 0}, "n_samples"),
        ({"n_samples": 2.5}, "n_samples"),
        ({"batch_size": -1}, "batch_size"),
    ],
)
def test_mc_dropout_predict_rejects_bad_arguments(dropout_model, kwargs, match):
    with pytest.raises(ValueError, match=match):
        mc_dropout_predict(dropout_model, np.zeros((2, 8, 8, 1), "float32"), **kwargs)


def test_mc_dropout_predict_refuses_models_without_dropout():
    model = build_mlp((8, 8, 1), 10, (8,), seed=0)
    with pytest.raises(ValueError, match="no dropout layer"):
        mc_dropout_predict(model, np.zeros((2, 8, 8, 1), "float32"))


def test_mc_dropout_predict_refuses_empty_input(dropout_model):
    with pytest.raises(ValueError, match="at least one example"):
        mc_dropout_predict(dropout_model, np.zeros((0, 8, 8, 1), "float32"))


# ---------------------------------------------------------------------------------------------
# uncertainty measures
# ---------------------------------------------------------------------------------------------


def test_predictive_spread_known_values():
    probs = np.array([[[0.9, 0.1], [0.5, 0.5]], [[0.5, 0.5], [0.5, 0.5]]])  # 2 passes, 2 examples
    np.testing.assert_allclose(predictive_spread(probs), [0.2, 0.0])


def test_predictive_spread_uses_the_class_with_the_highest_mean():
    # class 1 wins on average (0.6 vs 0.4) although pass 0 prefers class 0
    probs = np.array([[[0.6, 0.4]], [[0.2, 0.8]]])
    np.testing.assert_allclose(predictive_spread(probs), [0.2])


def test_entropy_and_mutual_information():
    agree = np.full((3, 1, 4), 0.25)
    np.testing.assert_allclose(predictive_entropy(agree), [np.log(4)])
    np.testing.assert_allclose(mutual_information(agree), [0.0], atol=1e-12)
    disagree = np.array([[[1.0, 0.0]], [[0.0, 1.0]]])
    np.testing.assert_allclose(predictive_entropy(disagree), [np.log(2)])
    np.testing.assert_allclose(mutual_information(disagree), [np.log(2)])
    certain = np.array([[[1.0, 0.0]], [[1.0, 0.0]]])
    np.testing.assert_allclose(predictive_entropy(certain), [0.0], atol=1e-12)


def test_mutual_information_is_at_most_the_entropy():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(20, 30, 5))
    probs = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    mi, h = mutual_information(probs), predictive_entropy(probs)
    assert np.all(mi >= 0) and np.all(mi <= h + 1e-12)


@pytest.mark.parametrize("fn", [predictive_spread, predictive_entropy, mutual_information])
@pytest.mark.parametrize(
    "probs,match",
    [
        (np.full((3, 4), 0.25), "shape"),
        (np.full((2, 3, 1), 1.0), "two classes"),
        (np.full((2, 3, 2), 0.7), "probabilities"),
        (np.array([[[1.5, -0.5]]]), "probabilities"),
    ],
)
def test_uncertainty_measures_validate_input(fn, probs, match):
    with pytest.raises(ValueError, match=match):
        fn(probs)


# ---------------------------------------------------------------------------------------------
# make_ood_images
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def images():
    rng = np.random.default_rng(0)
    return (rng.random((6, 8, 8, 1)) * 0.8 + 0.1).astype("float32")


@pytest.mark.parametrize("kind", OOD_KINDS)
def test_ood_images_have_the_reference_shape_and_range(images, kind):
    ood = make_ood_images(images, kind, seed=3)
    assert ood.shape == images.shape and ood.dtype == np.float32
    assert ood.min() >= images.min() - 1e-6 and ood.max() <= images.max() + 1e-6
    assert not np.allclose(ood, images)


def test_shuffled_images_keep_each_images_pixels(images):
    ood = make_ood_images(images, "shuffled", seed=0)
    for a, b in zip(images, ood):
        np.testing.assert_array_equal(np.sort(a.ravel()), np.sort(b.ravel()))


def test_inverted_images_are_the_negative(images):
    ood = make_ood_images(images, "inverted")
    np.testing.assert_allclose(ood, images.max() + images.min() - images, atol=1e-6)


def test_ood_images_are_reproducible(images):
    np.testing.assert_array_equal(
        make_ood_images(images, "noise", seed=1), make_ood_images(images, "noise", seed=1)
    )
    assert not np.array_equal(
        make_ood_images(images, "noise", seed=1), make_ood_images(images, "noise", seed=2)
    )


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"kind": "blur"}, "kind"),
        ({"seed": -1}, "seed"),
        ({"seed": True}, "seed"),
    ],
)
def test_make_ood_images_rejects_bad_arguments(images, kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_ood_images(images, **kwargs)


def test_make_ood_images_rejects_empty_input():
    with pytest.raises(ValueError, match="x_reference"):
        make_ood_images(np.zeros((0, 8, 8, 1)))


# ---------------------------------------------------------------------------------------------
# plots
# ---------------------------------------------------------------------------------------------


def test_plot_rate_sweep_marks_the_peak():
    before = plt.get_fignums()
    ax = plot_rate_sweep(
        [0.0, 0.3, 0.6], [0.8, 0.87, 0.7], train_accuracy=[1.0, 0.95, 0.7], val_std_error=0.02
    )
    assert isinstance(ax, Axes) and len(plt.get_fignums()) == len(before) + 1
    labels = [ln.get_label() for ln in ax.lines]
    assert any("best: rate 0.3" in label for label in labels), labels
    assert ax.get_xlabel() == "dropout rate"


def test_plot_rate_sweep_draws_on_given_axes():
    fig, ax = plt.subplots()
    assert plot_rate_sweep([0.0, 0.5], [0.8, 0.85], ax=ax) is ax


@pytest.mark.parametrize(
    "args,kwargs,match",
    [
        (([0.0, 0.5], [0.8]), {}, "same length"),
        (([], []), {}, "non-empty"),
        (([0.0, 1.0], [0.8, 0.1]), {}, r"\[0, 1\)"),
        (([0.0, 0.5], [0.8, 0.9]), {"train_accuracy": [1.0]}, "train_accuracy"),
        (([0.0, 0.5], [0.8, 0.9]), {"val_std_error": -0.1}, "val_std_error"),
    ],
)
def test_plot_rate_sweep_validates(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        plot_rate_sweep(*args, **kwargs)


def test_plot_uncertainty_histograms():
    ax = plot_uncertainty_histograms({"digits": [0.01, 0.02, 0.03], "noise": [0.2, 0.3]}, bins=5)
    assert isinstance(ax, Axes)
    assert len(ax.lines) == 2  # one mean line per set
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["digits (mean 0.020)", "noise (mean 0.250)"]


@pytest.mark.parametrize(
    "values,kwargs,match",
    [
        ({}, {}, "non-empty"),
        ({"a": []}, {}, "no values"),
        ({"a": [0.1]}, {"bins": 0}, "bins"),
    ],
)
def test_plot_uncertainty_histograms_validates(values, kwargs, match):
    with pytest.raises(ValueError, match=match):
        plot_uncertainty_histograms(values, **kwargs)


def test_plot_feature_map_dropout():
    fmap = np.random.default_rng(0).random((2, 4, 4, 5))
    fig = plot_feature_map_dropout({"input": fmap, "dropped": fmap * 0}, n_channels=3, example=1)
    assert isinstance(fig, Figure) and len(fig.axes) == 6


@pytest.mark.parametrize(
    "maps,kwargs,match",
    [
        ({}, {}, "non-empty"),
        ({"a": np.zeros((2, 4, 4))}, {}, "4-D"),
        ({"a": np.zeros((2, 4, 4, 3)), "b": np.zeros((2, 4, 4, 2))}, {}, "same shape"),
        ({"a": np.zeros((2, 4, 4, 3))}, {"n_channels": 4}, "n_channels"),
        ({"a": np.zeros((2, 4, 4, 3))}, {"n_channels": 2, "example": 2}, "example"),
    ],
)
def test_plot_feature_map_dropout_validates(maps, kwargs, match):
    with pytest.raises(ValueError, match=match):
        plot_feature_map_dropout(maps, **kwargs)


def test_public_names_are_reexported():
    for name in (
        "mc_dropout_predict",
        "predictive_spread",
        "predictive_entropy",
        "mutual_information",
        "make_ood_images",
        "count_dropout_layers",
        "plot_rate_sweep",
        "plot_uncertainty_histograms",
        "plot_feature_map_dropout",
    ):
        assert hasattr(cu, name), name


@pytest.mark.parametrize("module_name", ["course_utils.dropout", "course_utils.plotting.dropout"])
def test_docstring_examples_run(module_name):
    import doctest
    import importlib

    module = importlib.import_module(module_name)
    failures, tried = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert tried > 0 and failures == 0
