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
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    return model


def _history(loss, val_loss, acc, val_acc):
    return {
        "loss": list(loss),
        "val_loss": list(val_loss),
        "accuracy": list(acc),
        "val_accuracy": list(val_acc),
    }


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


@pytest.mark.parametrize(
    ("kwargs", "fragment"), [({"epochs": 0}, "epochs=0"), ({"epochs": 2, "batch_size": -1}, "batch_size=-1")]
)
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
    h = _history(
        loss=[1.0, 0.5, 0.25], val_loss=[1.2, 0.75, 1.0], acc=[0.5, 0.875, 1.0], val_acc=[0.5, 0.75, 0.625]
    )
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
        (_history([2.0, 1.8, 1.7], [2.0, 1.9, 1.8], [0.3, 0.5, 0.6], [0.3, 0.5, 0.58]), "underfitting"),
        # High training accuracy, large accuracy gap, validation loss still falling.
        (_history([1.0, 0.3, 0.1], [1.0, 0.8, 0.7], [0.6, 0.9, 0.99], [0.6, 0.75, 0.8]), "overfitting"),
        # Small gap, but validation loss climbed 20% above its minimum.
        (_history([1.0, 0.3, 0.1], [1.0, 0.5, 0.6], [0.6, 0.9, 0.99], [0.6, 0.95, 0.97]), "overfitting"),
        # High, close accuracies and a flat validation loss.
        (_history([1.0, 0.3, 0.2], [1.0, 0.35, 0.3], [0.6, 0.93, 0.96], [0.6, 0.92, 0.95]), "good fit"),
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


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [({"kind": "overfit"}, "kind='overfit'"), ({"kind": "good fit", "epochs": 9}, "epochs=9")],
)
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


# ---------------------------------------------------------------------------------------------
# train's fast path against plain model.fit
# ---------------------------------------------------------------------------------------------
# Each test trains two copies of one model from the same seed: one through `train` (its fast
# path: one compiled call per epoch) and one through plain `model.fit` on the same tf.data input,
# and compares what a learner can see: the History, the weights, the callbacks' effects.

from course_utils import LearningRateLogger, training as training_module  # noqa: E402

HISTORY_KEYS = ["accuracy", "loss", "val_accuracy", "val_loss"]


@pytest.fixture
def fit_calls(monkeypatch):
    """Counts calls of keras.Model.fit (the fallback) while delegating to it."""
    calls = []
    original = keras.Model.fit

    def counting_fit(self, *args, **kwargs):
        calls.append(self.name)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(keras.Model, "fit", counting_fit)
    return calls


def _seeded_model(
    data, *, hidden=(32,), seed=0, optimizer=None, metrics=("accuracy",), compile_kwargs=None, **build_kwargs
):
    keras.utils.set_random_seed(seed)
    model = build_mlp(data.input_shape, data.num_classes, hidden, seed=seed, name="twin", **build_kwargs)
    model.compile(
        optimizer=optimizer() if optimizer else keras.optimizers.Adam(1e-3),
        loss="sparse_categorical_crossentropy",
        metrics=metrics() if callable(metrics) else list(metrics),
        **(compile_kwargs or {}),
    )
    return model


def _plain_fit(model, data, *, epochs, batch_size=32, callbacks=(), seed=0):
    """What `train` did before its fast path: model.fit on as_tf_dataset input."""
    train_ds = as_tf_dataset(data.x_train, data.y_train, batch_size=batch_size, shuffle=True, seed=seed)
    val_ds = as_tf_dataset(data.x_val, data.y_val, batch_size=max(batch_size, 512))
    return model.fit(
        train_ds, validation_data=val_ds, epochs=epochs, verbose=0, shuffle=False, callbacks=list(callbacks)
    )


