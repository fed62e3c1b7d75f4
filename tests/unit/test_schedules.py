"""Tests for course_utils.schedules and course_utils.plotting.schedules."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest
from matplotlib.axes import Axes

import course_utils as cu
from course_utils import (
    LearningRateLogger,
    LRFinder,
    OneCycleSchedule,
    lr_range_test,
    schedule_values,
    smooth_losses,
    suggest_learning_rate,
)


def one_cycle_numpy(t, peak, total, warm, div0=25.0, div1=1e4, annealing="cosine"):
    t = np.clip(np.asarray(t, float), 0, total)
    lo, end = peak / div0, peak / div0 / div1
    rise = np.clip(t / max(warm, 1), 0, 1)
    fall = np.clip((t - warm) / (total - warm), 0, 1)
    if annealing == "cosine":
        up, down = (1 - np.cos(np.pi * rise)) / 2, (1 + np.cos(np.pi * fall)) / 2
    else:
        up, down = rise, 1 - fall
    return np.where(t < warm, lo + (peak - lo) * up, end + (peak - end) * down)


# ---- OneCycleSchedule -----------------------------------------------------------------------


@pytest.mark.parametrize("annealing", ["cosine", "linear"])
@pytest.mark.parametrize("warm", [0, 1, 30, 99])
def test_one_cycle_matches_closed_form(annealing, warm):
    s = OneCycleSchedule(0.2, total_steps=100, warmup_steps=warm, annealing=annealing)
    steps = np.arange(0, 130)
    got = schedule_values(s, steps)
    want = one_cycle_numpy(steps, 0.2, 100, warm, annealing=annealing)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)  # float32


def test_one_cycle_key_points_and_shape():
    s = OneCycleSchedule(0.1, total_steps=200, warmup_steps=60, initial_divisor=10, final_divisor=100)
    v = schedule_values(s, np.arange(201))
    assert v[0] == pytest.approx(0.01, rel=1e-6)
    assert v[60] == pytest.approx(0.1, rel=1e-6) and v.max() == pytest.approx(0.1, rel=1e-6)
    assert v[200] == pytest.approx(1e-4, rel=1e-4)
    assert (np.diff(v[:61]) > 0).all() and (np.diff(v[60:]) < 0).all()
    assert s.initial_learning_rate == pytest.approx(0.01)
    assert s.final_learning_rate == pytest.approx(1e-4)
    # after the cycle the rate stays at its final value
    assert float(s(1000)) == pytest.approx(1e-4, rel=1e-4)


def test_one_cycle_default_warmup_is_30_percent():
    assert OneCycleSchedule(1.0, total_steps=50).warmup_steps == 15


def test_one_cycle_accepts_tensor_steps_and_vectors():
    s = OneCycleSchedule(0.1, total_steps=10, warmup_steps=3)
    v = keras.ops.convert_to_numpy(s(keras.ops.convert_to_tensor(np.arange(11), dtype="int64")))
    np.testing.assert_allclose(v, one_cycle_numpy(np.arange(11), 0.1, 10, 3), rtol=1e-5)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (dict(max_learning_rate=-0.1, total_steps=10), "max_learning_rate=-0.1"),
        (dict(max_learning_rate=0.0, total_steps=10), "max_learning_rate=0.0"),
        (dict(max_learning_rate=float("nan"), total_steps=10), "max_learning_rate=nan"),
        (dict(max_learning_rate=0.1, total_steps=0), "total_steps=0"),
        (dict(max_learning_rate=0.1, total_steps=10.5), "total_steps=10.5"),
        (dict(max_learning_rate=0.1, total_steps=10, warmup_steps=10), "warmup_steps=10"),
        (dict(max_learning_rate=0.1, total_steps=10, warmup_steps=20), "shorter than `total_steps`"),
        (dict(max_learning_rate=0.1, total_steps=10, warmup_steps=-1), "warmup_steps=-1"),
        (dict(max_learning_rate=0.1, total_steps=10, initial_divisor=0.5), "initial_divisor=0.5"),
        (dict(max_learning_rate=0.1, total_steps=10, final_divisor=0), "final_divisor=0"),
        (dict(max_learning_rate=0.1, total_steps=10, annealing="cos"), "annealing='cos'"),
    ],
)
def test_one_cycle_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("(", r"\(")):
        OneCycleSchedule(**kwargs)


def test_one_cycle_serializes_and_round_trips_in_an_optimizer(tmp_path):
    s = OneCycleSchedule(0.05, total_steps=40, warmup_steps=10, annealing="linear")
    again = OneCycleSchedule.from_config(s.get_config())
    np.testing.assert_allclose(schedule_values(again, range(41)), schedule_values(s, range(41)))
    blob = keras.optimizers.schedules.serialize(s)
    assert "course_utils" in str(blob)
    back = keras.optimizers.schedules.deserialize(blob)
    assert isinstance(back, OneCycleSchedule) and back.get_config() == s.get_config()
    # a whole model with the schedule in its optimizer survives .keras saving
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=s), loss="mse")
    model.fit(np.ones((4, 3)), np.ones((4, 2)), epochs=1, verbose=0)
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded.optimizer._learning_rate, OneCycleSchedule)
    assert loaded.optimizer._learning_rate.get_config() == s.get_config()


# ---- LearningRateLogger -----------------------------------------------------------------------


def _tiny_fit(learning_rate, callbacks, epochs=3, n=40, batch_size=10):
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).normal(size=(n, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=learning_rate), loss="sparse_categorical_crossentropy"
    )
    model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0, shuffle=False, callbacks=callbacks)
    return model


def test_logger_per_batch_records_the_schedule_at_each_iteration():
    s = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=3, decay_rate=0.5)
    logger = LearningRateLogger(every="batch")
    _tiny_fit(s, [logger])
    assert logger.steps == list(range(12))
    assert logger.epochs == [0] * 4 + [1] * 4 + [2] * 4
    np.testing.assert_allclose(logger.learning_rates, 0.1 * 0.5 ** (np.arange(12) / 3), rtol=1e-6)


def test_logger_per_epoch_records_the_first_batch_of_each_epoch():
    s = OneCycleSchedule(0.1, total_steps=12, warmup_steps=4)
    logger = LearningRateLogger()
    _tiny_fit(s, [logger])
    assert logger.steps == [0, 4, 8] and logger.epochs == [0, 1, 2]
    np.testing.assert_allclose(logger.learning_rates, schedule_values(s, [0, 4, 8]), rtol=1e-6)


@pytest.mark.parametrize("logger_first", [True, False])
def test_logger_sees_learning_rate_scheduler_whatever_the_callback_order(logger_first):
    logger = LearningRateLogger()
    scheduler = keras.callbacks.LearningRateScheduler(lambda epoch: 0.1 / (epoch + 1))
    _tiny_fit(0.5, [logger, scheduler] if logger_first else [scheduler, logger])
    np.testing.assert_allclose(logger.learning_rates, [0.1, 0.05, 0.1 / 3], rtol=1e-6)


def test_logger_restarts_with_each_fit_and_rejects_bad_every():
    logger = LearningRateLogger()
    _tiny_fit(0.01, [logger], epochs=2)
    _tiny_fit(0.01, [logger], epochs=1)
    assert len(logger.learning_rates) == 1
    with pytest.raises(ValueError, match="every='step'"):
        LearningRateLogger(every="step")
    assert LearningRateLogger(every="batch").get_config() == {"every": "batch"}


# ---- schedule_values ----------------------------------------------------------------------------


def test_schedule_values_on_keras_schedules_and_functions():
    pw = keras.optimizers.schedules.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    np.testing.assert_allclose(schedule_values(pw, [0, 10, 11, 20, 21]), [1, 1, 0.5, 0.5, 0.1], rtol=1e-6)
    cos = keras.optimizers.schedules.CosineDecay(0.0, decay_steps=10, warmup_target=1.0, warmup_steps=5)
    np.testing.assert_allclose(schedule_values(cos, [0, 5, 10, 15]), [0, 1, 0.5, 0], atol=1e-6)
    np.testing.assert_allclose(
        schedule_values(lambda e: 0.1 * 0.5 ** (e // 2), range(5)), [0.1, 0.1, 0.05, 0.05, 0.025]
    )


@pytest.mark.parametrize(
    "schedule,steps,message",
    [
        (0.1, [0], "schedule"),
        (lambda s: 0.1, [], "non-empty"),
        (lambda s: 0.1, [-1, 2], "non-negative integers"),
        (lambda s: 0.1, [0.5], "non-negative integers"),
        (lambda s: "fast", [0], "expected a number"),
        (lambda s: math.inf, [3], "step 3"),
    ],
)
def test_schedule_values_rejects_bad_input(schedule, steps, message):
    with pytest.raises(ValueError, match=message):
        schedule_values(schedule, steps)


# ---- range test ----------------------------------------------------------------------------------


def test_smooth_losses_is_a_bias_corrected_average():
    np.testing.assert_allclose(smooth_losses([2.0, 2.0, 2.0], beta=0.9), [2, 2, 2])
    got = smooth_losses([1.0, 3.0], beta=0.5)
    np.testing.assert_allclose(got, [1.0, (0.25 + 1.5) / 0.75])
    np.testing.assert_allclose(smooth_losses([1.0, 5.0], beta=0.0), [1.0, 5.0])
    with pytest.raises(ValueError, match="beta=1.0"):
        smooth_losses([1.0], beta=1.0)
    with pytest.raises(ValueError, match="non-empty"):
        smooth_losses([])


def _synthetic_curve():
    lrs = np.logspace(-4, 0, 81)
    losses = 2 - np.tanh(2 * (np.log10(lrs) + 2.5)) + np.where(lrs > 0.1, 80 * (lrs - 0.1), 0)
    return lrs, losses


def test_suggest_learning_rate_steepest_and_min_over_10():
    lrs, losses = _synthetic_curve()
    steep = suggest_learning_rate(lrs, losses, beta=0.0, skip_start=0)
    assert np.log10(steep) == pytest.approx(-2.5, abs=0.06)
    at_min = lrs[np.argmin(losses)]
    assert suggest_learning_rate(lrs, losses, method="min_over_10", beta=0.0) == pytest.approx(at_min / 10)


def test_suggest_learning_rate_ignores_a_diverged_tail():
    lrs, losses = _synthetic_curve()
    losses = losses.copy()
    losses[-5:] = np.nan
    assert np.isfinite(suggest_learning_rate(lrs, losses, beta=0.0))


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (dict(method="valley"), "method='valley'"),
        (dict(skip_start=-1), "skip_start=-1"),
    ],
)
def test_suggest_learning_rate_rejects_bad_arguments(kwargs, message):
    lrs, losses = _synthetic_curve()
    with pytest.raises(ValueError, match=message):
        suggest_learning_rate(lrs, losses, **kwargs)


def test_suggest_learning_rate_rejects_bad_curves():
    with pytest.raises(ValueError, match="same length"):
        suggest_learning_rate([1e-3, 1e-2], [1.0])
    with pytest.raises(ValueError, match="strictly increasing"):
        suggest_learning_rate(np.linspace(1, 0.1, 20), np.ones(20))
    with pytest.raises(ValueError, match="points"):
        suggest_learning_rate([1e-3, 1e-2], [1.0, 1.0])


def test_lr_finder_rates_and_validation():
    f = LRFinder(1e-4, 1.0, num_steps=5)
    np.testing.assert_allclose([f.rate_at(k) for k in range(5)], [1e-4, 1e-3, 1e-2, 1e-1, 1.0])
    with pytest.raises(ValueError, match="min_learning_rate=-1"):
        LRFinder(-1, 1.0, 10)
    with pytest.raises(ValueError, match="larger than"):
        LRFinder(1.0, 0.1, 10)
    with pytest.raises(ValueError, match="num_steps=2"):
        LRFinder(1e-3, 1.0, 2)
    with pytest.raises(ValueError, match="divergence_factor=0.5"):
        LRFinder(1e-3, 1.0, 10, divergence_factor=0.5)


def test_lr_range_test_records_batch_losses_and_suggests_a_rate_in_range():
    data = cu.load_dataset("digits", n_train=200)
    keras.utils.set_random_seed(0)
    model = cu.build_mlp(data.input_shape, data.num_classes, (32,), seed=0)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=1e-3), loss="sparse_categorical_crossentropy")
    r = lr_range_test(model, data, min_learning_rate=1e-4, max_learning_rate=100.0, num_steps=120)
    assert len(r.learning_rates) == len(r.losses) == len(r.smoothed_losses) <= 120
    assert r.learning_rates[0] == pytest.approx(1e-4)
    assert (np.diff(r.learning_rates) > 0).all()
    # per-batch losses (not a running mean): they vary from batch to batch
    assert np.std(np.diff(r.losses[:20])) > 0
    assert r.stopped_early  # 100 is far too large for SGD: the test stops on divergence
    assert 1e-3 < r.suggestion < 10
    assert r.suggestion <= r.lr_at_min_loss


def test_lr_range_test_rejects_a_schedule_optimizer_and_uncompiled_models():
    data = cu.load_dataset("digits", n_train=50)
    model = cu.build_mlp(data.input_shape, data.num_classes, (8,), seed=0)
    with pytest.raises(ValueError, match="not compiled"):
        lr_range_test(model, data, num_steps=10)
    model.compile(
        optimizer=keras.optimizers.SGD(
            learning_rate=keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)
        ),
        loss="sparse_categorical_crossentropy",
    )
    with pytest.raises(ValueError, match="float learning_rate"):
        lr_range_test(model, data, num_steps=10)
    with pytest.raises(ValueError, match="method='best'"):
        lr_range_test(model, data, method="best")


# ---- plots --------------------------------------------------------------------------------------


def test_plot_schedules_draws_one_line_per_schedule():
    s = {
        "one-cycle": OneCycleSchedule(0.1, 50, 10),
        "exponential": keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5),
    }
    ax = cu.plot_schedules(s, steps=np.arange(60))
    assert isinstance(ax, Axes)
    assert [ln.get_label() for ln in ax.lines] == ["one-cycle", "exponential"]
    np.testing.assert_allclose(ax.lines[0].get_ydata(), schedule_values(s["one-cycle"], np.arange(60)))


def test_plot_schedules_accepts_arrays_and_an_axes():
    import matplotlib.pyplot as plt

    _, ax = plt.subplots()
    out = cu.plot_schedules({"constant": np.full(10, 0.1)}, ax=ax, log_y=True)
    assert out is ax and ax.get_yscale() == "log"
    with pytest.raises(ValueError, match="steps"):
        cu.plot_schedules({"one-cycle": OneCycleSchedule(0.1, 50, 10)})
    with pytest.raises(ValueError, match="empty"):
        cu.plot_schedules({})


def test_plot_lr_range_test():
    lrs, losses = _synthetic_curve()
    ax = cu.plot_lr_range_test(lrs, losses, suggestion=3e-3)
    assert ax.get_xscale() == "log"
    labels = [ln.get_label() for ln in ax.lines]
    assert "loss per batch" in labels and "smoothed" in labels
    assert "suggested 3.0e-03" in labels
    with pytest.raises(ValueError, match="same length"):
        cu.plot_lr_range_test(lrs, losses[:-1])
