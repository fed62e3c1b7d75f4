"""Tests for course_utils.early_stopping and course_utils.plotting.early_stopping."""

from __future__ import annotations

import doctest

import keras
import numpy as np
import pytest
from matplotlib.axes import Axes

import course_utils as cu
import course_utils.early_stopping as es_module
import course_utils.plotting.early_stopping as es_plot_module

CURVE = [1.0, 0.8, 0.7, 0.75, 0.72, 0.9, 0.6]


def test_docstring_examples_run():
    for module in (es_module, es_plot_module):
        failures, tried = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert tried > 0 and failures == 0, module.__name__


# ---- early_stopping_trace / stopping_epoch ----------------------------------------------------


def test_trace_on_a_small_curve():
    t = cu.early_stopping_trace(CURVE, patience=2)
    assert (t.stop_epoch, t.epochs_trained, t.best_epoch, t.best_value) == (5, 5, 3, 0.7)
    assert t.waits == (0, 0, 0, 1, 2)
    assert t.improved == (True, True, True, False, False)
    assert cu.stopping_epoch(CURVE, patience=2) == 5


def test_never_stopping_runs_the_whole_curve():
    t = cu.early_stopping_trace([1.0, 0.9, 0.8], patience=1)
    assert t.stop_epoch is None and t.epochs_trained == 3 and t.best_epoch == 3


def test_patience_zero_acts_like_one():
    assert cu.stopping_epoch(CURVE, patience=0) == cu.stopping_epoch(CURVE, patience=1) == 4


def test_min_delta_small_improvements_do_not_count_nor_move_the_best():
    curve = [1.0, 0.9, 0.885, 0.87, 0.95, 0.95]
    t = cu.early_stopping_trace(curve, patience=3, min_delta=0.02)
    # 0.885 is not < 0.9 - 0.02, so the best stays 0.9; 0.87 is < 0.88: an improvement
    assert t.improved == (True, True, False, True, False, False)
    assert t.best_value == 0.87 and t.stop_epoch is None


def test_start_from_epoch_skips_warm_up_and_mode_max():
    t = cu.early_stopping_trace([0.1, 0.9, 0.2, 0.3, 0.25, 0.2], patience=2, start_from_epoch=2, mode="max")
    assert t.best_epoch == 4 and t.stop_epoch == 6
    assert t.improved[:2] == (False, False)


def test_baseline_keeps_wait_running():
    curve = [1.0, 0.9, 0.95, 0.97]
    # improvements that do not beat the baseline do not reset `wait`
    assert cu.early_stopping_trace(curve, patience=2, baseline=0.5).stop_epoch == 3
    assert cu.early_stopping_trace(curve, patience=2).stop_epoch == 4


def test_as_dict_is_plain():
    d = cu.early_stopping_trace(CURVE, patience=2).as_dict()
    assert d["waits"] == [0, 0, 0, 1, 2] and isinstance(d["improved"], list)


@pytest.mark.parametrize(
    "kwargs,needle",
    [
        ({"patience": -1}, "patience=-1"),
        ({"patience": 1.5}, "patience=1.5"),
        ({"min_delta": -0.1}, "min_delta=-0.1"),
        ({"start_from_epoch": -2}, "start_from_epoch=-2"),
        ({"mode": "auto"}, "mode='auto'"),
        ({"baseline": float("nan")}, "baseline=nan"),
    ],
)
def test_trace_rejects_bad_arguments(kwargs, needle):
    with pytest.raises(ValueError, match=needle.replace("(", r"\(").replace(".", r"\.")):
        cu.early_stopping_trace(CURVE, **kwargs)


@pytest.mark.parametrize(
    "values,needle",
    [
        ([], "empty"),
        ([1.0, float("nan")], "epoch 2"),
        ("abc", "sequence of numbers"),
        ({"val_loss": [1.0]}, "whole history dict"),
        ([1.0, None], "epoch 2"),
    ],
)
def test_trace_rejects_bad_curves(values, needle):
    with pytest.raises(ValueError, match=needle):
        cu.early_stopping_trace(values, patience=1)


def test_trace_accepts_numpy_arrays():
    assert cu.stopping_epoch(np.array(CURVE, dtype="float32"), patience=2) == 5


# ---- replay against the real Keras callback ---------------------------------------------------


