"""Claims of lesson 03 (dropout), asserted on the numbers the executed lesson recorded and
printed; and the exercise checks, which must fail typical wrong answers with a helpful message."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_claims_recorded_and_hold, grade, load_tests, printed_text, recomputed_comparisons

from course_utils.results import _format_cell

LESSON = "03_dropout"


# ---- section 1-2: the mechanism -----------------------------------------------------------------


def test_scratch_dropout_zeroes_about_rate_and_keeps_the_mean(values):
    assert len(values["scratch"]) >= 3
    for rate, s in values["scratch"].items():
        rate = float(rate)
        # within four binomial standard errors of the rate (SE ~ 0.001 for 256,000 units)
        assert s["zeroed_se"] < 0.002
        assert abs(s["zeroed"] - rate) <= 4 * s["zeroed_se"], (rate, s)
        assert s["mean_se"] < 0.01
        assert abs(s["mean_ratio"] - 1.0) <= 4 * s["mean_se"], (rate, s)
        # without the 1/(1-p) factor the mean shrinks to 1-p of its value
        assert abs(s["unscaled_ratio"] - (1 - rate)) <= 0.01, (rate, s)


def test_keras_dropout_agrees_with_the_numpy_version(values, params):
    rate = params["DROPOUT_RATE"]
    ours = values["scratch"][str(float(rate))]
    k = values["keras_dropout"]
    assert abs(k["zeroed"] - ours["zeroed"]) <= 4 * k["zeroed_diff_se"], (k, ours)
    assert abs(k["zeroed"] - rate) <= 4 * ours["zeroed_se"], k
    assert abs(k["mean_ratio"] - 1.0) <= 4 * ours["mean_se"], (k, ours)
    assert k["survivor_error"] <= 1e-5, k


def test_layer_is_deterministic_only_in_inference_mode(values, params):
    m = values["layer_modes"]
    assert m["inference_identical"] is True and m["inference_is_identity"] is True
    assert m["training_identical"] is False
    p = params["DROPOUT_RATE"]
    q = 2 * p * (1 - p)
    se = (q * (1 - q) / 256_000) ** 0.5
    assert abs(m["training_mask_disagreement"] - q) <= 4 * se, m


# ---- section 3: the gap -------------------------------------------------------------------------

VAL_SE = (0.85 * 0.15 / 360) ** 0.5  # the notebook's printed standard error (0.019)


def test_baseline_memorizes_the_flipped_labels(values, params):
    base = values["gap_comparison"]["baseline"]
    assert base["train_accuracy"] >= 0.98 > 1 - params["LABEL_NOISE"]
    assert base["memorized"] >= 0.9, base
    assert base["gap"] >= 0.15, base


def test_the_pair_is_compared_on_the_seeds_the_close_call_rule_asks_for(values, params):
    compared = values["over_seeds"]
    recomputed_comparisons(compared, params)  # the seeds the close-call rule asks for, and the stats
    # the first seed is the pair of the table above
    first = values["gap_comparison"]
    for key, name in (("gap", "gap"), ("val_accuracy", "val acc"), ("memorized", "memorized")):
        c = compared[f"{name}: A=dropout B=baseline"]
        assert (c["a"][0], c["b"][0]) == (first["dropout"][key], first["baseline"][key]), (key, c)


def test_dropout_narrows_the_gap_and_raises_validation_accuracy_over_seeds(values, params):
    compared = values["over_seeds"]
    recomputed = recomputed_comparisons(compared, params)
    gap, gap_se = recomputed["gap: A=dropout B=baseline"]
    assert gap < -2 * gap_se and gap <= -0.1, (gap, gap_se)  # "the gap shrinks"
    val, val_se = recomputed["val acc: A=dropout B=baseline"]
    assert val > 2 * val_se, (val, val_se)
    mem, mem_se = recomputed["memorized: A=dropout B=baseline"]
    assert mem < -2 * mem_se, (mem, mem_se)
    c = compared["gap: A=dropout B=baseline"]
    assert all(a < b for a, b in zip(c["a"], c["b"])), c  # on every seed
    c = compared["memorized: A=dropout B=baseline"]
    assert all(a < b for a, b in zip(c["a"], c["b"])), c  # fewer flipped labels reproduced on every seed


def test_logged_training_accuracy_understates_the_fit_with_dropout(values):
    sweep = values["sweep"]
    for rate, logged, real in zip(sweep["rates"], sweep["logged_train_accuracy"], sweep["train_accuracy"]):
        if rate >= 0.5:
            assert logged < real, (rate, logged, real)


# ---- section 4: the sweep -----------------------------------------------------------------------


def test_sweep_peaks_at_an_intermediate_rate(values, params):
    sweep = values["sweep"]
    rates, val, train, gap = sweep["rates"], sweep["val_accuracy"], sweep["train_accuracy"], sweep["gap"]
    assert rates == sorted(params["RATES"]) and rates[0] == 0.0
    peak = sweep["peak_rate"]
    assert peak == rates[int(np.argmax(val))]
    assert 0.0 < peak < rates[-1], sweep
    assert max(val) >= val[0] + 2 * VAL_SE, sweep
    assert val[-1] <= max(val) - 2 * VAL_SE, sweep
    # left: memorizes (training accuracy near 1, above the noise ceiling); right: underfits
    assert train[0] >= 0.98
    assert train[-1] < 1 - params["LABEL_NOISE"] - 0.1, sweep
    assert val[-1] < val[0], sweep
    # "at the largest rate the gap is much smaller than the baseline's, yet that model is the worst"
    assert gap[-1] <= gap[0] - 0.1 and val[-1] == min(val), sweep


def test_the_sweep_holds_over_seeds(values, params):
    """The first seed's peak rate beats no dropout and the largest rate on validation accuracy,
    and the largest rate's gap is smaller than no dropout's, beyond 2 SE over the seeds; the
    first seed is the sweep's."""
    sweep = values["sweep"]
    peak, top = sweep["peak_rate"], sweep["rates"][-1]
    compared = values["sweep_over_seeds"]
    recomputed = recomputed_comparisons(compared, params)
    labels = (
        f"val acc: A=rate {peak:g} B=no dropout",
        f"val acc: A=rate {peak:g} B=rate {top:g}",
        f"gap: A=rate {top:g} B=no dropout",
    )
    assert set(compared) == set(labels), list(compared)
    for label, sign in zip(labels, (1, 1, -1)):
        mean, se = recomputed[label]
        assert sign * mean > 2 * se, (label, mean, se)
    by_rate = dict(zip(sweep["rates"], zip(sweep["val_accuracy"], sweep["gap"])))
    assert compared[labels[0]]["a"][0] == by_rate[peak][0] and compared[labels[0]]["b"][0] == by_rate[0.0][0]
    assert compared[labels[1]]["b"][0] == by_rate[top][0]
    assert compared[labels[2]]["a"][0] == by_rate[top][1] and compared[labels[2]]["b"][0] == by_rate[0.0][1]
    # "on the default data the two best rates differ by less than one seed's noise"
    second, best = sorted(sweep["val_accuracy"])[-2:]
    assert best - second < 2 * VAL_SE, sweep


