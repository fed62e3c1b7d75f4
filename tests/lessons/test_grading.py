"""The instructor's batch grading (tools/grade.py, `make grade`) on deliberately wrong submissions
of lesson 09, generated at test time from its solution (tests/submissions/make_submissions.py):
per-question scores, statuses, the CSV's shape, the feedback files, and the batch surviving
crashes, deleted grading files, an infinite loop and files that are not notebooks."""

from __future__ import annotations

import csv
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "tests" / "submissions"))
from make_submissions import make_submissions  # noqa: E402

LESSON = "09_exercises"
GRADE = ROOT / "tools" / "grade.py"
QUESTIONS = ["q1_dropout_sweep", "q2_bn_placement", "q3_challenge", "q4_schedule", "q5_adam", "q6_diagnose",
             "q7_concepts"]
MAXIMA = {"q1_dropout_sweep": 3, "q2_bn_placement": 3, "q3_challenge": 4, "q4_schedule": 3, "q5_adam": 4,
          "q6_diagnose": 2, "q7_concepts": 2}
LOOP_TIMEOUT = 20  # seconds: the infinite loop starts right after the parameters cell


def run_grade(folder: Path, out: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(GRADE), str(folder), "--out", str(out), *args],
                          capture_output=True, text=True, cwd=ROOT)


def read_csv(path: Path) -> tuple[list[str], dict[str, dict[str, str]]]:
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    header = rows[0]
    return header, {r[0]: dict(zip(header, r)) for r in rows[1:]}


@pytest.fixture(scope="module")
def faults(autograders, tmp_path_factory):
    """Grade the submissions that run: several faults in one notebook, and one deleting the grader."""
    folder = tmp_path_factory.mktemp("submissions")
    make_submissions(autograders[LESSON]["solution"], folder, ["several_faults", "deletes_grader"])
    out = tmp_path_factory.mktemp("graded")
    proc = run_grade(folder, out, "--autograder", str(autograders[LESSON]["zip"]), "--timeout", "600")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out, proc


@pytest.fixture(scope="module")
def stuck(autograders, tmp_path_factory):
    """Grade an infinite loop between two files that are not notebooks, with a short time limit;
    this batch builds its own autograder, as `make grade` does."""
    folder = tmp_path_factory.mktemp("stuck")
    make_submissions(autograders[LESSON]["solution"], folder, ["essay.txt", "infinite_loop", "not_json.ipynb"])
    (folder / "lesson01.ipynb").write_text((ROOT / "notebooks" / "01_overfitting.ipynb").read_text())
    out = tmp_path_factory.mktemp("graded_stuck")
    start = time.perf_counter()
    proc = run_grade(folder, out, "--lesson", "09", "--timeout", str(LOOP_TIMEOUT))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out, proc, time.perf_counter() - start


def test_csv_has_one_row_per_submission_and_one_column_per_question(faults, stuck):
    for out, names in ((faults[0], {"several_faults.ipynb", "deletes_grader.ipynb"}),
                       (stuck[0], {"essay.txt", "infinite_loop.ipynb", "lesson01.ipynb", "not_json.ipynb"})):
        header, rows = read_csv(out / "grades.csv")
        assert header == ["submission", "status", *QUESTIONS, "total", "max", "seconds"]
        assert set(rows) == names
        for row in rows.values():
            assert row["max"] == "21"
            assert float(row["total"]) == pytest.approx(sum(float(row[q]) for q in QUESTIONS))
        assert {p.name for p in (out / "feedback").glob("*.txt")} == {
            (n[:-6] if n.endswith(".ipynb") else n) + ".txt" for n in names}


def test_several_faults_get_the_expected_partial_scores(faults):
    _, rows = read_csv(faults[0] / "grades.csv")
    row = rows["several_faults.ipynb"]
    assert row["status"] == "ok"
    expected = {"q1_dropout_sweep": 3,  # right
                "q2_bn_placement": 0,   # the cell defining bn_model raised before defining it
                "q3_challenge": 2,      # architecture kept and generalizes, threshold missed (2 of 4)
                "q4_schedule": 1,       # off-by-one warm-up: the decay-phase test still passes
                "q5_adam": 1,           # wrong sign: only the moments test passes
                "q6_diagnose": 2, "q7_concepts": 2}
    assert {q: float(row[q]) for q in QUESTIONS} == expected, row
    assert float(row["total"]) == 11


