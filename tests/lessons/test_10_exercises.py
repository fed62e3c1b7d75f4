"""Lesson 10 (graded capstone): the claims its learner version prints, the solution's margin on the
regularization challenge, the feedback each typical wrong answer gets (against the full tests,
hidden included), and that hidden tests and answers stay out of the learner notebook.

Solutions scoring full marks and blank notebooks scoring zero are checked for every lesson in
test_exercises.py; tools/grade.py on whole wrong submissions is checked in test_grading.py."""

from __future__ import annotations

import dataclasses
import json
import math
import zipfile

import keras
import nbformat
import numpy as np
import pytest
from conftest import NOTEBOOKS, SOLUTIONS, grade, load_tests, parameters_cell, printed_text

import course_utils as cu

LESSON = "10_exercises"
THRESHOLD = 0.85
TEST_SPLIT = cu.load_dataset("digits", n_train=100, seed=0)  # the fixed validation and test splits


# ---- claims of the learner's default run ----------------------------------------------------------


@pytest.fixture(scope="module")
def baseline(run):
    return run[0]["values"]["challenge_baseline"]


def test_claims_are_checked_on_the_learners_default_run(run):
    committed = parameters_cell(nbformat.read(NOTEBOOKS / f"{LESSON}.ipynb", as_version=4))
    assert json.loads(json.dumps(committed)) == run[0]["parameters"]


def test_unregularized_baseline_misses_the_threshold_clearly(baseline, run):
    assert baseline["threshold"] == THRESHOLD
    assert baseline["missed_by"] >= 0.05, baseline  # several standard errors (~0.02) below
    assert f"missed by {baseline['missed_by']:.3f}" in printed_text(run[1])


def test_baseline_memorizes_the_flipped_labels_and_overfits(baseline, run):
    assert baseline["train_accuracy"] >= 0.9, baseline
    assert baseline["memorized_flipped"] >= 0.5, baseline  # "most of the flipped labels"
    assert baseline["diagnosis"] == "overfitting"
    assert f"{baseline['memorized_flipped']:.0%}" in printed_text(run[1])


def test_the_graded_threshold_is_the_one_the_notebook_states(autograders, baseline):
    with zipfile.ZipFile(autograders[LESSON]["zip"]) as z:
        tests = z.read("tests/q3_challenge.py").decode()
    assert f", {THRESHOLD}," in tests
    assert baseline["threshold"] == THRESHOLD


# ---- the solution clears the challenge with margin (seed 0 and another seed) ------------------------


def _solution_source(marker: str) -> str:
    """The code between BEGIN SOLUTION NO PROMPT and END SOLUTION of the master cell containing marker."""
    master = nbformat.read(SOLUTIONS / f"{LESSON}.ipynb", as_version=4)
    cell = next(
        c.source
        for c in master.cells
        if c.cell_type == "code" and marker in c.source and "# BEGIN SOLUTION NO PROMPT" in c.source
    )
    return cell.split("# BEGIN SOLUTION NO PROMPT", 1)[1].split("# END SOLUTION", 1)[0]


def _challenge_cell() -> str:
    master = nbformat.read(SOLUTIONS / f"{LESSON}.ipynb", as_version=4)
    return next(
        c.source for c in master.cells if c.cell_type == "code" and "CHALLENGE_THRESHOLD = " in c.source
    )


def _challenge_env(seed: int) -> dict:
    env = {"np": np, "keras": keras, "cu": cu, "math": math, "dataclasses": dataclasses, "SEED": seed}
    exec(_challenge_cell().replace("print(", "(lambda *a, **k: None)("), env)
    return env


def _accuracy(model, x, y) -> float:
    return float((np.asarray(model.predict(x, verbose=0)).argmax(axis=1) == y).mean())


def test_the_learner_gets_the_challenge_without_its_test_split():
    env = _challenge_env(0)
    challenge = env["challenge"]
    assert challenge.sizes == {"train": 300, "val": 360, "test": 0}, challenge.sizes
    assert len(TEST_SPLIT.y_test) == 360  # what the hidden test grades on, held back from `challenge`
    # the validation images the learner selects by are the ones the grader loads as validation
    assert np.array_equal(challenge.x_val, TEST_SPLIT.x_val) and np.array_equal(
        challenge.y_val, TEST_SPLIT.y_val
    )


