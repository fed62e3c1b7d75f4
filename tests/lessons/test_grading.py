"""The instructor's batch grading (tools/grade.py, `make grade`) on deliberately wrong submissions
of lesson 09, generated at test time from its solution (tests/submissions/make_submissions.py):
per-question scores, statuses, the CSV's shape, the feedback files, and the batch surviving
crashes, deleted grading files, an infinite loop and files that are not notebooks; and on hostile
ones (make_hostile): a detached process, writes outside the submission, reading the answer key,
a huge output and a forged full-marks report gain nothing, change nothing and leave no process.
SIGTERM keeps the rows graded so far, --resume grades the rest."""

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
    make_submissions(solution, folder, ["several_faults", "deletes_grader"])
    (folder / "honest.ipynb").write_text(solution.read_text())
    victim = folder / "victim.txt"
    victim.write_text("another learner's submission\n")
    out = tmp_path_factory.mktemp("graded")
    make_hostile(solution, folder, out, victim, MARKER, MAXIMA)
    before = tree_hash(ROOT / "solutions", folder)
    try:
        proc = run_grade(folder, out, "--autograder", str(autograders[LESSON]["zip"]), "--timeout", "600")
        time.sleep(4)  # the detached process writes 3 s after it starts, then every second
        after = tree_hash(ROOT / "solutions", folder)
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
    make_submissions(autograders[LESSON]["solution"], folder, ["essay.txt", "infinite_loop", "not_json.ipynb"])
    (folder / "lesson01.ipynb").write_text((ROOT / "notebooks" / "01_overfitting.ipynb").read_text())
    out = tmp_path_factory.mktemp("graded_stuck")
    start = time.perf_counter()
    proc = run_grade(folder, out, "--lesson", "09", "--timeout", str(LOOP_TIMEOUT))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out, proc, time.perf_counter() - start


def test_csv_has_one_row_per_submission_and_one_column_per_question(faults, stuck):
    for out, names in ((faults[0], {"several_faults.ipynb", "deletes_grader.ipynb", "honest.ipynb", "victim.txt",
                                    "hostile_escape.ipynb", "hostile_forge.ipynb"}),
                       (stuck[0], {"essay.txt", "infinite_loop.ipynb", "lesson01.ipynb", "not_json.ipynb"})):
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
    expected = {"q1_dropout_sweep": 3,  # right
                "q2_bn_placement": 0,   # the cell defining bn_model raised before defining it
                "q3_challenge": 2,      # architecture kept and generalizes, threshold missed (2 of 4)
                "q4_schedule": 1,       # off-by-one warm-up: the decay-phase test still passes
                "q5_adam": 1,           # wrong sign: only the moments test passes
                "q6_diagnose": 2, "q7_concepts": 2}
    assert {q: float(row[q]) for q in QUESTIONS} == expected, row
    assert float(row["total"]) == 11


def test_feedback_says_what_is_wrong(faults):
    text = (faults[0] / "feedback" / "several_faults.ipynb.txt").read_text()
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
    assert "Status: error" in (faults[0] / "feedback" / "deletes_grader.ipynb.txt").read_text()


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
    assert proc.returncode == 2 and "--lesson 09" in proc.stderr
    proc = run_grade(tmp_path / "anon", tmp_path / "out", "--lesson", "99")
    assert proc.returncode == 2 and "matches no lesson" in proc.stderr
    assert not (tmp_path / "out" / "grades.csv").exists()


# ---- hostile submissions (graded in the faults batch) ------------------------------------------------


def test_the_honest_submission_keeps_full_marks(faults):
    _, rows = read_csv(faults[0] / "grades.csv")
    assert rows["honest.ipynb"]["status"] == "ok" and float(rows["honest.ipynb"]["total"]) == 21, rows["honest.ipynb"]
    assert float(rows["several_faults.ipynb"]["total"]) == 11


def test_hostile_submissions_gain_nothing(faults):
    _, rows = read_csv(faults[0] / "grades.csv")
    escape, forge = rows["hostile_escape.ipynb"], rows["hostile_forge.ipynb"]
    assert escape["status"] == "ok" and float(escape["total"]) == 0, escape
    # the forged full-marks files and pipe writes are ignored: its worker died, so no score counts
    assert forge["status"].startswith(("error: grader process failed", "invalid result")), forge
    assert float(forge["total"]) == 0 and all(float(forge[q]) == 0 for q in QUESTIONS), forge


