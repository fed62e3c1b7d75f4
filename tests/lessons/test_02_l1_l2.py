"""Claims of lesson 02, asserted on the numbers the executed lesson recorded and printed; and the
feedback of its exercise checks on typical wrong answers."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from conftest import assert_claims_recorded_and_hold, grade, load_tests, printed_text

import course_utils as cu
from course_utils.results import _format_cell

LESSON = "02_l1_l2"
REGULARIZED = ("L2", "L1", "elastic net", "AdamW")
CLAIMS = {
    "l1_sparse",
    "l2_under_adam_also_sparsifies",
    "adamw_weights_bounded_by_one_over_wd",
    "l2_sparsity_comes_from_adam",
    "regularizers_narrow_the_gap",
    "regularizers_refuse_the_flipped_labels",
    "validation_not_lower",
}


def _paired(values, name):
    """(difference, standard error) of `name`'s validation accuracy minus the baseline's,
    recomputed here from the per-image correctness the lesson recorded."""
    correct = values["val_correct"]
    d = np.subtract(correct[name], correct["baseline"]).astype(float)
    return float(d.mean()), float(d.std(ddof=1) / np.sqrt(d.size))


# ---- the penalty Keras adds is the hand-computed one -----------------------------------------


@pytest.mark.parametrize("key", ["penalty_at_init/L2", "penalty_check/L2", "penalty_check/L1"])
def test_keras_penalty_equals_the_numpy_computation(values, key):
    check = values[key]
    assert check["numpy"] > 0
    assert check["keras"] == pytest.approx(check["numpy"], rel=1e-5), check


def test_reported_loss_is_data_loss_plus_penalty(values):
    d = values["loss_decomposition"]
    assert d["penalty"] > 0.05 * d["keras_loss"], "the penalty should be a visible part of the loss"
    assert d["keras_loss"] == pytest.approx(d["cross_entropy"] + d["penalty"], rel=1e-4), d


def test_sgd_step_on_the_l2_penalty_is_a_decay_factor(values):
    s = values["sgd_step"]
    w0 = np.asarray(s["w_start"], dtype=np.float64)
    factor = 1 - 2 * s["eta"] * s["lambda"]
    np.testing.assert_allclose(s["after"], factor * w0, rtol=1e-6)
    assert factor < 1


def test_adam_moves_every_weight_by_about_eta_while_adamw_shrinks_proportionally(values):
    s = values["one_step"]
    w0 = np.asarray(s["w_start"], dtype=np.float64)
    eta, wd = s["learning_rate"], s["weight_decay"]
    moved = np.abs(w0 - np.asarray(s["adam_l2"]))
    # the same step of about eta for a weight of 2.0 and one of 0.001 (Keras's epsilon trims the smallest)
    assert np.all(moved <= 1.0001 * eta) and np.all(moved >= 0.9 * eta), moved
    np.testing.assert_allclose(s["adamw"], (1 - eta * wd) * w0, rtol=1e-6)


# ---- L2 shrinks, L1 sparsifies ---------------------------------------------------------------


def test_l2_shrinks_the_weight_norm(values):
    base, l2 = values["run/baseline"], values["run/L2"]
    assert l2["norm"] <= 0.6 * base["norm"], (l2["norm"], base["norm"])


def test_l1_makes_a_large_share_of_weights_near_zero_where_the_baseline_has_almost_none(values, params):
    assert params["ZERO_THRESHOLD"] == 1e-3
    base, l1, l2 = values["run/baseline"], values["run/L1"], values["run/L2"]
    assert base["near_zero"] < 0.05, base
    assert l1["near_zero"] > 0.8, l1
    assert l1["near_zero"] > l2["near_zero"] + 0.2, (l1["near_zero"], l2["near_zero"])


def test_l2_under_adam_also_leaves_many_weights_near_zero(values):
    """The null result the lesson teaches: under Adam, L2 is not 'small but not zero'."""
    base, l1, l2 = values["run/baseline"], values["run/L1"], values["run/L2"]
    assert l2["near_zero"] > 10 * base["near_zero"], (l2["near_zero"], base["near_zero"])
    assert l2["near_zero"] < l1["near_zero"]


def test_the_sgd_control_shrinks_as_much_without_the_sparsity(values, params):
    base, l2, sgd = values["run/baseline"], values["run/L2"], values["run/L2 (SGD)"]
    assert max(sgd["norm"], l2["norm"]) < 0.5 * base["norm"], (sgd["norm"], l2["norm"], base["norm"])
    assert sgd["near_zero"] < l2["near_zero"] / 3, (sgd["near_zero"], l2["near_zero"])
    assert sgd["penalty"] > 0  # the same L2 penalty, only the optimizer differs


def test_adamw_weights_settle_below_about_one_over_weight_decay(values, params):
    largest, wd = values["adamw_largest_decayed_weight"], params["WEIGHT_DECAY"]
    assert 0.5 / wd <= largest <= 2 / wd, (largest, wd)


def test_l1_model_ignores_some_input_pixels(values):
    p = values["pixels_used"]
    assert p["baseline"] == p["total"]
    assert p["L1"] <= p["total"] - 5, p


def test_elastic_net_is_sparse_and_small(values):
    base, en = values["run/baseline"], values["run/elastic net"]
    assert en["near_zero"] >= 0.6, en
    assert en["norm"] <= 0.6 * base["norm"]
    assert en["penalty"] > 0


# ---- max-norm --------------------------------------------------------------------------------


def test_max_norm_holds_for_every_column_of_every_constrained_kernel(values, params):
    mn = values["max_norm"]
    assert mn["bound"] == params["MAX_NORM"]
    assert mn["tolerance"] <= 1e-5
    hidden = len(params["HIDDEN_UNITS"])
    assert sorted(mn["layers"]) == [f"dense_{i + 1}" for i in range(hidden)]
    for name, layer in mn["layers"].items():
        assert layer["units"] == params["HIDDEN_UNITS"][int(name.split("_")[1]) - 1]
        assert layer["above_bound"] == 0, (name, layer)
        assert layer["largest"] <= mn["bound"] + mn["tolerance"], (name, layer)


def test_max_norm_was_active_in_the_second_layer_only(values):
    layers = values["max_norm"]["layers"]
    assert layers["dense_2"]["baseline_above_bound"] >= 0.5, layers["dense_2"]
    assert layers["dense_2"]["at_bound"] >= 0.5, layers["dense_2"]
    assert layers["dense_1"]["baseline_largest"] < values["max_norm"]["bound"], layers["dense_1"]


def test_max_norm_alone_does_not_stop_memorization_here(values):
    base, mn = values["run/baseline"], values["run/max-norm"]
    assert mn["memorized"] >= 0.8, mn
    assert abs(mn["gap"] - base["gap"]) <= 0.05, (mn["gap"], base["gap"])


# ---- the gap ---------------------------------------------------------------------------------


def test_baseline_memorizes(values):
    base = values["run/baseline"]
    assert base["train_accuracy"] >= 0.98 and base["memorized"] >= 0.9, base
    assert base["gap"] >= 0.15, base


@pytest.mark.parametrize("name", REGULARIZED)
def test_regularizers_narrow_the_gap_by_refusing_the_flipped_labels(values, name):
    base, reg = values["run/baseline"], values[f"run/{name}"]
    assert reg["gap"] < base["gap"] - 0.1, (name, reg["gap"], base["gap"])
    assert reg["train_accuracy"] < base["train_accuracy"] - 0.05, (name, reg)
    assert base["memorized"] > 0.9 and reg["memorized"] < 0.5, (name, reg, base)


def test_validation_correctness_matches_the_recorded_accuracies(values):
    for name, correct in values["val_correct"].items():
        assert set(correct) <= {0, 1}
        assert np.mean(correct) == pytest.approx(values[f"run/{name}"]["val_accuracy"], abs=1e-6), name
    assert "L2 (SGD)" not in values["comparison"]  # the control differs in its optimizer too


@pytest.mark.parametrize("name", REGULARIZED)
def test_the_single_seed_verdicts_follow_the_per_image_differences(values, name):
    """The first table's verdict column, recomputed from the per-image results: the paired
    difference and its two standard errors (one seed)."""
    diff, se = _paired(values, name)
    row = values["comparison"][name]
    assert row["val - baseline"] == pytest.approx(diff, abs=1e-9)
    assert row["2 SE"] == pytest.approx(2 * se, abs=1e-9)
    expected = "no measurable difference" if abs(diff) <= 2 * se else ("higher" if diff > 0 else "lower")
    assert row["validation vs baseline"] == expected


def _over_seeds(values, name, key, higher_is_better=True):
    """``name`` minus the baseline over the seeds, recomputed from the per-seed values."""
    per_seed = values["per_seed"]
    reg = np.array([r[key] for r in per_seed[name]])
    base = np.array([r[key] for r in per_seed["baseline"]])[: len(reg)]  # paired: the same seeds
    assert len(reg) == len(base) >= 3
    d = reg - base
    return float(d.mean()), float(d.std(ddof=1) / np.sqrt(len(d)))


def test_close_calls_get_more_seeds(values, params):
    """A validation difference within 3 standard errors at COMPARISON_SEEDS seeds is trained on
    CLOSE_CALL_SEEDS seeds (the baseline too); the others stay at COMPARISON_SEEDS."""
    first, more = params["COMPARISON_SEEDS"], params["CLOSE_CALL_SEEDS"]
    assert first >= 3 and more >= 5
    per_seed = values["per_seed"]
    close = []
    for name in REGULARIZED:
        d = np.array([r["val"] for r in per_seed[name][:first]]) - np.array(
            [r["val"] for r in per_seed["baseline"][:first]]
        )
        is_close = abs(d.mean()) <= 3 * d.std(ddof=1) / np.sqrt(first)
        assert len(per_seed[name]) == (more if is_close else first), (name, len(per_seed[name]))
        assert values["over_seeds"][name]["seeds"] == len(per_seed[name])
        close += [name] if is_close else []
    assert len(per_seed["baseline"]) == (more if close else first)


def test_the_over_seed_comparison_starts_from_the_first_table(values, params):
    assert params["COMPARISON_SEEDS"] >= 3
    for name in ["baseline", *REGULARIZED]:
        first = values["per_seed"][name][0]
        run = values[f"run/{name}"]
        assert first == {
            "val": run["val_accuracy"],
            "gap": run["gap"],
            "memorized": run["memorized"],
            "near_zero": run["near_zero"],
            "norm": run["norm"],
        }, name
    control = values["sgd_control_per_seed"]
    assert len(control) == params["COMPARISON_SEEDS"]
    sgd = values["run/L2 (SGD)"]
    assert control[0] == {"near_zero": sgd["near_zero"], "norm": sgd["norm"]}


def _first_seeds(values, params, name, key):
    return [r[key] for r in values["per_seed"][name][: params["COMPARISON_SEEDS"]]]


def test_the_weight_statistics_hold_on_every_seed(values, params):
    """Sections 3 and 6's contrasts, recomputed on every seed of section 7 (paired by seed)."""
    base, l1, l2 = (_first_seeds(values, params, n, "near_zero") for n in ("baseline", "L1", "L2"))
    assert len(base) == params["COMPARISON_SEEDS"] >= 3
    assert min(l1) > 0.8 and max(base) < 0.05, (l1, base)
    assert all(b_l2 > 10 * b and b_l2 < b_l1 for b_l2, b, b_l1 in zip(l2, base, l1)), (l2, base, l1)
    control = values["sgd_control_per_seed"]
    l2_norm, base_norm = (_first_seeds(values, params, n, "norm") for n in ("L2", "baseline"))
    for c, a, b, z in zip(control, l2_norm, base_norm, l2):
        assert max(c["norm"], a) < 0.5 * b and c["near_zero"] < z / 3, (c, a, b, z)


