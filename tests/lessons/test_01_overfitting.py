"""Claims of lesson 01, asserted on the numbers the executed lesson recorded and printed."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import printed_text, recomputed_comparisons

LESSON = "01_overfitting"


def test_oversized_model_fits_training_set_almost_perfectly(values):
    assert values["baseline"]["final_train_accuracy"] >= 0.98


def test_clear_train_validation_gap(values):
    assert values["baseline"]["gap"] >= 0.05


def test_validation_loss_bottoms_out_well_before_the_end_then_rises(values):
    b = values["baseline"]
    assert b["best_epoch"] <= 0.5 * b["epochs"], b
    assert b["final_val_loss"] >= 1.05 * b["min_val_loss"], b


def test_validation_accuracy_does_not_fall_while_confidence_in_mistakes_grows(values):
    b = values["baseline"]
    # "the loss can rise when the accuracy does not fall": within one standard error (~0.013)
    assert b["final_val_accuracy"] >= values["val_accuracy_at_best_epoch"] - 0.015
    conf = values["confidence_when_wrong"]
    assert conf["final"] > conf["at_best_epoch"], conf
    assert conf["final"] >= 0.6, conf


def test_gap_grows_with_model_size(values):
    cap = values["capacity"]
    params, gaps, memorized = cap["params"], cap["gap"], cap["memorized"]
    assert params == sorted(params), "capacity sweep must go from small to large"
    for smaller, larger in zip(gaps, gaps[1:]):
        assert larger >= smaller - 0.02, f"gap fell with more capacity: {gaps}"
    assert gaps[-1] - gaps[0] >= 0.15, gaps
    # the mechanism: the large models reproduce the deliberately wrong labels
    assert memorized[-1] >= 0.8 and memorized[0] <= 0.3, memorized
    # "validation accuracy does not improve with it"
    val = cap["val_accuracy"]
    assert val[-1] <= val[0] + 0.02, val
    # "training accuracy against the noisy labels climbs towards 1"
    noisy_train_acc = [g + v for g, v in zip(gaps, val)]
    assert noisy_train_acc[-1] >= 0.98 and noisy_train_acc[-1] > noisy_train_acc[0], noisy_train_acc


def _one(compared, prefix):
    (found,) = [v for label, v in compared.items() if label.startswith(prefix)]
    return found


def test_section_4_comparisons_hold_beyond_two_standard_errors_over_seeds(values, params):
    compared = recomputed_comparisons(values["capacity_over_seeds"], params)
    seed0 = values["capacity"]
    # the first seed is the sweep of the tables above
    gap = _one(values["capacity_over_seeds"], "flipped, gap")
    assert gap["a"][0] == pytest.approx(seed0["gap"][-1]) and gap["b"][0] == pytest.approx(seed0["gap"][0])
    d, se = _one(compared, "flipped, gap")  # largest minus smallest
    assert d > 2 * se and d >= 0.15, (d, se)
    d, se = _one(compared, "flipped, val acc")  # smallest minus largest
    assert d > 2 * se, (d, se)
    d, se = _one(compared, f"{params['CAPACITIES'][0][0]} units, train acc")  # true minus noisy labels
    assert d > 2 * se, (d, se)
    d, se = _one(compared, "gap growth")  # clean minus flipped
    growth = _one(values["capacity_over_seeds"], "gap growth")
    assert d < -2 * se and np.mean(growth["a"]) < 0.5 * np.mean(growth["b"]), (d, se, growth)
    d, se = _one(compared, "clean, val acc")  # largest minus smallest
    assert d > 2 * se, (d, se)


def test_memorization_and_the_rule_on_every_seed(values, params):
    per_seed = values["capacity_per_seed"]
    n = len(_one(values["capacity_over_seeds"], "flipped, gap")["a"])
    assert list(per_seed) == [str(params["SEED"] + i) for i in range(n)]
    smallest, largest = ("x".join(map(str, h)) for h in (params["CAPACITIES"][0], params["CAPACITIES"][-1]))
    for seed, ends in per_seed.items():
        f = ends["flipped"]
        assert f[largest]["memorized"] > 0.5 and f[smallest]["memorized"] < 0.25, (seed, f)
        assert f[smallest]["rule"] == "underfitting", (seed, f)
        assert f[smallest]["train acc"] < 0.9 <= f[largest]["train acc"], (seed, f)


def test_more_data_shrinks_the_gap_over_seeds(values, params):
    compared = recomputed_comparisons(values["data_size_over_seeds"], params)
    gap_d, gap_se = _one(compared, "gap")  # most minus fewest images
    val_d, val_se = _one(compared, "val acc")
    assert gap_d < -2 * gap_se and val_d > 2 * val_se, compared


def test_rule_calls_small_model_underfitting(values):
    assert values["diagnoses"]["smallest_model"] == "underfitting"


def test_gap_shrinks_with_more_training_data(values):
    ds = values["data_size"]
    sizes, gaps, val_acc = ds["n_train"], ds["gap"], ds["val_accuracy"]
    assert sizes == sorted(sizes)
    for smaller_n, larger_n in zip(gaps, gaps[1:]):
        assert larger_n <= smaller_n + 0.02, f"gap grew with more data: {gaps}"
    assert gaps[0] - gaps[-1] >= 0.05, gaps
    assert val_acc[-1] > val_acc[0]
    # "the training accuracy stays near 1 at every size"
    assert all(g + v >= 0.98 for g, v in zip(gaps, val_acc)), (gaps, val_acc)


def test_distances_concentrate_and_the_images_do_not_look_like_noise(values, params):
    """Section 5's curse of dimensionality: the uniform contrast falls with the dimension on
    every draw, by more than 10x from the first to the last dimension; the images' contrast
    lies above every draw of same-shaped noise, and equals uniform points' in fewer dimensions."""
    rows = values["distance_contrast"]
    dims = params["DIMENSIONS"]
    uniform = [rows[f"uniform, d={d}"] for d in dims]
    for lower, higher in zip(uniform, uniform[1:]):
        assert higher["highest"] < lower["lowest"], (lower, higher)  # beyond the spread of the draws
    assert uniform[0]["contrast (mean)"] > 10 * uniform[-1]["contrast (mean)"], uniform
    (noise,) = [r for name, r in rows.items() if name.startswith("uniform noise")]
    ((name, images),) = [(name, r) for name, r in rows.items() if " images, d=" in name]
    assert images["contrast (mean)"] > 2 * noise["highest"], (images, noise)
    pixels = int(name.rsplit("=", 1)[1])
    assert values["contrast_like_uniform_in"] < pixels / 2, (values["contrast_like_uniform_in"], pixels)


def test_decision_guide_diagnoses(values):
    assert values["diagnoses"]["baseline"] == "overfitting"
    assert values["diagnoses"]["smallest_model"] == "underfitting"


def test_notebook_prints_the_numbers_the_tests_check(run):
    text = printed_text(run[1])
    b = run[0]["values"]["baseline"]
    for number in (
        f"{b['final_train_accuracy']:.3f}",
        f"{b['final_val_accuracy']:.3f}",
        f"{b['gap']:.3f}",
        f"{b['min_val_loss']:.3f}",
        f"epoch {b['best_epoch']}",
    ):
        assert number in text, f"{number!r} is not printed by the notebook"
    for gap in run[0]["values"]["capacity"]["gap"] + run[0]["values"]["data_size"]["gap"]:
        assert f"{gap:+.3f}" in text
