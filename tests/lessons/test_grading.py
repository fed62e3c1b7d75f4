"""The instructor's batch grading (tools/grade.py, `make grade`) on deliberately wrong submissions
of lesson 10, generated at test time from its solution (tests/submissions/make_submissions.py):
per-question scores, statuses, the CSV's shape, the feedback files, and the batch surviving
crashes, deleted grading files, an infinite loop and files that are not notebooks; and on hostile
ones (make_hostile): a detached process, writes outside the submission, reading the answer key,
a huge output, a forged full-marks report, patched otter/numpy/course_utils.grading and a forged
hand-back to the judge gain nothing, change nothing and leave no process; the answer-key side is
nowhere in the sandbox. SIGTERM keeps the rows graded so far, --resume grades the rest. The hand-
back format's decoder (tools/judge_codec.py) is tested on its own, without a sandbox."""

from __future__ import annotations

import csv
import hashlib
import os
import signal
import subprocess
import sys
import sysconfig
import time
import uuid
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "tests" / "submissions"))
from make_submissions import hostile_targets, make_hostile, make_sleeper, make_submissions  # noqa: E402

sys.path.insert(0, str(ROOT / "tools"))
import grade  # noqa: E402

LESSON = "10_exercises"
GRADE = ROOT / "tools" / "grade.py"
QUESTIONS = [
    "q1_dropout_sweep",
    "q2_bn_placement",
    "q3_challenge",
    "q4_schedule",
    "q5_adam",
    "q6_diagnose",
    "q7_concepts",
]
MAXIMA = {
    "q1_dropout_sweep": 3,
    "q2_bn_placement": 3,
    "q3_challenge": 4,
    "q4_schedule": 3,
    "q5_adam": 4,
    "q6_diagnose": 2,
    "q7_concepts": 2,
}
LOOP_TIMEOUT = 20  # seconds: the infinite loop starts right after the parameters cell


def run_grade(folder: Path, out: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(GRADE), str(folder), "--out", str(out), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )


def read_csv(path: Path) -> tuple[list[str], dict[str, dict[str, str]]]:
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    header = rows[0]
    return header, {r[0]: dict(zip(header, r)) for r in rows[1:]}


MARKER = f"hostile-{uuid.uuid4().hex}"  # in the command line of every process the hostile notebooks start


def tree_hash(*paths: Path) -> dict[str, str]:
    """{file: sha256} of every file under ``paths``."""
    out = {}
    for root in paths:
        for f in sorted([root] if root.is_file() else root.rglob("*")):
            if f.is_file():
                out[str(f)] = hashlib.sha256(f.read_bytes()).hexdigest()
    return out


def marked_processes(marker: str) -> list[str]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in cmdline and int(pid) != os.getpid():
            found.append(f"{pid}: {cmdline[:200]}")
    return found


@pytest.fixture(scope="module")
def faults(autograders, tmp_path_factory):
    """Grade the submissions that run: the solution, several faults in one notebook, one deleting
    the grader, and the hostile ones (which need no training: cheap), with another submission
    (victim.txt) and the repository's solutions/ hashed before and after."""
    folder = tmp_path_factory.mktemp("submissions")
    solution = autograders[LESSON]["solution"]
    make_submissions(
        solution, folder, ["several_faults", "deletes_grader", "other_correct_models", "wrong_models"]
    )
    (folder / "honest.ipynb").write_text(solution.read_text())
    victim = folder / "victim.txt"
    victim.write_text("another learner's submission\n")
    out = tmp_path_factory.mktemp("graded")
    make_hostile(
        solution,
        folder,
        out,
        victim,
        MARKER,
        MAXIMA,
        explicit=[str(autograders[LESSON]["zip"]), str(autograders[LESSON]["zip"].parent)],
    )
    before = tree_hash(folder)  # solutions/ is edited by others while a batch runs: checked for the marks
    try:
        proc = run_grade(folder, out, "--autograder", str(autograders[LESSON]["zip"]), "--timeout", "600")
        time.sleep(4)  # the detached process writes 3 s after it starts, then every second
        after = tree_hash(folder)
        planted = [t for t in hostile_targets(out, victim, MARKER) if "PWNED" in t and Path(t).exists()]
        survivors = marked_processes(MARKER)
    finally:
        for t in hostile_targets(out, victim, MARKER):  # should not exist; never leave them behind
            if "PWNED" in t and Path(t).exists():
                Path(t).unlink()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out, proc, {"before": before, "after": after, "planted": planted, "survivors": survivors}