def test_hostile_submissions_change_nothing_outside_their_sandbox(faults):
    out, _, seen = faults
    assert seen["planted"] == []  # no file in solutions/, build/, the repository or the venv's site-packages
    assert seen["after"] == seen["before"]  # solutions/ and every submission, victim.txt included
    assert not list(Path(sysconfig.get_paths()["purelib"]).glob(f"PWNED-{MARKER}*"))
    assert "pwned" not in (out / "grades.csv").read_text()
    assert not any("pwned" in f.read_text() for f in (out / "feedback").glob("*.txt"))
    assert not list((out / "feedback").glob("PWNED*"))


def test_no_process_of_a_hostile_submission_survives(faults):
    assert faults[2]["survivors"] == []
    assert marked_processes(MARKER) == []


def test_feedback_never_quotes_the_hidden_tests_or_the_answer_key(faults, autograders):
    text = (faults[0] / "feedback" / "hostile_escape.ipynb.txt").read_text()
    assert "[line removed: it quotes the autograder's tests or the answer key]" in text  # the leaking error
    assert len(text) <= grade.FEEDBACK_CAP + 100
    with zipfile.ZipFile(autograders[LESSON]["zip"]) as z:
        hidden = {line.strip() for n in z.namelist() if n.startswith("tests/")
                  for line in z.read(n).decode().splitlines() if len(line.strip()) >= 16}
    for f in (faults[0] / "feedback").glob("*.txt"):
        body = f.read_text()
        assert not [line for line in hidden if line in body], f.name
    assert all(f.stat().st_size <= grade.FEEDBACK_CAP + 100 for f in (faults[0] / "feedback").glob("*.txt"))


def test_every_score_is_validated():
    questions = {"q1": 3.0, "q2": 2.0}
    case = {"name": "q1 - 1", "hidden": False, "passed": True, "message": ""}
    good = {"questions": {"q1": {"score": 3.0, "cases": [case]}, "q2": {"score": 0, "cases": []}},
            "cell_errors": [], "error": None}
    assert grade.validate_report(good, questions) is good
    bad_scores = [7000, -1, float("nan"), float("inf"), "3", None, True, [3]]
    for score in bad_scores:
        report = {**good, "questions": {**good["questions"], "q1": {"score": score, "cases": []}}}
        with pytest.raises(grade.Invalid):
            grade.validate_report(report, questions)
    for questions_seen in ({"q1": good["questions"]["q1"]}, {**good["questions"], "q3": {"score": 0, "cases": []}}):
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
    zip_arg = ["--autograder", str(autograders[LESSON]["zip"]), "--lesson", "09"]
    proc = subprocess.Popen([sys.executable, str(GRADE), str(folder), "--out", str(out), *zip_arg, "--timeout", "300"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
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
        "kept.txt", ".hidden.ipynb.txt", "dave.pdf.txt", "dave.pdf.ipynb.txt"}
    assert "%PDF" not in (out / "feedback" / "dave.pdf.ipynb.txt").read_text()
    assert "Submission: dave.pdf\n" in (out / "feedback" / "dave.pdf.txt").read_text()

    done = run_grade(folder, out, *zip_arg, "--timeout", "5", "--resume")
    assert done.returncode == 0, done.stdout + done.stderr
    with open(out / "grades.csv", newline="") as fh:
        names = [r[0] for r in csv.reader(fh)][1:]
    assert sorted(names) == [".hidden.ipynb", "dave.pdf", "dave.pdf.ipynb", "zz_sleeper.ipynb"]  # each once
    assert read_csv(out / "grades.csv")[1]["zz_sleeper.ipynb"]["status"] == "timeout (> 5 s)"
    assert marked_processes(marker) == []


def test_no_sandbox_no_grading_unless_asked(autograders, tmp_path):
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / "essay.txt").write_text("hello")
    args = [sys.executable, str(GRADE), str(tmp_path / "subs"), "--out", str(tmp_path / "out"), "--lesson", "09",
            "--autograder", str(autograders[LESSON]["zip"])]
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
