"""Exercise checks (otter-grader): solutions score full marks, blank learner notebooks score
zero, and typical wrong answers fail with a message that says what is wrong."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import keras
import numpy as np
import papermill as pm
import pytest
from conftest import NOTEBOOKS, SOLUTIONS, lesson_notebooks
from otter.test_files import ExceptionTestFile
from sync_notebooks import learner_version

import course_utils as cu

# Grading runs use tiny parameters: the checks test the learner's code, not the lesson's numbers
# (those are the claim tests' job). Every lesson has an EPOCHS parameter.
QUICK = {"EPOCHS": 3}
QUICK_BY_LESSON = {"01_overfitting": {"DATA_SIZES": [75], "CAPACITIES": [[16]]}}


@pytest.fixture(scope="session")
def autograders(tmp_path_factory):
    build = tmp_path_factory.mktemp("assign")
    found = {}
    for master in lesson_notebooks(SOLUTIONS):
        _, ag_dir = learner_version(master, build)
        found[master.stem] = {"zip": sorted(ag_dir.glob("*.zip"))[-1], "solution": ag_dir / master.name}
    return found


def otter_grade(notebook: Path, ag_zip: Path, workdir: Path) -> dict[str, tuple[float, float]]:
    """Grade one notebook with `otter run` (no Docker); return {question: (score, max)}."""
    workdir.mkdir(parents=True, exist_ok=True)
    prepared = workdir / notebook.name
    params = {**QUICK, **QUICK_BY_LESSON.get(notebook.stem, {})}
    pm.execute_notebook(str(notebook), str(prepared), parameters=params, prepare_only=True,
                        progress_bar=False)
    out = workdir / "out"
    out.mkdir()
    subprocess.run([sys.executable, "-m", "otter", "run", "--no-logo", "-a", str(ag_zip),
                    "-o", str(out), str(prepared)], check=True, capture_output=True, cwd=workdir)
    results = json.loads((out / "results.json").read_text())
    return {t["name"]: (t["score"], t["max_score"]) for t in results["tests"] if "score" in t}


@pytest.mark.parametrize("lesson", [p.stem for p in lesson_notebooks(SOLUTIONS)])
def test_solution_scores_full_marks(lesson, autograders, tmp_path):
    scores = otter_grade(autograders[lesson]["solution"], autograders[lesson]["zip"], tmp_path)
    assert scores, "no graded questions"
    assert all(score == top and top > 0 for score, top in scores.values()), scores


@pytest.mark.parametrize("lesson", [p.stem for p in lesson_notebooks(NOTEBOOKS)])
def test_blank_learner_notebook_scores_zero(lesson, autograders, tmp_path):
    scores = otter_grade(NOTEBOOKS / f"{lesson}.ipynb", autograders[lesson]["zip"], tmp_path)
    assert scores and all(score == 0 for score, _ in scores.values()), scores


# ---- lesson 01: wrong answers, checked in-process against the full (hidden included) tests ----

def load_tests(lesson: str, question: str, autograders) -> ExceptionTestFile:
    with zipfile.ZipFile(autograders[lesson]["zip"]) as z:
        source = z.read(f"tests/{question}.py").decode()
    return ExceptionTestFile.from_string(source, path=f"{question}.py")


def grade(tests: ExceptionTestFile, env: dict) -> tuple[float, str]:
    tests.run(env)
    return tests.score, "\n".join(r.message for r in tests.test_case_results)


@pytest.fixture(scope="module")
def env01():
    history = keras.callbacks.History()
    history.history = cu.make_learning_curves("overfitting", epochs=30, seed=0)
    mystery = {"A": cu.make_learning_curves("underfitting", seed=3),
               "B": cu.make_learning_curves("overfitting", seed=4),
               "C": cu.make_learning_curves("good fit", seed=5)}
    return {"np": np, "history": history, "mystery": mystery}


def gap_right(h):
    h = getattr(h, "history", h)
    return h["accuracy"][-1] - h["val_accuracy"][-1]


def best_right(h):
    return int(np.argmin(getattr(h, "history", h)["val_loss"])) + 1


@pytest.mark.parametrize("fn,score,message", [
    (gap_right, None, ""),  # full marks
    (lambda h: h["accuracy"][-1] - h["val_accuracy"][-1], None, "`.history`"),  # dict only
    (lambda h: getattr(h, "history", h)["accuracy"][0] - getattr(h, "history", h)["val_accuracy"][0], 0, "LAST epoch"),
    (lambda h: getattr(h, "history", h)["val_accuracy"][-1] - getattr(h, "history", h)["accuracy"][-1], 0, "off by"),
    (lambda h: None, 0, "does your function `return`"),
    (lambda h: 1 / 0, 0, "ZeroDivisionError"),
    (..., 0, "not a function yet"),
])
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


@pytest.mark.parametrize("fn,message", [
    (lambda h: int(np.argmin(getattr(h, "history", h)["val_loss"])), "list INDEX"),  # off by one
    (lambda h: int(np.argmin(getattr(h, "history", h)["loss"])) + 1, "expected"),   # training loss
    (lambda h: "3", "not the text"),
])
def test_q2_best_epoch_feedback(fn, message, env01, autograders):
    tests = load_tests("01_overfitting", "q2_best_epoch", autograders)
    got, text = grade(tests, {**env01, "best_epoch": fn})
    assert got < tests.possible and message in text, text
    right, _ = grade(load_tests("01_overfitting", "q2_best_epoch", autograders),
                     {**env01, "best_epoch": best_right})
    assert right == tests.possible


@pytest.mark.parametrize("answer,message", [
    ({"A": "underfitting", "B": "overfitting", "C": "good fit"}, None),
    ({"A": "overfitting", "B": "underfitting", "C": "good fit"}, "not diagnosed correctly"),
    ({"A": "Underfitting ", "B": "OVERFITTING", "C": "good fit"}, None),  # case/space tolerant
    ({"A": "underfit", "B": "overfitting", "C": "good fit"}, "not one of"),
    ({"A": ..., "B": ..., "C": ...}, "should be one of"),
    ({"A": "underfitting", "B": "overfitting"}, "exactly the keys"),
])
def test_q3_diagnosis_feedback(answer, message, env01, autograders):
    tests = load_tests("01_overfitting", "q3_diagnose", autograders)
    got, text = grade(tests, {**env01, "diagnosis": answer})
    if message is None:
        assert got == tests.possible, text
    else:
        assert got < tests.possible and message in text, text
