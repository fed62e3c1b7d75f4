"""Tests for course_utils.data: the digits splits, label noise, argument checks, and the Keras
cache path (fake Fashion-MNIST, missing datasets, blocked downloads, the command line)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from course_utils import DATASETS, DEFAULT_DATASET, Dataset, load_dataset


def _row_keys(x: np.ndarray) -> list[bytes]:
    return [row.tobytes() for row in x]


@pytest.fixture(scope="module")
def raw_digits():
    from sklearn.datasets import load_digits

    return load_digits()


@pytest.fixture(scope="module")
def full() -> Dataset:
    return load_dataset("digits")


# ---------------------------------------------------------------------------------------------
# digits: splits, shapes, scaling
# ---------------------------------------------------------------------------------------------


def test_default_dataset_is_digits_and_listed():
    assert DEFAULT_DATASET in DATASETS
    assert load_dataset().name == DEFAULT_DATASET


def test_digits_split_sizes(full, raw_digits):
    n_total = len(raw_digits.target)
    # Documented: a fixed stratified 20% test split, then val_fraction=0.25 of the rest.
    n_test = math.ceil(0.2 * n_total)
    n_val = math.ceil(0.25 * (n_total - n_test))
    assert full.sizes == {"train": n_total - n_test - n_val, "val": n_val, "test": n_test}
    assert (full.sizes["test"], full.sizes["val"], full.sizes["train"]) == (360, 360, 1077)
    assert sum(full.sizes.values()) == n_total


@pytest.mark.parametrize("split", ["train", "val", "test"])
def test_digits_arrays_are_float32_images_in_unit_range(full, split):
    x = getattr(full, f"x_{split}")
    y = getattr(full, f"y_{split}")
    assert x.dtype == np.float32
    assert x.shape == (len(y),) + full.input_shape
    assert full.input_shape == (8, 8, 1)
    assert x.min() >= 0.0 and x.max() <= 1.0
    assert x.max() > 0.5  # really scaled to [0, 1], not all near zero
    # The raw pixels are integers 0..16: the scaling is an exact division by 16.
    np.testing.assert_allclose(x * 16, np.round(x * 16), atol=1e-5)
    assert np.issubdtype(y.dtype, np.integer)
    assert set(np.unique(y).tolist()) == set(range(10))


def test_digits_splits_are_disjoint_and_cover_the_dataset(full, raw_digits):
    keys = _row_keys(full.x_train) + _row_keys(full.x_val) + _row_keys(full.x_test)
    raw = _row_keys((raw_digits.images / 16.0).astype("float32").reshape(-1, 8, 8, 1))
    assert sorted(keys) == sorted(raw)


def test_num_classes_and_class_names(full):
    assert full.num_classes == len(full.class_names) == int(full.y_train.max()) + 1


def test_n_train_gives_stratified_subset(full):
    n = 150
    d = load_dataset("digits", n_train=n, seed=0)
    assert d.sizes["train"] == n
    counts = np.bincount(d.y_train, minlength=d.num_classes)
    assert counts.min() >= 1
    assert counts.max() - counts.min() <= 1
    # A subset of the full training split, not new images.
    assert set(_row_keys(d.x_train)) <= set(_row_keys(full.x_train))


def test_n_train_at_both_ends_of_the_valid_range(full):
    smallest = load_dataset("digits", n_train=full.num_classes, seed=0)
    np.testing.assert_array_equal(
        np.bincount(smallest.y_train, minlength=full.num_classes), np.ones(full.num_classes, dtype=int)
    )  # one image per class
    everything = load_dataset("digits", n_train=full.sizes["train"], seed=5)
    np.testing.assert_array_equal(everything.x_train, full.x_train)
    np.testing.assert_array_equal(everything.y_train, full.y_train)


@pytest.mark.parametrize("missing", [1, 9])
def test_n_train_just_below_the_full_split(full, missing):
    n = full.sizes["train"] - missing
    d = load_dataset("digits", n_train=n, seed=0)
    assert d.sizes["train"] == n


def test_val_and_test_do_not_depend_on_seed_but_train_subset_does():
    a = load_dataset("digits", n_train=200, seed=0)
    b = load_dataset("digits", n_train=200, seed=1)
    np.testing.assert_array_equal(a.x_val, b.x_val)
    np.testing.assert_array_equal(a.y_val, b.y_val)
    np.testing.assert_array_equal(a.x_test, b.x_test)
    np.testing.assert_array_equal(a.y_test, b.y_test)
    assert set(_row_keys(a.x_train)) != set(_row_keys(b.x_train))


def test_same_seed_gives_identical_arrays():
    a = load_dataset("digits", n_train=120, label_noise=0.1, seed=7)
    b = load_dataset("digits", n_train=120, label_noise=0.1, seed=7)
    for attr in ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test", "noisy_train_mask"):
        np.testing.assert_array_equal(getattr(a, attr), getattr(b, attr), err_msg=attr)


def test_clean_load_has_empty_noise_mask(full):
    assert full.noisy_train_mask.dtype == bool
    assert len(full.noisy_train_mask) == full.sizes["train"]
    assert not full.noisy_train_mask.any()


@pytest.mark.parametrize("n_train", [150, None])
def test_label_noise_flips_exactly_the_requested_fraction(n_train):
    seed, noise = 3, 0.2
    clean = load_dataset("digits", n_train=n_train, label_noise=0.0, seed=seed)
    noisy = load_dataset("digits", n_train=n_train, label_noise=noise, seed=seed)
    n = clean.sizes["train"]
    # Same images, in the same order: only labels change.
    np.testing.assert_array_equal(noisy.x_train, clean.x_train)
    changed = noisy.y_train != clean.y_train
    assert changed.sum() == round(noise * n)
    np.testing.assert_array_equal(noisy.noisy_train_mask, changed)
    assert noisy.noisy_train_mask.dtype == bool
    # Flipped labels are still valid classes.
    assert noisy.y_train.min() >= 0 and noisy.y_train.max() < noisy.num_classes
    # Validation and test labels stay clean.
    np.testing.assert_array_equal(noisy.y_val, clean.y_val)
    np.testing.assert_array_equal(noisy.y_test, clean.y_test)
    assert noisy.label_noise == pytest.approx(noise)


def test_summary_mentions_sizes_and_noise():
    d = load_dataset("digits", n_train=150, label_noise=0.2, seed=0)
    text = d.summary()
    for size in d.sizes.values():
        assert str(size) in text
    assert str(int(d.noisy_train_mask.sum())) in text
    assert "digits" in text
    clean_text = load_dataset("digits", n_train=150, seed=0).summary()
    assert "noise" not in clean_text
    assert "150" in repr(d) and "digits" in repr(d)


# ---------------------------------------------------------------------------------------------
# argument checks
# ---------------------------------------------------------------------------------------------


def test_unknown_name_lists_valid_names():
    with pytest.raises(ValueError) as info:
        load_dataset("imagenet")
    message = str(info.value)
    assert "'imagenet'" in message
    for name in DATASETS:
        assert repr(name) in message


def test_close_name_gets_a_suggestion():
    with pytest.raises(ValueError, match=r"Did you mean 'fashion_mnist'\?"):
        load_dataset("fashion-mnist")


@pytest.mark.parametrize("bad", [0, 5, 100000, 1.5, True])
def test_n_train_out_of_range(full, bad):
    with pytest.raises(ValueError) as info:
        load_dataset("digits", n_train=bad)
    message = str(info.value)
    assert f"n_train={bad!r}" in message
    # The valid range: one image per class up to the whole training split.
    assert f"between {full.num_classes} " in message
    assert f" {full.sizes['train']} " in message


@pytest.mark.parametrize("bad", [1.0, -0.1])
def test_label_noise_out_of_range(bad):
    with pytest.raises(ValueError, match=f"label_noise={bad!r}"):
        load_dataset("digits", label_noise=bad)


@pytest.mark.parametrize("bad", [0, 1])
def test_val_fraction_out_of_range(bad):
    with pytest.raises(ValueError, match=f"val_fraction={bad!r}"):
        load_dataset("digits", val_fraction=bad)


def test_seed_must_be_an_integer():
    with pytest.raises(ValueError, match=r"seed='x'"):
        load_dataset("digits", seed="x")


def test_negative_seed_message_names_seed():
    with pytest.raises(ValueError, match=r"`seed`.*seed=-1"):
        load_dataset("digits", seed=-1)


# ---------------------------------------------------------------------------------------------
# The Keras cache (subprocesses: KERAS_HOME is read when Keras is imported)
# ---------------------------------------------------------------------------------------------


def test_fake_fashion_mnist_loads_from_the_keras_cache(probes):
    probe = probes["fashion"]
    data = probe.result()["data"]
    raw = probe.raw
    arrays = np.load(probe.arrays_path)
    assert data["keras_cache_dir"] == str(probe.keras_home)
    info = data["default"]
    assert info["calls"] == 0  # download=False: nothing was fetched
    assert info["name"] == "fashion_mnist"
    assert info["num_classes"] == 10 == len(info["class_names"])
    assert info["class_names"][0] == "T-shirt/top" and info["class_names"][9] == "Ankle boot"
    assert tuple(info["input_shape"]) == (28, 28, 1)
    n_pool, n_test = len(raw["y_train"]), len(raw["y_test"])
    n_val = math.ceil(0.25 * n_pool)
    assert info["sizes"] == {"train": n_pool - n_val, "val": n_val, "test": n_test}

    # Test split: the official one, in order, scaled by 1/255.
    x_test = arrays["default_x_test"]
    assert x_test.dtype == np.float32 and x_test.shape == (n_test, 28, 28, 1)
    np.testing.assert_allclose(x_test[..., 0], raw["x_test"] / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(arrays["default_y_test"], raw["y_test"])

    # Train + val: a partition of the official training images, each with its own label.
    seen = []
    for split in ("train", "val"):
        x, y = arrays[f"default_x_{split}"], arrays[f"default_y_{split}"]
        assert x.dtype == np.float32 and x.shape[1:] == (28, 28, 1)
        assert 0.0 <= x.min() and x.max() <= 1.0
        ids = np.rint(x[:, 0, 0, 0] * 255).astype(int) // 3
        np.testing.assert_allclose(x[..., 0], raw["x_train"][ids] / 255.0, rtol=1e-6)
        np.testing.assert_array_equal(y, raw["y_train"][ids])
        seen.extend(ids.tolist())
    assert sorted(seen) == list(range(n_pool))


def test_fake_fashion_mnist_val_fraction_and_n_train(probes):
    probe = probes["fashion"]
    data = probe.result()["data"]
    arrays = np.load(probe.arrays_path)
    n_pool = len(probe.raw["y_train"])
    half = data["half"]["sizes"]
    assert half["val"] == math.ceil(0.5 * n_pool)
    assert half["train"] + half["val"] == n_pool
    assert half["val"] != data["default"]["sizes"]["val"]
    # val_fraction only moves images between train and val; the test split is untouched.
    np.testing.assert_array_equal(arrays["half_x_test"], arrays["default_x_test"])
    n20 = data["n20"]["sizes"]
    assert n20["train"] == 20
    np.testing.assert_array_equal(np.bincount(arrays["n20_y_train"], minlength=10), np.full(10, 2))


def test_missing_dataset_without_download_explains_the_fix(probes):
    probe = probes["offline"]
    data = probe.result()["data"]
    assert data["course_offline_at_start"] is None
    entry = data["no_download"]
    assert entry["error"] == "DatasetUnavailableError", entry
    assert entry["calls"] == 0
    message = entry["message"]
    assert "'fashion_mnist'" in message
    assert str(probe.keras_home / "datasets") in message
    assert "python -m course_utils.data download fashion_mnist" in message
    assert "'digits'" in message
    # The four missing files are listed.
    assert message.count("ubyte.gz") == 4


def test_failed_download_raises_dataset_unavailable(probes):
    data = probes["offline"].result()["data"]
    for key in ("download_fails", "default_download_fails"):
        entry = data[key]
        assert entry["error"] == "DatasetUnavailableError", (key, entry)
        assert entry["calls"] >= 1, key  # it did try (through the blocked urlretrieve)
        message = entry["message"]
        assert "'mnist'" in message
        assert "downloading it failed" in message
        assert "offline" in message  # the underlying reason is kept
        assert "python -m course_utils.data download mnist" in message


def test_course_offline_env_blocks_download_unless_explicit(probes):
    data = probes["offline"].result()["data"]
    entry = data["offline_env"]
    assert entry["error"] == "DatasetUnavailableError", entry
    assert entry["calls"] == 0  # refused before any download attempt
    assert "COURSE_OFFLINE" in entry["message"]
    # An explicit download=True wins over the environment variable.
    explicit = data["offline_env_explicit_download"]
    assert explicit["error"] == "DatasetUnavailableError"
    assert explicit["calls"] >= 1


def test_cli_download_reports_failure(probes):
    cli = probes["offline"].result()["data"]["cli_download"]
    assert cli["rc"] == 1
    assert cli["calls"] >= 1
    assert "mnist" in cli["stdout"]
    assert "not available" in cli["stderr"]


def test_cli_list(probes):
    probe = probes["cli_list"]
    res = probe.result()
    assert res["rc"] == 0, res["stderr"][-3000:]
    lines = res["stdout"].splitlines()
    assert str(probe.keras_home / "datasets") in lines[0]
    status = {}
    for line in lines[1:]:
        name, _, rest = line.strip().partition(" ")
        status[name] = rest.strip()
    assert set(status) == set(DATASETS)
    assert status["digits"].startswith("built in")
    assert status["mnist"].startswith("not cached")
    assert status["cifar10"].startswith("not cached")
    assert status["fashion_mnist"].startswith("cached")