# ---- section 5: determinism and MC dropout ------------------------------------------------------


def test_trained_model_is_deterministic_only_in_inference_mode(values):
    d = values["model_determinism"]
    assert d["inference_max_abs_diff"] == 0.0, d
    assert d["training_max_abs_diff"] >= 0.1, d
    assert d["training_class_changes"] >= 0.05, d


def test_mc_dropout_is_more_uncertain_out_of_distribution(values):
    sets = values["mc_dropout"]["sets"]
    ref = sets["validation digits"]
    for name in ("inverted digits", "uniform noise"):
        ood = sets[name]
        assert ood["spread"] >= 1.15 * ref["spread"], (name, ood, ref)
        # "about two to three times the mutual information"
        assert 1.8 <= ood["mi"] / ref["mi"] <= 4.0, (name, ood, ref)
        # the plain softmax confidence stays far above a uniform guess (0.1)
        assert ood["confidence"] >= 0.35, (name, ood)


# ---- section 6: spatial dropout -----------------------------------------------------------------


def test_spatial_dropout_drops_whole_channels(values, params):
    sp = values["spatial_pattern"]
    assert sp["neighbour_correlation"] >= 0.5, sp
    assert sp["SpatialDropout2D"]["whole_channel"] == 1.0, sp
    dropped = sp["SpatialDropout2D"]["dropped_channels"]
    assert abs(dropped - params["SPATIAL_RATE"]) <= 4 * sp["channel_se"], sp
    # standard dropout leaves (almost) every channel partly zeroed
    assert sp["Dropout"]["whole_channel"] <= 0.05, sp


