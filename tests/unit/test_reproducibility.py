"""Tests for course_utils.reproducibility.set_seed."""

from __future__ import annotations

import random

import keras
import numpy as np
import pytest

from course_utils import build_mlp, set_seed


def _draws():
    return {
        "python": [random.random() for _ in range(3)],
        "numpy": np.random.rand(3).tolist(),
        "keras": keras.ops.convert_to_numpy(keras.random.normal((4,))).tolist(),
        # seed=None: the initializers draw from Keras's global seed.
        "weights": [w.tolist() for w in build_mlp((4, 4, 1), 3, (5,)).get_weights()],
    }


@pytest.mark.parametrize("seed", [0, 42, np.int64(7)])
def test_set_seed_returns_the_seed_as_int(seed):
    out = set_seed(seed)
    assert out == int(seed)
    assert type(out) is int


def test_same_seed_same_draws_different_seed_different_draws():
    set_seed(123)
    first = _draws()
    set_seed(123)
    second = _draws()
    set_seed(124)
    other = _draws()
    for source in first:
        assert first[source] == second[source], source
        assert first[source] != other[source], source


@pytest.mark.parametrize("bad", [-1, 1.5, True, "3", None])
def test_set_seed_rejects_bad_seeds(bad):
    with pytest.raises(ValueError, match=f"seed={bad!r}"):
        set_seed(bad)


def test_describe_environment_names_versions_and_device():
    import keras
    import tensorflow as tf

    from course_utils import describe_environment

    text = describe_environment()
    assert f"TensorFlow {tf.__version__}" in text and f"Keras {keras.__version__}" in text
    expected = "GPU" if tf.config.list_physical_devices("GPU") else "CPU (no GPU found)"
    assert expected in text
