"""Tests for course_utils.experiments (run_experiment, ExperimentResult, results_table,
inference_accuracy) and course_utils.plotting.experiments (plot_results_bars,
plot_sweep_heatmap)."""

from __future__ import annotations

import dataclasses
import json

import keras
import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_utils import (
    ExperimentResult,
    build_mlp,
    inference_accuracy,
    load_dataset,
    plot_results_bars,
    plot_sweep_heatmap,
    results_table,
    run_experiment,
)


@pytest.fixture(scope="module")
def digits100():
    return load_dataset("digits", n_train=100, seed=0)


def _result(name="demo", *, val=0.8, train=0.9, history=None, budget=10, trained=10, seconds=1.0, **kw):
    defaults = dict(n_params=10, seed=0, batch_size=32, n_train=100)
    defaults.update(kw)
    return ExperimentResult(
        name,
        history or {"val_accuracy": [0.5, val]},
        epochs_budget=budget,
        epochs_trained=trained,
        elapsed_seconds=seconds,
        train_accuracy=train,
        val_accuracy=val,
        **defaults,
    )


def _builder(data, hidden=(16,), name="mlp"):
    def build():
        model = build_mlp(data.input_shape, data.num_classes, hidden, name=name, seed=0)
        model.compile(
            optimizer=keras.optimizers.Adam(1e-3),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        return model

    return build


# ---------------------------------------------------------------------------------------------
# inference_accuracy
# ---------------------------------------------------------------------------------------------


def _identity_model(dropout: float = 0.0):
    layers = [keras.Input((2,))]
    if dropout:
        layers.append(keras.layers.Dropout(dropout, seed=0))
    layers.append(keras.layers.Dense(2, use_bias=False, kernel_initializer="identity"))
    return keras.Sequential(layers)


def test_inference_accuracy_counts_argmax_matches():
    x = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]], dtype="float32")
    y = np.array([0, 1, 1])
    model = _identity_model()
    assert inference_accuracy(model, x, y) == pytest.approx(2 / 3)
    assert inference_accuracy(model, x, keras.utils.to_categorical(y, 2)) == pytest.approx(2 / 3)
    assert inference_accuracy(model, x, y, batch_size=1) == pytest.approx(2 / 3)  # batches add up


def test_inference_accuracy_runs_in_inference_mode():
    # A dropout rate of 0.9 in training mode would scramble the scores; in inference mode it is off.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 2)).astype("float32")
    y = x.argmax(axis=1)
    model = _identity_model(dropout=0.9)
    assert inference_accuracy(model, x, y) == 1.0


@pytest.mark.parametrize(
    "x,y,match",
    [
        (np.zeros((3, 2)), np.zeros(2), "same length"),
        (np.zeros((0, 2)), np.zeros(0), "non-empty"),
        (np.zeros((2, 2)), np.zeros((2, 2, 1)), "one-hot"),
    ],
)
def test_inference_accuracy_rejects_bad_labels(x, y, match):
    with pytest.raises(ValueError, match=match):
        inference_accuracy(_identity_model(), x.astype("float32"), y)


def test_inference_accuracy_rejects_bad_batch_size():
    with pytest.raises(ValueError, match="batch_size"):
        inference_accuracy(_identity_model(), np.zeros((2, 2), "float32"), np.zeros(2), batch_size=0)


# ---------------------------------------------------------------------------------------------
# ExperimentResult
# ---------------------------------------------------------------------------------------------


def test_experiment_result_properties():
    r = _result(val=0.75, train=0.95, history={"val_accuracy": [0.6, 0.8, 0.75]}, budget=5, trained=3)
    assert r.gap == pytest.approx(0.2)
    assert r.best_val_accuracy == pytest.approx(0.8)
    assert r.best_epoch == 2
    assert r.stopped_early
    assert not _result(budget=3, trained=3).stopped_early


def test_experiment_result_as_dict_is_json_and_leaves_out_the_model():
    r = dataclasses.replace(_result(), model=object())
    d = r.as_dict()
    json.dumps(d)
    assert "model" not in d and "history" not in d
    assert d["gap"] == pytest.approx(0.1) and d["best_val_accuracy"] == pytest.approx(0.8)
    assert {"epochs_budget", "epochs_trained", "stopped_early", "seed", "batch_size", "n_train"} <= set(d)


# ---------------------------------------------------------------------------------------------
# run_experiment
# ---------------------------------------------------------------------------------------------