def test_rule_agrees_with_keras_on_random_curves():
    rng = np.random.default_rng(1)
    for _ in range(150):
        n = int(rng.integers(1, 30))
        curve = [float(v) for v in np.round(1 + np.cumsum(rng.normal(0, 0.05, n)), int(rng.integers(1, 4)))]
        kwargs = dict(
            patience=int(rng.integers(0, 6)),
            min_delta=float(rng.choice([0.0, 0.01, 0.05])),
            start_from_epoch=int(rng.integers(0, 5)),
            mode=str(rng.choice(["min", "max"])),
        )
        if rng.random() < 0.3:
            kwargs["baseline"] = float(curve[0] + rng.normal(0, 0.05))
        callback = keras.callbacks.EarlyStopping(
            monitor="val_loss", restore_best_weights=bool(rng.integers(0, 2)), **kwargs
        )
        replayed = cu.replay_early_stopping(callback, curve)
        assert replayed == cu.early_stopping_trace(curve, **kwargs), (curve, kwargs)


def test_replay_with_auto_mode_on_accuracy():
    callback = keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=2)
    t = cu.replay_early_stopping(callback, [0.5, 0.6, 0.55, 0.58, 0.7])
    assert (t.stop_epoch, t.best_epoch) == (4, 2)


def test_replay_rejects_other_callbacks():
    with pytest.raises(ValueError, match="EarlyStopping"):
        cu.replay_early_stopping(keras.callbacks.History(), CURVE)


# ---- model bank --------------------------------------------------------------------------------


def test_model_bank_members_are_independent():
    bank = cu.build_model_bank((4,), 3, n_models=3, hidden_units=5, seed=0)
    assert tuple(bank.output.shape) == (None, 3, 3)
    x = np.random.default_rng(0).random((6, 4)).astype("float32")
    out = np.asarray(bank(x))
    np.testing.assert_allclose(out.sum(-1), 1.0, rtol=1e-5)
    # zeroing model 1's output weights changes model 1's prediction only
    kernel = bank.get_layer("output_all").kernel
    w = np.asarray(kernel).copy()
    w[1] = 0.0
    kernel.assign(w)
    out2 = np.asarray(bank(x))
    np.testing.assert_allclose(out2[:, [0, 2]], out[:, [0, 2]], rtol=1e-6)
    np.testing.assert_allclose(out2[:, 1], 1 / 3, rtol=1e-5)  # zero weights and zero bias: uniform


def test_model_bank_trains_each_member_on_its_own_loss():
    bank = cu.build_model_bank((4,), 2, n_models=2, hidden_units=4, seed=0)
    bank.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="sparse_categorical_crossentropy")
    x = np.random.default_rng(0).random((8, 4)).astype("float32")
    y = np.stack([np.zeros(8, "int64"), np.ones(8, "int64")], axis=1)  # member 0 learns 0, member 1 learns 1
    bank.fit(x, y, epochs=30, verbose=0, batch_size=8)
    pred = np.asarray(bank(x)).argmax(-1)
    assert (pred[:, 0] == 0).all() and (pred[:, 1] == 1).all()


@pytest.mark.parametrize(
    "kwargs,needle",
    [
        ({"n_models": 0}, "n_models=0"),
        ({"hidden_units": -3}, "hidden_units=-3"),
        ({"num_classes": 1}, "num_classes=1"),
        ({"input_shape": 64}, "input_shape"),
        ({"seed": -1}, "seed=-1"),
    ],
)
def test_model_bank_rejects_bad_arguments(kwargs, needle):
    args = dict(input_shape=(8, 8, 1), num_classes=10, n_models=2)
    args.update(kwargs)
    with pytest.raises(ValueError, match=needle):
        cu.build_model_bank(**args)


# ---- selection bias ----------------------------------------------------------------------------


def test_selection_bias_numbers():
    r = cu.selection_bias([0.80, 0.90, 0.85], [0.84, 0.83, 0.86])
    assert r.winner == 1 and r.n_candidates == 3
    assert r.optimism == pytest.approx(0.07)
    assert r.mean_selection_score == pytest.approx(0.85) and r.mean_holdout_score == pytest.approx(2.53 / 3)
    assert r.excess_optimism == pytest.approx(0.07 - (0.85 - 2.53 / 3))
    assert r.best_holdout_score == pytest.approx(0.86) and r.winner_holdout_rank == 3
    assert r.as_dict()["winner"] == 1