@pytest.mark.parametrize("name", REGULARIZED)
def test_every_regularizer_narrows_the_gap_beyond_two_se_over_seeds(values, name):
    diff, se = _over_seeds(values, name, "gap")
    row = values["over_seeds"][name]
    assert row["gap - baseline"] == pytest.approx(diff) and row["2 SE (gap)"] == pytest.approx(2 * se)
    assert diff < -0.1 and -diff > 2 * se, (name, diff, se)
    assert all(r["memorized"] < 0.5 for r in values["per_seed"][name]), name
    assert all(r["memorized"] > 0.9 for r in values["per_seed"]["baseline"])


@pytest.mark.parametrize("name", REGULARIZED)
def test_no_regularizer_is_measurably_worse_over_seeds(values, name):
    diff, se = _over_seeds(values, name, "val")
    row = values["over_seeds"][name]
    assert row["val - baseline"] == pytest.approx(diff) and row["2 SE (val)"] == pytest.approx(2 * se)
    assert not (diff < 0 and -diff > 2 * se), (name, diff, se)
    expected = f"{name} is better" if diff > 2 * se else "no measurable difference"
    assert row["validation vs baseline"] == expected, (name, row)


def test_every_claim_of_the_lesson_is_stated_and_holds(run):
    assert_claims_recorded_and_hold(run, CLAIMS)