# Measured with the solution's recipe on seeds 0 to 4: 0.922, 0.917, 0.914, 0.906, 0.906 on the held-out
# test images (early-stopped on validation); the unregularized baseline 0.753, 0.742, 0.789 (seeds 0 to 2).
@pytest.mark.parametrize("seed", [0, 1])
def test_solution_clears_the_held_out_threshold_with_margin(seed, autograders):
    env = _challenge_env(seed)
    assert env["CHALLENGE_THRESHOLD"] == THRESHOLD
    exec(_solution_source("challenge_model ="), env)
    model, history = env["challenge_model"], env["challenge_history"]
    test = _accuracy(model, TEST_SPLIT.x_test, TEST_SPLIT.y_test)
    assert test >= THRESHOLD + 0.03, (seed, test)
    assert len(history.history["loss"]) <= 50
    got, possible, text = _score(
        autograders, "q3_challenge", {"challenge_model": model, "challenge_history": history}
    )
    assert got == possible == 4, text


# ---- feedback on typical wrong answers, against the full tests ---------------------------------------


@pytest.fixture(scope="module")
def data():
    return cu.load_dataset("digits", n_train=100, label_noise=0.3, seed=0)


def _model(data, hidden=(16, 16), **kw):
    model = cu.build_mlp(data.input_shape, data.num_classes, hidden, seed=0, **kw)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _score(autograders, question, env):
    tests = load_tests(LESSON, question, autograders)
    got, text = grade(tests, env)
    return got, tests.possible, text


def warmup_cosine_right(step, peak_lr, warmup_steps, decay_steps, min_lr=0.0):
    if step < warmup_steps:
        return peak_lr * step / warmup_steps
    progress = min(step - warmup_steps, decay_steps) / decay_steps
    return min_lr + (peak_lr - min_lr) * 0.5 * (1 + math.cos(math.pi * progress))


@pytest.mark.parametrize(
    "fn,points,message",
    [
        (warmup_cosine_right, 3, ""),
        # off by one: the warm-up starts at peak / W instead of 0
        (
            lambda s, p, w, d, m=0.0: p * (s + 1) / w if s < w else warmup_cosine_right(s, p, w, d, m),
            1,
            "Wrong value at step 0",
        ),
        # no floor: the cosine keeps going after the end
        (
            lambda s, p, w, d, m=0.0: (
                p * s / w if s < w else m + (p - m) * 0.5 * (1 + math.cos(math.pi * (s - w) / d))
            ),
            1,
            "after the end",
        ),
        # decay measured from step 0 instead of the end of the warm-up
        (
            lambda s, p, w, d, m=0.0: (
                p * s / w if s < w else m + (p - m) * 0.5 * (1 + math.cos(math.pi * min(s, d) / d))
            ),
            0,
            "Wrong value at step 5",
        ),
        (lambda *a, **k: None, 0, "return"),
        (..., 0, "`warmup_cosine` is not answered yet, so it is not a function yet: replace the `...`"),
    ],
)
def test_q4_schedule_feedback(fn, points, message, autograders):
    got, possible, text = _score(autograders, "q4_schedule", {"warmup_cosine": fn})
    assert possible == 3
    assert got == points, text
    assert message in text


def adam_right(w, grad, m, v, t, learning_rate=1e-3, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    m = beta_1 * m + (1 - beta_1) * grad
    v = beta_2 * v + (1 - beta_2) * grad**2
    m_hat, v_hat = m / (1 - beta_1**t), v / (1 - beta_2**t)
    return w - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon), m, v