@pytest.fixture(scope="module")
def stuck(autograders, tmp_path_factory):
    """Grade an infinite loop between two files that are not notebooks, with a short time limit;
    this batch builds its own autograder, as `make grade` does."""
    folder = tmp_path_factory.mktemp("stuck")
    make_submissions(
        autograders[LESSON]["solution"], folder, ["essay.txt", "infinite_loop", "not_json.ipynb"]
    )
    (folder / "lesson01.ipynb").write_text((ROOT / "notebooks" / "01_overfitting.ipynb").read_text())
    out = tmp_path_factory.mktemp("graded_stuck")
    start = time.perf_counter()
    proc = run_grade(folder, out, "--lesson", "10", "--timeout", str(LOOP_TIMEOUT))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out, proc, time.perf_counter() - start


def test_csv_has_one_row_per_submission_and_one_column_per_question(faults, stuck):
    for out, names in (
        (
            faults[0],
            {
                "several_faults.ipynb",
                "deletes_grader.ipynb",
                "other_correct_models.ipynb",
                "wrong_models.ipynb",
                "honest.ipynb",
                "victim.txt",
                "hostile_escape.ipynb",
                "hostile_forge.ipynb",
                "hostile_patch.ipynb",
                "hostile_handback.ipynb",
            },
        ),
        (stuck[0], {"essay.txt", "infinite_loop.ipynb", "lesson01.ipynb", "not_json.ipynb"}),
    ):
        header, rows = read_csv(out / "grades.csv")
        assert header == ["submission", "status", *QUESTIONS, "total", "max", "seconds"]
        assert set(rows) == names
        for row in rows.values():
            assert row["max"] == "21"
            assert float(row["total"]) == pytest.approx(sum(float(row[q]) for q in QUESTIONS))
        assert {p.name for p in (out / "feedback").glob("*.txt")} == {f"{n}.txt" for n in rows}


def test_several_faults_get_the_expected_partial_scores(faults):
    _, rows = read_csv(faults[0] / "grades.csv")
    row = rows["several_faults.ipynb"]
    assert row["status"] == "ok"
    expected = {
        "q1_dropout_sweep": 3,  # right
        "q2_bn_placement": 0,  # the cell defining bn_model raised before defining it
        "q3_challenge": 2,  # architecture kept, trained within the budget; held-out threshold missed (2 of 4)
        "q4_schedule": 1,  # off-by-one warm-up: the decay-phase test still passes
        "q5_adam": 1,  # wrong sign: only the moments test passes
        "q6_diagnose": 2,
        "q7_concepts": 2,
    }
    assert {q: float(row[q]) for q in QUESTIONS} == expected, row
    assert float(row["total"]) == 11


def test_feedback_says_what_is_wrong(faults):
    text = (faults[0] / "feedback" / "several_faults.ipynb.txt").read_text()
    assert "Status: ok" in text and "Score: 11 / 21" in text
    assert "raised RuntimeError: a crash before bn_model is defined" in text
    assert "q4_schedule: 1 / 3" in text and "Wrong value at step 0" in text
    assert "q5_adam: 1 / 4" in text and "Wrong sign" in text
    assert "q3_challenge: 2 / 4" in text and "below the threshold 0.850: missed by" in text
    assert "the accuracy of challenge_model on held-out test images is" in text
    assert "`bn_model` is not a function yet" in text
    assert "(hidden test)" in text  # hidden tests' messages reach the instructor's feedback
    assert "Graded at the quick parameters" in text


def test_hand_written_models_written_another_way_get_full_marks(faults):
    """Functional API, ReLU() and Activation("relu") layers, Dense(activation="relu"), early stopping on
    the validation loss: any correct Keras model passes, not only the solution's."""
    _, rows = read_csv(faults[0] / "grades.csv")
    row = rows["other_correct_models.ipynb"]
    assert row["status"] == "ok" and float(row["total"]) == 21, row


def test_wrong_hand_written_models_fail_with_what_is_wrong(faults):
    _, rows = read_csv(faults[0] / "grades.csv")
    row = rows["wrong_models.ipynb"]
    assert row["status"] == "ok", row
    assert {q: float(row[q]) for q in QUESTIONS} == {
        "q1_dropout_sweep": 1.5,  # the sweep and best_rate are right; one Dropout is missing
        "q2_bn_placement": 1,  # the results are right; both placements are swapped
        "q3_challenge": 2,  # architecture and budget right; validated on the graded test images
        "q4_schedule": 3,
        "q5_adam": 4,
        "q6_diagnose": 2,
        "q7_concepts": 2,
    }, row
    text = (faults[0] / "feedback" / "wrong_models.ipynb.txt").read_text()
    assert "should have one Dropout(0.3) after each of its 2 hidden layers" in text
    assert "its layers are: dense -> relu -> dropout(0.3) -> dense -> relu -> dense -> softmax" in text
    assert "bn_model('before') applies dense -> relu -> batch_norm -> dense -> relu -> batch_norm" in text
    assert "validation scores are those of the held-out test images" in text
    assert "early-stop on challenge's own validation split" in text


