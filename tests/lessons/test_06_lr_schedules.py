"""Claims of lesson 06, asserted on the numbers the executed lesson recorded and printed, and the
exercise checks' feedback on typical wrong answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import grade, load_tests, printed_text

from course_utils.results import _format_cell

LESSON = "06_lr_schedules"


# ---- 1. the noise floor -------------------------------------------------------------------------


def test_constant_rate_sgd_sits_at_the_predicted_noise_floor(values):
    toy = values["toy"]
    assert toy["constant_big"] == pytest.approx(toy["predicted_big"], rel=0.1), toy
    assert toy["constant_small"] == pytest.approx(toy["predicted_small"], rel=0.1), toy
    # the large rate is stuck at a floor far above the small rate's result
    assert toy["constant_big"] > 3 * toy["constant_small"], toy


def test_decaying_schedules_end_below_both_constant_rates_in_the_toy(values):
    toy = values["toy"]
    for name in ("step", "cosine"):
        assert toy[name] < 0.8 * min(toy["constant_big"], toy["constant_small"]), (name, toy)


# ---- 2. closed forms ----------------------------------------------------------------------------


def test_every_schedule_equals_its_closed_form(values, params):
    diffs = values["closed_form_max_abs_diff"]
    assert set(diffs) == {
        "exponential",
        "piecewise constant",
        "cosine + warm-up",
        "1cycle",
        "step (per epoch)",
    }
    for name, diff in diffs.items():
        assert diff <= 1e-6 * params["PEAK_LR"], (name, diff)  # float32 rounding only
    n_steps = math.ceil(1077 / params["BATCH_SIZE"]) * params["EPOCHS"] if params["N_TRAIN"] is None else None
    if n_steps is not None:  # every step of training and beyond was compared
        assert values["closed_form_points"]["steps"] == n_steps + 51


# ---- 3. range test ------------------------------------------------------------------------------


def test_range_test_covers_the_three_regimes_and_picks_a_sane_rate(values):
    rt = values["range_test"]
    # the loss fell clearly from its start, then exploded (the test stopped early)
    assert rt["min_smoothed_loss"] < 0.5 * rt["first_loss"], rt
    assert rt["stopped_early"], rt
    # Adam on this MLP: a sensible constant rate lies between 1e-4 and 1e-2
    assert 1e-4 <= rt["suggestion"] <= 1e-2, rt
    assert rt["suggestion"] < rt["lr_at_min_loss"], rt
    # "both rules land in the same region": within a factor of 10 of each other
    assert 0.1 <= rt["suggestion"] / rt["min_over_10"] <= 10, rt


def _mean_and_se(a, b):
    """Mean of the paired differences a - b over seeds and its standard error, recomputed here."""
    d = np.subtract(a, b)
    return float(d.mean()), float(d.std(ddof=1) / np.sqrt(len(d)))


def _range_check(values, params, name, metric):
    seeds = range(params["SEED"], params["SEED"] + params["RANGE_CHECK_SEEDS"])
    return [values["range_check"][f"{name}, seed {seed}"][metric] for seed in seeds]


@pytest.mark.parametrize("other", ["too small (/100)", "too large"])
def test_suggested_rate_trains_far_better_than_too_small_and_too_large_over_seeds(values, params, other):
    assert params["RANGE_CHECK_SEEDS"] >= 3
    good, bad = (
        _range_check(values, params, "suggested", "train_loss"),
        _range_check(values, params, other, "train_loss"),
    )
    # the notebook compared exactly the numbers its table shows
    recorded = values["range_check_over_seeds"][other]
    assert recorded["a"] == pytest.approx(good) and recorded["b"] == pytest.approx(bad), recorded
    diff, se = _mean_and_se(good, bad)
    # lower beyond 2 SE; beyond 3 SE, too: no close call, so 3 seeds are enough
    assert diff < 0 and abs(diff) > 3 * se, (diff, se)
    assert np.mean(bad) >= 2 * np.mean(good), (good, bad)  # "at least 2 x below on average"
    assert all(g < b for g, b in zip(good, bad)), (good, bad)  # "and a lower one on every seed"
    # and it generalizes better, too (validation accuracy, mean over the same seeds)
    acc = np.mean(_range_check(values, params, "suggested", "val_accuracy"))
    assert acc > np.mean(_range_check(values, params, other, "val_accuracy")), values["range_check"]


# ---- 4. schedules vs constant rates -----------------------------------------------------------


def _paired(values, name, metric):
    """(difference of the means, its standard error) of `name` minus the tuned constant rate,
    recomputed here from the per-seed numbers the lesson recorded."""
    comparison = values["over_seeds"][f"{name}, {metric}"]
    d = np.subtract(comparison["a"], comparison["b"])
    return float(d.mean()), float(d.std(ddof=1) / np.sqrt(len(d))), len(d)


def _train_losses(values, params, name):
    """The per-seed training losses of one policy, from the per-seed table the lesson printed."""
    seeds = range(params["SEED"], params["SEED"] + params["COMPARISON_SEEDS"])
    return [values["per_seed_train_loss"][f"seed {seed}"][name] for seed in seeds]


def test_the_comparison_is_over_several_seeds_against_a_tuned_constant_rate(values, params):
    assert params["COMPARISON_SEEDS"] >= 5
    c = values["comparison"]
    assert set(c) == {"constant large", "constant tuned", "step decay", "cosine + warm-up", "1cycle"}
    assert len(values["per_seed_train_loss"]) == params["COMPARISON_SEEDS"]
    for name in c:  # the per-seed table's first row is the seed-SEED run of the first table
        assert _train_losses(values, params, name)[0] == pytest.approx(c[name]["train_loss"]), name
    for key, comparison in values["over_seeds"].items():
        assert len(comparison["a"]) == len(comparison["b"]) == params["COMPARISON_SEEDS"], key
        assert comparison["b"][0] == pytest.approx(c["constant tuned"][key.split(", ")[1]]), key
        if key.endswith(", train_loss"):
            name = key.split(", ")[0]
            assert comparison["a"] == pytest.approx(_train_losses(values, params, name)), key
            assert comparison["b"] == pytest.approx(_train_losses(values, params, "constant tuned")), key


def test_cosine_reaches_a_lower_training_loss_than_the_tuned_constant_rate_beyond_2_se(values):
    diff, se, n = _paired(values, "cosine + warm-up", "train_loss")
    assert diff < 0 and abs(diff) > 2 * se, (diff, se, n)


def test_cosine_edge_on_validation_accuracy_is_small(values):
    diff, se, _ = _paired(values, "cosine + warm-up", "val_accuracy")
    assert diff < 0.015, (diff, se)


def test_1cycle_is_not_measurably_better_than_the_tuned_constant_rate(values):
    diff, se, _ = _paired(values, "1cycle", "train_loss")
    assert not (diff < 0 and abs(diff) > 2 * se), (diff, se)


def test_the_large_constant_rate_ends_above_the_tuned_one_beyond_2_se(values):
    diff, se, _ = _paired(values, "constant large", "train_loss")
    assert diff > 2 * se, (diff, se)


def test_step_decay_ends_below_the_large_constant_rate_beyond_2_se(values, params):
    step, large = _train_losses(values, params, "step decay"), _train_losses(values, params, "constant large")
    recorded = values["step_decay_over_seeds"]["constant large"]
    assert recorded["a"] == pytest.approx(step) and recorded["b"] == pytest.approx(large), recorded
    diff, se = _mean_and_se(step, large)
    assert diff < 0 and abs(diff) > 2 * se, (diff, se)


def test_step_decay_is_not_measurably_better_than_the_tuned_constant_rate(values, params):
    step, tuned = _train_losses(values, params, "step decay"), _train_losses(values, params, "constant tuned")
    recorded = values["step_decay_over_seeds"]["constant tuned"]
    assert recorded["a"] == pytest.approx(step) and recorded["b"] == pytest.approx(tuned), recorded
    diff, se = _mean_and_se(step, tuned)
    assert not (diff < 0 and abs(diff) > 2 * se), (diff, se)


def test_the_notebook_computed_the_same_verdicts(run):
    claims = {c["id"]: c for c in run[0]["claims"]}
    assert set(claims) == {
        "stateful_scheduler_compounds",
        "cosine_lower_training_loss",
        "cosine_validation_edge_is_small",
        "1cycle_no_better_than_tuned",
        "large_constant_worse",
        "range_pick_beats_smaller_rate",
        "range_pick_beats_larger_rate",
        "step_decay_below_large_constant",
        "step_decay_no_better_than_tuned",
        "plateau_below_large_constant",
        "rate_logger_reads_the_schedule",
    }
    assert all(c["holds"] for c in claims.values()), claims


def test_peak_rate_is_above_the_range_tests_minimum(values, params):
    # the prose calls PEAK_LR "above the rate where the range test's loss bottomed out"
    assert params["PEAK_LR"] > values["range_test"]["lr_at_min_loss"]


# ---- logged rates -------------------------------------------------------------------------------


def test_logged_rate_is_the_prescribed_one(values, params):
    lg = values["logged"]
    steps_per_epoch = math.ceil(1077 / params["BATCH_SIZE"]) if params["N_TRAIN"] is None else None
    if steps_per_epoch is not None:
        assert lg["cosine_batches"] == steps_per_epoch * params["EPOCHS"]
        assert lg["cosine_steps_first_last"] == [0, steps_per_epoch * params["EPOCHS"] - 1]
    assert lg["cosine_max_abs_diff"] <= 1e-7, lg["cosine_max_abs_diff"]
    assert lg["cosine_peak_logged"] == pytest.approx(params["PEAK_LR"], rel=1e-3)
    assert lg["step_epochs"] == params["EPOCHS"]
    assert lg["step_max_abs_diff"] <= 1e-8
    # independent of the notebook: the step rule from the parameters
    expected = [
        params["PEAK_LR"] * params["STEP_FACTOR"] ** (e // params["STEP_EVERY"])
        for e in range(params["EPOCHS"])
    ]
    np.testing.assert_allclose(lg["step_logged"], expected, rtol=1e-6)


# ---- 5. ReduceLROnPlateau -----------------------------------------------------------------------


def test_reduce_on_plateau_cuts_the_rate_after_a_plateau(values, params):
    p = values["plateau"]
    rates, val_loss, drops = np.array(p["rates"]), np.array(p["val_loss_per_epoch"]), p["drop_epochs"]
    patience, factor = params["PLATEAU_PATIENCE"], params["PLATEAU_FACTOR"]
    assert len(drops) >= 2, p
    assert drops == [e for e in range(1, len(rates)) if rates[e] < rates[e - 1]]
    for e in drops:
        # cut by `factor`
        assert rates[e] == pytest.approx(rates[e - 1] * factor, rel=1e-5)
        # the `patience` epochs before the cut did not beat the best value before them
        best_before = val_loss[: e - patience].min()
        assert (val_loss[e - patience : e] > best_before - p["min_delta"]).all(), (e, val_loss)
    # and the rate never changes elsewhere
    assert all(rates[e] == rates[e - 1] for e in range(1, len(rates)) if e not in drops)


def test_reduce_on_plateau_ends_below_the_constant_large_rate_over_seeds_beyond_2_se(values, params):
    table = values["plateau_per_seed"]
    seeds = range(params["SEED"], params["SEED"] + params["COMPARISON_SEEDS"])
    plateau = [table[f"seed {seed}"]["ReduceLROnPlateau"] for seed in seeds]
    large = [table[f"seed {seed}"]["constant large"] for seed in seeds]
    # the first row is section 5's run; the constant runs are section 4's, paired by seed
    assert plateau[0] == pytest.approx(values["plateau"]["train_loss"])
    assert table[f"seed {params['SEED']}"]["rate cuts"] == len(values["plateau"]["drop_epochs"])
    assert large == pytest.approx(_train_losses(values, params, "constant large"))
    recorded = values["plateau_over_seeds"]
    assert recorded["a"] == pytest.approx(plateau) and recorded["b"] == pytest.approx(large), recorded
    diff, se = _mean_and_se(plateau, large)
    assert diff < 0 and abs(diff) > 2 * se, (diff, se)


# ---- printed numbers ----------------------------------------------------------------------------


def test_notebook_prints_the_numbers_the_tests_check(run):
    text = printed_text(run[1])
    v = run[0]["values"]
    expected = [
        f"{v['toy']['constant_big']:.4f}",
        f"{v['toy']['predicted_big']:.4f}",
        f"{v['toy']['cosine']:.4f}",
        f"{v['range_test']['suggestion']:.2e}",
        f"{v['range_test']['lr_at_min_loss']:.2e}",
        f"{v['logged']['cosine_max_abs_diff']:.1e}",
        f"rate cut at the end of epoch(s) {v['plateau']['drop_epochs']}",
    ]
    expected += [f"{d:.1e}" for d in v["closed_form_max_abs_diff"].values()]
    expected += [_format_cell(r["train_loss"]) for r in v["comparison"].values()]
    for table in ("range_check", "per_seed_train_loss", "plateau_per_seed"):
        expected += [_format_cell(x) for row in v[table].values() for x in row.values()]
    expected += [_format_cell(c["difference"]) for c in v["over_seeds"].values()]
    expected += [c["statement"] for c in run[0]["claims"]] + [c["evidence"] for c in run[0]["claims"]]
    for number in expected:
        assert number in text, f"{number!r} is not printed by the notebook"


# ---- exercise feedback --------------------------------------------------------------------------


def step_right(epoch, initial_rate=0.1, factor=0.5, every=10):
    return initial_rate * factor ** (epoch // every)


@pytest.mark.parametrize(
    "fn,message",
    [
        (
            lambda epoch, initial_rate=0.1, factor=0.5, every=10: (
                initial_rate * factor ** (max(epoch - 1, 0) // every)
            ),
            "one epoch too late",
        ),
        (
            lambda epoch, initial_rate=0.1, factor=0.5, every=10: (
                initial_rate * factor ** ((epoch + 1) // every)
            ),
            "one epoch too early",
        ),
        (
            lambda epoch, initial_rate=0.1, factor=0.5, every=10: initial_rate * factor ** (epoch / every),
            "constant within a block",
        ),
        (
            lambda epoch, initial_rate=0.1, factor=0.5, every=10: 0.1 * 0.5 ** (epoch // 10),
            "Use the arguments",
        ),
        (lambda epoch, initial_rate=0.1, factor=0.5, every=10: None, "does your function `return`"),
        (lambda epoch: 0.1 * 0.5 ** (epoch // 10), "unexpected keyword argument"),
        (..., "not a function yet"),
    ],
)
def test_q1_step_decay_feedback(fn, message, autograders):
    tests = load_tests(LESSON, "q1_step_decay", autograders)
    got, text = grade(tests, {"np": np, "step_decay": fn})
    assert got < tests.possible and message in text, text
    right, _ = grade(load_tests(LESSON, "q1_step_decay", autograders), {"np": np, "step_decay": step_right})
    assert right == tests.possible


def cosine_right(step, peak=0.01, warmup_steps=100, decay_steps=900):
    if step < warmup_steps:
        return peak * step / warmup_steps
    return peak * 0.5 * (1 + np.cos(np.pi * min(step - warmup_steps, decay_steps) / decay_steps))


@pytest.mark.parametrize(
    "fn,message",
    [
        # no warm-up
        (
            lambda step, peak=0.01, warmup_steps=100, decay_steps=900: (
                peak * 0.5 * (1 + np.cos(np.pi * min(step, decay_steps) / decay_steps))
            ),
            "During the warm-up",
        ),
        # cosine measured from step 0 instead of from the end of the warm-up
        (
            lambda step, peak=0.01, warmup_steps=100, decay_steps=900: (
                peak * step / warmup_steps
                if step < warmup_steps
                else peak * 0.5 * (1 + np.cos(np.pi * step / decay_steps))
            ),
            "starts at the END of the warm-up",
        ),
        # pi forgotten
        (
            lambda step, peak=0.01, warmup_steps=100, decay_steps=900: (
                peak * step / warmup_steps
                if step < warmup_steps
                else peak * 0.5 * (1 + np.cos((step - warmup_steps) / decay_steps))
            ),
            "Multiply by pi",
        ),
        # not clipped after the end: the cosine rises again
        (
            lambda step, peak=0.01, warmup_steps=100, decay_steps=900: (
                peak * step / warmup_steps
                if step < warmup_steps
                else peak * 0.5 * (1 + np.cos(np.pi * (step - warmup_steps) / decay_steps))
            ),
            "stay at its end value",
        ),
        # hard-coded defaults
        (lambda step, peak=0.01, warmup_steps=100, decay_steps=900: cosine_right(step), "Use the arguments"),
        (lambda step, peak=0.01, warmup_steps=100, decay_steps=900: f"{cosine_right(step)}", "not the text"),
    ],
)
def test_q2_warmup_cosine_feedback(fn, message, autograders):
    tests = load_tests(LESSON, "q2_warmup_cosine", autograders)
    got, text = grade(tests, {"np": np, "warmup_cosine": fn})
    assert got < tests.possible and message in text, text
    right, _ = grade(
        load_tests(LESSON, "q2_warmup_cosine", autograders), {"np": np, "warmup_cosine": cosine_right}
    )
    assert right == tests.possible


def test_the_stateful_scheduler_form_compounds_across_fit_calls(values):
    s = values["stateful_scheduler"]
    peak = s["peak"]
    assert s["stateful"] == pytest.approx([peak * 0.95**5, peak * 0.95**10], rel=1e-5), s
    assert s["of_epoch"] == pytest.approx([peak * 0.95**5, peak * 0.95**5], rel=1e-5), s


def test_the_lessons_own_rate_logger_reads_what_cu_learning_rate_logger_reads(values):
    """The RateLogger class shown in section 4, run in a plain model.fit, logs the cosine run's
    rates step for step as cu.LearningRateLogger did inside cu.train."""
    check = values["rate_logger_check"]
    assert len(check["own"]) > 1 and check["own_steps"] == check["cu_steps"], check
    assert np.allclose(check["own"], check["cu"], rtol=1e-6), check
    assert check["own"][-1] > check["own"][0], check  # the warm-up: the rate moves within the epoch
