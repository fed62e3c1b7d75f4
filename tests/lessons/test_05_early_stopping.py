"""Claims of lesson 05, asserted on the numbers the executed lesson recorded and printed, and the
feedback of its exercise checks on typical wrong answers."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from conftest import grade, load_tests, printed_text, recomputed_comparisons

import course_utils as cu

LESSON = "05_early_stopping"


def close(a: float, b: float, rel: float = 1e-5) -> bool:
    """Equal up to float rounding (evaluate vs. the value logged by fit)."""
    return abs(a - b) <= rel * max(1.0, abs(a), abs(b))


# ---- section 3: EarlyStopping -----------------------------------------------------------------


def test_early_stopping_stops_well_before_the_budget(values, params):
    es = values["early_stopping"]
    assert es["stop_epoch"] is not None, es
    assert es["epochs_run"] == es["stop_epoch"] < es["budget"] == params["EPOCHS"], es
    assert es["epochs_run"] <= 0.6 * es["budget"], (
        f"only {es['budget'] - es['epochs_run']} epochs saved: {es}"
    )
    # the rule: it stops `patience` epochs after the last improvement
    assert es["stop_epoch"] == es["best_epoch"] + params["PATIENCE"], es


def test_the_rule_on_the_reference_curve_predicts_the_real_stop(values):
    es = values["early_stopping"]
    assert es["same_curve"] is True, "the early-stopped run should repeat the reference run's first epochs"
    simulated = (es["simulated_stop_epoch"], es["simulated_best_epoch"])
    assert simulated == (es["stop_epoch"], es["best_epoch"]), es


def test_restore_best_weights_gives_the_best_epochs_validation_loss(values):
    r = values["restore"]
    assert close(r["evaluated"], r["best_epoch_logged"]), r
    assert r["best_epoch_logged"] == r["min_logged"], r
    # the check discriminates: the last epoch's loss is clearly different
    assert r["last_epoch_logged"] - r["min_logged"] >= 0.01, r
    assert not close(r["evaluated"], r["last_epoch_logged"], rel=1e-3), r


def test_without_restoring_the_model_keeps_the_last_epochs_weights(values):
    n = values["no_restore"]
    assert close(n["evaluated"], n["last_epoch_logged"]), n
    assert n["evaluated"] - n["best_logged"] >= 0.01, n
    assert n["epochs_run"] == values["early_stopping"]["epochs_run"], (n, values["early_stopping"])


def test_training_the_whole_budget_ends_worse(values):
    ref, c = values["reference"], values["comparison"]
    assert ref["final_val_loss"] >= 1.1 * ref["min_val_loss"], ref
    assert ref["best_epoch"] <= 0.5 * ref["epochs"], ref
    assert c["reference_final_val_loss"] > values["restore"]["evaluated"] + 0.05, (c, values["restore"])
    assert c["reference_final_val_accuracy"] < c["restored_val_accuracy"], c


# ---- section 4: checkpoints -----------------------------------------------------------------


def test_checkpoint_reloads_to_the_same_metrics_and_weights(values):
    ck = values["checkpoint"]
    assert close(ck["reloaded_loss"], ck["logged_loss"]), ck
    assert abs(ck["reloaded_accuracy"] - ck["logged_accuracy"]) < 1e-6, ck
    assert close(ck["reloaded_loss"], ck["restored_loss"]), ck
    assert ck["same_weights_as_restored"] is True, ck
    rt = values["round_trip"]
    assert close(rt["before"]["loss"], rt["after"]["loss"]), rt
    assert abs(rt["before"]["accuracy"] - rt["after"]["accuracy"]) < 1e-6, rt


# ---- section 5: patience, min_delta, start_from_epoch ----------------------------------------


def test_keras_callback_and_the_rule_agree_on_every_setting(values):
    s = values["settings"]
    rows = s["patience"] + s["min_delta"] + s["start_from_epoch"]
    assert rows and all(r["keras_agrees"] for r in rows), rows


def test_patience_trades_epochs_for_a_better_restored_epoch(values, params):
    s = values["settings"]
    rows = dict(zip(params["PATIENCES"], s["patience"]))
    stops = [r["epochs_trained"] for r in s["patience"]]
    assert stops == sorted(stops), stops
    assert rows[0]["stop_epoch"] == rows[1]["stop_epoch"], "patience=0 acts like patience=1 in Keras 3"
    smallest, largest = s["patience"][0], s["patience"][-1]
    assert smallest["best_value"] >= s["lowest"] + 0.005, (smallest, s["lowest"])  # stopped at a bump
    assert largest["best_value"] == s["lowest"], (largest, s["lowest"])
    assert largest["stop_epoch"] is not None and largest["stop_epoch"] < params["EPOCHS"], largest


def test_large_min_delta_stops_earlier_before_the_minimum(values):
    rows = values["settings"]["min_delta"]
    assert rows[0]["epochs_trained"] > rows[-1]["epochs_trained"], rows
    assert rows[-1]["best_value"] > values["settings"]["lowest"] + 0.005, rows[-1]


def test_start_from_epoch_can_skip_the_best_epoch(values, params):
    rows = values["settings"]["start_from_epoch"]
    for start, r in zip(params["START_FROM_EPOCHS"], rows):
        assert r["best_epoch"] > start, (start, r)
    assert rows[-1]["best_epoch"] > values["reference"]["best_epoch"], rows[-1]
    assert rows[-1]["best_value"] > values["settings"]["lowest"] + 0.01, rows[-1]


# ---- section 6: selection bias ---------------------------------------------------------------


def test_selecting_by_a_small_split_gives_an_optimistic_score(values, params):
    sel = values["selection"]
    assert sel["n_candidates"] == params["N_CANDIDATES"]
    assert sel["selection_size"] <= 60 and sel["holdout_size"] >= 300, sel
    assert sel["winner_selection_score"] - sel["winner_holdout_score"] >= 0.04, sel
    assert sel["optimism"] >= 0.04, sel
    # not explained by one split being easier: beyond the average candidate's difference
    assert sel["excess_optimism"] >= 0.03, sel


def test_expected_optimism_grows_with_candidates_and_shrinks_with_the_split(values):
    e = values["expected_optimism"]
    counts, sizes, opt = e["counts"], e["sizes"], np.array(e["optimism"])
    assert counts == sorted(counts) and sizes == sorted(sizes) and len(counts) >= 2 and len(sizes) >= 2
    assert (opt > 0).all(), opt
    for row in opt:  # fewer images to choose by -> more optimism
        assert all(a > b for a, b in zip(row, row[1:])), opt
    assert all(opt[-1, j] > opt[0, j] for j in range(len(sizes))), opt  # more candidates -> more optimism
    assert opt[-1, 0] - opt[0, -1] >= 0.05, opt


def test_final_test_evaluation_is_reported(values):
    t = values["final_test"]
    assert 0.5 <= t["accuracy"] <= 1.0 and t["loss"] > 0, t


def test_notebook_prints_the_numbers_the_tests_check(run):
    text = printed_text(run[1])
    v = run[0]["values"]
    es, r, n, ck, sel = v["early_stopping"], v["restore"], v["no_restore"], v["checkpoint"], v["selection"]
    for s in (
        f"stopped after epoch {es['stop_epoch']} of a budget of {es['budget']}",
        f"best epoch {es['best_epoch']}",
        f"{r['evaluated']:.6f}",
        f"{r['best_epoch_logged']:.6f}",
        f"{r['last_epoch_logged']:.6f}",
        f"{n['evaluated']:.6f}",
        f"{ck['reloaded_loss']:.6f}",
        f"{v['reference']['final_val_loss']:.3f}",
        f"{v['reference']['min_val_loss']:.3f}",
        f"optimism {sel['optimism']:+.3f}",
        f"{sel['winner_selection_score']:.3f}",
        f"{sel['winner_holdout_score']:.3f}",
        f"{sel['excess_optimism']:+.3f}",
        "checkpoints go to ",
        "same weights as the model restored by EarlyStopping: True",
    ):
        assert s in text, f"{s!r} is not printed by the notebook"
    for row in v["expected_optimism"]["optimism"]:
        for x in row:
            assert f"{x:+.3f}" in text
    for r in v["settings"]["patience"]:
        assert f"{r['best_value']:.3f}" in text


# ---- exercises: wrong answers get a helpful message ------------------------------------------


@pytest.fixture(scope="module")
def env05():
    reference = keras.callbacks.History()
    reference.history = cu.make_learning_curves("overfitting", epochs=40, seed=0)
    return {"np": np, "keras": keras, "cu": cu, "reference": reference}


def stop_right(val_losses, patience, min_delta=0.0):
    best, wait = None, 0
    for epoch, loss in enumerate(val_losses, start=1):
        wait += 1
        if best is None or loss + min_delta < best:
            best, wait = loss, 0
        elif wait >= patience:
            return epoch
    return len(val_losses)


def stop_late(val_losses, patience, min_delta=0.0):  # `wait > patience`
    best, wait = None, 0
    for epoch, loss in enumerate(val_losses, start=1):
        if best is None or loss + min_delta < best:
            best, wait = loss, 0
        else:
            wait += 1
            if wait > patience:
                return epoch
    return len(val_losses)


def stop_zero_based(val_losses, patience, min_delta=0.0):
    return stop_right(val_losses, patience, min_delta) - 1


def stop_vs_previous(val_losses, patience, min_delta=0.0):
    wait = 0
    for epoch in range(2, len(val_losses) + 1):
        if val_losses[epoch - 1] + min_delta < val_losses[epoch - 2]:
            wait = 0
        else:
            wait += 1
            if wait >= max(patience, 1):
                return epoch
    return len(val_losses)


def stop_ignores_min_delta(val_losses, patience, min_delta=0.0):
    return stop_right(val_losses, patience, 0.0)


@pytest.mark.parametrize(
    "fn,message",
    [
        (stop_right, None),
        (stop_late, "1 epoch late"),
        (stop_zero_based, "1 epoch early"),
        (stop_vs_previous, "previous epoch"),
        (stop_ignores_min_delta, "smaller than min_delta"),
        (lambda val_losses, patience, min_delta=0.0: None, "does your function `return`"),
        (..., "not a function yet"),
    ],
)
def test_q1_when_to_stop_feedback(fn, message, env05, autograders):
    tests = load_tests(LESSON, "q1_when_to_stop", autograders)
    got, text = grade(tests, {**env05, "when_to_stop": fn})
    if message is None:
        assert got == tests.possible and tests.possible > 0, text
    else:
        assert got < tests.possible and message in text, text


def callbacks_right(path, **changes):
    es = dict(
        monitor="val_accuracy",
        mode="max",
        patience=8,
        min_delta=0.005,
        start_from_epoch=5,
        restore_best_weights=True,
    )
    ck = dict(monitor="val_accuracy", mode="max", save_best_only=True)
    for k, v in changes.items():
        (ck if k.startswith("ck_") else es)[k.removeprefix("ck_")] = v
    return [keras.callbacks.EarlyStopping(**es), keras.callbacks.ModelCheckpoint(ck.pop("path", path), **ck)]


@pytest.mark.parametrize(
    "changes,message",
    [
        ({}, None),
        ({"mode": "auto", "ck_mode": "auto"}, None),  # Keras infers "max" for accuracy
        ({"monitor": "accuracy"}, "TRAINING accuracy"),
        ({"mode": "min"}, "mode='max'"),
        ({"ck_mode": "min"}, "mode='max'"),
        ({"patience": 5}, "patience=5"),
        ({"min_delta": 0.0}, "at least 0.005"),
        ({"start_from_epoch": 0}, "warm-up"),
        ({"restore_best_weights": False}, "restore_best_weights=True"),
        ({"ck_save_best_only": False}, "save_best_only=True"),
        ({"ck_path": "model.keras"}, "checkpoint_path argument"),
    ],
)
def test_q2_callbacks_feedback(changes, message, env05, autograders):
    tests = load_tests(LESSON, "q2_callbacks", autograders)
    got, text = grade(tests, {**env05, "make_callbacks": lambda path: callbacks_right(path, **changes)})
    if message is None:
        assert got == tests.possible and tests.possible > 0, text
    else:
        assert got < tests.possible and message in text, text


def test_q2_wrong_shapes_of_answer(env05, autograders):
    tests = load_tests(LESSON, "q2_callbacks", autograders)
    got, text = grade(tests, {**env05, "make_callbacks": lambda path: callbacks_right(path)[0]})
    assert got == 0 and "list of 2 callbacks" in text, text
    got, text = grade(load_tests(LESSON, "q2_callbacks", autograders), {**env05, "make_callbacks": ...})
    assert got == 0 and "not a function yet" in text, text


def test_the_l2_equivalence_is_stated_in_the_course_s_convention(run):
    """Early stopping ~ L2: 1/(eta t) is for (alpha/2)||w||^2; in Keras's and lesson 02's
    lambda * sum(w^2) it is 1/(2 eta t). The lesson gives both, with the factor."""
    markdown = "\n".join(c.source for c in run[1].cells if c.cell_type == "markdown")
    assert r"\lambda \approx 1/(2\eta t)" in markdown
    assert r"\alpha \approx 1/(\eta t)" in markdown and r"\lambda = \alpha/2" in markdown


# ---- section 4.1: TensorBoard ----------------------------------------------------------------------


def _event_values(folder, tag):
    """A tag's values, by step, read from the event files directly (not through course_utils)."""
    import tensorflow as tf

    values = {}
    for path in sorted(folder.glob("events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            for value in event.summary.value:
                if value.tag == tag:
                    values[event.step] = float(tf.make_ndarray(value.tensor))
    return [values[k] for k in sorted(values)]


def test_tensorboard_logs_what_the_history_holds(values, params):
    from _common import BUILD

    tb = values["tensorboard"]
    assert tb["same_run_as_3_2"] is True  # the callback changed nothing about the training
    assert tb["epochs_logged"] == tb["epochs_run"] == values["early_stopping"]["epochs_run"]
    assert tb["largest_gap"] < 1e-6
    assert {"epoch_loss", "epoch_accuracy"} <= set(tb["tags"]["train"]) & set(tb["tags"]["validation"])
    if params["TENSORBOARD_DIR"] is not None:
        pytest.skip("the run wrote its logs to a folder of its own choosing")
    folder = BUILD / "tensorboard" / LESSON / tb["run_folder"]
    assert folder.is_dir(), f"the run's log folder {folder} is missing: logs go under build/tensorboard"
    np.testing.assert_allclose(_event_values(folder / "train", "epoch_loss"), tb["history_loss"], rtol=1e-6)
    np.testing.assert_allclose(
        _event_values(folder / "validation", "epoch_loss"), tb["history_val_loss"], rtol=1e-6
    )


def test_early_stopping_beats_the_whole_budget_over_seeds(values, params):
    """Section 3.5, recomputed from the per-seed values: on the seeds the close-call rule asks
    for, the restored model's validation loss is lower and its accuracy higher, beyond 2 SE."""
    compared = values["early_stopping_over_seeds"]
    for label, (mean, se) in recomputed_comparisons(compared, params).items():
        # A is early stopping: a lower loss, a higher accuracy
        assert (mean < -2 * se) if label.startswith("val loss") else (mean > 2 * se), (label, mean, se)
    loss = compared["val loss: A=early stopping B=whole budget"]
    assert loss["a"][0] == pytest.approx(
        values["restore"]["evaluated"], abs=1e-5
    )  # the first seed is section 3
    assert loss["b"][0] == pytest.approx(values["reference"]["final_val_loss"])
    stops = values["stops_over_seeds"]
    assert len(stops) == len(loss["a"]) and all(s["stop_epoch"] is not None for s in stops.values()), stops
    assert all(s["stop_epoch"] - s["best_epoch"] == params["PATIENCE"] for s in stops.values()), stops


def test_a_binary_classifier_thresholds_at_one_half_and_stops_the_same_way(values, params):
    """Section 3.6: one sigmoid unit; Keras's 'accuracy' is p > 0.5, an argmax over one column
    answers class 0 for every image; EarlyStopping restores the lowest validation loss."""
    b = values["binary"]
    assert b["output_shape"][1] == 1, b
    assert b["keras_accuracy"] == pytest.approx(b["thresholded_accuracy"], abs=1e-6), b
    assert b["argmax_accuracy"] == pytest.approx(b["even_share"]) and b["thresholded_accuracy"] >= 0.8, b
    assert b["epochs_run"] < params["EPOCHS"], b
    assert b["evaluated_loss"] == pytest.approx(b["min_logged_val_loss"], abs=1e-5), b