def test_a_submission_that_deletes_the_grader_gets_what_its_answers_are_worth(faults):
    """The sandbox holds no grading file and the judge runs outside it: deleting files and the
    grader object changes nothing, so its right q4/q5 answers count and nothing else does."""
    _, rows = read_csv(faults[0] / "grades.csv")
    row = rows["deletes_grader.ipynb"]
    assert row["status"] == "ok", row
    assert {q: float(row[q]) for q in QUESTIONS} == {
        **{q: 0 for q in QUESTIONS},
        "q4_schedule": 3,
        "q5_adam": 4,
    }, row


def test_infinite_loop_times_out_and_the_batch_goes_on(stuck):
    out, proc, seconds = stuck
    _, rows = read_csv(out / "grades.csv")
    assert rows["infinite_loop.ipynb"]["status"] == f"timeout (> {LOOP_TIMEOUT} s)"
    assert float(rows["infinite_loop.ipynb"]["seconds"]) < LOOP_TIMEOUT + 15
    assert all(float(rows["infinite_loop.ipynb"][q]) == 0 for q in QUESTIONS)
    assert rows["not_json.ipynb"]["status"] == "not a notebook"  # graded after the loop was killed
    assert "timeout" in (out / "feedback" / "infinite_loop.ipynb.txt").read_text()


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
    assert "Could not read it as a notebook" in (stuck[0] / "feedback" / "not_json.ipynb.txt").read_text()


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
    assert proc.returncode == 2 and "--lesson 10" in proc.stderr
    proc = run_grade(tmp_path / "anon", tmp_path / "out", "--lesson", "99")
    assert proc.returncode == 2 and "matches no lesson" in proc.stderr
    assert not (tmp_path / "out" / "grades.csv").exists()


# ---- hostile submissions (graded in the faults batch) ------------------------------------------------


def test_the_honest_submission_keeps_full_marks(faults):
    _, rows = read_csv(faults[0] / "grades.csv")
    assert rows["honest.ipynb"]["status"] == "ok" and float(rows["honest.ipynb"]["total"]) == 21, rows[
        "honest.ipynb"
    ]
    assert float(rows["several_faults.ipynb"]["total"]) == 11


def test_hostile_submissions_gain_nothing(faults):
    _, rows = read_csv(faults[0] / "grades.csv")
    escape, forge = rows["hostile_escape.ipynb"], rows["hostile_forge.ipynb"]
    assert escape["status"] == "ok" and float(escape["total"]) == 0, escape
    # otter's classes, numpy.allclose and course_utils.grading patched to pass everything in the
    # kernel: the judge's interpreter is not the kernel's, so the wrong answers stay wrong
    patch = rows["hostile_patch.ipynb"]
    assert patch["status"] == "ok" and float(patch["total"]) == 0, patch
    # every answer handed back forged (malformed, NaN, huge, untrusted classes, a Lambda model,
    # oversized, not JSON): graded as the unusable data it is, the batch goes on
    handback = rows["hostile_handback.ipynb"]
    assert handback["status"] == "ok" and float(handback["total"]) == 0, handback
    text = (faults[0] / "feedback" / "hostile_handback.ipynb.txt").read_text()
    assert "could not be read" in text and "could not be computed" in text, text[:2000]
    # the forged full-marks files are ignored; what it wrote into the pipes to the judge is refused
    # (a message that is not the hand-back format), or its worker's death ends the hand-back
    assert forge["status"].startswith(
        ("error: grader process failed", "error: invalid hand-back", "invalid result")
    ), forge
    assert float(forge["total"]) == 0 and all(float(forge[q]) == 0 for q in QUESTIONS), forge


def test_hostile_submissions_change_nothing_outside_their_sandbox(faults):
    out, _, seen = faults
    assert seen["planted"] == []  # no file in solutions/, build/, the repository or the venv's site-packages
    assert seen["after"] == seen["before"]  # every submission, victim.txt included
    # the hostile writes append "pwned" (and plant PWNED-* files): none reached solutions/ or build/
    for top in (ROOT / "solutions", ROOT / "build"):
        assert not [f for f in top.rglob("PWNED*")], top
    assert not [f for f in (ROOT / "solutions").glob("*.ipynb") if b"pwned by" in f.read_bytes()]
    assert not list(Path(sysconfig.get_paths()["purelib"]).glob(f"PWNED-{MARKER}*"))
    assert "pwned" not in (out / "grades.csv").read_text()
    assert not any("pwned" in f.read_text() for f in (out / "feedback").glob("*.txt"))
    assert not list((out / "feedback").glob("PWNED*"))