def _twins(data, *, epochs, batch_size=32, callbacks=lambda: [], seed=0, **model_kwargs):
    """(fast model, fast history, fit model, fit history, fast callbacks, fit callbacks)."""
    fast_cbs, fit_cbs = callbacks(), callbacks()
    fast_model = _seeded_model(data, seed=seed, **model_kwargs)
    assert training_module._fast_path_blocker(fast_model, fast_cbs) is None
    fast = train(
        fast_model, data, epochs=epochs, batch_size=batch_size, callbacks=fast_cbs, progress=False, seed=seed
    )
    assert "_course_fast_functions" in vars(fast_model)  # the fast path ran
    fit_model = _seeded_model(data, seed=seed, **model_kwargs)
    ref = _plain_fit(fit_model, data, epochs=epochs, batch_size=batch_size, callbacks=fit_cbs, seed=seed)
    return fast_model, fast, fit_model, ref, fast_cbs, fit_cbs


def _assert_same_history(fast, ref):
    assert list(fast.history) == list(ref.history)
    for key, values in ref.history.items():
        assert len(fast.history[key]) == len(values), key
        np.testing.assert_allclose(fast.history[key], values, rtol=1e-5, atol=1e-6, err_msg=key)
    assert fast.epoch == ref.epoch
    assert fast.params == ref.params


def _assert_same_weights(model_a, model_b):
    for a, b in zip(model_a.get_weights(), model_b.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_fast_path_matches_fit(digits100, fit_calls):
    fast_model, fast, fit_model, ref, _, _ = _twins(digits100, epochs=5)
    assert fit_calls == ["twin"]  # only the reference called fit
    assert sorted(fast.history) == HISTORY_KEYS
    _assert_same_history(fast, ref)
    _assert_same_weights(fast_model, fit_model)
    assert all(type(v) is float for vals in fast.history.values() for v in vals)
    assert fast.params == {"verbose": 0, "epochs": 5, "steps": 4}
    assert fast_model.history is fast and isinstance(fast, keras.callbacks.History)
    assert fast.elapsed_seconds > 0
    assert int(fast_model.optimizer.iterations) == int(fit_model.optimizer.iterations) == 5 * 4
    assert fast_model.train_function is not None and fast_model.stop_training is False
    # The metrics hold what evaluate left in them: the last validation pass.
    np.testing.assert_allclose(float(fast_model.metrics[0].result()), fast.history["val_loss"][-1], rtol=1e-6)


@pytest.mark.parametrize(
    "build_kwargs",
    [
        {"dropout": 0.3, "kernel_regularizer": keras.regularizers.L2(1e-3)},
        {"batch_norm": True},
        {"batch_norm": "after", "dropout": 0.2},
        {"dropout": 0.2, "compile_kwargs": {"jit_compile": True}},
    ],
    ids=["dropout+l2", "batch-norm", "bn-after+dropout", "xla"],
)
def test_fast_path_matches_fit_with_dropout_batch_norm_and_penalties(digits100, build_kwargs):
    fast_model, fast, fit_model, ref, _, _ = _twins(digits100, epochs=4, batch_size=25, **build_kwargs)
    _assert_same_history(fast, ref)
    _assert_same_weights(fast_model, fit_model)  # includes BN's moving statistics


def test_validation_equals_evaluate_over_several_batches(digits100):
    """evaluate averages per-batch losses weighted by batch size; the compiled loop does too."""
    fast_model = _seeded_model(digits100)
    fit_model = _seeded_model(digits100)
    fast = training_module._fit_fast(
        fast_model,
        digits100.x_train,
        digits100.y_train,
        digits100.x_val,
        digits100.y_val,
        batch_size=32,
        val_batch_size=100,
        seed=0,
        epochs=3,
        callbacks=[],
    )
    ref = fit_model.fit(
        as_tf_dataset(digits100.x_train, digits100.y_train, batch_size=32, shuffle=True),
        validation_data=as_tf_dataset(digits100.x_val, digits100.y_val, batch_size=100),
        epochs=3,
        verbose=0,
        shuffle=False,
    )
    _assert_same_history(fast, ref)
    values = fit_model.evaluate(
        as_tf_dataset(digits100.x_val, digits100.y_val, batch_size=100), verbose=0, return_dict=True
    )
    np.testing.assert_allclose(fast.history["val_loss"][-1], values["loss"], rtol=1e-6)
    np.testing.assert_allclose(fast.history["val_accuracy"][-1], values["accuracy"], rtol=1e-6)


def test_early_stopping_stops_at_the_same_epoch_and_restores_the_same_weights(digits100):
    def callbacks():
        return [keras.callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)]

    fast_model, fast, fit_model, ref, fast_cbs, fit_cbs = _twins(
        digits100, epochs=40, hidden=(64,), optimizer=lambda: keras.optimizers.Adam(2e-2), callbacks=callbacks
    )
    assert 0 < fit_cbs[0].stopped_epoch < 39  # it did stop early
    assert fast_cbs[0].stopped_epoch == fit_cbs[0].stopped_epoch
    assert fast_cbs[0].best_epoch == fit_cbs[0].best_epoch
    _assert_same_history(fast, ref)
    _assert_same_weights(fast_model, fit_model)