def _adam_variant(sign=-1.0, t_shift=0, correct=True, reduce=False, as_list=False):
    def adam(w, grad, m, v, t, learning_rate=1e-3, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        m = beta_1 * m + (1 - beta_1) * grad
        v = beta_2 * v + (1 - beta_2) * grad**2
        tt = t + t_shift
        m_hat, v_hat = (m / (1 - beta_1**tt), v / (1 - beta_2**tt)) if correct else (m, v)
        new_w = w + sign * learning_rate * m_hat / (np.sqrt(v_hat) + epsilon)
        if reduce:
            new_w = new_w.sum()
        return [new_w, m, v] if as_list else (new_w, m, v)

    return adam


@pytest.mark.parametrize(
    "fn,points,message",
    [
        (adam_right, 4, ""),
        (_adam_variant(sign=+1.0), 1, "Wrong sign"),
        (_adam_variant(correct=False), 1, "bias correction"),
        (_adam_variant(t_shift=1), 1, "bias correction"),
        (_adam_variant(reduce=True), 0, "wrong shape"),
        (_adam_variant(as_list=True), 0, "should return a tuple"),
        (lambda *a, **k: None, 0, "tuple"),
    ],
)
def test_q5_adam_feedback(fn, points, message, autograders):
    got, possible, text = _score(autograders, "q5_adam", {"adam_update": fn})
    assert possible == 4
    assert got == points, text
    assert message in text


def _history(epochs: int) -> keras.callbacks.History:
    history = keras.callbacks.History()
    history.history = {"loss": [1.0] * epochs}
    return history


def test_q3_challenge_feedback(data, autograders):
    untrained = _model(data, (256, 256))
    got, possible, text = _score(
        autograders, "q3_challenge", {"challenge_model": untrained, "challenge_history": _history(10)}
    )
    assert possible == 4 and got == 2, text  # architecture kept, trained within the budget; threshold missed
    assert "the accuracy of challenge_model on held-out test images is" in text
    assert "below the threshold 0.850: missed by" in text and "regularize more" in text
    got, _, text = _score(
        autograders,
        "q3_challenge",
        {"challenge_model": _model(data, (64,)), "challenge_history": _history(10)},
    )
    assert "Keep the challenge's architecture" in text and "[64, 10]" in text
    got, _, text = _score(
        autograders, "q3_challenge", {"challenge_model": untrained, "challenge_history": _history(60)}
    )
    assert "challenge_history records 60 epochs; train for 1 to CHALLENGE_EPOCHS = 50 epochs." in text
    got, _, text = _score(autograders, "q3_challenge", {"challenge_model": ..., "challenge_history": ...})
    assert got == 0
    assert "challenge_model is not answered yet: replace the `...` with your compiled Keras model." in text
    assert "Ellipsis" not in text and "ellipsis" not in text


def _challenge_run(seed: int, validate_on_test: bool):
    """The reference recipe (dropout 0.5, early stopping on validation accuracy); with
    ``validate_on_test`` it validates and early-stops on the grader's test images instead."""
    env = _challenge_env(seed)
    challenge = env["challenge"]
    if validate_on_test:
        challenge = dataclasses.replace(challenge, x_val=TEST_SPLIT.x_test, y_val=TEST_SPLIT.y_test)
    cu.set_seed(seed)
    model = cu.build_mlp(challenge.input_shape, 10, (256, 256), dropout=0.5, seed=seed)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    stop = keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=10, restore_best_weights=True)
    history = cu.train(
        model, challenge, epochs=50, batch_size=32, seed=seed, progress=False, callbacks=[stop]
    )
    return model, history, challenge


def test_q3_early_stopping_on_the_graded_split_fails_and_says_why(autograders):
    model, history, _ = _challenge_run(0, validate_on_test=True)
    test = _accuracy(model, TEST_SPLIT.x_test, TEST_SPLIT.y_test)
    assert test >= THRESHOLD, test  # it would pass on accuracy alone: only the detection fails it
    got, possible, text = _score(
        autograders, "q3_challenge", {"challenge_model": model, "challenge_history": history}
    )
    assert got == 2 and possible == 4, text
    assert "validation scores are those of the held-out test images" in text
    assert "early-stop on challenge's own validation split" in text


def test_q3_a_model_trained_further_after_its_history_is_not_accused(autograders):
    """A history that matches neither split (the model changed after it) is no evidence of peeking."""
    model, history, challenge = _challenge_run(1, validate_on_test=False)
    model.fit(challenge.x_train, challenge.y_train, epochs=1, verbose=0)  # one more epoch, not in `history`
    _, _, text = _score(autograders, "q3_challenge", {"challenge_model": model, "challenge_history": history})
    assert "validation scores are those of the held-out test images" not in text, text