def test_selection_bias_for_losses():
    r = cu.selection_bias([0.5, 0.3, 0.4], [0.45, 0.42, 0.41], higher_is_better=False)
    assert r.winner == 1 and r.optimism == pytest.approx(0.12) and r.winner_holdout_rank == 2


@pytest.mark.parametrize(
    "sel,hold,needle",
    [
        ([0.5], [0.5], "at least 2"),
        ([0.5, 0.6], [0.5, 0.6, 0.7], "same candidates"),
        ([0.5, float("nan")], [0.5, 0.6], "finite"),
        ([[0.5, 0.6]], [0.5, 0.6], "1-D"),
    ],
)
def test_selection_bias_rejects_bad_scores(sel, hold, needle):
    with pytest.raises(ValueError, match=needle):
        cu.selection_bias(sel, hold)


def test_resampled_selection_bias_pure_noise_is_optimistic_and_shrinks_with_size():
    rng = np.random.default_rng(0)
    pool, hold = rng.random((30, 400)) < 0.7, rng.random((30, 2000)) < 0.7
    small = cu.resampled_selection_bias(pool, hold, subset_size=20, n_draws=300, seed=0)
    large = cu.resampled_selection_bias(pool, hold, subset_size=200, n_draws=300, seed=0)
    opt = lambda r: float(np.mean(r["selection_score"] - r["holdout_score"]))  # noqa: E731
    assert opt(small) > opt(large) > 0.02
    assert set(small) == {"winner", "selection_score", "holdout_score", "mean_selection_score"}
    assert len(small["winner"]) == 300


@pytest.mark.parametrize(
    "kwargs,needle",
    [
        ({"subset_size": 0}, "subset_size=0"),
        ({"subset_size": 11}, "at most the pool size 10"),
        ({"n_draws": 0}, "n_draws=0"),
    ],
)
def test_resampled_selection_bias_rejects_bad_arguments(kwargs, needle):
    pool, hold = np.ones((3, 10), bool), np.ones((3, 5), bool)
    args = dict(subset_size=5)
    args.update(kwargs)
    with pytest.raises(ValueError, match=needle):
        cu.resampled_selection_bias(pool, hold, **args)
    with pytest.raises(ValueError, match="same number"):
        cu.resampled_selection_bias(pool, np.ones((2, 5), bool), subset_size=5)


# ---- plots ----------------------------------------------------------------------------------------


def test_plot_early_stopping_marks_stop_and_restored_epoch():
    full = {"val_loss": [1.0, 0.7, 0.6, 0.65, 0.7, 0.8, 0.9]}
    ax = cu.plot_early_stopping(
        {"val_loss": full["val_loss"][:5]}, stop_epoch=5, restored_epoch=3, full_history=full
    )
    assert isinstance(ax, Axes)
    labels = [ln.get_label() for ln in ax.lines]
    assert any("stopped after epoch 5" in s for s in labels)
    assert any("restored: epoch 3 (0.600)" in s for s in labels)
    assert any("without early stopping (7 epochs)" in s for s in labels)


def test_plot_early_stopping_draws_on_given_axes_and_skips_missing_stop():
    import matplotlib.pyplot as plt

    _, ax = plt.subplots()
    out = cu.plot_early_stopping({"val_loss": [1.0, 0.9]}, ax=ax)
    assert out is ax and not any("stopped" in ln.get_label() for ln in ax.lines)


@pytest.mark.parametrize(
    "kwargs,needle",
    [
        ({"restored_epoch": 9}, "restored_epoch"),
        ({"stop_epoch": 0}, "stop_epoch"),
        ({"metric": "val_accuracy"}, "val_accuracy"),
    ],
)
def test_plot_early_stopping_rejects_bad_arguments(kwargs, needle):
    with pytest.raises(ValueError, match=needle):
        cu.plot_early_stopping({"val_loss": [1.0, 0.9, 0.95]}, **kwargs)


def test_plot_selection_bias():
    ax = cu.plot_selection_bias([0.8, 0.9, 0.85], [0.84, 0.83, 0.86])
    assert isinstance(ax, Axes)
    assert ax.get_xlabel() == "score on the selection split"
    with pytest.raises(ValueError, match="same, non-zero length"):
        cu.plot_selection_bias([0.8], [0.8, 0.9])
    with pytest.raises(ValueError, match="winner"):
        cu.plot_selection_bias([0.8, 0.9], [0.8, 0.9], winner=5)
