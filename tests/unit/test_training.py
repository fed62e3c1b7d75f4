"""Tests for course_utils.training: train, the input pipeline, progress output and the history
summaries / diagnosis."""

from __future__ import annotations

import contextlib
import io
import re

import keras
import numpy as np
import pytest

from course_utils import (
    CompactProgress,
    HistorySummary,
    as_history_dict,
    as_tf_dataset,
    build_mlp,
    diagnose_fit,
    load_dataset,
    make_learning_curves,
    summarize_history,
    train,
)

KINDS = ("overfitting", "underfitting", "good fit")
EPOCH_LINE = re.compile(r"epoch\s+\d+/\d+")


@pytest.fixture(scope="module")
def digits100():
    return load_dataset("digits", n_train=100, seed=0)


def _compiled_mlp(data, hidden=(64,), seed=0, name="mlp"):
    model = build_mlp(data.input_shape, data.num_classes, hidden, seed=seed, name=name)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def _history(loss, val_loss, acc, val_acc):
    return {"loss": list(loss), "val_loss": list(val_loss), "accuracy": list(acc),
            "val_accuracy": list(val_acc)}


# ---------------------------------------------------------------------------------------------
# train
# ---------------------------------------------------------------------------------------------


def test_train_returns_history_with_all_metrics(digits100, capsys):
    model = _compiled_mlp(digits100, hidden=(32,))
    history = train(model, digits100, epochs=3, progress=False)
    assert isinstance(history, keras.callbacks.History)
    assert set(history.history) == {"loss", "val_loss", "accuracy", "val_accuracy"}
    assert all(len(v) == 3 for v in history.history.values())
    assert all(np.isfinite(v).all() for v in history.history.values())
    assert all(0.0 <= a <= 1.0 for a in history.history["val_accuracy"])
    assert history.elapsed_seconds > 0
    # progress=False prints nothing at all.
    assert capsys.readouterr().out == ""


def test_train_progress_output_is_compact(digits100, capsys):
    model = _compiled_mlp(digits100, hidden=(16,), name="compact")
    history = train(model, digits100, epochs=40, batch_size=50, label="run-A")
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.strip()]
    assert 2 <= len(lines) <= 5
    assert all(ln.startswith("[run-A] ") for ln in lines)
    epoch_lines = [ln for ln in lines if EPOCH_LINE.search(ln)]
    assert 1 <= len(epoch_lines) <= 4
    assert "epoch 40/40" in epoch_lines[-1]
    assert "done: 40 epochs" in lines[-1]
    assert len(history.history["loss"]) == 40


def test_progress_label_defaults_to_model_name(digits100, capsys):
    model = _compiled_mlp(digits100, hidden=(8,), name="tiny_net")
    train(model, digits100, epochs=1, batch_size=100)
    out = capsys.readouterr().out
    assert out.strip() and all(ln.startswith("[tiny_net] ") for ln in out.strip().splitlines())


def test_training_loss_decreases(digits100):
    model = _compiled_mlp(digits100, hidden=(64,), seed=1)
    loss = train(model, digits100, epochs=15, progress=False, seed=1).history["loss"]
    assert len(loss) == 15
    assert loss[-1] < 0.9 * loss[0]
    assert np.mean(loss[-3:]) < np.mean(loss[:3])


def test_train_rejects_uncompiled_model(digits100):
    model = build_mlp(digits100.input_shape, digits100.num_classes, (8,), seed=0, name="raw")
    with pytest.raises(ValueError, match=r"compile") as info:
        train(model, digits100, epochs=1, progress=False)
    assert "'raw'" in str(info.value)


@pytest.mark.parametrize(("kwargs", "fragment"),
                         [({"epochs": 0}, "epochs=0"), ({"epochs": 2, "batch_size": -1}, "batch_size=-1")])
def test_train_rejects_bad_sizes(digits100, kwargs, fragment):
    model = _compiled_mlp(digits100, hidden=(8,))
    with pytest.raises(ValueError, match=re.escape(fragment)):
        train(model, digits100, progress=False, **kwargs)