def test_q1_dropout_feedback(data, autograders):
    rates = (0.0, 0.5)
    env = {"data": data, "HIDDEN_UNITS": (16, 16), "DROPOUT_RATES": rates}
    right = lambda rate: _model(data, dropout=rate)  # noqa: E731
    got, possible, text = _score(
        autograders,
        "q1_dropout_sweep",
        {**env, "dropout_model": right, "sweep": {0.0: 0.7, 0.5: 0.8}, "best_rate": 0.5},
    )
    assert got == possible == 3, text
    # a fixed rate, and the worse rate picked as the best
    got, _, text = _score(
        autograders,
        "q1_dropout_sweep",
        {
            **env,
            "dropout_model": lambda rate: _model(data, dropout=0.3),
            "sweep": {0.0: 0.7, 0.5: 0.8},
            "best_rate": 0.0,
        },
    )
    # the hidden tests catch both
    assert got == 2 and "Use the `rate` argument" in text and "HIGHEST" in text, text
    got, _, text = _score(
        autograders,
        "q1_dropout_sweep",
        {**env, "dropout_model": lambda rate: _model(data), "sweep": {0.0: 0.7}, "best_rate": 0.0},
    )
    assert "missing [0.5]" in text
    assert "its layers are: dense -> relu -> dense -> relu -> dense -> softmax" in text
    # the blank cell (`sweep = {}`, `best_rate = ...`): both parts are named in one message
    got, _, text = _score(
        autograders, "q1_dropout_sweep", {**env, "dropout_model": right, "sweep": {}, "best_rate": ...}
    )
    assert (
        "2 problems to fix: \u2022 sweep is still empty: fill it in (it needs the keys [0.0, 0.5]). "
        "\u2022 best_rate is not answered yet: replace the `...` with one of DROPOUT_RATES [0.0, 0.5]."
    ) in text, text
    got, _, text = _score(
        autograders,
        "q1_dropout_sweep",
        {**env, "dropout_model": right, "sweep": {0.0: 1.7, 0.5: ...}, "best_rate": 0.3},
    )
    for part in (
        "3 problems to fix:",
        "sweep[0.0] is 1.7, which is not an accuracy",
        "sweep[0.5] is not answered yet",
        "best_rate is 0.3, which is not one of DROPOUT_RATES",
    ):
        assert part in text, (part, text)


def test_q2_bn_feedback(data, autograders):
    env = {"HIDDEN_UNITS": (16,), "bn_results": {"before": 0.8, "after": 0.7}, "better_placement": "before"}
    right = lambda p: _model(data, (16,), batch_norm=p)  # noqa: E731
    got, possible, text = _score(autograders, "q2_bn_placement", {**env, "bn_model": right})
    assert got == possible == 3, text
    swapped = lambda p: _model(data, (16,), batch_norm={"before": "after", "after": "before"}[p])  # noqa: E731
    got, _, text = _score(
        autograders, "q2_bn_placement", {**env, "bn_model": swapped, "better_placement": "after"}
    )
    assert got == 0, text
    assert "bn_model('before') applies dense -> relu -> batch_norm" in text and "higher for 'before'" in text
    got, _, text = _score(
        autograders,
        "q2_bn_placement",
        {**env, "bn_model": right, "bn_results": {"before": 0.8, "after": ...}, "better_placement": ...},
    )
    assert got == 2 and "2 problems to fix:" in text and "bn_results['after'] is not answered yet" in text
    assert (
        "better_placement is not answered yet: replace the `...` with your answer; it should be one of "
        "['before', 'after']."
    ) in text


def test_q2_bias_before_batch_norm_is_named(data, autograders):
    def with_bias(placement):
        model = keras.Sequential(
            [
                keras.Input(data.input_shape),
                keras.layers.Flatten(),
                keras.layers.Dense(16),
                keras.layers.BatchNormalization(),
                keras.layers.Activation("relu"),
                keras.layers.Dense(10, activation="softmax"),
            ]
        )
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        return model

    _, _, text = _score(
        autograders,
        "q2_bn_placement",
        {"HIDDEN_UNITS": (16,), "bn_model": with_bias, "bn_results": {}, "better_placement": None},
    )
    assert "use_bias=False" in text


# ---- exercises 1 and 2 accept any correct Keras model --------------------------------------------------

L = keras.layers


