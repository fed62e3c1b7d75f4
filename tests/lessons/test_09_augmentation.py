"""Claims of lesson 09, asserted on the numbers the executed lesson recorded and printed, and the
feedback of its exercise checks on typical wrong answers."""

from __future__ import annotations

import types

import numpy as np
import pytest
from conftest import assert_claims_recorded_and_hold, grade, load_tests, printed_text, recomputed_comparisons

LESSON = "09_augmentation"

CLAIMS = {
    "flipped_digits_are_misread",
    "augmentation_is_active_only_in_training",
    "mixed_labels_sum_to_one",
    "validation_data_is_never_mixed",
    "keras_label_smoothing_matches_the_formula",
    "geometric_augmentation_buys_shift_robustness",
    "geometric_augmentation_costs_validation_accuracy_here",
    "geometric_augmentation_lowers_training_accuracy",
    "no_augmentation_raises_validation_accuracy_here",
    "label_smoothing_lowers_confidence_on_wrong_answers",
    "label_smoothing_raises_calibration_error_here",
    "label_smoothing_costs_no_validation_accuracy",
    "input_dropout_raises_no_validation_accuracy_here",
}


def test_every_claim_of_the_lesson_is_stated_and_holds(run):
    assert_claims_recorded_and_hold(run, CLAIMS)


# ---- section 2: geometric layers, RandomFlip ----------------------------------------------------


def test_mirrored_digits_are_misread(values):
    flip = values["flip"]
    assert flip["flipped_val_accuracy"] < 0.5 * flip["val_accuracy"], flip


def test_augmentation_acts_only_in_training(values):
    m = values["augmentation_modes"]
    assert m["images_changed"] >= 0.5 and m["train_vs_train"] > 0, m
    assert m["inference_vs_input"] == 0 and m["predict_twice"] == 0, m


# ---- section 3: MixUp and CutMix ------------------------------------------------------------------


def test_mixed_labels_are_probability_vectors_of_two_classes(values):
    for name, c in values["mix_check"].items():
        assert c["label_sum_error"] < 1e-5 and c["max_classes_per_label"] <= 2, (name, c)
        assert c["inference_unchanged"] is True and c["images_changed"] > 0, (name, c)


def test_validation_data_is_never_mixed(values, params):
    v = values["validation_never_mixed"]
    assert v["x_val_identical"] is True and v["y_val_one_hot"] is True, v
    assert v["train_images"] == params["EPOCHS"] * params["N_TRAIN"], v  # EPOCHS epochs of mixed batches
    assert v["mixed_labels"] > 0.5, v


# ---- section 4: label smoothing ------------------------------------------------------------------


def test_keras_label_smoothing_is_the_formula(values, params):
    f = values["smoothing_formula"]
    eps, k = params["LABEL_SMOOTHING"], 10
    assert f["by_keras"] == pytest.approx(f["by_hand"], rel=1e-5)
    assert f["true_class_target"] == pytest.approx(1 - eps + eps / k)
    assert f["other_class_target"] == pytest.approx(eps / k)


# ---- section 5: the ablation, recomputed from the per-seed values ---------------------------------


def _higher_is_better(label):
    """The lesson's direction for each measure: accuracies up, the gap, confidence on wrong answers and
    calibration error down."""
    return label.split(":")[0] in ("val acc", "train acc", "shifted val acc")


def _winner(mean, se, higher_is_better):
    if abs(mean) <= 2 * se:
        return None
    return "A" if (mean > 0) == higher_is_better else "B"