def test_no_process_of_a_hostile_submission_survives(faults):
    assert faults[2]["survivors"] == []
    assert marked_processes(MARKER) == []


def test_the_answer_key_side_is_nowhere_in_the_sandbox(faults):
    """hostile_patch searched every file it could see (names of hidden tests, the answer key of
    exercise 7, solution code, the autograder zip's path, solutions/) and raised what it found."""
    text = (faults[0] / "feedback" / "hostile_patch.ipynb.txt").read_text()
    assert "raised RuntimeError: ANSWER-KEY-SEARCH found=0: []" in text, text[:1500]
    escape = (faults[0] / "feedback" / "hostile_escape.ipynb.txt").read_text()
    assert "raised RuntimeError: LEAK" in escape  # it ran, and found nothing to leak


def test_feedback_never_quotes_the_hidden_tests_or_the_answer_key(faults, autograders):
    text = (faults[0] / "feedback" / "hostile_escape.ipynb.txt").read_text()
    assert len(text) <= grade.FEEDBACK_CAP + 100
    with zipfile.ZipFile(autograders[LESSON]["zip"]) as z:
        hidden = {
            line.strip()
            for n in z.namelist()
            if n.startswith("tests/")
            for line in z.read(n).decode().splitlines()
            if len(line.strip()) >= 16
        }
    for f in (faults[0] / "feedback").glob("*.txt"):
        body = f.read_text()
        assert not [line for line in hidden if line in body], f.name
    assert all(f.stat().st_size <= grade.FEEDBACK_CAP + 100 for f in (faults[0] / "feedback").glob("*.txt"))


def test_every_score_is_validated():
    questions = {"q1": 3.0, "q2": 2.0}
    case = {"name": "q1 - 1", "hidden": False, "passed": True, "message": ""}
    good = {
        "questions": {"q1": {"score": 3.0, "cases": [case]}, "q2": {"score": 0, "cases": []}},
        "cell_errors": [],
        "error": None,
    }
    assert grade.validate_report(good, questions) is good
    bad_scores = [7000, -1, float("nan"), float("inf"), "3", None, True, [3]]
    for score in bad_scores:
        report = {**good, "questions": {**good["questions"], "q1": {"score": score, "cases": []}}}
        with pytest.raises(grade.Invalid):
            grade.validate_report(report, questions)
    for questions_seen in (
        {"q1": good["questions"]["q1"]},
        {**good["questions"], "q3": {"score": 0, "cases": []}},
    ):
        with pytest.raises(grade.Invalid):
            grade.validate_report({**good, "questions": questions_seen}, questions)
    for junk in ([], "x", {"questions": {}}, {**good, "cell_errors": [{"cell": 1}]}, {**good, "error": 3}):
        with pytest.raises(grade.Invalid):
            grade.validate_report(junk, questions)


# ---- a batch that loses nothing ------------------------------------------------------------------------