def test_run_experiment_records_the_budget_and_measures_in_inference_mode(digits100):
    r = run_experiment("small", _builder(digits100), digits100, epochs=3, batch_size=25, seed=1)
    assert isinstance(r, ExperimentResult)
    assert (r.name, r.epochs_budget, r.epochs_trained, r.batch_size, r.seed, r.n_train) == (
        "small",
        3,
        3,
        25,
        1,
        100,
    )
    assert set(r.history) == {"loss", "val_loss", "accuracy", "val_accuracy"}
    assert all(len(v) == 3 for v in r.history.values())
    assert r.elapsed_seconds > 0
    assert r.n_params == r.model.count_params()
    assert r.val_accuracy == pytest.approx(inference_accuracy(r.model, digits100.x_val, digits100.y_val))
    assert r.train_accuracy == pytest.approx(
        inference_accuracy(r.model, digits100.x_train, digits100.y_train)
    )
    # the final model's validation accuracy is the last epoch's logged one (no dropout here)
    assert r.val_accuracy == pytest.approx(r.history["val_accuracy"][-1], abs=1e-6)


def test_run_experiment_sets_the_seed_so_runs_repeat(digits100):
    a = run_experiment("a", _builder(digits100), digits100, epochs=2, seed=3)
    b = run_experiment("b", _builder(digits100), digits100, epochs=2, seed=3)
    np.testing.assert_allclose(a.history["loss"], b.history["loss"], rtol=1e-5)
    assert a.val_accuracy == b.val_accuracy


def test_run_experiment_counts_epochs_actually_trained(digits100):
    def stop_after_two(epoch, logs=None):
        if epoch == 1:
            stopper.model.stop_training = True

    stopper = keras.callbacks.LambdaCallback(on_epoch_end=stop_after_two)
    r = run_experiment("stopped", _builder(digits100), digits100, epochs=6, callbacks=[stopper])
    assert (r.epochs_trained, r.epochs_budget, r.stopped_early) == (2, 6, True)


def test_run_experiment_never_touches_the_test_split(digits100):
    poisoned = dataclasses.replace(
        digits100, x_test=np.full_like(digits100.x_test, np.nan), y_test=np.full_like(digits100.y_test, -1)
    )
    r = run_experiment("clean", _builder(poisoned), poisoned, epochs=1)
    assert np.isfinite(r.history["val_loss"]).all() and 0.0 <= r.val_accuracy <= 1.0


def test_run_experiment_accepts_one_hot_labels(digits100):
    one_hot = dataclasses.replace(
        digits100,
        y_train=keras.utils.to_categorical(digits100.y_train, 10),
        y_val=keras.utils.to_categorical(digits100.y_val, 10),
    )

    def build():
        model = build_mlp(one_hot.input_shape, 10, (16,), seed=0)
        model.compile(
            optimizer="adam",
            loss=keras.losses.CategoricalCrossentropy(label_smoothing=0.1),
            metrics=["accuracy"],
        )
        return model

    r = run_experiment("smooth", build, one_hot, epochs=1)
    assert r.val_accuracy == pytest.approx(inference_accuracy(r.model, digits100.x_val, digits100.y_val))


def test_run_experiment_rejects_bad_arguments(digits100):
    good = _builder(digits100)
    with pytest.raises(ValueError, match="name"):
        run_experiment("  ", good, digits100, epochs=1)
    with pytest.raises(ValueError, match="build_fn"):
        run_experiment("x", "not a function", digits100, epochs=1)
    with pytest.raises(ValueError, match="epochs"):
        run_experiment("x", good, digits100, epochs=0)
    with pytest.raises(ValueError, match="batch_size"):
        run_experiment("x", good, digits100, epochs=1, batch_size=-1)
    with pytest.raises(ValueError, match="return model"):
        run_experiment("x", lambda: None, digits100, epochs=1)
    with pytest.raises(ValueError, match="not compiled"):
        run_experiment("x", lambda: build_mlp(digits100.input_shape, 10, (4,)), digits100, epochs=1)
    with pytest.raises(ValueError, match="Dataset"):
        run_experiment("x", good, (digits100.x_train, digits100.y_train), epochs=1)


# ---------------------------------------------------------------------------------------------
# results_table
# ---------------------------------------------------------------------------------------------


def test_results_table_rows_columns_and_baseline():
    rows = [
        _result("baseline", val=0.70, train=1.0, seconds=12.34),
        _result(
            "combined",
            val=0.85,
            train=0.88,
            budget=60,
            trained=27,
            history={"val_accuracy": [0.5, 0.86, 0.85]},
        ),
    ]
    text = results_table(rows, baseline="baseline")
    lines = text.splitlines()
    assert lines[0].split()[:2] == ["model", "val"] and "vs baseline" in lines[0]
    assert set(lines[1].replace(" ", "")) == {"-"}
    assert lines[2].startswith("baseline") and lines[3].startswith("combined")
    assert "0.700" in lines[2] and "+0.300" in lines[2] and "12.3 s" in lines[2]
    assert "0.850" in lines[3] and "0.860" in lines[3] and "+0.030" in lines[3] and "+0.150" in lines[3]
    assert "27/60*" in lines[3] and "10/10" in lines[2] and "*" not in lines[2]
    assert lines[-1].startswith("* stopped early")
    # columns line up
    assert len({len(line) for line in lines[:2]}) == 1