def test_augmentation_comparisons_recomputed(values, params):
    recorded = values["augmentation_over_seeds"]
    stats = recomputed_comparisons(recorded, params)
    for label, (mean, se) in stats.items():
        assert recorded[label]["winner"] == _winner(mean, se, _higher_is_better(label)), label
    # the geometric model is better on shifted digits
    assert _winner(*stats["shifted val acc: A=geometric B=none"], True) == "A"
    # it costs validation accuracy on the centred validation digits
    assert _winner(*stats["val acc: A=geometric B=none"], True) == "B"
    # and fits its own training images less well
    assert _winner(*stats["train acc: A=geometric B=none"], True) == "B"
    # no augmentation raises validation accuracy
    for condition in ("geometric", "MixUp", "CutMix"):
        assert _winner(*stats[f"val acc: A={condition} B=none"], True) != "A", condition


def test_ablation_means_are_the_compared_values(values):
    recorded, means = values["augmentation_over_seeds"], values["ablation_means"]
    none = recorded["gap: A=geometric B=none"]["b"]
    assert means["none"]["gap"] == pytest.approx(np.mean(none))
    for condition in ("geometric", "MixUp", "CutMix"):
        assert means[condition]["gap"] == pytest.approx(np.mean(recorded[f"gap: A={condition} B=none"]["a"]))
        assert means[condition]["val acc"] == pytest.approx(
            np.mean(recorded[f"val acc: A={condition} B=none"]["a"])
        )


def test_smoothing_comparisons_recomputed(values, params):
    recorded = values["smoothing_over_seeds"]
    stats = recomputed_comparisons(recorded, params)
    for label, (mean, se) in stats.items():
        assert recorded[label]["winner"] == _winner(mean, se, _higher_is_better(label)), label
    assert _winner(*stats["wrong-answer confidence: A=smoothing B=none"], False) == "A"
    assert _winner(*stats["calibration error: A=smoothing B=none"], False) == "B"
    assert _winner(*stats["val acc: A=smoothing B=none"], True) != "B"
    # the first seed's baseline and smoothed model are the ones section 4 showed
    first = values["label_smoothing_first_seed"]
    c = recorded["wrong-answer confidence: A=smoothing B=none"]
    assert c["a"][0] == pytest.approx(
        first[f"smoothing {params['LABEL_SMOOTHING']:g}"]["wrong-answer confidence"]
    )
    assert c["b"][0] == pytest.approx(first["no smoothing"]["wrong-answer confidence"])


def test_notebook_prints_the_numbers_the_tests_check(run):
    text = printed_text(run[1])
    v = run[0]["values"]
    numbers = [f"{v['flip']['flipped_val_accuracy']:.3f}", f"{v['flip']['val_accuracy']:.3f}"]
    numbers += [
        f"{v['augmentation_modes']['images_changed']:.0%}",
        f"{v['augmentation_modes']['train_vs_train']:.3f}",
    ]
    numbers += [f"{v['smoothing_formula']['by_hand']:.6f}", f"{v['smoothing_formula']['by_keras']:.6f}"]
    numbers += [
        f"{v['validation_never_mixed']['train_images']:,}",
        f"{v['validation_never_mixed']['mixed_labels']:.0%}",
    ]
    for key in ("augmentation_over_seeds", "smoothing_over_seeds"):
        for c in v[key].values():
            numbers += [f"{np.mean(c['a']):.4f}", f"{np.mean(c['b']):.4f}", f"{c['difference']:.4f}"]
    for row in v["label_smoothing_first_seed"].values():
        numbers += [f"{row['wrong-answer confidence']:.4f}", f"{row['calibration error']:.4f}"]
    missing = [n for n in numbers if n not in text]
    assert not missing, f"not printed by the notebook: {missing}"


# ---- exercise feedback ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def env09():
    rng = np.random.default_rng(5)
    x = rng.random((32, 8, 8, 1)).astype("float32")
    y = rng.integers(0, 10, size=32)
    one_hot = np.eye(10, dtype="float32")[y]
    digits = types.SimpleNamespace(x_train=x, y_train=y)
    data = types.SimpleNamespace(x_train=x, y_train=one_hot)
    return {"np": np, "digits": digits, "data": data, "LABEL_SMOOTHING": 0.1}