# ---------------------------------------------------------------------------------------------
# as_tf_dataset
# ---------------------------------------------------------------------------------------------


def test_as_tf_dataset_batches():
    n, batch = 10, 4
    x = np.arange(n * 3, dtype="float32").reshape(n, 3)
    y = np.arange(n, dtype="int64")
    ds = as_tf_dataset(x, y, batch_size=batch)
    sizes = [int(xb.shape[0]) for xb, _ in ds]
    assert sizes == [batch] * (n // batch) + [n % batch]
    # Without shuffling, the order is kept.
    ys = np.concatenate([yb.numpy() for _, yb in ds])
    np.testing.assert_array_equal(ys, y)


def test_as_tf_dataset_shuffle_keeps_pairs():
    n = 50
    x = np.arange(n, dtype="float32").reshape(n, 1) * 2
    y = np.arange(n, dtype="int64")
    ds = as_tf_dataset(x, y, batch_size=8, shuffle=True, seed=3)
    batches = list(ds)  # one pass: every iteration reshuffles
    xs = np.concatenate([xb.numpy() for xb, _ in batches]).ravel()
    ys = np.concatenate([yb.numpy() for _, yb in batches])
    assert sorted(ys.tolist()) == list(range(n))
    np.testing.assert_array_equal(xs, ys * 2)  # (x, y) pairs stay together


def test_as_tf_dataset_errors():
    with pytest.raises(ValueError, match=r"10 and 9"):
        as_tf_dataset(np.zeros((10, 2), "float32"), np.zeros(9, "int64"))
    with pytest.raises(ValueError, match=r"batch_size=0"):
        as_tf_dataset(np.zeros((10, 2), "float32"), np.zeros(10, "int64"), batch_size=0)


# ---------------------------------------------------------------------------------------------
# history helpers
# ---------------------------------------------------------------------------------------------


def test_as_history_dict_accepts_history_and_dict():
    raw = {"loss": [np.float32(1.5), 0.5], "val_loss": (2, 1)}
    hist = keras.callbacks.History()
    hist.history = raw
    for source in (raw, hist):
        out = as_history_dict(source)
        assert out == {"loss": [1.5, 0.5], "val_loss": [2.0, 1.0]}
        assert all(type(v) is float for vals in out.values() for v in vals)
    out["loss"].append(9.0)  # a copy: the source is not modified
    assert len(raw["loss"]) == 2


@pytest.mark.parametrize("bad", [None, [1.0, 2.0], 3.0, "loss", {}, {"loss": []}])
def test_as_history_dict_rejects_other_things(bad):
    with pytest.raises(ValueError):
        as_history_dict(bad)


def test_summarize_history_on_hand_made_dict():
    # Validation loss is lowest at the 2nd epoch, then rises by 0.25.
    h = _history(loss=[1.0, 0.5, 0.25], val_loss=[1.2, 0.75, 1.0],
                 acc=[0.5, 0.875, 1.0], val_acc=[0.5, 0.75, 0.625])
    s = summarize_history(h)
    assert isinstance(s, HistorySummary)
    assert s.epochs == 3
    assert s.best_epoch == 2  # 1-based
    assert s.min_val_loss == pytest.approx(0.75)
    assert s.final_val_loss == pytest.approx(1.0)
    assert s.val_loss_rise == pytest.approx(1.0 - 0.75)
    assert s.final_train_accuracy == pytest.approx(1.0)
    assert s.final_val_accuracy == pytest.approx(0.625)
    assert s.gap == pytest.approx(1.0 - 0.625)
    assert s.best_val_accuracy == pytest.approx(0.75)
    assert s.final_train_loss == pytest.approx(0.25)
    d = s.as_dict()
    assert d["val_loss_rise"] == pytest.approx(s.val_loss_rise)
    assert d["best_epoch"] == 2


def test_summarize_history_best_epoch_first_and_last():
    first = summarize_history(_history([1, 1, 1], [0.1, 0.2, 0.3], [1, 1, 1], [1, 1, 1]))
    last = summarize_history(_history([1, 1, 1], [0.3, 0.2, 0.1], [1, 1, 1], [1, 1, 1]))
    assert (first.best_epoch, last.best_epoch) == (1, 3)
    assert last.val_loss_rise == pytest.approx(0.0)


def test_summarize_history_lists_present_metrics_when_one_is_missing():
    with pytest.raises(ValueError) as info:
        summarize_history({"loss": [1.0, 0.5], "val_loss": [1.0, 0.9]})
    message = str(info.value)
    assert "'accuracy'" in message and "'val_accuracy'" in message  # missing
    assert "['loss', 'val_loss']" in message  # present


# ---------------------------------------------------------------------------------------------
# diagnose_fit / make_learning_curves
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("history", "expected"),
    [
        # Training accuracy never gets high.
        (_history([2.0, 1.8, 1.7], [2.0, 1.9, 1.8], [0.3, 0.5, 0.6], [0.3, 0.5, 0.58]),
         "underfitting"),
        # High training accuracy, large accuracy gap, validation loss still falling.
        (_history([1.0, 0.3, 0.1], [1.0, 0.8, 0.7], [0.6, 0.9, 0.99], [0.6, 0.75, 0.8]),
         "overfitting"),
        # Small gap, but validation loss climbed 20% above its minimum.
        (_history([1.0, 0.3, 0.1], [1.0, 0.5, 0.6], [0.6, 0.9, 0.99], [0.6, 0.95, 0.97]),
         "overfitting"),
        # High, close accuracies and a flat validation loss.
        (_history([1.0, 0.3, 0.2], [1.0, 0.35, 0.3], [0.6, 0.93, 0.96], [0.6, 0.92, 0.95]),
         "good fit"),
    ],
)
def test_diagnose_fit_hand_made(history, expected):
    assert diagnose_fit(history) == expected