def test_feedback_says_what_is_wrong(faults):
    text = (faults[0] / "feedback" / "several_faults.txt").read_text()
    assert "Status: ok" in text and "Score: 11 / 21" in text
    assert "raised RuntimeError: a crash before bn_model is defined" in text
    assert "q4_schedule: 1 / 3" in text and "Wrong value at step 0" in text
    assert "q5_adam: 1 / 4" in text and "Wrong sign" in text
    assert "q3_challenge: 2 / 4" in text and "below the threshold 0.850: missed by" in text
    assert "`bn_model` is not a function yet" in text
    assert "(hidden test)" in text  # hidden tests' messages reach the instructor's feedback
    assert "Graded at the quick parameters" in text


def test_a_submission_that_deletes_the_grader_scores_zero_and_is_reported(faults):
    _, rows = read_csv(faults[0] / "grades.csv")
    row = rows["deletes_grader.ipynb"]
    assert row["status"].startswith("error: no grading results: the notebook deleted or broke the grading files"), row
    assert all(float(row[q]) == 0 for q in QUESTIONS), row  # its right q4/q5 answers are not credited
    assert "Status: error" in (faults[0] / "feedback" / "deletes_grader.txt").read_text()


def test_infinite_loop_times_out_and_the_batch_goes_on(stuck):
    out, proc, seconds = stuck
    _, rows = read_csv(out / "grades.csv")
    assert rows["infinite_loop.ipynb"]["status"] == f"timeout (> {LOOP_TIMEOUT} s)"
    assert float(rows["infinite_loop.ipynb"]["seconds"]) < LOOP_TIMEOUT + 15
    assert all(float(rows["infinite_loop.ipynb"][q]) == 0 for q in QUESTIONS)
    assert rows["not_json.ipynb"]["status"] == "not a notebook"  # graded after the loop was killed
    assert "timeout" in (out / "feedback" / "infinite_loop.txt").read_text()


def test_the_looping_kernel_is_killed(stuck):
    psutil = pytest.importorskip("psutil")
    out = stuck[0]
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        assert "grade.py --worker" not in cmdline or str(out) not in cmdline
        assert not ("ipykernel" in cmdline and "grade-" in cmdline), cmdline  # kernels of tools/grade.py


def test_files_that_are_not_notebooks_get_a_row(stuck):
    _, rows = read_csv(stuck[0] / "grades.csv")
    assert rows["essay.txt"]["status"] == "not a notebook (.txt file)"
    assert rows["not_json.ipynb"]["status"] == "not a notebook"
    assert "Could not read it as a notebook" in (stuck[0] / "feedback" / "not_json.txt").read_text()


def test_a_notebook_of_another_lesson_is_not_graded_against_this_one(stuck):
    _, rows = read_csv(stuck[0] / "grades.csv")
    assert rows["lesson01.ipynb"]["status"] == "wrong lesson (01_overfitting)"
    assert float(rows["lesson01.ipynb"]["total"]) == 0


def test_clear_errors_for_a_missing_or_empty_folder(tmp_path):
    proc = run_grade(tmp_path / "nope", tmp_path / "out")
    assert proc.returncode == 2 and "does not exist" in proc.stderr
    (tmp_path / "empty").mkdir()
    proc = run_grade(tmp_path / "empty", tmp_path / "out")
    assert proc.returncode == 2 and "is empty" in proc.stderr
    (tmp_path / "anon").mkdir()
    (tmp_path / "anon" / "x.txt").write_text("hello")
    proc = run_grade(tmp_path / "anon", tmp_path / "out")
    assert proc.returncode == 2 and "--lesson 09" in proc.stderr
    proc = run_grade(tmp_path / "anon", tmp_path / "out", "--lesson", "99")
    assert proc.returncode == 2 and "matches no lesson" in proc.stderr
    assert not (tmp_path / "out" / "grades.csv").exists()
