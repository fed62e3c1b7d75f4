"""Exercise checks (otter-grader): solutions score full marks, blank learner notebooks score
zero, and typical wrong answers fail with a message that says what is wrong."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from conftest import NOTEBOOKS, SOLUTIONS, grade, lesson_notebooks, load_tests, otter_grade

import course_utils as cu

#: Lesson 10's solution and blank notebook are graded by otter's own Gradescope entry point in
#: tests/lessons/test_grading.py (test_gradescope_run_gives_the_solution_full_marks_and_a_blank_
#: notebook_zero), and its solution again through tools/grade.py's sandbox there: not a third time.
GRADED_ELSEWHERE = ("10_exercises",)


def _graded_here(folder):
    return [p.stem for p in lesson_notebooks(folder) if p.stem not in GRADED_ELSEWHERE]


@pytest.mark.parametrize("lesson", _graded_here(SOLUTIONS))
def test_solution_scores_full_marks(lesson, autograders, tmp_path):
    scores = otter_grade(autograders[lesson]["solution"], autograders[lesson]["zip"], tmp_path)
    assert scores, "no graded questions"
    assert all(score == top and top > 0 for score, top in scores.values()), scores


@pytest.mark.parametrize("lesson", _graded_here(NOTEBOOKS))
def test_blank_learner_notebook_scores_zero(lesson, autograders, tmp_path):
    scores = otter_grade(NOTEBOOKS / f"{lesson}.ipynb", autograders[lesson]["zip"], tmp_path)
    assert scores and all(score == 0 for score, _ in scores.values()), scores


# ---- lesson 01: wrong answers, checked in-process against the full (hidden included) tests ----


@pytest.fixture(scope="module")
def env01():
    history = keras.callbacks.History()
    history.history = cu.make_learning_curves("overfitting", epochs=30, seed=0)
    mystery = {
        "A": cu.make_learning_curves("underfitting", seed=3),
        "B": cu.make_learning_curves("overfitting", seed=4),
        "C": cu.make_learning_curves("good fit", seed=5),
    }
    return {"np": np, "history": history, "mystery": mystery}


def gap_right(h):
    h = getattr(h, "history", h)
    return h["accuracy"][-1] - h["val_accuracy"][-1]


def best_right(h):
    return int(np.argmin(getattr(h, "history", h)["val_loss"])) + 1


@pytest.mark.parametrize(
    "fn,score,message",
    [
        (gap_right, None, ""),  # full marks
        (lambda h: h["accuracy"][-1] - h["val_accuracy"][-1], None, "`.history`"),  # dict only
        (
            lambda h: getattr(h, "history", h)["accuracy"][0] - getattr(h, "history", h)["val_accuracy"][0],
            0,
            "LAST epoch",
        ),
        (
            lambda h: getattr(h, "history", h)["val_accuracy"][-1] - getattr(h, "history", h)["accuracy"][-1],
            0,
            "off by",
        ),
        (lambda h: None, 0, "does your function `return`"),
        (lambda h: 1 / 0, 0, "ZeroDivisionError"),
        (..., 0, "`generalization_gap` is not answered yet, so it is not a function yet: replace the `...`"),
    ],
)
def test_q1_gap_feedback(fn, score, message, env01, autograders):
    tests = load_tests("01_overfitting", "q1_gap", autograders)
    got, text = grade(tests, {**env01, "generalization_gap": fn})
    if fn is gap_right:
        assert got == tests.possible and tests.possible > 0
    else:
        assert got < tests.possible, text
        if score == 0:
            assert got == 0, text
    assert message in text


@pytest.mark.parametrize(
    "fn,message",
    [
        (lambda h: int(np.argmin(getattr(h, "history", h)["val_loss"])), "list INDEX"),  # off by one
        (lambda h: int(np.argmin(getattr(h, "history", h)["loss"])) + 1, "expected"),  # training loss
        (lambda h: "3", "not the text"),
    ],
)
def test_q2_best_epoch_feedback(fn, message, env01, autograders):
    tests = load_tests("01_overfitting", "q2_best_epoch", autograders)
    got, text = grade(tests, {**env01, "best_epoch": fn})
    assert got < tests.possible and message in text, text
    right, _ = grade(
        load_tests("01_overfitting", "q2_best_epoch", autograders), {**env01, "best_epoch": best_right}
    )
    assert right == tests.possible


@pytest.mark.parametrize(
    "answer,messages",
    [
        ({"A": "underfitting", "B": "overfitting", "C": "good fit"}, None),
        ({"A": "overfitting", "B": "underfitting", "C": "good fit"}, ["not diagnosed correctly"]),
        ({"A": "Underfitting ", "B": "OVERFITTING", "C": "good fit"}, None),  # case/space tolerant
        ({"A": "underfit", "B": "overfitting", "C": "good fit"}, ["not one of"]),
        (
            {"A": ..., "B": ..., "C": ...},
            [
                "diagnosis is not answered yet: replace each `...` ('A', 'B', 'C') with your answer; "
                "it should be one of"
            ],
        ),
        ({"A": "underfitting", "B": "overfitting"}, ["exactly the keys"]),
        # every invalid part is named, not only the first
        (
            {"A": "underfit", "B": ..., "C": "good fit"},
            [
                "diagnosis has 2 problems to fix: \u2022 diagnosis['A'] is 'underfit', which is not one of",
                " \u2022 diagnosis['B'] is not answered yet: replace the `...` with your answer; it should be one of",  # noqa: E501
            ],
        ),
        (
            {"A": "underfit", "B": "overfitting", "D": "x"},
            ["missing ['C']; unexpected ['D']", "diagnosis['A'] is 'underfit'"],
        ),
    ],
)
def test_q3_diagnosis_feedback(answer, messages, env01, autograders):
    tests = load_tests("01_overfitting", "q3_diagnose", autograders)
    got, text = grade(tests, {**env01, "diagnosis": answer})
    if messages is None:
        assert got == tests.possible, text
    else:
        assert got < tests.possible, text
        for message in messages:
            assert message in text, (message, text)
        assert "Ellipsis" not in text