def _compiled(model):
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _functional(data, blocks):
    """A functional model: Flatten, then for each hidden block its layers (built fresh), then softmax."""
    inputs = keras.Input(data.input_shape)
    x = L.Flatten()(inputs)
    for block in blocks:
        for make in block:
            x = make()(x)
    x = L.Dense(data.num_classes)(x)
    return _compiled(keras.Model(inputs, L.Softmax()(x)))


def _sequential(data, blocks):
    layers = [keras.Input(data.input_shape), L.Flatten()]
    for block in blocks:
        layers += [make() for make in block]
    return _compiled(keras.Sequential([*layers, L.Dense(data.num_classes, activation="softmax")]))


def dropout_models(data, hidden):
    """Correct dropout_model answers written five ways."""
    return {
        "build_mlp": lambda rate: _model(data, hidden, dropout=rate),
        "Sequential, Dense(activation='relu')": lambda rate: _sequential(
            data, [[lambda u=u: L.Dense(u, activation="relu"), lambda: L.Dropout(rate)] for u in hidden]
        ),
        "Sequential, ReLU() layers": lambda rate: _sequential(
            data, [[lambda u=u: L.Dense(u), L.ReLU, lambda: L.Dropout(rate)] for u in hidden]
        ),
        "functional, ReLU() layers": lambda rate: _functional(
            data, [[lambda u=u: L.Dense(u), L.ReLU, lambda: L.Dropout(rate)] for u in hidden]
        ),
        "functional, Activation('relu')": lambda rate: _functional(
            data,
            [[lambda u=u: L.Dense(u), lambda: L.Activation("relu"), lambda: L.Dropout(rate)] for u in hidden],
        ),
    }


def bn_models(data, hidden):
    """Correct bn_model answers written four ways."""

    def blocks(placement, relu):
        if placement == "before":
            return [[lambda u=u: L.Dense(u, use_bias=False), L.BatchNormalization, relu] for u in hidden]
        return [[lambda u=u: L.Dense(u), relu, L.BatchNormalization] for u in hidden]

    return {
        "build_mlp": lambda p: _model(data, hidden, batch_norm=p),
        "Sequential, ReLU() layers": lambda p: _sequential(data, blocks(p, L.ReLU)),
        "functional, ReLU() layers": lambda p: _functional(data, blocks(p, L.ReLU)),
        "functional, Activation('relu')": lambda p: _functional(
            data, blocks(p, lambda: L.Activation("relu"))
        ),
    }


@pytest.mark.parametrize("way", list(dropout_models(None, (16, 16))))
def test_q1_accepts_every_correct_way_of_writing_the_model(way, data, autograders):
    env = {"data": data, "HIDDEN_UNITS": (16, 16), "DROPOUT_RATES": (0.0, 0.5), "sweep": {0.0: 0.7, 0.5: 0.8}}
    got, possible, text = _score(
        autograders,
        "q1_dropout_sweep",
        {**env, "dropout_model": dropout_models(data, (16, 16))[way], "best_rate": 0.5},
    )
    assert got == possible == 3, (way, text)


@pytest.mark.parametrize("way", list(bn_models(None, (16, 16))))
def test_q2_accepts_every_correct_way_of_writing_the_model(way, data, autograders):
    env = {
        "HIDDEN_UNITS": (16, 16),
        "bn_results": {"before": 0.8, "after": 0.7},
        "better_placement": "before",
    }
    got, possible, text = _score(
        autograders, "q2_bn_placement", {**env, "bn_model": bn_models(data, (16, 16))[way]}
    )
    assert got == possible == 3, (way, text)