def test_reduce_lr_on_plateau_cuts_at_the_same_epochs(digits100):
    def callbacks():
        return [
            keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1, min_delta=0.05),
            LearningRateLogger(every="epoch"),
        ]

    fast_model, fast, fit_model, ref, fast_cbs, fit_cbs = _twins(
        digits100, epochs=12, optimizer=lambda: keras.optimizers.Adam(1e-2), callbacks=callbacks
    )
    rates = ref.history["learning_rate"]
    assert len(set(rates)) > 2  # at least two cuts
    _assert_same_history(fast, ref)
    assert fast_cbs[1].learning_rates == fit_cbs[1].learning_rates
    assert fast_cbs[1].steps == fit_cbs[1].steps and fast_cbs[1].epochs == fit_cbs[1].epochs
    _assert_same_weights(fast_model, fit_model)


@pytest.mark.parametrize(
    "schedule",
    [lambda epoch: 1e-2 * 0.5**epoch, lambda epoch, lr: lr if epoch < 2 else lr * 0.1],
    ids=["schedule(epoch)", "schedule(epoch, lr)"],
)
def test_learning_rate_scheduler(digits100, schedule):
    def callbacks():
        return [keras.callbacks.LearningRateScheduler(schedule), LearningRateLogger(every="batch")]

    fast_model, fast, fit_model, ref, fast_cbs, fit_cbs = _twins(digits100, epochs=5, callbacks=callbacks)
    _assert_same_history(fast, ref)
    assert len(set(ref.history["learning_rate"])) > 1
    assert fast_cbs[1].learning_rates == fit_cbs[1].learning_rates  # read before every batch
    assert fast_cbs[1].steps == fit_cbs[1].steps == list(range(20))
    assert fast_cbs[1].epochs == fit_cbs[1].epochs
    _assert_same_weights(fast_model, fit_model)


def test_learning_rate_logger_with_a_schedule_object(digits100):
    def optimizer():
        return keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(1e-2, decay_steps=12))

    loggers = lambda: [LearningRateLogger(every="batch"), LearningRateLogger(every="epoch")]  # noqa: E731
    *_, fast_cbs, fit_cbs = _twins(digits100, epochs=3, optimizer=optimizer, callbacks=loggers)
    for fast_logger, fit_logger in zip(fast_cbs, fit_cbs):
        np.testing.assert_allclose(fast_logger.learning_rates, fit_logger.learning_rates, rtol=1e-6)
        assert fast_logger.steps == fit_logger.steps and fast_logger.epochs == fit_logger.epochs
    assert len(fast_cbs[0].learning_rates) == 12 and len(fast_cbs[1].learning_rates) == 3


