"""Claims of lesson 07, asserted on the numbers the executed lesson recorded and printed, and the
exercise checks' feedback on typical wrong answers."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_claims_recorded_and_hold, grade, load_tests, printed_text

from course_utils.results import _format_cell

LESSON = "07_optimizers"
ADAPTIVE = ("RMSprop", "Adam", "AdamW", "Nadam")


# ---- section 1: the 2-D valley ----------------------------------------------------------------


def test_momentum_runs_along_the_valley_where_sgd_crawls(values):
    loss = {name: row["loss_20"] for name, row in values["toy"].items()}  # after 20 steps
    for name in ("momentum", "Nesterov"):
        assert loss[name] < 0.01 * loss["SGD"], loss
    assert loss["SGD"] > 1.0, loss  # "still far above"


def test_nesterov_damps_the_overshoot_of_momentum(values):
    over = {name: row["overshoot"] for name, row in values["toy"].items()}
    assert over["Nesterov"] < 0.6 * over["momentum"], over


def test_rmsprop_heads_straight_adam_and_adabelief_swing_past(values):
    over = {name: row["overshoot"] for name, row in values["toy"].items()}
    assert over["RMSprop"] < 0.1, over
    assert over["Adam"] > 3 * over["RMSprop"] and over["AdaBelief"] > 3 * over["RMSprop"], over


# ---- sections 2-3: the comparison, over seeds --------------------------------------------------

SEVEN = ("SGD", "momentum", "Nesterov", *ADAPTIVE)
CLAIMS = {
    "valley_momentum_outruns_sgd",
    "valley_nesterov_damps_the_overshoot",
    "valley_rmsprop_heads_straight",
    "every_optimizer_learns",
    "momentum_beats_sgd",
    "momentum_raises_validation_accuracy",
    "ranking_depends_on_the_learning_rate",
    "adam_family_in_lock_step",
    "adamw_shrinks_the_weights",
    "custom_optimizers_match_keras",
    "adabelief_matches_reference",
    "adabelief_lower_training_loss_than_adam",
    "custom_optimizer_survives_reload",
    "gradient_tape_loop_matches_fit",
    "clipnorm_bounds_each_variable",
    "global_clipnorm_bounds_the_whole_update",
}


def _per_seed(values, key="over_seeds"):
    """A per-seed table as {optimizer: {seed: row}} (its rows are named "<optimizer>, seed <n>")."""
    table = {}
    for label, row in values[key].items():
        name, seed = label.rsplit(", seed ", 1)
        table.setdefault(name, {})[int(seed)] = row
    return table


def _recomputed(comparison, table, params):
    """A recorded comparison recomputed from the per-seed rows: (mean difference, SE, seeds).

    Checks that it used the seeds the close-call rule asks for (COMPARISON_SEEDS, or
    CLOSE_CALL_SEEDS when the difference is within 3 SE at COMPARISON_SEEDS), paired by seed."""
    (a, b), metric = comparison["names"], comparison["metric"]
    first, more, seed = params["COMPARISON_SEEDS"], params["CLOSE_CALL_SEEDS"], params["SEED"]
    assert first >= 3 and more >= 5

    def differences(n):
        return np.array([table[a][s][metric] - table[b][s][metric] for s in range(seed, seed + n)])

    d = differences(first)
    n = more if abs(d.mean()) <= 3 * d.std(ddof=1) / np.sqrt(first) else first
    d = differences(n)
    assert comparison["a"] == pytest.approx([table[a][s][metric] for s in range(seed, seed + n)])
    assert comparison["b"] == pytest.approx([table[b][s][metric] for s in range(seed, seed + n)])
    diff, se = float(d.mean()), float(d.std(ddof=1) / np.sqrt(n))
    assert comparison["difference"] == pytest.approx(diff)
    assert comparison["standard_error"] == pytest.approx(se)
    return diff, se, n


def _comparison(values, params, key):
    return _recomputed(values["comparisons"][key], _per_seed(values), params)


def _claim(run, claim_id):
    return next(c for c in run[0]["claims"] if c["id"] == claim_id)


def test_every_claim_of_the_lesson_is_recorded_and_holds(run):
    assert_claims_recorded_and_hold(run, CLAIMS)


def test_every_optimizer_started_from_its_seeds_shared_weights(values):
    assert values["initial_weight_difference"] == 0.0


def test_the_seven_optimizers_ran_on_every_comparison_seed(values, params):
    table, seeds = _per_seed(values), range(params["SEED"], params["SEED"] + params["COMPARISON_SEEDS"])
    for name in SEVEN:
        assert set(seeds) <= set(table[name]), (name, sorted(table[name]))
        rate = params["SGD_LEARNING_RATE"] if name in SEVEN[:3] else params["ADAPTIVE_LEARNING_RATE"]
        assert all(table[name][s]["lr"] == pytest.approx(rate) for s in seeds), name
    control = f"Adam, lr {params['HIGHER_ADAPTIVE_LEARNING_RATE']:g}"
    assert all(
        r["lr"] == pytest.approx(params["HIGHER_ADAPTIVE_LEARNING_RATE"]) for r in table[control].values()
    )


def test_every_optimizer_learns_on_every_seed(values, run):
    table = _per_seed(values)
    rows = [r for name in SEVEN for r in table[name].values()]
    worst = max(r["final loss"] / r["loss ep 1"] for r in rows)
    assert worst < 0.3, worst
    assert min(r["val acc"] for r in rows) > 0.85, rows
    assert f"{worst:.3f}" in _claim(run, "every_optimizer_learns")["evidence"]


def test_momentum_beats_plain_sgd_beyond_two_standard_errors(values, params, run):
    table = _per_seed(values)
    for name in ("momentum", "Nesterov"):
        diff, se, n = _comparison(values, params, f"{name} vs SGD, final loss")
        assert diff < 0 and -diff > 2 * se, (name, diff, se)
        seeds = range(params["SEED"], params["SEED"] + n)
        ratios = [table["SGD"][s]["final loss"] / table[name][s]["final loss"] for s in seeds]
        assert min(ratios) >= 3, (name, ratios)  # "several times lower", on every seed
        assert f"{diff:+.4g}" in _claim(run, "momentum_beats_sgd")["evidence"]


def test_momentum_raises_validation_accuracy_beyond_two_standard_errors(values, params, run):
    for name in ("momentum", "Nesterov"):
        diff, se, _ = _comparison(values, params, f"{name} vs SGD, val acc")
        assert diff > 2 * se, (name, diff, se)
        assert f"{diff:+.4g}" in _claim(run, "momentum_raises_validation_accuracy")["evidence"]


def test_the_ranking_against_momentum_flips_with_adams_learning_rate(values, params, run):
    control = f"Adam, lr {params['HIGHER_ADAPTIVE_LEARNING_RATE']:g}"
    evidence = _claim(run, "ranking_depends_on_the_learning_rate")["evidence"]
    for key, sign in (
        ("Adam vs SGD, final loss", -1),  # Adam lower than SGD
        ("Adam vs momentum, final loss", +1),  # and higher than momentum
        (f"{control} vs momentum, final loss", -1),  # at the higher rate, lower than momentum
    ):
        diff, se, _ = _comparison(values, params, key)
        assert sign * diff > 2 * se, (key, diff, se)
        assert f"{diff:+.4g}" in evidence, key


def test_adam_family_moves_in_lock_step_on_every_seed(values, params):
    table = _per_seed(values)
    for name in ("AdamW", "Nadam"):
        for s in range(params["SEED"], params["SEED"] + params["COMPARISON_SEEDS"]):
            mine, adam = table[name][s], table["Adam"][s]
            assert abs(mine["final loss"] / adam["final loss"] - 1) < 0.15, (name, s, mine, adam)
            assert abs(mine["val acc"] - adam["val acc"]) < 0.01, (name, s, mine, adam)


def test_adamw_shrinks_the_weights_beyond_two_standard_errors(values, params, run):
    diff, se, _ = _comparison(values, params, "AdamW vs Adam, weight norm")
    assert diff < 0 and -diff > 2 * se, (diff, se)
    assert f"{diff:+.4f}" in _claim(run, "adamw_shrinks_the_weights")["evidence"]


# ---- section 4: hand-written vs built-in ------------------------------------------------------


def test_custom_optimizers_match_the_built_in_ones(values, params):
    eq = values["equivalence"]
    custom = [k for k in eq if not k.startswith("control")]
    assert len(custom) >= 3, eq
    for label in custom:
        row = eq[label]
        assert row["steps"] == params["CHECK_STEPS"], row
        assert row["max_abs_difference"] <= 1e-5, (label, row)
        assert row["moved"] >= 0.05, (label, row)  # the weights did move: not a trivial agreement


def test_the_control_pair_differs(values):
    control = next(v for k, v in values["equivalence"].items() if k.startswith("control"))
    assert control["max_abs_difference"] >= 0.05, control


# ---- section 5: AdaBelief ---------------------------------------------------------------------


def test_the_notebooks_adabelief_is_the_reference_one(values):
    check = values["adabelief_check"]
    same, control = check["AdaBelief vs cu.AdaBelief"], check["control: AdaBelief vs Adam"]
    assert same["moved"] > 0.01, same  # the weights moved, so agreeing is not trivial
    assert same["max_abs_difference"] <= 1e-6, same
    assert control["max_abs_difference"] >= 1e-3, control


def test_adabelief_trains_the_model(values):
    a = values["adabelief"]
    assert a["final_loss"] < 0.3 * a["first_epoch_loss"], a
    assert a["final_val_accuracy"] >= 0.85, a


def test_adabelief_ends_below_adam_beyond_two_standard_errors(values, params, run):
    table = _per_seed(values, "adabelief_over_seeds")
    diff, se, n = _recomputed(values["adabelief_vs_adam"], table, params)
    assert diff < 0 and -diff > 2 * se, (diff, se)
    # section 5's Adam rows are section 2's runs, and its seed-SEED row is the run saved in section 6
    adam = _per_seed(values)["Adam"]
    assert all(table["Adam"][s] == adam[s] for s in table["Adam"])
    assert table["AdaBelief"][params["SEED"]]["final loss"] == values["adabelief"]["final_loss"]
    assert f"{diff:+.4g}" in _claim(run, "adabelief_lower_training_loss_than_adam")["evidence"]


# ---- section 6: config and .keras round trip --------------------------------------------------


def test_custom_optimizer_survives_config_and_keras_file(values):
    r = values["round_trip"]
    assert r["config_equal"] is True
    assert r["reloaded_class"] == "AdaBelief"
    assert r["same_hyperparameters"] is True
    assert r["iterations"][0] == r["iterations"][1] > 0, r
    assert r["prediction_difference"] <= 1e-6, r


def test_training_continues_identically_after_reload(values):
    r = values["round_trip"]
    assert r["continued_difference"] <= 1e-5, r
    # the control (optimizer state reset) drifts apart: the check above can fail
    assert r["reset_difference"] >= 1e-3, r
    assert r["reset_difference"] > 100 * max(r["continued_difference"], 1e-7), r


# ---- section 7: GradientTape loop vs fit ------------------------------------------------------


def test_gradient_tape_loop_matches_fit(values, params):
    lf = values["loop_vs_fit"]
    assert len(lf["fit_losses"]) == len(lf["loop_losses"]) == params["LOOP_EPOCHS"]
    assert lf["weight_difference"] <= 1e-5, lf
    assert lf["loss_difference"] <= 1e-4, lf
    assert lf["moved"] >= 0.05, lf


# ---- section 8: clipping ----------------------------------------------------------------------


def test_the_batch_gives_a_large_gradient(values, params):
    assert values["gradient_norm"] >= 10 * params["CLIP"], values["gradient_norm"]
    assert values["clipping"]["no clipping"]["global_norm"] == pytest.approx(
        values["gradient_norm"], rel=1e-4
    )


def test_clipnorm_bounds_each_variable_but_not_the_total(values, params):
    c, clip = values["clipping"]["clipnorm"], params["CLIP"]
    assert c["largest_variable_norm"] <= clip * (1 + 1e-4), c
    assert c["largest_variable_norm"] >= clip * (1 - 1e-4), c  # the largest was actually clipped
    assert clip < c["global_norm"] <= 2.0 * clip * (1 + 1e-4), c  # 4 variables: up to c * sqrt(4)
    assert c["cosine_to_gradient"] < 0.99, c


def test_global_clipnorm_bounds_the_whole_update_and_keeps_its_direction(values, params):
    g, clip = values["clipping"]["global_clipnorm"], params["CLIP"]
    assert g["global_norm"] <= clip * (1 + 1e-4), g
    assert g["global_norm"] >= clip * (1 - 1e-4), g
    assert g["cosine_to_gradient"] >= 0.9999, g


# ---- the numbers are printed ------------------------------------------------------------------


def test_notebook_prints_the_numbers_the_tests_check(run):
    text = printed_text(run[1])
    v = run[0]["values"]
    shown = {
        "over_seeds": ("final loss", "val acc", "weight norm"),
        "adabelief_over_seeds": ("final loss", "val acc"),
    }
    for key, columns in shown.items():
        for label, row in v[key].items():
            for column in columns:
                assert _format_cell(row[column]) in text, (key, label, column)
    for row in v["equivalence"].values():
        assert _format_cell(row["max_abs_difference"]) in text and _format_cell(row["moved"]) in text
    assert f"{v['adabelief']['final_loss']:.4f}" in text
    r = v["round_trip"]
    for number in (
        f"{r['prediction_difference']:.2e}",
        f"{r['continued_difference']:.2e}",
        f"{r['reset_difference']:.2e}",
    ):
        assert number in text
    assert f"{v['loop_vs_fit']['weight_difference']:.2e}" in text
    for key in ("clipping", "toy"):
        for row in v[key].values():
            for number in row.values():
                assert _format_cell(number) in text, (key, row)
    assert "identical starts" in text


# ---- exercises: typical wrong answers get a helpful message ------------------------------------


def _momentum_right(w, g, v, lr, mu):
    v = mu * np.asarray(v) - lr * np.asarray(g)
    return np.asarray(w) + v, v


def _momentum_wrong_sign(w, g, v, lr, mu):
    v = mu * np.asarray(v) + lr * np.asarray(g)
    return np.asarray(w) + v, v


def _momentum_drops_velocity(w, g, v, lr, mu):
    v = -lr * np.asarray(g)
    return np.asarray(w) + v, v


def _momentum_returns_old_velocity(w, g, v, lr, mu):
    new_v = mu * np.asarray(v) - lr * np.asarray(g)
    return np.asarray(w) + new_v, v


def _momentum_pytorch(w, g, v, lr, mu):
    v = mu * np.asarray(v) + np.asarray(g)
    return np.asarray(w) - lr * v, v


def _momentum_in_place(w, g, v, lr, mu):
    v *= mu
    v -= lr * g
    w += v
    return w, v


def _momentum_nesterov(w, g, v, lr, mu):
    v = mu * np.asarray(v) - lr * np.asarray(g)
    return np.asarray(w) + mu * v - lr * np.asarray(g), v


@pytest.mark.parametrize(
    "fn,message",
    [
        (_momentum_right, None),
        (_momentum_wrong_sign, "wrong sign: the loss went UP"),
        (_momentum_drops_velocity, "previous velocity was dropped"),
        (_momentum_returns_old_velocity, "momentum buffer not updated at step 2"),
        (_momentum_pytorch, "PyTorch form"),
        (_momentum_in_place, "in place"),
        (_momentum_nesterov, "new_w should be"),
        (lambda w, g, v, lr, mu: np.asarray(w) - lr * np.asarray(g), "should return a tuple"),
        (lambda w, g, v, lr, mu: None, "does your function `return`"),
        (..., "not a function yet"),
    ],
)
def test_q1_momentum_step_feedback(fn, message, autograders):
    tests = load_tests(LESSON, "q1_momentum_step", autograders)
    got, text = grade(tests, {"np": np, "momentum_step": fn})
    if message is None:
        assert got == tests.possible and tests.possible > 0, text
    else:
        assert got < tests.possible, text
        assert message in text, text


def _clip_right(grads, c):
    grads = [np.asarray(g, dtype=float) for g in grads]
    norm = np.sqrt(sum(float(np.sum(g**2)) for g in grads))
    return [g * min(1.0, c / norm) for g in grads]


def _clip_each(grads, c):
    return [np.asarray(g, float) * min(1.0, c / np.linalg.norm(g)) for g in grads]


def _clip_always(grads, c):
    grads = [np.asarray(g, dtype=float) for g in grads]
    norm = np.sqrt(sum(float(np.sum(g**2)) for g in grads))
    return [g * c / norm for g in grads]


def _clip_concatenated(grads, c):
    flat = np.concatenate([np.ravel(g) for g in grads])
    return flat * min(1.0, c / np.linalg.norm(flat))


def _clip_by_sum_of_norms(grads, c):
    total = sum(np.linalg.norm(g) for g in grads)
    return [np.asarray(g, float) * min(1.0, c / total) for g in grads]


@pytest.fixture(scope="module")
def clip_env():
    """Stand-ins for the notebook globals that the hidden test uses."""
    rng = np.random.default_rng(0)
    big_grads = [rng.normal(size=s).astype(np.float32) * 20 for s in ((64, 64), (64,), (64, 10), (10,))]
    clip = 1.0
    return {
        "np": np,
        "big_grads": big_grads,
        "CLIP": clip,
        "clipped_updates": {"global_clipnorm": _clip_right(big_grads, clip)},
    }


@pytest.mark.parametrize(
    "fn,message",
    [
        (_clip_right, None),
        (_clip_each, "clipped each array separately"),
        (_clip_always, "nothing may change"),
        (_clip_concatenated, "one array per gradient"),
        (_clip_by_sum_of_norms, "global norm should be exactly"),
        (lambda grads, c: None, "does your function `return`"),
        (..., "not a function yet"),
    ],
)
def test_q2_global_clip_feedback(fn, message, clip_env, autograders):
    tests = load_tests(LESSON, "q2_global_clip", autograders)
    got, text = grade(tests, {**clip_env, "clip_by_global_norm": fn})
    if message is None:
        assert got == tests.possible and tests.possible > 0, text
    else:
        assert got < tests.possible, text
        assert message in text, text


def test_q1_blank_answer_scores_zero(autograders):
    # the learner notebook's `def momentum_step(...): ...` returns Ellipsis
    tests = load_tests(LESSON, "q1_momentum_step", autograders)
    got, text = grade(tests, {"np": np, "momentum_step": lambda w, g, v, lr, mu: ...})
    assert got == 0, text
    tests = load_tests(LESSON, "q2_global_clip", autograders)
    got, text = grade(
        tests,
        {
            "np": np,
            "big_grads": [np.ones(3)],
            "CLIP": 1.0,
            "clipped_updates": {"global_clipnorm": [np.ones(3)]},
            "clip_by_global_norm": lambda grads, c: ...,
        },
    )
    assert got == 0, text


def test_l2_is_written_in_the_course_s_convention(run):
    """Lesson 02's lambda * sum(w^2) (Keras's L2, no factor 1/2); the (lambda/2)||w||^2 form only
    with its factor, and AdamW's decay under its own name."""
    markdown = "\n".join(c.source for c in run[1].cells if c.cell_type == "markdown")
    assert r"\lambda\sum_j w_j^2" in markdown
    assert r"\tfrac{\lambda}{2}\lVert w\rVert^2$ mean a $\lambda$ twice as large" in markdown
    assert r"\mathrm{wd} = 2\lambda" in markdown and "weight_decay=wd" in markdown
    assert r"\eta\,\lambda\, w_{t-1}" not in markdown