def test_sigterm_keeps_the_rows_and_resume_grades_the_rest(autograders, tmp_path):
    """SIGTERM while a looping notebook (with a marked child) is graded: the batch exits 130, the
    rows already graded stay, no process of the sandbox survives; --resume grades only the rest.
    Also: a dot-file gets a row, and dave.pdf / dave.pdf.ipynb get distinct feedback files."""
    marker = f"sleeper-{uuid.uuid4().hex}"
    folder = tmp_path / "subs"
    folder.mkdir()
    (folder / ".hidden.ipynb").write_text("not json")
    (folder / "dave.pdf").write_text("%PDF-1.4")
    (folder / "dave.pdf.ipynb").write_text("not json either")
    make_sleeper(autograders[LESSON]["solution"], folder / "zz_sleeper.ipynb", marker)
    out = tmp_path / "out"
    (out / "feedback").mkdir(parents=True)
    (out / "feedback" / "kept.txt").write_text("an earlier batch's feedback")  # not emptied up front
    zip_arg = ["--autograder", str(autograders[LESSON]["zip"]), "--lesson", "10"]
    proc = subprocess.Popen(
        [sys.executable, str(GRADE), str(folder), "--out", str(out), *zip_arg, "--timeout", "300"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        deadline = time.time() + 240
        while not marked_processes(marker) and time.time() < deadline and proc.poll() is None:
            time.sleep(0.5)
        assert marked_processes(marker), "the sleeper's child never started"
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stdout + stderr
    assert "--resume" in stderr
    time.sleep(1)
    assert marked_processes(marker) == []
    _, rows = read_csv(out / "grades.csv")
    assert set(rows) == {".hidden.ipynb", "dave.pdf", "dave.pdf.ipynb"}
    assert {p.name for p in (out / "feedback").glob("*.txt")} == {
        "kept.txt",
        ".hidden.ipynb.txt",
        "dave.pdf.txt",
        "dave.pdf.ipynb.txt",
    }
    assert "%PDF" not in (out / "feedback" / "dave.pdf.ipynb.txt").read_text()
    assert "Submission: dave.pdf\n" in (out / "feedback" / "dave.pdf.txt").read_text()

    done = run_grade(folder, out, *zip_arg, "--timeout", "5", "--resume")
    assert done.returncode == 0, done.stdout + done.stderr
    with open(out / "grades.csv", newline="") as fh:
        names = [r[0] for r in csv.reader(fh)][1:]
    assert sorted(names) == [".hidden.ipynb", "dave.pdf", "dave.pdf.ipynb", "zz_sleeper.ipynb"]  # each once
    assert read_csv(out / "grades.csv")[1]["zz_sleeper.ipynb"]["status"] == "timeout (> 5 s)"
    assert marked_processes(marker) == []


def test_two_jobs_grade_in_parallel_and_an_interrupt_kills_every_sandbox(autograders, tmp_path):
    """--jobs 2: two looping notebooks (each with a marked child) run at the same time, each in its
    own sandbox; the rows of the files already done are on disk; SIGTERM kills both sandboxes;
    --resume --jobs 2 then grades the two (timeouts), each row once."""
    markers = [f"jobs-{i}-{uuid.uuid4().hex}" for i in range(2)]
    folder = tmp_path / "subs"
    folder.mkdir()
    (folder / "a.txt").write_text("not a notebook")
    (folder / "b.ipynb").write_text("not json")
    for i, marker in enumerate(markers):
        make_sleeper(autograders[LESSON]["solution"], folder / f"sleeper{i}.ipynb", marker)
    out = tmp_path / "out"
    zip_arg = ["--autograder", str(autograders[LESSON]["zip"]), "--lesson", "10", "--jobs", "2"]
    proc = subprocess.Popen(
        [sys.executable, str(GRADE), str(folder), "--out", str(out), *zip_arg, "--timeout", "300"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        deadline = time.time() + 240
        while (
            not all(marked_processes(m) for m in markers) and time.time() < deadline and proc.poll() is None
        ):
            time.sleep(0.5)
        assert all(marked_processes(m) for m in markers), "the two sleepers never ran at the same time"
        assert set(read_csv(out / "grades.csv")[1]) == {"a.txt", "b.ipynb"}  # written as each finished
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stdout + stderr
    time.sleep(1)
    assert [m for m in markers if marked_processes(m)] == []
    done = run_grade(folder, out, *zip_arg, "--timeout", "5", "--resume")
    assert done.returncode == 0, done.stdout + done.stderr
    with open(out / "grades.csv", newline="") as fh:
        names = [r[0] for r in csv.reader(fh)][1:]
    assert sorted(names) == ["a.txt", "b.ipynb", "sleeper0.ipynb", "sleeper1.ipynb"]
    rows = read_csv(out / "grades.csv")[1]
    assert rows["sleeper0.ipynb"]["status"] == rows["sleeper1.ipynb"]["status"] == "timeout (> 5 s)"
    assert [m for m in markers if marked_processes(m)] == []


def test_no_sandbox_no_grading_unless_asked(autograders, tmp_path):
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / "essay.txt").write_text("hello")
    args = [
        sys.executable,
        str(GRADE),
        str(tmp_path / "subs"),
        "--out",
        str(tmp_path / "out"),
        "--lesson",
        "10",
        "--autograder",
        str(autograders[LESSON]["zip"]),
    ]
    env = {**os.environ, "PATH": str(tmp_path)}  # no bwrap on PATH
    proc = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, env=env)
    assert proc.returncode == 2 and "apt-get install bubblewrap" in proc.stderr, proc.stderr
    assert not (tmp_path / "out" / "grades.csv").exists()
    proc = subprocess.run([*args, "--unsafe-no-sandbox"], capture_output=True, text=True, cwd=ROOT, env=env)
    assert proc.returncode == 0 and "WARNING: --unsafe-no-sandbox" in proc.stderr, proc.stderr
    assert read_csv(tmp_path / "out" / "grades.csv")[1]["essay.txt"]["status"] == "not a notebook (.txt file)"


def test_sandbox_keeps_a_virtual_environment_under_tmp_visible(tmp_path, monkeypatch):
    """The sandbox's /tmp is a private tmpfs; a checkout and venv under /tmp (as on CI machines)
    must be bound again, read-only, or the worker cannot even start its Python."""
    sys.path.insert(0, str(ROOT / "tools"))
    import grade

    venv = tmp_path / "venv"
    venv.mkdir()
    monkeypatch.setattr(sys, "prefix", str(venv))
    cmd = grade.sandbox_command(3, "x.ipynb", 4, 5, hidden=[])
    binds = [(cmd[i + 1], cmd[i + 2]) for i, arg in enumerate(cmd) if arg == "--ro-bind"]
    assert (str(venv.resolve()), str(venv.resolve())) in binds, cmd
    assert cmd.index("--tmpfs") < cmd.index(str(venv.resolve())), "bound after /tmp's tmpfs, not before"


# ---- the hand-back format (tools/judge_codec.py): data only, every limit enforced by the decoder -------


def test_the_hand_back_carries_plain_values_exactly():
    import judge_codec as codec
    import numpy as np

    value = {
        "a": [1, 2.5, None, True, "x", (3, float("nan"))],
        7: np.arange(6, dtype="int32").reshape(2, 3),
        ("k", 1): {"nested": np.float32(0.25)},
        "e": ...,
    }
    back = codec.decode(json_roundtrip(codec.encode(value)))
    assert back["a"][:5] == [1, 2.5, None, True, "x"] and back["a"][5][0] == 3 and np.isnan(back["a"][5][1])
    assert back[7].dtype == np.int32 and back[7].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert float(back[("k", 1)]["nested"]) == 0.25 and back["e"] is Ellipsis
    assert isinstance(codec.decode(codec.encode(object())), codec.Unavailable)  # not data: not handed back
    import keras

    history = keras.callbacks.History()
    history.history = {"loss": [1.0, 0.5]}
    back = codec.decode(json_roundtrip(codec.encode(history)))  # an allow-listed class, rebuilt from data
    assert type(back) is keras.callbacks.History and back.history == {"loss": [1.0, 0.5]}


def json_roundtrip(data):
    import json

    return json.loads(json.dumps(data))


def test_the_hand_back_decoder_refuses_forgeries():
    import judge_codec as codec

    deep = {"t": "none"}
    for _ in range(40):
        deep = {"t": "list", "v": [deep]}
    forged = [
        {"t": "array", "dtype": "float64", "shape": [100000000], "b64": "AAAAAAAAAAA="},  # shape without data
        {"t": "array", "dtype": "float64", "shape": [10**6, 10**6], "b64": ""},  # over the budget
        {"t": "array", "dtype": "object", "shape": [1], "b64": "AA=="},  # pickled objects
        {"t": "object", "cls": "os:system", "attrs": {}},  # untrusted class
        {"t": "object", "cls": "builtins:eval", "attrs": {}},
        {"t": "object", "cls": "keras.src.saving.saving_lib:_load_state", "attrs": {}},
        {"t": "object", "cls": "course_utils.data:Dataset", "attrs": {"__class__": {"t": "none"}}},
        {"t": "object", "cls": "keras.layers:Dense", "attrs": {}},  # Keras, but not a callback
        {"t": "pickle", "v": "gASVAAAAAAAAAAA="},
        {"t": "int", "v": "9" * 100000},
        {"t": "int", "v": "1", "x": 2},
        {"t": "exception", "cls": "__import__('os')", "msg": "x"},
        {"t": "callable", "name": "f"},  # no stand-in here
        {"t": "model", "b64": "AAAA"},  # no folder for models: not accepted here
        {"t": "dict", "v": [[{"t": "list", "v": []}, {"t": "none"}]]},
        deep,
        [],
        "x",
        {"v": 1},
        {"t": "dict", "v": [[{"t": "str", "v": str(i)}, {"t": "none"}] for i in range(codec.MAX_ITEMS)]},
    ]
    for data in forged:
        with pytest.raises(ValueError):
            codec.decode(data)


def test_a_model_with_a_lambda_layer_is_not_loaded(tmp_path):
    import base64

    import judge_codec as codec
    import keras

    model = keras.Sequential([keras.Input((2,)), keras.layers.Lambda(lambda x: x * 0 + 1)])
    data = codec.encode(model, tmpdir=str(tmp_path))
    assert data["t"] == "model"
    with pytest.raises(ValueError):
        codec.decode(data, tmpdir=str(tmp_path))
    plain = codec.encode(keras.Sequential([keras.Input((2,)), keras.layers.Dense(3)]), tmpdir=str(tmp_path))
    assert isinstance(codec.decode(plain, tmpdir=str(tmp_path)), keras.Model)
    with pytest.raises(zipfile.BadZipFile):
        codec.decode({"t": "model", "b64": base64.b64encode(b"PK not a zip").decode()}, tmpdir=str(tmp_path))


def test_a_frame_over_the_cap_is_refused_unread():
    import judge_codec as codec

    r, w = os.pipe()
    try:
        os.write(w, (10**9).to_bytes(4, "big"))
        with pytest.raises(ValueError, match="at most"):
            codec.read_frame(r, 1 << 20)
        os.write(w, (5).to_bytes(4, "big") + b"\x00abc{")
        with pytest.raises(ValueError, match="not JSON"):
            codec.read_frame(r, 1 << 20)
    finally:
        os.close(r), os.close(w)


# ---- the learner release (tools/release.py, make release) ---------------------------------------------


def test_the_release_holds_the_course_and_nothing_hidden(tmp_path):
    """The release has the lessons, course_utils, pyproject, README and environment.yml; no file
    in it holds a line of a hidden test or a solution (of any lesson), no solutions/ or autograder;
    a leak (a master copied in) is found and stops the build; a folder it did not make is kept."""
    import shutil

    import release

    secrets = release.secret_lines()
    assert all(secrets.values()), {k: len(v) for k, v in secrets.items()}  # every master has some
    key = release._normalize(
        'key = {"c1": ("b", "03"), "c2": ("a", "04"), "c3": ("c", "05"), "c4": ("b", "02 and 07"), "c5": ("c", "01")}'  # noqa: E501
    )
    assert key in secrets[LESSON]  # exercise 7's answer key, a hidden test line
    assert release._normalize("def test_adam_matches_keras_adam(adam_update):") in secrets[LESSON]
    out = release.build_release(tmp_path / "release")
    names = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()}
    assert {
        "README.md",
        "pyproject.toml",
        "environment.yml",
        "course_utils/__init__.py",
        "course_utils/grading.py",
        "notebooks/10_exercises.ipynb",
        "notebooks/01_overfitting.ipynb",
    } <= names
    assert not [n for n in names if n.startswith(("solutions", "tests", "tools")) or n.endswith(".zip")], (
        names
    )
    assert release.leaks(out) == []
    text = "\n".join(
        release._notebook_text(p) if p.suffix == ".ipynb" else p.read_text(errors="replace")
        for p in out.rglob("*")
        if p.is_file()
    )
    assert "# BEGIN SOLUTION" not in text and "hidden=True" not in text
    assert ".[course]" in (out / "environment.yml").read_text()
    assert "For instructors" not in (out / "README.md").read_text()

    shutil.copyfile(ROOT / "solutions" / "10_exercises.ipynb", out / "notebooks" / "answers.ipynb")
    found = release.leaks(out)
    assert any("answers.ipynb" in f for f in found) and any("def test_answers_correct" in f for f in found), (
        found
    )
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    with pytest.raises(SystemExit, match="was not made by tools/release.py"):
        release.build_release(mine)
    assert (mine / "notes.txt").read_text() == "mine"


# ---- the Gradescope-ready autograder zip (tools/gradescope.py, make autograder) ------------------------


@pytest.fixture(scope="module")
def gradescope(autograders, tmp_path_factory):
    """The lesson's Gradescope zip, and otter's autograder run on it as Gradescope runs it: the zip
    unpacked into <dir>/source, one notebook in <dir>/submission, results in <dir>/results, the
    zip's own run_otter.py started with <dir> in place of /autograder. This repository's virtual
    environment stands in for the image that the zip's environment.yml would build (no download
    in a test). Submissions at the lesson's quick parameters, as every grading test here."""
    import json

    import gradescope as gs
    import papermill as pm
    from _common import quick_parameters

    ag_zip = gs.gradescope_zip(autograders[LESSON]["zip"], tmp_path_factory.mktemp("gradescope"))
    results = {}
    for name, notebook in (
        ("solution", autograders[LESSON]["solution"]),
        ("blank", ROOT / "notebooks" / f"{LESSON}.ipynb"),
    ):
        home = tmp_path_factory.mktemp(f"autograder_{name}")
        for sub in ("source", "submission", "results"):
            (home / sub).mkdir()
        with zipfile.ZipFile(ag_zip) as z:
            z.extractall(home / "source")
        pm.execute_notebook(
            str(notebook),
            str(home / "submission" / f"{LESSON}.ipynb"),
            parameters=quick_parameters(LESSON),
            prepare_only=True,
            progress_bar=False,
        )
        script = (home / "source" / "run_otter.py").read_text()
        assert 'run_autograder("/autograder")' in script, script
        (home / "run_otter_here.py").write_text(script.replace('"/autograder"', repr(str(home))))
        env = {
            **os.environ,
            "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"],
            "MPLBACKEND": "Agg",
        }
        proc = subprocess.run(
            [sys.executable, str(home / "run_otter_here.py")],
            cwd=home / "source",
            env=env,
            capture_output=True,
            text=True,
            timeout=1200,
        )
        results_file = home / "results" / "results.json"
        assert results_file.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
        results[name] = json.loads(results_file.read_text())
    return ag_zip, results


