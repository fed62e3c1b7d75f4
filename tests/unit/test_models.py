"""Tests for course_utils.models.build_mlp."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest

from course_utils import build_mlp

INPUT_SHAPE = (8, 8, 1)
N_IN = math.prod(INPUT_SHAPE)


def _dense_layers(model):
    return [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]


def test_layer_structure():
    hidden = (32, 16)
    model = build_mlp(INPUT_SHAPE, 7, hidden, seed=0, name="probe")
    assert model.name == "probe"
    assert isinstance(model.layers[0], keras.layers.Flatten)
    dense = _dense_layers(model)
    assert [layer.units for layer in dense] == [*hidden, 7]
    # Hidden Dense layers are linear, followed by a separate activation layer.
    acts = [layer for layer in model.layers if isinstance(layer, keras.layers.Activation)]
    assert len(acts) == len(hidden)
    assert all(layer.activation is keras.activations.relu for layer in acts)
    output = model.layers[-1]
    assert output is dense[-1]
    assert output.activation is keras.activations.softmax
    assert model.output_shape == (None, 7)
    assert tuple(model.input_shape) == (None, *INPUT_SHAPE)
    # No dropout / batch norm unless asked.
    assert not any(
        isinstance(layer, (keras.layers.Dropout, keras.layers.BatchNormalization)) for layer in model.layers
    )
    # Returned uncompiled.
    assert getattr(model, "optimizer", None) is None


def test_outputs_are_probabilities():
    model = build_mlp(INPUT_SHAPE, 10, (8,), seed=0)
    x = np.random.default_rng(0).random((5, *INPUT_SHAPE)).astype("float32")
    p = keras.ops.convert_to_numpy(model(x))
    assert p.shape == (5, 10)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-5)
    assert (p >= 0).all()


def test_count_params_matches_formula():
    h, k = 64, 10
    model = build_mlp(INPUT_SHAPE, k, (h,), seed=0)
    expected = (N_IN * h + h) + (h * k + k)
    assert model.count_params() == expected


def test_no_hidden_layer_is_logistic_regression():
    model = build_mlp(INPUT_SHAPE, 10, (), seed=0)
    assert [layer.units for layer in _dense_layers(model)] == [10]
    assert model.count_params() == N_IN * 10 + 10


def test_dropout_layers_when_asked():
    hidden = (32, 16)
    model = build_mlp(INPUT_SHAPE, 10, hidden, dropout=0.3, seed=0)
    drops = [layer for layer in model.layers if isinstance(layer, keras.layers.Dropout)]
    assert len(drops) == len(hidden)
    assert all(layer.rate == pytest.approx(0.3) for layer in drops)
    # Dropout has no weights: same parameter count as without it.
    assert model.count_params() == build_mlp(INPUT_SHAPE, 10, hidden, seed=0).count_params()
    # Each dropout follows an activation, never the output.
    idx = [i for i, layer in enumerate(model.layers) if isinstance(layer, keras.layers.Dropout)]
    assert all(isinstance(model.layers[i - 1], keras.layers.Activation) for i in idx)
    assert not isinstance(model.layers[-1], keras.layers.Dropout)


def test_batch_norm_layers_when_asked():
    h, k = 32, 10
    model = build_mlp(INPUT_SHAPE, k, (h, h), batch_norm=True, seed=0)
    bns = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert len(bns) == 2
    hidden_dense = _dense_layers(model)[:-1]
    assert all(not layer.use_bias for layer in hidden_dense)  # BN's beta replaces the bias
    # Order: Dense -> BatchNorm -> Activation.
    for bn in bns:
        i = model.layers.index(bn)
        assert isinstance(model.layers[i - 1], keras.layers.Dense)
        assert isinstance(model.layers[i + 1], keras.layers.Activation)
    expected = (N_IN * h + 4 * h) + (h * h + 4 * h) + (h * k + k)
    assert model.count_params() == expected


def test_kernel_regularizer_on_hidden_layers_only():
    reg = keras.regularizers.L2(1e-3)
    model = build_mlp(INPUT_SHAPE, 10, (16, 16), kernel_regularizer=reg, seed=0)
    dense = _dense_layers(model)
    assert all(layer.kernel_regularizer is reg for layer in dense[:-1])
    assert dense[-1].kernel_regularizer is None
    assert len(model.losses) == 2


def test_seed_gives_identical_initial_weights():
    a = build_mlp(INPUT_SHAPE, 10, (32, 16), seed=5).get_weights()
    b = build_mlp(INPUT_SHAPE, 10, (32, 16), seed=5).get_weights()
    c = build_mlp(INPUT_SHAPE, 10, (32, 16), seed=6).get_weights()
    assert len(a) == len(b) == len(c)
    for wa, wb in zip(a, b):
        np.testing.assert_array_equal(wa, wb)
    kernels_a = [w for w in a if w.ndim == 2]
    kernels_c = [w for w in c if w.ndim == 2]
    assert all(not np.array_equal(x, y) for x, y in zip(kernels_a, kernels_c))


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"dropout": 1.5}, "dropout=1.5"),
        ({"dropout": -0.1}, "dropout=-0.1"),
        ({"hidden_units": 512}, "hidden_units=512"),
        ({"hidden_units": (0,)}, "hidden_units entry=0"),
        ({"hidden_units": (16, -3)}, "hidden_units entry=-3"),
        ({"num_classes": 1}, "num_classes=1"),
        ({"num_classes": 2.5}, "num_classes=2.5"),
    ],
)
def test_bad_arguments_raise_value_error_naming_the_value(kwargs, fragment):
    args = {"input_shape": INPUT_SHAPE, "num_classes": 10, "hidden_units": (8,), **kwargs}
    with pytest.raises(ValueError) as info:
        build_mlp(**args)
    assert fragment in str(info.value)


@pytest.mark.parametrize("bad", [64, "8x8", None])
def test_build_mlp_rejects_an_input_shape_that_is_not_a_tuple(bad):
    with pytest.raises(ValueError, match="input_shape="):
        build_mlp(bad, 10)


# ---- options added for lessons 02-08 ----------------------------------------------------------


def test_build_mlp_batch_norm_placement_and_constraint():
    import keras

    from course_utils import build_mlp

    before = build_mlp((8, 8, 1), 10, (16,), batch_norm="before", seed=0)
    after = build_mlp((8, 8, 1), 10, (16,), batch_norm="after", seed=0)
    names = lambda m: [type(layer).__name__ for layer in m.layers]  # noqa: E731
    assert names(before)[1:4] == ["Dense", "BatchNormalization", "Activation"]
    assert names(after)[1:4] == ["Dense", "Activation", "BatchNormalization"]
    assert not before.layers[1].use_bias and after.layers[1].use_bias
    constrained = build_mlp((4,), 3, (8,), kernel_constraint=keras.constraints.MaxNorm(2.0))
    assert isinstance(constrained.get_layer("dense_1").kernel_constraint, keras.constraints.MaxNorm)
    with pytest.raises(ValueError, match="batch_norm"):
        build_mlp((4,), 3, (8,), batch_norm="middle")


def test_build_cnn_shapes_options_and_validation():
    import keras

    from course_utils import build_cnn

    model = build_cnn(
        (8, 8, 1),
        10,
        filters=(8, 16),
        spatial_dropout=0.2,
        dropout=0.3,
        batch_norm=True,
        augmentation=[keras.layers.RandomFlip("horizontal", seed=0)],
        seed=0,
    )
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds[0] == "RandomFlip" and "SpatialDropout2D" in kinds and "Dropout" in kinds
    assert model.output_shape == (None, 10)
    assert build_cnn((28, 28, 1), 10, seed=0).output_shape == (None, 10)
    for bad in (
        {"input_shape": (64,)},
        {"filters": ()},
        {"spatial_dropout": 1.5},
        {"dropout": -0.1},
        {"dense_units": 0},
    ):
        kwargs = {"input_shape": (8, 8, 1), "num_classes": 10, **bad}
        with pytest.raises(ValueError, match=next(iter(bad))):
            build_cnn(**kwargs)
