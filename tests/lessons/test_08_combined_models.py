"""Claims of lesson 08, asserted on the numbers the executed lesson recorded and printed, and
the feedback of its exercises on typical wrong answers."""

from __future__ import annotations

import re

import keras
import nbformat
import numpy as np
import pytest
from conftest import NOTEBOOKS, SOLUTIONS, grade, load_tests, printed_text

import course_utils as cu

LESSON = "08_combined_models"
SECTION3 = [
    "baseline",
    "baseline + early stop",
    "dropout + Adam",
    "L2 + batch norm",
    "early stop + schedule",
    "custom opt + batch norm",
    "everything",
    "combined",
]
EARLY_STOPPED = {"baseline + early stop", "early stop + schedule", "everything", "combined"}


# ---- one budget --------------------------------------------------------------------------------


def test_every_model_trained_under_one_budget(values, params):
    expected = [params["EPOCHS"], params["BATCH_SIZE"], params["N_TRAIN"], params["SEED"]]
    assert values["budgets"] == [expected], values["budgets"]
    rows = values["results"]
    assert set(rows) == set(SECTION3), sorted(rows)  # (JSON keys are sorted)
    for name, r in {**rows, "CNN + augmentation": values["cnn"]}.items():
        assert [r["epochs_budget"], r["batch_size"], r["n_train"], r["seed"]] == expected, name
        # only the early-stopping runs may stop before the budget
        if name not in EARLY_STOPPED:
            assert r["epochs_trained"] == params["EPOCHS"], name


# ---- the comparison ----------------------------------------------------------------------------


def test_baseline_memorizes_the_noisy_labels(values):
    b = values["results"]["baseline"]
    assert b["train_accuracy"] >= 0.98, b
    assert b["gap"] >= 0.15, b
    # "its validation accuracy peaked early and then fell"
    assert b["best_val_accuracy"] >= b["val_accuracy"] + 0.03, b
    assert b["best_epoch"] <= 0.5 * b["epochs_trained"], b


def _over_seeds(values, key):
    """The over-seed comparison ``key``, recomputed here from its per-seed values (paired by seed)."""
    row = values["over_seeds"][key]
    a, b = (np.asarray(values["per_seed"][key][side], dtype=float) for side in ("a", "b"))
    assert len(a) == len(b) >= 3, (key, a, b)
    diff = a - b
    two_se = 2 * diff.std(ddof=1) / np.sqrt(len(diff))
    assert np.isclose(row["difference"], diff.mean()) and np.isclose(row["2 SE"], two_se), (key, row)
    return row, diff.mean(), two_se


def test_the_claims_compare_over_several_seeds(values, params):
    assert params["COMPARISON_SEEDS"] >= 3 and params["CLOSE_CALL_SEEDS"] >= 5, params
    assert set(values["over_seeds"]) == {
        "combined vs baseline, val acc",
        "combined vs baseline, gap",
        "combined vs baseline + early stop, val acc",
        "everything vs combined, val acc",
        "control without dropout: + batch norm, val acc",
    }


def test_combined_beats_the_baseline_beyond_two_standard_errors_over_seeds(values):
    row, diff, two_se = _over_seeds(values, "combined vs baseline, val acc")
    assert diff > two_se > 0, row
    row, diff, two_se = _over_seeds(values, "combined vs baseline, gap")
    assert -diff > two_se > 0 and diff < -0.1, row
    r = values["results"]  # the first seed, as the table shows it
    assert r["combined"]["gap"] <= r["baseline"]["gap"] - 0.1, r


def test_early_stopping_alone_is_not_measurably_worse_than_combined(values, params):
    stopped = values["results"]["baseline + early stop"]
    assert stopped["epochs_trained"] < params["EPOCHS"], stopped
    row, diff, two_se = _over_seeds(values, "combined vs baseline + early stop, val acc")
    assert abs(diff) <= two_se, row