def test_the_gradescope_zip_installs_tensorflow_and_course_utils_as_pinned(gradescope):
    import tomllib

    ag_zip, _ = gradescope
    with zipfile.ZipFile(ag_zip) as z:
        names = set(z.namelist())
        env = z.read("environment.yml").decode()
        reqs = z.read("requirements.txt").decode().split()
        assert z.read("course-utils/pyproject.toml") == (ROOT / "pyproject.toml").read_bytes()
        for f in (ROOT / "course_utils").rglob("*.py"):
            assert z.read(f"course-utils/{f.relative_to(ROOT)}") == f.read_bytes(), f
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = [*project["dependencies"], *project["optional-dependencies"]["course"]]
    assert any(p.startswith("tensorflow==") for p in pins)
    for pin in pins:
        spelled = pin.replace("otter-grader==", "otter-grader[grading,plugins]==")
        assert f"      - {spelled}\n" in env and spelled in reqs, pin
    assert "  - python=3.11\n" in env and "      - /autograder/source/course-utils[course]\n" in env
    assert {"run_autograder", "setup.sh", "run_otter.py", "otter_config.json"} <= names
    assert sum(n.startswith("tests/q") for n in names) == len(QUESTIONS)


def test_gradescope_run_gives_the_solution_full_marks_and_a_blank_notebook_zero(gradescope):
    """Gradescope adds up the tests' scores when results.json has no total (otter writes none; its
    "Public Tests" summary entry has no score)."""
    _, results = gradescope
    for name, expected in (("solution", 21), ("blank", 0)):
        tests = [t for t in results[name]["tests"] if "score" in t]
        assert {t["name"] for t in tests} == set(QUESTIONS), results[name]
        assert results[name].get("score", sum(t["score"] for t in tests)) == pytest.approx(expected), (
            name,
            tests,
        )
        assert sum(t["max_score"] for t in tests) == pytest.approx(21), (name, tests)