def test_q1_misplaced_or_missing_dropout_fails_and_shows_the_layers(data, autograders):
    env = {"data": data, "HIDDEN_UNITS": (16, 16), "DROPOUT_RATES": (0.0, 0.5), "sweep": {0.0: 0.7, 0.5: 0.8}}
    wrong = {
        # dropout on the inputs instead of after the second hidden layer
        "input dropout": lambda rate: _functional(
            data,
            [
                [lambda: L.Dropout(rate), lambda: L.Dense(16), L.ReLU, lambda: L.Dropout(rate)],
                [lambda: L.Dense(16), L.ReLU],
            ],
        ),
        # two dropout layers after the first hidden layer, none after the second
        "both in one block": lambda rate: _sequential(
            data,
            [
                [lambda: L.Dense(16), L.ReLU, lambda: L.Dropout(rate), lambda: L.Dropout(rate)],
                [lambda: L.Dense(16), L.ReLU],
            ],
        ),
        # only after the first hidden layer
        "missing": lambda rate: _sequential(
            data,
            [
                [lambda: L.Dense(16, activation="relu"), lambda: L.Dropout(rate)],
                [lambda: L.Dense(16), L.ReLU],
            ],
        ),
    }
    layers = {
        "input dropout": "dropout(0.3) -> dense -> relu -> dropout(0.3) -> dense -> relu -> dense -> softmax",
        "both in one block": (
            "dense -> relu -> dropout(0.3) -> dropout(0.3) -> dense -> relu -> dense -> softmax"
        ),
        "missing": "dense -> relu -> dropout(0.3) -> dense -> relu -> dense -> softmax",
    }
    for name, fn in wrong.items():
        got, _, text = _score(autograders, "q1_dropout_sweep", {**env, "dropout_model": fn, "best_rate": 0.5})
        assert got < 3, (name, text)
        assert "should have one Dropout(0.3) after each of its 2 hidden layers" in text, (name, text)
        assert f"its layers are: {layers[name]}." in text, (name, text)


def test_q2_wrong_placement_written_by_hand_is_named(data, autograders):
    def swapped(placement):  # ReLU before batch norm for "before", and the other way round
        relu_first = placement == "before"
        blocks = [
            [lambda: L.Dense(16), L.ReLU, L.BatchNormalization]
            if relu_first
            else [lambda: L.Dense(16, use_bias=False), L.BatchNormalization, L.ReLU]
        ]
        return _functional(data, blocks)

    env = {"HIDDEN_UNITS": (16,), "bn_results": {"before": 0.8, "after": 0.7}, "better_placement": "before"}
    got, _, text = _score(autograders, "q2_bn_placement", {**env, "bn_model": swapped})
    assert got == 1, text  # only the hidden results test passes
    assert "bn_model('before') applies dense -> relu -> batch_norm -> dense -> softmax; expected " in text
    assert (
        "bn_model('after') applies dense(no bias) -> batch_norm -> relu -> dense -> softmax; expected "
        in text
    )


def test_q6_and_q7_feedback_names_the_wrong_items(autograders):
    mystery = cu.make_mystery_runs(seed=9)
    base = cu.make_learning_curves("overfitting", seed=1)
    right = {k: cu.diagnose_fit(h) for k, h in {**mystery, "baseline": base}.items()}
    env = {"mystery": mystery, "baseline_history": base}
    got, possible, _ = _score(autograders, "q6_diagnose", {**env, "diagnosis": right})
    assert got == possible == 2
    wrong = {**right, "baseline": "good fit"}
    got, _, text = _score(autograders, "q6_diagnose", {**env, "diagnosis": wrong})
    assert got == 1 and "Runs ['baseline'] are not diagnosed correctly" in text
    got, _, text = _score(autograders, "q6_diagnose", {**env, "diagnosis": {"A": "overfit"}})
    assert got == 0 and "missing" in text
    assert "missing ['B', 'C', 'baseline']" in text
    assert "diagnosis['A'] is 'overfit', which is not one of" in text
    got, _, text = _score(autograders, "q6_diagnose", {**env, "diagnosis": dict.fromkeys(right, ...)})
    assert got == 0
    assert "diagnosis is not answered yet: replace each `...` ('A', 'B', 'C', 'baseline')" in text

    answers = {"c1": "b", "c2": "a", "c3": "c", "c4": "b", "c5": "c"}
    got, possible, _ = _score(autograders, "q7_concepts", {"answers": answers})
    assert got == possible == 2
    got, _, text = _score(autograders, "q7_concepts", {"answers": {**answers, "c2": "B", "c5": " A"}})
    assert got == 1 and "2 of 5 answers are not right: ['c2', 'c5']" in text and "lesson(s) 04, 01" in text
    got, _, text = _score(autograders, "q7_concepts", {"answers": {**answers, "c1": "d"}})
    assert got == 0 and "not one of" in text
    # several invalid answers: all of them are named in one message, not only the first
    got, _, text = _score(autograders, "q7_concepts", {"answers": {**answers, "c1": "d", "c3": ..., "c4": 2}})
    assert got == 0, text
    assert (
        "answers has 3 problems to fix: "
        "\u2022 answers['c1'] is 'd', which is not one of ['a', 'b', 'c']. "
        "\u2022 answers['c3'] is not answered yet: replace the `...` with your answer; "
        "it should be one of "
        "['a', 'b', 'c']. "
        "\u2022 answers['c4'] should be one of ['a', 'b', 'c']; it is 2."
    ) in text, text
    got, _, text = _score(autograders, "q7_concepts", {"answers": dict.fromkeys(answers, ...)})
    assert (
        got == 0
        and (
            "answers is not answered yet: replace each `...` ('c1', 'c2', 'c3', 'c4', 'c5') "
            "with your answer; it should be one of ['a', 'b', 'c']."
        )
        in text
    )
    assert "Ellipsis" not in text