def test_batch_norm_on_top_costs_accuracy_with_and_without_dropout(values):
    row, diff, two_se = _over_seeds(values, "everything vs combined, val acc")
    assert -diff > two_se > 0, row
    row, diff, two_se = _over_seeds(values, "control without dropout: + batch norm, val acc")
    assert -diff > two_se > 0, row
    r = values["results"]
    for name in ("L2 + batch norm", "custom opt + batch norm"):
        # "still fit the noisy labels (training accuracy near 1)"
        assert r[name]["train_accuracy"] >= 0.98, (name, r[name])


def test_the_notebook_computed_the_same_verdicts(run):
    claims = {c["id"]: c for c in run[0]["claims"]}
    assert set(claims) == {
        "combined_beats_baseline",
        "early_stopping_alone_is_close",
        "batch_norm_costs_accuracy",
        "batch_norm_cost_without_dropout_too",
    }
    assert all(c["holds"] for c in claims.values()), claims


def test_dropout_alone_slows_but_does_not_stop_memorization(values):
    r = values["results"]
    d = r["dropout + Adam"]
    assert d["train_accuracy"] >= 0.9, d
    assert d["gap"] >= r["combined"]["gap"] + 0.05, d


def test_early_stopping_with_a_schedule_stops_before_the_low_rate_phase(values, params):
    es = values["earlystop_schedule"]
    row = values["results"]["early stop + schedule"]
    assert es["epochs_trained"] < params["EPOCHS"] and row["stopped_early"], es
    assert es["lr_fraction_at_stop"] >= 0.2, es
    assert row["gap"] <= values["results"]["baseline"]["gap"] - 0.1, row


# ---- section 2: interactions measured ---------------------------------------------------------


def test_dropout_inflates_the_training_mode_variance_as_the_formula_says(values, params):
    v = values["dropout_variance_ratio"]
    assert v["measured"] == pytest.approx(v["predicted"], rel=0.05), v
    assert v["measured"] > 1 / (1 - params["DROPOUT"]), v


def test_batch_norm_output_ignores_the_weight_scale_and_the_gradient_halves(values):
    bn = values["bn_scale_invariance"]
    assert bn["output_change"] <= 1e-3 * bn["output_scale"], bn
    assert bn["gradient_ratio"] == pytest.approx(0.5, abs=0.01), bn


# ---- section 5: the CNN and its augmentation -------------------------------------------------


def test_augmentation_is_active_only_in_training(values):
    a = values["augmentation"]
    assert a["train_vs_input"] >= 0.05, a
    assert a["train_vs_train"] >= 0.05, a  # a new random transformation at every call
    assert a["images_changed"] >= 0.9, a
    assert a["inference_vs_input"] == 0.0, a


def test_the_cnn_is_small_and_no_worse_than_the_baseline(values):
    cnn, base = values["cnn"], values["results"]["baseline"]
    assert cnn["n_params"] < base["n_params"] / 5, cnn
    assert cnn["val_accuracy"] >= base["val_accuracy"] - 0.02, (cnn, base)
    # "its gap is negative: it did not memorize the flipped labels"
    assert cnn["gap"] < 0, cnn


# ---- sections 6 and 7: sweep, selection, test once -------------------------------------------


def test_random_search_draws_in_its_ranges_and_selects_by_validation_accuracy(values, params):
    s = values["sweep"]
    n = params["SWEEP_TRIALS"] + 1  # the combined model is the first trial
    assert len(s["val_accuracy"]) == len(s["dropout"]) == len(s["l2"]) == len(s["gap"]) == n, s
    assert [s["dropout"][0], s["l2"][0]] == [params["DROPOUT"], params["L2_STRENGTH"]], s
    assert s["val_accuracy"][0] == values["results"]["combined"]["val_accuracy"], s
    (d_lo, d_hi), (l_lo, l_hi) = params["SWEEP_DROPOUT"], params["SWEEP_L2"]
    assert all(d_lo <= d <= d_hi for d in s["dropout"][1:]), s
    assert all(l_lo <= v <= l_hi for v in s["l2"][1:]), s
    assert len(set(s["l2"])) == n and len(set(s["dropout"])) == n, "every trial draws its own values"
    i = int(np.argmax(s["val_accuracy"]))
    assert s["selected"] == [s["dropout"][i], s["l2"][i]], s