def test_adamw_shrinks_the_weights_like_l2(values):
    base, adamw = values["run/baseline"], values["run/AdamW"]
    assert adamw["norm"] <= 0.6 * base["norm"]
    assert adamw["penalty"] == 0.0  # nothing is added to the loss: the decay is in the optimizer


def test_l2_under_adam_zeroes_weights_without_data_gradient_adamw_shrinks_them(values):
    d = values["dead_pixel_weights"]
    assert d["pixels"] >= 1
    # no data gradient: Adam turns 2*lambda*w into steps of about eta and wipes the weight out,
    # AdamW multiplies it by (1 - eta*wd) per step like every other weight
    assert d["L2"]["no_data_gradient"] <= 1e-3 * d["AdamW"]["no_data_gradient"], d
    assert d["AdamW"]["no_data_gradient"] > 0, d
    # where the data does pull, the two keep weights of a comparable size
    assert 0.1 <= d["L2"]["other"] / d["AdamW"]["other"] <= 10, d


def test_notebook_prints_the_numbers_the_tests_check(run):
    text = printed_text(run[1])
    v = run[0]["values"]
    for name in ("baseline", "L2", "L1", "elastic net", "max-norm", "AdamW", "L2 (SGD)"):
        r = v[f"run/{name}"]
        for number in (
            f"{r['gap']:+.3f}",
            f"{r['val_accuracy']:.3f}",
            f"{r['norm']:.2f}",
            f"{r['near_zero']:.1%}",
            f"{r['memorized']:.0%}",
        ):
            assert number in text, f"{name}: {number!r} is not printed"
    for key in ("penalty_check/L2", "penalty_check/L1"):
        assert f"{v[key]['numpy']:.5f}" in text and f"{v[key]['keras']:.5f}" in text
    assert f"{v['penalty_at_init/L2']['numpy']:.4f}" in text
    d = v["loss_decomposition"]
    assert f"{d['keras_loss']:.4f}" in text and f"{d['cross_entropy']:.4f}" in text
    for name, layer in v["max_norm"]["layers"].items():
        assert f"{name}: {layer['units']} units, largest norm {layer['largest']:.6f}" in text
        assert f"{layer['above_bound']} above the bound" in text
    for name, row in v["comparison"].items():
        assert (
            name in text and _format_cell(row["val - baseline"]) in text and _format_cell(row["2 SE"]) in text
        )
    p = v["pixels_used"]
    assert f"L1 {p['L1']} of {p['total']}" in text
    d = v["dead_pixel_weights"]
    for name in ("L2", "AdamW"):
        assert f"{d[name]['no_data_gradient']:.1e}, from the other pixels {d[name]['other']:.1e}" in text, (
            name
        )