def test_model_checkpoint_saves_the_same_model(digits100, tmp_path):
    paths = iter([tmp_path / "fast.keras", tmp_path / "fit.keras"])

    def callbacks():
        return [keras.callbacks.ModelCheckpoint(str(next(paths)), monitor="val_loss", save_best_only=True)]

    fast_model, fast, fit_model, ref, _, _ = _twins(digits100, epochs=4, callbacks=callbacks)
    _assert_same_history(fast, ref)
    saved_fast = keras.saving.load_model(tmp_path / "fast.keras")
    saved_fit = keras.saving.load_model(tmp_path / "fit.keras")
    _assert_same_weights(saved_fast, saved_fit)
    for a, b in zip(saved_fast.optimizer.variables, saved_fit.optimizer.variables, strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-7)
    assert "_course_fast_functions" not in vars(saved_fast)


class _StopAt(keras.callbacks.Callback):
    """Sets model.stop_training in on_epoch_end (after `end`) or on_epoch_begin (at `begin`)."""

    def __init__(self, end=None, begin=None):
        super().__init__()
        self.end, self.begin, self.seen = end, begin, []

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.begin:
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        self.seen.append((epoch, sorted(logs)))
        if epoch == self.end:
            self.model.stop_training = True


@pytest.mark.parametrize("where", [{"end": 1}, {"begin": 2}], ids=["on_epoch_end", "on_epoch_begin"])
def test_custom_callback_that_sets_stop_training(digits100, where):
    fast_model, fast, fit_model, ref, fast_cbs, fit_cbs = _twins(
        digits100, epochs=6, callbacks=lambda: [_StopAt(**where)]
    )
    _assert_same_history(fast, ref)
    assert fast_cbs[0].seen == fit_cbs[0].seen
    # Stopping in on_epoch_begin still runs one batch of that epoch, as fit does.
    assert int(fast_model.optimizer.iterations) == int(fit_model.optimizer.iterations)
    assert int(fit_model.optimizer.iterations) == (8 if "end" in where else 9)
    _assert_same_weights(fast_model, fit_model)


class _TestHooks(keras.callbacks.Callback):
    """Records on_test_begin/on_test_end (fit calls them around each validation pass) and what
    the loss metric holds in on_epoch_begin and on_test_begin."""

    def __init__(self):
        super().__init__()
        self.events = []

    def on_epoch_begin(self, epoch, logs=None):
        self.events.append(("epoch", float(self.model.metrics[0].result())))

    def on_test_begin(self, logs=None):
        self.events.append(("begin", float(self.model.metrics[0].result())))

    def on_test_end(self, logs=None):
        self.events.append(("end", sorted(logs)))


def test_hooks_that_see_the_metrics_and_a_custom_metric_keep_fits_resets(digits100):
    class Counted(keras.metrics.Mean):  # not one of Keras's own classes
        def update_state(self, y_true, y_pred, sample_weight=None):
            return super().update_state(keras.ops.max(y_pred, axis=-1))

    def callbacks():
        return [_TestHooks()]

    ignore = training_module._callbacks_ignore_metrics_in
    assert not ignore(callbacks(), "on_test_begin") and not ignore(callbacks(), "on_epoch_begin")
    known = [
        keras.callbacks.LearningRateScheduler(lambda e: 0.1),
        LearningRateLogger(),
        keras.callbacks.ModelCheckpoint("x.keras"),
        keras.callbacks.EarlyStopping(),
        CompactProgress(),
    ]
    assert ignore(known, "on_epoch_begin") and ignore(known, "on_test_begin")
    assert training_module._metrics_reset_in_graph(_seeded_model(digits100))
    assert not training_module._metrics_reset_in_graph(
        _seeded_model(digits100, metrics=lambda: ["accuracy", Counted(name="confidence")])
    )
    fast_model, fast, fit_model, ref, fast_cbs, fit_cbs = _twins(digits100, epochs=3, callbacks=callbacks)
    _assert_same_history(fast, ref)
    assert fast_cbs[0].events == fit_cbs[0].events and len(fit_cbs[0].events) == 9
    assert [v for kind, v in fit_cbs[0].events if kind == "epoch"] == [0.0, 0.0, 0.0]  # reset first
    *_, fast, _, ref, _, _ = _twins(
        digits100, epochs=3, metrics=lambda: ["accuracy", Counted(name="confidence")]
    )
    _assert_same_history(fast, ref)
    assert "val_confidence" in fast.history