def test_diagnose_fit_thresholds_are_used():
    gap_run = _history([1.0, 0.3, 0.1], [1.0, 0.8, 0.7], [0.6, 0.9, 0.99], [0.6, 0.75, 0.8])
    assert diagnose_fit(gap_run, max_gap=0.25) == "good fit"
    assert diagnose_fit(gap_run, min_train_accuracy=1.0) == "underfitting"
    rise_run = _history([1.0, 0.3, 0.1], [1.0, 0.5, 0.6], [0.6, 0.9, 0.99], [0.6, 0.95, 0.97])
    assert diagnose_fit(rise_run, max_val_loss_rise=0.25) == "good fit"


def test_diagnose_fit_accepts_a_keras_history():
    hist = keras.callbacks.History()
    hist.history = _history([2.0, 1.8], [2.0, 1.9], [0.3, 0.5], [0.3, 0.5])
    assert diagnose_fit(hist) == "underfitting"


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"min_train_accuracy": 1.5}, "min_train_accuracy"),
        ({"min_train_accuracy": -0.1}, "min_train_accuracy"),
        ({"max_gap": -0.01}, "max_gap"),
        ({"max_val_loss_rise": -1.0}, "max_val_loss_rise"),
    ],
)
def test_diagnose_fit_threshold_validation(kwargs, name):
    h = make_learning_curves("good fit", seed=0)
    with pytest.raises(ValueError, match=f"{name}={list(kwargs.values())[0]!r}"):
        diagnose_fit(h, **kwargs)


@pytest.mark.parametrize("kind", KINDS)
def test_learning_curves_are_diagnosed_as_their_kind(kind):
    for seed in range(8):
        h = make_learning_curves(kind, seed=seed)
        assert diagnose_fit(h) == kind, (kind, seed)


@pytest.mark.parametrize("kind", KINDS)
def test_learning_curves_are_diagnosed_as_their_kind_for_other_lengths(kind):
    for epochs in (20, 30, 100):
        assert diagnose_fit(make_learning_curves(kind, epochs=epochs, seed=1)) == kind