# ---- exercise feedback: typical wrong answers, against the full (hidden included) tests ------


@pytest.fixture(scope="module")
def env02():
    """The names the exercise tests take from the notebook, on small models."""

    def small(name, **kwargs):
        model = cu.build_mlp((8, 8, 1), 10, (16, 8), name=name, seed=0, **kwargs)
        rng = np.random.default_rng(1)
        for layer in model.layers:  # sparse-ish weights, some negative, some tiny
            if hasattr(layer, "kernel"):
                w = rng.normal(0, 0.05, layer.kernel.shape) * (rng.random(layer.kernel.shape) < 0.4)
                layer.kernel.assign(w.astype("float32"))
        return model

    models = {
        "elastic net": small("en", kernel_regularizer=keras.regularizers.L1L2(l1=1e-3, l2=1e-2)),
        "L1": small("l1", kernel_regularizer=keras.regularizers.L1(2e-3)),
    }
    return {
        "np": np,
        "cu": cu,
        "models": models,
        "ELASTIC_L1": 1e-3,
        "ELASTIC_L2": 1e-2,
        "ZERO_THRESHOLD": 1e-3,
    }


def en_right(weights, l1, l2):
    return float(sum(l1 * np.sum(np.abs(w)) + l2 * np.sum(np.square(w)) for w in weights))


