"""The README's "Coming from Keras 2" table, checked against the installed Keras: every Keras 2
spelling it names is gone (or warns) and every Keras 3 replacement exists and does what it says."""

from __future__ import annotations

import warnings
from pathlib import Path

import keras
import numpy as np
import pytest

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def test_the_readme_has_the_table():
    section = README.split("### Coming from Keras 2", 1)[1].split("\n## ", 1)[0]
    for spelling in (
        "input_shape=",
        "optimizer.lr",
        "_resource_apply_dense",
        "ImageDataGenerator",
        "fit_generator",
        "update_step",
        ".weights.h5",
        "image_dataset_from_directory",
    ):
        assert spelling in section, spelling


def test_input_shape_on_a_layer_warns_and_keras_input_is_the_replacement():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        keras.layers.Dense(4, input_shape=(3,))
    assert any("Input(shape" in str(w.message) for w in caught)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4)])
    assert model.input_shape == (None, 3)


def test_the_learning_rate_attribute():
    optimizer = keras.optimizers.Adam(1e-3)
    assert not hasattr(optimizer, "lr") and not hasattr(keras.backend, "set_value")
    optimizer.learning_rate = 0.5
    assert float(optimizer.learning_rate) == 0.5


def test_custom_optimizers_use_build_and_update_step():
    assert not hasattr(keras.optimizers.Optimizer, "_resource_apply_dense")
    assert not hasattr(keras.optimizers.Optimizer, "get_updates")
    for name in ("build", "update_step", "add_variable_from_reference"):
        assert hasattr(keras.optimizers.Optimizer, name), name


def test_image_data_generator_is_gone_and_preprocessing_layers_replace_it():
    import keras.preprocessing.image as image

    assert not hasattr(image, "ImageDataGenerator")
    assert hasattr(keras.utils, "image_dataset_from_directory")
    flip = keras.layers.RandomFlip("horizontal", seed=0)
    x = np.arange(2 * 4 * 4 * 1, dtype="float32").reshape(2, 4, 4, 1)
    assert np.array_equal(np.asarray(flip(x, training=False)), x)  # inference: untouched


def test_model_files(tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match=r"\.keras"):
        model.save(tmp_path / "model")  # Keras 2's SavedModel folder
    model.save(tmp_path / "model.keras")
    model.save_weights(tmp_path / "model.weights.h5")
    assert keras.models.load_model(tmp_path / "model.keras").count_params() == model.count_params()
    assert hasattr(model, "export")


def test_fit_generator_is_gone():
    assert not hasattr(keras.Model, "fit_generator")
    assert hasattr(keras.utils, "PyDataset")