def test_q7_what_the_learner_reads_names_every_invalid_answer(autograders):
    """The learner's display of the same failure: the verdict, then the one message; no test source."""
    from course_utils.grading import CheckResult

    tests = load_tests(LESSON, "q7_concepts", autograders)
    tests.run({"answers": {"c1": "d", "c2": "a", "c3": ..., "c4": "b", "c5": "x"}})
    text = repr(CheckResult(tests))
    assert text.splitlines()[0] == "q7_concepts: 2 of 2 tests failed"
    assert text.splitlines()[2:7] == [
        "answers has 3 problems to fix:",
        "\u2022 answers['c1'] is 'd', which is not one of ['a', 'b', 'c'].",
        "\u2022 answers['c3'] is not answered yet: replace the `...` with your answer; it",
        "  should be one of ['a', 'b', 'c'].",
        "\u2022 answers['c5'] is 'x', which is not one of ['a', 'b', 'c'].",
    ]
    for leak in ("Error at line", "expect_choices(", "def test_", "key = {"):
        assert leak not in text, leak


# ---- what the learner sees ---------------------------------------------------------------------------


def _learner_text() -> str:
    """Everything a learner can read in the notebook: cell sources and the embedded (visible) tests."""
    learner = nbformat.read(NOTEBOOKS / f"{LESSON}.ipynb", as_version=4)
    return "\n".join([c.source for c in learner.cells] + list(learner.metadata["otter"]["tests"].values()))


def test_hidden_tests_and_answers_stay_out_of_the_learner_notebook():
    text = _learner_text()
    # the visible ones are there
    assert "test_warmup_phase" in text and "test_adam_first_step_moves_downhill" in text
    for secret in (
        "test_warmup_cosine_matches_keras",
        "test_adam_matches_keras_adam",
        "test_answers_correct",
        "test_diagnosis_correct",
        "test_challenge_reaches_the_threshold_on_held_out_test_images",
        "validation scores are those of the held-out test images",
        "test_best_rate_is_the_best_of_the_sweep",
        "test_bn_results_and_better_placement",
        '"c2": ("a"',
        "'c2': ('a'",
        "cu.diagnose_fit(h) for name",
        'dropout=0.5, name="regularized"',
        'keras.layers.Dense(width, activation="relu"), keras.layers.Dropout(rate)]',
        "keras.layers.Dense(width), keras.layers.ReLU(), keras.layers.BatchNormalization()]",
        "m_hat = m / (1 - beta_1 ** t)",
        "min(step - warmup_steps, decay_steps)",
    ):
        assert secret not in text, secret


def test_every_question_is_announced_with_its_points(autograders):
    learner = nbformat.read(NOTEBOOKS / f"{LESSON}.ipynb", as_version=4)
    markdown = "\n".join(c.source for c in learner.cells if c.cell_type == "markdown")
    checks = [c.source for c in learner.cells if c.cell_type == "code" and "grader.check(" in c.source]
    with zipfile.ZipFile(autograders[LESSON]["zip"]) as z:
        questions = sorted(
            n[len("tests/") : -3] for n in z.namelist() if n.startswith("tests/") and n.endswith(".py")
        )
    assert len(questions) == len(checks) == 7
    for question in questions:
        possible = load_tests(LESSON, question, autograders).possible
        assert f"| `{question}` | {possible:g} |" in markdown, (question, possible)