def test_training_again_continues_like_fit(digits100):
    fast_model = _seeded_model(digits100)
    fit_model = _seeded_model(digits100)
    train(fast_model, digits100, epochs=2, progress=False)
    functions = vars(fast_model)["_course_fast_functions"]
    fast = train(fast_model, digits100, epochs=2, progress=False)
    assert vars(fast_model)["_course_fast_functions"] is functions  # compiled once, reused
    _plain_fit(fit_model, digits100, epochs=2)
    ref = _plain_fit(fit_model, digits100, epochs=2)
    _assert_same_history(fast, ref)
    _assert_same_weights(fast_model, fit_model)
    fast_model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    train(fast_model, digits100, epochs=1, progress=False)
    assert vars(fast_model)["_course_fast_functions"] is not functions  # compile starts afresh


class _PerBatch(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.batches = 0

    def on_train_batch_end(self, batch, logs=None):
        self.batches += 1


def test_batch_level_callback_falls_back_to_fit(digits100, fit_calls):
    counter = _PerBatch()
    lam = keras.callbacks.LambdaCallback(on_train_batch_begin=lambda batch, logs: None)
    model = _seeded_model(digits100)
    assert "on_train_batch_end" in training_module._fast_path_blocker(model, [counter])
    assert "on_train_batch_begin" in training_module._fast_path_blocker(model, [lam])
    history = train(model, digits100, epochs=2, callbacks=[counter], progress=False)
    assert fit_calls == ["twin"]
    assert counter.batches == 2 * 4
    assert "_course_fast_functions" not in vars(model)
    ref_model = _seeded_model(digits100)
    _assert_same_history(history, _plain_fit(ref_model, digits100, epochs=2))


class _OnBatchBegin(keras.callbacks.Callback):
    def on_batch_begin(self, batch, logs=None):
        pass


class _OnTestBatchEnd(keras.callbacks.Callback):
    def on_test_batch_end(self, batch, logs=None):
        pass


class _CustomStep(keras.Sequential):
    def train_step(self, data):
        return super().train_step(data)


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda m: (m, [_OnBatchBegin()]), "on_batch_begin"),
        (lambda m: (m, [_OnTestBatchEnd()]), "on_test_batch_end"),
        (lambda m: (m, [keras.callbacks.TerminateOnNaN()]), "on_batch_end"),
        (lambda m: (m, [keras.callbacks.ModelCheckpoint("x.keras", save_freq=2)]), "on_train_batch_end"),
        (lambda m: (m, [keras.callbacks.TensorBoard()]), "TensorBoard"),
    ],
)
def test_fast_path_blockers_for_callbacks(digits100, make, fragment):
    model, callbacks = make(_seeded_model(digits100))
    reason = training_module._fast_path_blocker(model, callbacks)
    assert reason is not None and fragment in reason
    assert (
        training_module._fast_path_blocker(
            model,
            [
                keras.callbacks.ModelCheckpoint("x.keras"),
                keras.callbacks.EarlyStopping(),
                LearningRateLogger(),
                keras.callbacks.CSVLogger("x.csv"),
                CompactProgress(),
            ],
        )
        is None
    )