def test_learning_curves_at_the_minimum_length_match_their_kind():
    for kind in KINDS:
        assert diagnose_fit(make_learning_curves(kind, epochs=10, seed=0)) == kind, kind


def test_make_learning_curves_shape_and_determinism():
    a = make_learning_curves("overfitting", epochs=25, seed=4)
    b = make_learning_curves("overfitting", epochs=25, seed=4)
    c = make_learning_curves("overfitting", epochs=25, seed=5)
    assert set(a) == {"loss", "val_loss", "accuracy", "val_accuracy"}
    assert all(len(v) == 25 for v in a.values())
    assert a == b
    assert a != c
    for key in ("accuracy", "val_accuracy"):
        assert all(0.0 <= v <= 1.0 for v in a[key])
    assert all(v > 0 for v in a["loss"] + a["val_loss"])


@pytest.mark.parametrize(("kwargs", "fragment"),
                         [({"kind": "overfit"}, "kind='overfit'"), ({"kind": "good fit", "epochs": 9},
                                                                     "epochs=9")])
def test_make_learning_curves_errors(kwargs, fragment):
    kind = kwargs.pop("kind")
    with pytest.raises(ValueError, match=re.escape(fragment)):
        make_learning_curves(kind, **kwargs)


# ---------------------------------------------------------------------------------------------
# CompactProgress
# ---------------------------------------------------------------------------------------------


def test_compact_progress_initializes_the_keras_callback(capsys):
    cb = CompactProgress(max_lines=3, label="x")
    assert isinstance(cb, keras.callbacks.Callback)
    assert cb.params is None  # set by keras.callbacks.Callback.__init__
    # All hooks accept logs=None and work before Keras calls set_params.
    cb.on_train_begin(logs=None)
    cb.on_epoch_end(0, logs=None)
    cb.on_train_end(logs=None)
    cb.on_train_begin()
    cb.on_epoch_end(0)
    cb.on_train_end()
    out = capsys.readouterr().out
    assert out.count("[x] done: 1 epochs") == 2


def test_compact_progress_formats_logs(capsys):
    cb = CompactProgress(max_lines=2)
    cb.set_params({"epochs": 2, "verbose": 0, "steps": 1})
    cb.on_train_begin()
    for epoch in range(2):
        cb.on_epoch_end(epoch, logs={"loss": 0.123456, "accuracy": 0.5, "note": "text"})
    cb.on_train_end()
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("epoch 1/2") and lines[1].startswith("epoch 2/2")
    assert "loss 0.1235" in lines[0] and "accuracy 0.500" in lines[0]
    assert "note" not in lines[0]  # non-numeric logs are skipped
    assert lines[2].startswith("done: 2 epochs in ")
    assert cb.seconds >= 0


@pytest.mark.parametrize("max_lines", [1, 2, 3, 4, 7])
def test_compact_progress_never_exceeds_max_lines(max_lines):
    for epochs in range(1, 61):
        cb = CompactProgress(max_lines=max_lines)
        cb.set_params({"epochs": epochs})
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            cb.on_train_begin()
            for epoch in range(epochs):
                cb.on_epoch_end(epoch, logs={"loss": 1.0})
            cb.on_train_end()
        lines = buf.getvalue().splitlines()
        epoch_lines = [ln for ln in lines if EPOCH_LINE.search(ln)]
        assert 1 <= len(epoch_lines) <= max_lines, (max_lines, epochs)
        assert epoch_lines[-1].startswith(f"epoch {epochs}/{epochs}")  # the last epoch is shown
        assert lines[-1].startswith(f"done: {epochs} epochs")


def test_compact_progress_rejects_bad_max_lines():
    with pytest.raises(ValueError, match=r"max_lines=0"):
        CompactProgress(max_lines=0)


def test_train_rejects_data_that_is_not_a_dataset():
    import numpy as np

    model = build_mlp((4,), 3, (4,), seed=0)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    with pytest.raises(ValueError, match="load_dataset") as info:
        train(model, (np.zeros((6, 4), "float32"), np.zeros(6, "int64")), epochs=1)
    assert "tuple" in str(info.value)