def test_spatial_dropout_makes_the_cnn_robust_to_losing_feature_maps(values):
    plain, spatial = values["cnn"].values()
    assert plain["lost to the knockout"] >= 0.15, plain
    assert spatial["lost to the knockout"] <= 0.5 * plain["lost to the knockout"], (plain, spatial)
    for row in (plain, spatial):
        assert row["lost to the knockout"] == pytest.approx(row["val acc"] - row["val acc, 30 % gone"])


def test_spatial_dropout_over_seeds(values, params):
    """Over the seeds: the spatial-dropout CNN (A) loses less to the knockout and fits its
    training set less well than the plain CNN (B), beyond 2 SE; it does not beat it on validation
    accuracy ("does not buy validation accuracy"). The first seed is the table's pair."""
    compared = values["cnn_over_seeds"]
    recomputed = recomputed_comparisons(compared, params)
    lost, lost_se = recomputed["lost to the knockout: A=spatial B=plain"]
    assert lost < -2 * lost_se, (lost, lost_se)
    train, train_se = recomputed["train acc: A=spatial B=plain"]
    assert train < -2 * train_se, (train, train_se)
    val, val_se = recomputed["val acc: A=spatial B=plain"]
    assert not val > 2 * val_se, (val, val_se)
    plain, spatial = values["cnn"].values()
    for key in ("lost to the knockout", "train acc", "val acc"):
        c = compared[f"{key}: A=spatial B=plain"]
        assert (c["a"][0], c["b"][0]) == (spatial[key], plain[key]), (key, c)


# ---- what the learner sees ------------------------------------------------------------------------


def test_notebook_prints_the_numbers_the_tests_check(run):
    text = printed_text(run[1])
    v = run[0]["values"]
    numbers = []
    for s in v["scratch"].values():
        numbers += [f"{s['zeroed']:.4f}", f"{s['mean_ratio']:.4f}", f"{s['unscaled_ratio']:.4f}"]
    numbers += [
        f"{v['keras_dropout']['zeroed']:.4f}",
        f"{v['layer_modes']['training_mask_disagreement']:.3f}",
    ]
    for r in v["gap_comparison"].values():
        numbers += [
            _format_cell(r[k]) for k in ("train_accuracy", "logged_train_accuracy", "val_accuracy", "gap")
        ]
        numbers.append(_format_cell(r["memorized"]))
    sweep = v["sweep"]
    numbers += [f"{a:.3f}" for a in sweep["val_accuracy"]] + [f"peaks at rate {sweep['peak_rate']:g}"]
    ref = v["mc_dropout"]["sets"]["validation digits"]
    for s in v["mc_dropout"]["sets"].values():
        numbers += [f"{s['spread']:.3f}", f"{s['mi']:.3f}", f"{s['confidence']:.3f}"]
        if s is not ref:
            numbers += [f"{s['spread'] / ref['spread']:.2f}x", f"{s['mi'] / ref['mi']:.2f}x"]
    sp = v["spatial_pattern"]
    numbers += [f"{sp['neighbour_correlation']:.2f}", f"{sp['SpatialDropout2D']['dropped_channels']:.3f}"]
    for c in v["cnn"].values():
        numbers += [f"{c['val acc, 30 % gone']:.4f}", f"{c['lost to the knockout']:.4f}"]
    missing = [n for n in numbers if n not in text]
    assert not missing, f"not printed by the notebook: {missing}"


# ---- exercises: wrong answers fail with a message that says what is wrong -----------------------


@pytest.fixture(scope="module")
def env03():
    rng = np.random.default_rng(5)
    fmap = np.maximum(rng.normal(0.2, 1.0, size=(40, 8, 8, 16)), 0.0).astype("float32")
    sweep_table = {
        0.0: {"train_accuracy": 1.0, "val_accuracy": 0.775, "gap": 0.225},
        0.3: {"train_accuracy": 0.98, "val_accuracy": 0.825, "gap": 0.155},
        0.5: {"train_accuracy": 0.893, "val_accuracy": 0.85, "gap": 0.043},
        0.7: {"train_accuracy": 0.787, "val_accuracy": 0.867, "gap": -0.08},
        0.9: {"train_accuracy": 0.54, "val_accuracy": 0.472, "gap": 0.068},
    }
    return {"np": np, "fmap": fmap, "SPATIAL_RATE": 0.3, "sweep_table": sweep_table}