def test_fast_path_blockers_for_models(digits100, monkeypatch):
    blocker = training_module._fast_path_blocker
    assert "eagerly" in blocker(_seeded_model(digits100, compile_kwargs={"run_eagerly": True}), [])
    assert "steps_per_execution" in blocker(
        _seeded_model(digits100, compile_kwargs={"steps_per_execution": 2}), []
    )
    custom = _CustomStep(
        [
            keras.Input(digits100.input_shape),
            keras.layers.Flatten(),
            keras.layers.Dense(digits100.num_classes, activation="softmax"),
        ]
    )
    custom.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    assert "train_step" in blocker(custom, [])
    unbuilt = keras.Sequential([keras.layers.Flatten(), keras.layers.Dense(3)])
    unbuilt.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    assert "not built" in blocker(unbuilt, [])
    monkeypatch.setenv(training_module.FAST_TRAIN_ENV, "0")
    assert training_module.FAST_TRAIN_ENV in blocker(_seeded_model(digits100), [])


def test_custom_train_step_model_trains_through_fit(digits100, fit_calls):
    keras.utils.set_random_seed(0)
    custom = _CustomStep(
        [
            keras.Input(digits100.input_shape),
            keras.layers.Flatten(),
            keras.layers.Dense(digits100.num_classes, activation="softmax"),
        ],
        name="custom",
    )
    custom.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = train(custom, digits100, epochs=2, progress=False)
    assert fit_calls == ["custom"] and sorted(history.history) == HISTORY_KEYS


def test_docstring_examples_run():
    import doctest

    failures, tried = doctest.testmod(training_module, optionflags=doctest.ELLIPSIS)
    assert tried > 20 and failures == 0


# --- several epochs per compiled call (only History and CompactProgress watching) ---------------