def smooth_right(y, num_classes, eps):
    return (1 - eps) * np.eye(num_classes)[np.asarray(y)] + eps / num_classes


def smooth_k_minus_one(y, num_classes, eps):  # eps / (K - 1) on the other classes, 1 - eps on the true one
    one_hot = np.eye(num_classes)[np.asarray(y)]
    return one_hot * (1 - eps) + (1 - one_hot) * eps / (num_classes - 1)


def smooth_unscaled(y, num_classes, eps):  # eps added to every class, one-hot not scaled
    return np.eye(num_classes)[np.asarray(y)] + eps


@pytest.mark.parametrize(
    "fn,message",
    [
        (smooth_right, None),
        (smooth_k_minus_one, "eps / (K - 1)"),
        (smooth_unscaled, "divide eps by K"),
        (lambda y, k, eps: np.eye(k)[np.asarray(y)], "0.91"),
        (lambda y, k, eps: None, "return"),
        (lambda y, k, eps: (1 - eps) * np.eye(k)[np.asarray(y)].ravel() + eps / k, "shape"),
        (..., "not a function yet"),
    ],
)
def test_q1_smooth_labels_feedback(fn, message, env09, autograders):
    tests = load_tests(LESSON, "q1_smooth_labels", autograders)
    got, text = grade(tests, {**env09, "smooth_labels": fn})
    if message is None:
        assert got == tests.possible and tests.possible > 0, text
    else:
        assert got < tests.possible, text
        assert message in text, text


def mixup_right(x, y, weights, order):
    w = np.asarray(weights)
    x, y = np.asarray(x), np.asarray(y)
    return w.reshape(-1, 1, 1, 1) * x + (1 - w.reshape(-1, 1, 1, 1)) * x[order], (
        w.reshape(-1, 1) * y + (1 - w.reshape(-1, 1)) * y[order]
    )


def mixup_swapped(x, y, weights, order):
    w = 1 - np.asarray(weights)
    return mixup_right(x, y, w, order)


def mixup_images_only(x, y, weights, order):
    return mixup_right(x, y, weights, order)[0], np.asarray(y)


def mixup_bad_images(x, y, weights, order):  # the labels right, the images mixed with one weight
    w = float(np.mean(weights))
    return w * np.asarray(x) + (1 - w) * np.asarray(x)[order], mixup_right(x, y, weights, order)[1]


@pytest.mark.parametrize(
    "fn,message",
    [
        (mixup_right, None),
        (mixup_swapped, "swapped"),
        (mixup_images_only, "labels came back unchanged"),
        (mixup_bad_images, "the images are not"),
        (lambda x, y, w, order: mixup_right(x, y, w, order)[0], "pair"),
        (..., "not a function yet"),
    ],
)
def test_q2_mixup_batch_feedback(fn, message, env09, autograders):
    tests = load_tests(LESSON, "q2_mixup_batch", autograders)
    got, text = grade(tests, {**env09, "mixup_batch": fn})
    if message is None:
        assert got == tests.possible and tests.possible > 0, text
    else:
        assert got < tests.possible, text
        assert message in text, text


def test_input_dropout_raises_no_validation_accuracy_over_seeds(values, params):
    """Dropout on the input pixels against none: not better on validation accuracy beyond 2 SE
    (recomputed from the per-seed values); the first seed's baseline is section 1's model."""
    compared = values["input_dropout_over_seeds"]
    recomputed = recomputed_comparisons(compared, params)
    val, val_se = recomputed["val acc: A=input dropout B=none"]
    assert not val > 2 * val_se, (val, val_se)
    assert set(compared) == {f"{k}: A=input dropout B=none" for k in ("train acc", "gap", "val acc")}
    first_none = values["augmentation_over_seeds"]["val acc: A=geometric B=none"]["b"][0]
    assert compared["val acc: A=input dropout B=none"]["b"][0] == first_none
