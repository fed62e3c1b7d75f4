"""course_utils.monitoring: TensorBoard log folders that never reuse a folder, and the scalars
Keras's TensorBoard callback wrote, read back equal to the History."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")
pytest.importorskip("tensorboard")

from course_utils import monitoring  # noqa: E402
from course_utils.monitoring import read_tensorboard_scalars, tensorboard_log_dir  # noqa: E402


def test_each_call_makes_a_new_empty_folder_under_root(tmp_path):
    first = tensorboard_log_dir("05_early_stopping", "run", root=tmp_path)
    (first / "keep.txt").write_text("a learner's file")
    second = tensorboard_log_dir("05_early_stopping", "run", root=tmp_path)
    assert first.parent == second.parent == tmp_path / "tensorboard" / "05_early_stopping"
    assert first != second and first.is_dir() and second.is_dir() and not any(second.iterdir())
    assert (first / "keep.txt").read_text() == "a learner's file"  # nothing overwritten
    assert first.name.startswith("run-") and second.name.startswith(first.name)


def test_without_root_it_finds_the_checkout_build_folder(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "course_utils").mkdir()
    (tmp_path / "notebooks").mkdir()
    monkeypatch.delenv(monitoring.BUILD_DIR_ENV, raising=False)
    monkeypatch.chdir(tmp_path / "notebooks")  # where JupyterLab and the runner start a lesson
    path = tensorboard_log_dir("05_early_stopping", "run")
    assert path.parent == tmp_path / "build" / "tensorboard" / "05_early_stopping"
    monkeypatch.setenv(monitoring.BUILD_DIR_ENV, str(tmp_path / "elsewhere"))
    assert tensorboard_log_dir("05", "run").parents[1] == tmp_path / "elsewhere" / "tensorboard"


@pytest.mark.parametrize("bad", ["", "../up", "a/b", "two words", "..", None])
def test_names_must_be_simple(tmp_path, bad):
    with pytest.raises(ValueError, match="simple folder name"):
        tensorboard_log_dir("05", bad, root=tmp_path)
    with pytest.raises(ValueError, match="simple folder name"):
        tensorboard_log_dir(bad, "run", root=tmp_path)
    assert not (tmp_path / "tensorboard").exists() or not any((tmp_path / "tensorboard").rglob("*"))


def test_the_scalars_read_back_equal_the_history(tmp_path):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    y = np.arange(64) % 3
    log_dir = tensorboard_log_dir("unit", "fit", root=tmp_path)
    history = model.fit(
        x, y, epochs=3, verbose=0, validation_data=(x, y), callbacks=[keras.callbacks.TensorBoard(log_dir)]
    )
    scalars = read_tensorboard_scalars(log_dir)
    assert set(scalars) == {"train", "validation"}
    assert "keras" not in scalars["train"]  # the model's configuration (a string) is not a scalar
    np.testing.assert_allclose(scalars["train"]["epoch_loss"], history.history["loss"], rtol=1e-6)
    np.testing.assert_allclose(scalars["validation"]["epoch_loss"], history.history["val_loss"], rtol=1e-6)
    np.testing.assert_allclose(
        scalars["validation"]["epoch_accuracy"], history.history["val_accuracy"], rtol=1e-6
    )


def test_reading_a_folder_without_logs_says_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match="No TensorBoard log folder"):
        read_tensorboard_scalars(tmp_path / "missing")
    with pytest.raises(ValueError, match="keras.callbacks.TensorBoard"):
        read_tensorboard_scalars(tmp_path)