def test_epoch_blocks_end_where_progress_prints_and_respect_the_size_cap():
    progress = CompactProgress(max_lines=4)
    progress.set_params({"epochs": 40})
    progress.on_train_begin()
    with contextlib.redirect_stdout(io.StringIO()):
        blocks = training_module._epoch_blocks(0, 40, 150, [progress])
    assert [(b.start, b.stop) for b in blocks] == [(0, 10), (10, 20), (20, 30), (30, 40)]
    assert [(b.start, b.stop) for b in training_module._epoch_blocks(3, 10, 150, [])] == [(3, 10)]
    capped = training_module._epoch_blocks(0, 10, training_module._MAX_BLOCK_INDICES // 4, [])
    assert [len(b) for b in capped] == [4, 4, 2]
    assert [len(b) for b in training_module._epoch_blocks(0, 3, 10**9, [])] == [1, 1, 1]


def test_blocks_of_epochs_with_progress_match_fit_and_print_the_same_lines(digits100, capsys):
    """progress=True: History and CompactProgress only, so epochs run in blocks of compiled
    calls; the History, the weights and every printed epoch line equal fit's with the same
    callback."""
    fast_model = _seeded_model(digits100)
    fast = train(fast_model, digits100, epochs=12, batch_size=32, progress=True, label="p", seed=0)
    fast_out = capsys.readouterr().out
    fit_model = _seeded_model(digits100)
    ref = _plain_fit(fit_model, digits100, epochs=12, callbacks=[CompactProgress(label="p")])
    fit_out = capsys.readouterr().out
    _assert_same_history(fast, ref)
    _assert_same_weights(fast_model, fit_model)
    epoch_lines = [line for line in fast_out.splitlines() if " epoch " in f" {line}"]
    assert len(epoch_lines) == 4
    assert epoch_lines == [line for line in fit_out.splitlines() if " epoch " in f" {line}"]
    assert "_course_fast_functions" in vars(fast_model)  # the fast path ran


def test_a_callback_that_is_not_only_an_observer_gets_one_call_per_epoch(digits100, monkeypatch):
    """A History subclass (or any other callback) may change the training between epochs: no
    blocks of epochs then."""
    seen = []

    class Watcher(keras.callbacks.History):
        def on_epoch_begin(self, epoch, logs=None):
            seen.append((epoch, int(self.model.optimizer.iterations)))

    blocks_used = []
    original = training_module._epoch_blocks
    monkeypatch.setattr(
        training_module, "_epoch_blocks", lambda *a, **k: blocks_used.append(1) or original(*a, **k)
    )
    model = _seeded_model(digits100)
    train(model, digits100, epochs=3, batch_size=32, callbacks=[Watcher()], progress=False)
    assert not blocks_used
    assert seen == [(0, 0), (1, 4), (2, 8)]  # the optimizer's steps so far, epoch by epoch
    train(_seeded_model(digits100), digits100, epochs=3, batch_size=32, progress=False)
    assert blocks_used == [1]


# ---- traces shared between models of one architecture ------------------------------------------


def _train_pair(data, monkeypatch, *, share, callbacks=lambda: [], **model_kwargs):
    """Trains model A (seed 0) then model B (seed 1) of one architecture; returns both histories
    and B's weights and optimizer variables."""
    monkeypatch.setenv("COURSE_SHARE_TRACES", "1" if share else "0")
    training_module._SHARED_FUNCTIONS.clear()
    out = []
    for seed in (0, 1):
        model = _seeded_model(data, seed=seed, **model_kwargs)
        history = train(model, data, epochs=6, callbacks=callbacks(), progress=False, seed=seed)
        out.append((history.history, model.get_weights(), [np.asarray(v) for v in model.optimizer.variables]))
    return out


@pytest.mark.parametrize(
    "model_kwargs",
    [
        {"hidden": (32,)},
        {
            "hidden": (32, 16),
            "dropout": 0.3,
            "batch_norm": True,
            "kernel_regularizer": keras.regularizers.L2(1e-3),
        },
    ],
    ids=["plain", "dropout+bn+l2"],
)
def test_a_shared_trace_gives_bit_identical_training(digits100, monkeypatch, model_kwargs):
    callbacks = lambda: [keras.callbacks.EarlyStopping(monitor="val_loss", patience=1)]  # noqa: E731
    shared = _train_pair(digits100, monkeypatch, share=True, callbacks=callbacks, **model_kwargs)
    assert len(training_module._SHARED_FUNCTIONS) == 1  # B ran A's trace
    alone = _train_pair(digits100, monkeypatch, share=False, callbacks=callbacks, **model_kwargs)
    assert not training_module._SHARED_FUNCTIONS
    for (h_s, w_s, o_s), (h_a, w_a, o_a) in zip(shared, alone, strict=True):
        assert h_s == h_a  # the same floats, A's and B's
        for a, b in zip(w_s + o_s, w_a + o_a, strict=True):
            np.testing.assert_array_equal(a, b)


def test_a_trace_that_would_read_another_models_variables_is_not_used(digits100, monkeypatch):
    monkeypatch.setenv("COURSE_SHARE_TRACES", "1")
    training_module._SHARED_FUNCTIONS.clear()
    first = _seeded_model(digits100, seed=0)
    train(first, digits100, epochs=2, progress=False)  # traces the no-callback block only
    before = first.get_weights()
    second = _seeded_model(digits100, seed=1)
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=1)
    history = train(second, digits100, epochs=4, callbacks=[stop], progress=False, seed=1)
    for a, b in zip(before, first.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)  # the first model was not trained again
    monkeypatch.setenv("COURSE_SHARE_TRACES", "0")
    alone = _seeded_model(digits100, seed=1)
    ref = train(
        alone,
        digits100,
        epochs=4,
        callbacks=[keras.callbacks.EarlyStopping(monitor="val_loss", patience=1)],
        progress=False,
        seed=1,
    )
    assert history.history == ref.history


def _initialized_model(data, initializer, seed=0):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.Input(data.input_shape),
            keras.layers.Flatten(),
            keras.layers.Dense(32, activation="relu", kernel_initializer=initializer),
            keras.layers.BatchNormalization(),
            keras.layers.Dense(data.num_classes, activation="softmax", kernel_initializer=initializer),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    return model