@pytest.mark.parametrize(
    "fn,message",
    [
        (en_right, None),
        (lambda ws, l1, l2: float(sum(l1 * np.sum(w) + l2 * np.sum(w**2) for w in ws)), "np.abs"),
        (lambda ws, l1, l2: float(sum(l2 * np.sum(np.abs(w)) + l1 * np.sum(w**2) for w in ws)), "swapped"),
        (
            lambda ws, l1, l2: float(sum(l1 * np.sum(np.abs(w)) + 0.5 * l2 * np.sum(w**2) for w in ws)),
            "factor 1/2",
        ),
        (lambda ws, l1, l2: float(sum(l1 * np.sum(np.abs(w)) for w in ws)), "L2 term"),
        (lambda ws, l1, l2: float(l1 * np.sum(np.abs(ws[0])) + l2 * np.sum(ws[0] ** 2)), "every array"),
        (
            lambda ws, l1, l2: float(sum(l1 * np.mean(np.abs(w)) + l2 * np.mean(w**2) for w in ws)),
            "not means",
        ),
        (lambda ws, l1, l2: None, "does your function `return`"),
        (lambda ws, l1, l2: f"{en_right(ws, l1, l2):.3f}", "not the text"),
        (..., "not a function yet"),
    ],
)
def test_q1_elastic_net_penalty_feedback(fn, message, env02, autograders):
    tests = load_tests(LESSON, "q1_elastic_net_penalty", autograders)
    got, text = grade(tests, {**env02, "elastic_net_penalty": fn})
    if message is None:
        assert got == tests.possible and tests.possible > 0, text
    else:
        assert got < tests.possible, text
        assert message in text, text


def test_q1_hidden_test_uses_the_notebooks_elastic_net_model(env02, autograders):
    """A function right on the small examples but blind to this notebook's lambdas (hard-coded
    0.1/0.01) fails only the hidden test."""
    tests = load_tests(LESSON, "q1_elastic_net_penalty", autograders)
    got, text = grade(
        tests,
        {
            **env02,
            "elastic_net_penalty": lambda ws, l1, l2: en_right(ws, l1, l2) if l1 in (0.1, 0.2, 0.0) else 0.0,
        },
    )
    assert 0 < got < tests.possible, text
    assert "sum(model.losses)" in text


def sparsity_right(weights, threshold):
    return float(np.mean(np.abs(np.concatenate([np.ravel(w) for w in weights])) < threshold))


@pytest.mark.parametrize(
    "fn,message",
    [
        (sparsity_right, None),
        (lambda ws, t: float(np.mean(np.concatenate([np.ravel(w) for w in ws]) < t)), "np.abs"),
        (
            lambda ws, t: float(np.mean(np.abs(np.concatenate([np.ravel(w) for w in ws])) <= t)),
            "use <, not <=",
        ),
        (
            lambda ws, t: int(np.sum(np.abs(np.concatenate([np.ravel(w) for w in ws])) < t)),
            "not their number",
        ),
        (lambda ws, t: 100 * sparsity_right(ws, t), "not a percentage"),
        (lambda ws, t: float(np.mean([np.mean(np.abs(w) < t) for w in ws])), "Pool all weights"),
        (lambda ws, t: None, "does your function `return`"),
    ],
)
def test_q2_sparsity_feedback(fn, message, env02, autograders):
    tests = load_tests(LESSON, "q2_sparsity", autograders)
    got, text = grade(tests, {**env02, "sparsity": fn})
    if message is None:
        assert got == tests.possible and tests.possible > 0, text
    else:
        assert got < tests.possible, text
        assert message in text, text