def test_results_table_accepts_a_dict_and_needs_no_footnote_without_early_stops():
    text = results_table({"a": _result("a"), "b": _result("b")})
    assert "stopped early" not in text and "vs " not in text
    assert [ln.split()[0] for ln in text.splitlines()[2:]] == ["a", "b"]


@pytest.mark.parametrize(
    "results,kwargs,match",
    [
        ([], {}, "empty"),
        ([{"name": "x"}], {}, "ExperimentResult"),
        ([_result("a")], {"baseline": "b"}, "baseline"),
    ],
)
def test_results_table_rejects_bad_input(results, kwargs, match):
    with pytest.raises(ValueError, match=match):
        results_table(results, **kwargs)


# ---------------------------------------------------------------------------------------------
# plots
# ---------------------------------------------------------------------------------------------


def test_plot_results_bars_draws_two_bars_per_run_and_the_baseline():
    rows = [_result("a", val=0.7, train=1.0), _result("b", val=0.85, train=0.9)]
    ax = plot_results_bars(rows, baseline="a")
    assert len(ax.patches) == 4
    heights = sorted(round(p.get_height(), 3) for p in ax.patches)
    assert heights == [0.7, 0.85, 0.9, 1.0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b"]
    assert any("gap +0.300" in t.get_text() for t in ax.texts)
    assert len(ax.lines) == 1 and ax.lines[0].get_ydata()[0] == pytest.approx(0.7)


def test_plot_results_bars_uses_the_given_axes_and_validates():
    _, ax = plt.subplots()
    assert plot_results_bars({"a": _result("a")}, ax=ax) is ax
    with pytest.raises(ValueError, match="empty"):
        plot_results_bars([])
    with pytest.raises(ValueError, match="val_accuracy"):
        plot_results_bars([object()])
    with pytest.raises(ValueError, match="baseline"):
        plot_results_bars([_result("a")], baseline="zzz")


def test_plot_sweep_heatmap_annotates_cells_and_outlines_the_best():
    scores = [[0.80, 0.82, 0.79], [0.85, 0.81, 0.83]]
    ax = plot_sweep_heatmap(scores, [0.2, 0.5], [1e-5, 1e-4, 1e-3])
    assert sorted(t.get_text() for t in ax.texts) == sorted(f"{v:.3f}" for row in scores for v in row)
    outline = ax.patches[-1]
    assert outline.get_xy() == (-0.5, 0.5)  # column 0, row 1: the 0.85 cell
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1e-05", "0.0001", "0.001"]
    assert ax.get_ylabel() == "dropout rate" and ax.get_xlabel() == "L2 strength"


def test_plot_sweep_heatmap_validates_the_grid():
    with pytest.raises(ValueError, match="shape"):
        plot_sweep_heatmap([[0.8, 0.9]], [0.2, 0.5], [1e-4, 1e-3])
    with pytest.raises(ValueError, match="finite"):
        plot_sweep_heatmap([[0.8, float("nan")]], [0.2], [1e-4, 1e-3])
    _, ax = plt.subplots()
    assert plot_sweep_heatmap([[0.5]], [0.1], [0.01], ax=ax) is ax


def test_plot_random_search_puts_each_trial_on_a_log_axis_and_rings_the_best():
    from course_utils import plot_random_search

    ax = plot_random_search([1e-4, 3e-3, 2e-5], [0.2, 0.5, 0.4], [0.84, 0.81, 0.86])
    assert ax.get_xscale() == "log" and ax.get_xlabel() == "L2 strength"
    dots, ring = ax.collections[:2]
    assert len(dots.get_offsets()) == 3
    assert tuple(ring.get_offsets()[0]) == (2e-5, 0.4)  # the best score, 0.86
    assert sorted(t.get_text() for t in ax.texts) == ["0.810", "0.840", "0.860"]
    assert "3 trials" in ax.get_title()
    plt.close(ax.figure)


def test_plot_random_search_validates_its_trials():
    from course_utils import plot_random_search

    with pytest.raises(ValueError, match="same length"):
        plot_random_search([1e-4], [0.2, 0.5], [0.8])
    with pytest.raises(ValueError, match="finite"):
        plot_random_search([1e-4], [0.2], [float("nan")])
    with pytest.raises(ValueError, match="positive"):
        plot_random_search([0.0], [0.2], [0.8])


def test_plot_random_search_shows_the_whole_range_searched():
    from course_utils import plot_random_search

    ax = plot_random_search([1e-4, 3e-3], [0.2, 0.5], [0.84, 0.81], x_range=(1e-5, 1e-2), y_range=(0.1, 0.6))
    lo, hi = ax.get_xlim()
    assert lo <= 1e-5 and hi >= 1e-2
    lo, hi = ax.get_ylim()
    assert lo <= 0.1 and hi >= 0.6
    plt.close(ax.figure)