def test_both_sandboxes_see_only_the_system_the_venv_and_course_utils():
    """Neither the submission's sandbox nor the judge's binds / or the repository: only the system
    folders, a few /etc files, the interpreter, the venv and course_utils; the judge alone gets the
    autograder, as a read-only copy."""
    worker = grade.sandbox_command(3, "x.ipynb", 4, 5, hidden=[ROOT])
    judge = grade.judge_sandbox_command(6, 7, 8, hidden=[ROOT])
    for cmd in (worker, judge):
        binds = [cmd[i + 1] for i, arg in enumerate(cmd) if arg in ("--ro-bind", "--bind")]
        assert "/" not in binds and str(ROOT) not in binds and str(ROOT / "solutions") not in binds, binds
        assert all(
            b.startswith(("/usr", "/etc/", sys.base_prefix, sys.prefix, str(ROOT / "course_utils")))
            or Path(b).resolve() in (Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve())
            for b in binds
        ), binds
        assert "--unshare-all" in cmd and "--die-with-parent" in cmd
    assert "/tmp/judge/autograder.zip" in judge and not any("autograder" in a for a in worker), worker


@pytest.mark.skipif(
    grade._pids_cgroup_root() is None or grade.sandbox_available() is not None,
    reason="only a batch run as root needs a pids cgroup (the kernel applies RLIMIT_NPROC to others)",
)
def test_as_root_a_fork_bomb_stops_at_the_process_limit(monkeypatch):
    """The kernel never applies RLIMIT_NPROC to root: a root-run batch starts each sandbox in a
    pids cgroup of its own, so a fork bomb stops at PROCESS_LIMIT, and the cgroup goes after."""
    monkeypatch.setattr(grade, "PROCESS_LIMIT", 20)
    script = (
        "import os, time\n"
        "started = 0\n"
        "for _ in range(60):\n"
        "    try:\n"
        "        pid = os.fork()\n"
        "    except OSError:\n"
        "        break\n"
        "    if pid == 0:\n"
        "        time.sleep(2); os._exit(0)\n"
        "    started += 1\n"
        "print(started)\n"
    )
    cmd = grade._sandbox_base(hidden=[]) + ["--", sys.executable, "-c", script]
    group = grade._CGROUPS[-1]
    assert (group / "pids.max").read_text().strip() == "20"
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-500:]
    assert int(proc.stdout) < 20, f"{proc.stdout.strip()} processes started under a limit of 20"
    deadline = time.time() + 20
    while group.exists() and time.time() < deadline:
        grade.release_cgroups()
        time.sleep(0.5)
    assert not group.exists(), f"{group} was not removed"