def test_models_that_differ_only_in_their_initializers_share_a_trace_bit_for_bit(digits100, monkeypatch):
    """An initializer only draws the first weights (in build): He and Glorot models run one trace,
    with the same result as each traced alone."""
    inits = [
        lambda: keras.initializers.GlorotUniform(seed=1),
        lambda: keras.initializers.HeNormal(seed=2),
        lambda: keras.initializers.RandomNormal(stddev=0.01, seed=3),
    ]
    key = training_module._architecture_key
    assert len({key(_initialized_model(digits100, init())) for init in inits}) == 1
    results = {}
    for share in ("1", "0"):
        monkeypatch.setenv("COURSE_SHARE_TRACES", share)
        training_module._SHARED_FUNCTIONS.clear()
        for i, init in enumerate(inits):
            model = _initialized_model(digits100, init())
            history = train(model, digits100, epochs=3, progress=False, seed=i)
            results[share, i] = (history.history, model.get_weights())
        assert len(training_module._SHARED_FUNCTIONS) == (1 if share == "1" else 0)
    for i in range(len(inits)):
        assert results["1", i][0] == results["0", i][0]
        for a, b in zip(results["1", i][1], results["0", i][1], strict=True):
            np.testing.assert_array_equal(a, b)


def test_the_architecture_key_ignores_names_and_seeds_only(digits100):
    key = training_module._architecture_key
    base = key(_seeded_model(digits100, seed=0, dropout=0.3))
    assert base is not None
    assert key(_seeded_model(digits100, seed=5, dropout=0.3)) == base  # seeds and names
    assert (
        key(_seeded_model(digits100, seed=0, dropout=0.3, optimizer=lambda: keras.optimizers.Adam(5e-2)))
        == base
    )
    for other in (
        _seeded_model(digits100, seed=0, dropout=0.4),
        _seeded_model(digits100, seed=0, dropout=0.3, hidden=(33,)),
        _seeded_model(digits100, seed=0, dropout=0.3, kernel_regularizer=keras.regularizers.L2(1e-3)),
        _seeded_model(digits100, seed=0, dropout=0.3, optimizer=lambda: keras.optimizers.SGD(1e-2)),
        _seeded_model(
            digits100,
            seed=0,
            dropout=0.3,
            optimizer=lambda: keras.optimizers.Adam(
                keras.optimizers.schedules.ExponentialDecay(1e-3, 10, 0.5)
            ),
        ),
    ):
        assert key(other) not in (None, base)

    class Doubling(keras.layers.Layer):  # its call is not described by its configuration
        def call(self, x):
            return 2 * x

    custom = keras.Sequential(
        [keras.Input((8, 8, 1)), keras.layers.Flatten(), Doubling(), keras.layers.Dense(10)]
    )
    custom.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    assert key(custom) is None


def test_train_accepts_one_hot_splits_of_different_float_dtypes(digits100):
    """float32 training labels (mixed by MixUp) beside float64 validation labels (np.eye's default),
    also after a model of the same architecture has traced the training functions."""
    import dataclasses

    one_hot = dataclasses.replace(
        digits100,
        y_train=np.eye(10, dtype="float32")[digits100.y_train],
        y_val=np.eye(10)[digits100.y_val],
    )
    for seed in (0, 1):
        model = build_mlp(one_hot.input_shape, 10, (16,), seed=seed, name="one_hot")
        model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
        history = train(model, one_hot, epochs=2, progress=False)
        assert np.isfinite(history.history["val_loss"]).all()


def test_train_says_when_the_splits_hold_different_kinds_of_labels(digits100):
    import dataclasses

    mixed = dataclasses.replace(digits100, y_val=np.eye(10, dtype="float32")[digits100.y_val])
    model = _compiled_mlp(mixed, hidden=(16,))
    with pytest.raises(ValueError, match=r"`data.y_val` is float32 but `data.y_train` is int\d+: give both"):
        train(model, mixed, epochs=1, progress=False)