def test_chosen_model_is_the_best_on_validation_and_tested_once(values):
    f = values["final"]
    candidates = [r["val_accuracy"] for r in values["results"].values()] + values["sweep"]["val_accuracy"]
    assert f["val_accuracy"] == pytest.approx(max(candidates)), f
    assert f["val_accuracy"] >= f["baseline_val_accuracy"] + 0.03, f
    # 360 test images: the test score is close to the (slightly optimistic) validation score
    assert abs(f["test_accuracy"] - f["val_accuracy"]) <= 0.07, f


@pytest.mark.parametrize("folder", [NOTEBOOKS, SOLUTIONS], ids=["learner", "master"])
def test_the_notebook_evaluates_on_the_test_set_exactly_once(folder):
    nb = nbformat.read(folder / f"{LESSON}.ipynb", as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert len(re.findall(r"\bx_test\b", code)) == 1
    assert len(re.findall(r"\by_test\b", code)) == 1


# ---- printed numbers ---------------------------------------------------------------------------


def test_notebook_prints_the_numbers_the_tests_check(run):
    text = printed_text(run[1])
    v = run[0]["values"]
    r = v["results"]
    for row in list(r.values()):
        for key in ("val_accuracy", "best_val_accuracy", "train_accuracy"):
            assert f"{row[key]:.3f}" in text, (row["name"], key)
        assert f"{row['gap']:+.3f}" in text, row["name"]
        assert f"{row['epochs_trained']}/{row['epochs_budget']}" in text, row["name"]
    # the verdict next to its numbers; the means may be in a block of columns below
    for key, row in v["over_seeds"].items():
        assert re.search(
            rf"{re.escape(key)}\s+{row['difference']:.4f}\s+{row['2 SE']:.4f}\s+{re.escape(row['verdict'])}",
            text,
        ), key
        assert re.search(rf"{re.escape(key)}\s+{row['first']:.4f}\s+{row['second']:.4f}", text), key
    assert f"{v['dropout_variance_ratio']['measured']:.2f}x" in text
    assert f"{v['bn_scale_invariance']['gradient_ratio']:.3f}" in text
    assert f"{v['earlystop_schedule']['lr_fraction_at_stop']:.0%} of its peak" in text
    assert f"largest pixel change {v['augmentation']['inference_vs_input']:.3f}" in text
    assert f"validation accuracy {v['cnn']['val_accuracy']:.3f}" in text
    assert f"test accuracy {v['final']['test_accuracy']:.3f}" in text
    assert f"chosen among {v['final']['n_candidates']} models: {v['final']['chosen']!r}" in text
    for score in v["sweep"]["val_accuracy"]:
        assert f"validation {score:.3f}" in text


# ---- exercise feedback -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def env08():
    data = cu.load_dataset("digits", n_train=100, seed=0)
    model = cu.build_mlp(data.input_shape, data.num_classes, (8,), seed=0)
    measured = cu.inference_accuracy(model, data.x_val, data.y_val)

    def result(name, val, **kw):
        fields = dict(
            epochs_budget=60,
            epochs_trained=60,
            elapsed_seconds=1.0,
            train_accuracy=1.0,
            val_accuracy=val,
            n_params=model.count_params(),
            seed=0,
            batch_size=32,
            n_train=100,
            model=model,
        )
        fields.update(kw)
        return cu.ExperimentResult(name, {"val_accuracy": [val]}, **fields)

    return {
        "data": data,
        "measured": measured,
        "result": result,
        "globals": {
            "np": np,
            "keras": keras,
            "cu": cu,
            "data": data,
            "EPOCHS": 60,
            "BATCH_SIZE": 32,
            "SEED": 0,
            "CHALLENGE_MARGIN": 0.03,
            "results": {"baseline": result("baseline", measured - 0.05)},
        },
    }


@pytest.mark.parametrize(
    "case,message",
    [
        ("right", None),
        ("none", "is None"),
        ("dict", "should be the result of cu.run_experiment"),
        ("short_budget", "epochs=30 (the budget is EPOCHS=60)"),
        ("other_seed", "seed=7"),
        ("subset", "50 training images"),
        ("too_weak", "misses the target"),
        ("inflated", "re-measured"),
    ],
)
def test_q1_challenger_feedback(case, message, env08, autograders):
    m, result = env08["measured"], env08["result"]
    challenger = {
        "right": result("challenger", m),
        "none": None,
        "dict": {"val_accuracy": m},
        "short_budget": result("challenger", m, epochs_budget=30, epochs_trained=30),
        "other_seed": result("challenger", m, seed=7),
        "subset": result("challenger", m, n_train=50),
        "too_weak": result("challenger", m - 0.04),
        "inflated": result("challenger", m + 0.1),  # reported score is not what the model does
    }[case]
    tests = load_tests(LESSON, "q1_challenger", autograders)
    got, text = grade(tests, {**env08["globals"], "challenger": challenger})
    if message is None:
        assert got == tests.possible and tests.possible > 0, text
    else:
        assert got < tests.possible and message in text, text


def test_q1_says_by_how_much_the_target_was_missed(env08, autograders):
    m = env08["measured"]
    tests = load_tests(LESSON, "q1_challenger", autograders)
    _, text = grade(tests, {**env08["globals"], "challenger": env08["result"]("challenger", m - 0.04)})
    # target = baseline (m - 0.05) + 0.03 = m - 0.02; got m - 0.04: missed by 0.020
    assert "by 0.020" in text, text


RIGHT = {
    "choose hyperparameters by": "validation accuracy",
    "evaluate on the test set": "once, for the chosen model",
    "with batch norm, L2 on the weights mainly changes": "the effective learning rate",
    "a cosine schedule sized for the budget, cut short by early stopping": "never reaches its low-rate phase",
}


@pytest.fixture(scope="module")
def checklist_options():
    nb = nbformat.read(NOTEBOOKS / f"{LESSON}.ipynb", as_version=4)
    env: dict = {}
    exec(next(c.source for c in nb.cells if c.source.startswith("checklist_options")), env)
    return env["checklist_options"]


@pytest.mark.parametrize(
    "change,message",
    [
        ({}, None),
        ({"choose hyperparameters by": " Validation Accuracy "}, None),  # case and spaces tolerated
        (
            {"choose hyperparameters by": "test accuracy"},
            "'choose hyperparameters by' (training accuracy rewards",
        ),
        ({"evaluate on the test set": "after every experiment"}, "second validation set"),
        (
            {"with batch norm, L2 on the weights mainly changes": "the function the layer computes"},
            "undoes the scale",
        ),
        (
            {"a cosine schedule sized for the budget, cut short by early stopping": "has finished its decay"},
            "rate at the stop",
        ),
        ({"choose hyperparameters by": "val acc"}, "not one of"),
        ({"evaluate on the test set": ...}, "should be one of"),
    ],
)
def test_q2_checklist_feedback(change, message, checklist_options, autograders):
    tests = load_tests(LESSON, "q2_checklist", autograders)
    got, text = grade(tests, {"checklist": {**RIGHT, **change}, "checklist_options": checklist_options})
    if message is None:
        assert got == tests.possible and tests.possible > 0, text
    else:
        assert got < tests.possible and message in text, text


def test_q2_missing_line_is_named(checklist_options, autograders):
    tests = load_tests(LESSON, "q2_checklist", autograders)
    partial = {k: v for k, v in RIGHT.items() if k != "evaluate on the test set"}
    got, text = grade(tests, {"checklist": partial, "checklist_options": checklist_options})
    assert got == 0 and "lacks the line(s) ['evaluate on the test set']" in text, text


def test_each_comparison_gets_the_seeds_the_close_call_rule_asks_for(values, params):
    """COMPARISON_SEEDS seeds, or CLOSE_CALL_SEEDS where the difference on the first
    COMPARISON_SEEDS is within 3 standard errors: decided by the run, recomputed here."""
    first, more = params["COMPARISON_SEEDS"], params["CLOSE_CALL_SEEDS"]
    for key, sides in values["per_seed"].items():
        d = np.subtract(sides["a"][:first], sides["b"][:first])
        close = abs(d.mean()) <= 3 * d.std(ddof=1) / np.sqrt(first)
        assert len(sides["a"]) == (more if close else first), (key, d)
        assert values["over_seeds"][key]["seeds"] == len(sides["a"]), key