def spatial_right(x, rate, rng):
    keep = rng.random((x.shape[0], 1, 1, x.shape[-1])) >= rate
    return np.where(keep, x / (1.0 - rate), 0.0)


def per_pixel(x, rate, rng):  # ordinary dropout: not whole channels
    return np.where(rng.random(x.shape) >= rate, x / (1.0 - rate), 0.0)


def unscaled(x, rate, rng):
    return x * (rng.random((x.shape[0], 1, 1, x.shape[-1])) >= rate)


def multiplied(x, rate, rng):
    return x * (rng.random((x.shape[0], 1, 1, x.shape[-1])) >= rate) * (1 - rate)


def keep_probability(x, rate, rng):  # rate used as the probability of keeping
    return x * (rng.random((x.shape[0], 1, 1, x.shape[-1])) < rate) / (1 - rate)


def shared_mask(x, rate, rng):  # the same channels dropped in every image
    return x * (rng.random((1, 1, 1, x.shape[-1])) >= rate) / (1 - rate)


def global_rng(x, rate, rng):  # ignores the rng argument
    return x * (np.random.random((x.shape[0], 1, 1, x.shape[-1])) >= rate) / (1 - rate)


@pytest.mark.parametrize(
    "fn,message",
    [
        (spatial_right, None),
        (per_pixel, "whole channels"),
        (unscaled, "forgot to scale the kept channels by 1/(1 - rate): the mean dropped to 0.70"),
        (multiplied, "divide by 1 - rate"),
        (keep_probability, "KEEPING"),
        (shared_mask, "every image has the same channels dropped"),
        (global_rng, "`rng` argument"),
        (lambda x, rate, rng: None, "return"),
        (lambda x, rate, rng: x[:, :, :, 0], "shape"),
        (..., "not a function yet"),
    ],
)
def test_q1_spatial_dropout_feedback(fn, message, env03, autograders):
    tests = load_tests(LESSON, "q1_spatial_dropout", autograders)
    got, text = grade(tests, {**env03, "spatial_dropout": fn})
    if message is None:
        assert got == tests.possible and tests.possible > 0, text
    else:
        assert got < tests.possible, text
        assert message in text, text


def best_right(table):
    return max(table, key=lambda r: table[r]["val_accuracy"])


@pytest.mark.parametrize(
    "fn,message",
    [
        (best_right, None),
        (lambda t: min(t, key=lambda r: t[r]["gap"]), "smallest gap"),
        (lambda t: max(t, key=lambda r: t[r]["train_accuracy"]), "highest training accuracy"),
        (lambda t: max(v["val_accuracy"] for v in t.values()), "validation ACCURACY"),
        (lambda t: int(np.argmax([v["val_accuracy"] for v in t.values()])), "POSITION"),
        (lambda t: str(best_right(t)), "not the text"),
        (..., "not a function yet"),
    ],
)
def test_q2_best_rate_feedback(fn, message, env03, autograders):
    tests = load_tests(LESSON, "q2_best_rate", autograders)
    got, text = grade(tests, {**env03, "best_rate": fn})
    if message is None:
        assert got == tests.possible and tests.possible > 0, text
    else:
        assert got < tests.possible, text
        assert message in text, text


# ---- every claim the lesson prints ----------------------------------------------------------------

CLAIMS = {
    "dropout_narrows_the_gap",
    "dropout_memorizes_fewer_flipped_labels",
    "dropout_raises_validation_accuracy",
    "an_intermediate_rate_beats_no_dropout",
    "the_smallest_gap_is_not_the_best_model",
    "mc_spread_larger_out_of_distribution",
    "softmax_confidence_stays_high",
    "spatial_dropout_survives_losing_channels",
    "spatial_dropout_lowers_training_accuracy",
    "spatial_dropout_buys_no_validation_accuracy_here",
}


def test_every_claim_is_recorded_and_holds(run):
    assert_claims_recorded_and_hold(run, CLAIMS)
