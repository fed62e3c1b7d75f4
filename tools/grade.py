"""Grade a folder of submitted notebooks with the course's otter autograders, without Docker.

    python tools/grade.py SUBMISSIONS                 # the lesson is read from the notebooks
    python tools/grade.py SUBMISSIONS --lesson 09 --timeout 600 --out build
    make grade SUBMISSIONS=path/to/folder [LESSON=09] [TIMEOUT=600]

Every file in SUBMISSIONS (hidden files and sub-folders are skipped) gets one row in
``<out>/grades.csv``: one column per question, the total, the maximum, a status and the grading
time. ``<out>/feedback/<name>.txt`` holds, per question, the score and what each failed test said
(hidden tests included), plus the cells that raised an error.

Each submission is graded by ``otter run`` (otter's own grading of the notebook against the
lesson's autograder, built fresh from solutions/) in its own subprocess and temporary working
directory, under a time limit. A submission that raises, loops forever, deletes files around it,
kills its kernel or is not a notebook at all gets a row with zeros and a status saying so; the
batch always continues. Statuses:

* ``ok``: graded (cells that raised are listed in the feedback; later cells still ran);
* ``timeout``: still running after --timeout seconds (killed with all its processes);
* ``error: ...``: grading could not complete (kernel died, grading files deleted, ...);
* ``not a notebook``: not an ``.ipynb`` file, or not valid notebook JSON;
* ``wrong lesson``: the notebook belongs to another lesson than the one graded.

By default a submission runs at the lesson's *quick* parameters (the values of its parameters
cell that grading overrides, e.g. ``EPOCHS=3``), exactly as the course's tests grade: the
exercises check code, not the lesson's numbers, so every submission gets the same bounded run
time whatever a learner typed into the parameters cell. ``--as-submitted`` grades with the
learner's own parameters instead.

Exit status: 0 when the batch completed (whatever the submissions scored), 2 when the folder is
missing or empty or the lesson cannot be determined.
"""

from __future__ import annotations

import argparse
import collections
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    BUILD,
    ROOT,
    SOLUTIONS,
    lesson_notebooks,
    quick_parameters,
    use_this_python_for_kernels,
)

DEFAULT_TIMEOUT = 600


# ---- the worker: runs inside the per-submission subprocess ---------------------------------------


def worker(notebook: str, autograder: str, out: str) -> int:
    """Grade one prepared notebook with otter; write ``grading.json`` into ``out``."""
    from otter.run import main as otter_run

    report: dict[str, Any] = {"questions": {}, "cell_errors": [], "error": None}
    try:
        results = otter_run(notebook, autograder=autograder, output_dir=None, no_logo=True)
    except BaseException as exc:  # noqa: BLE001 - any failure of otter itself is reported
        report["error"] = f"{type(exc).__name__}: {exc}"
        Path(out, "grading.json").write_text(json.dumps(report))
        return 0
    if results.catastrophic_error is not None:
        err = results.catastrophic_error
        report["error"] = f"{type(err).__name__}: {err}"
    for name, test_file in results.results.items():
        report["questions"][name] = {
            "score": float(test_file.score),
            "possible": float(test_file.possible),
            "cases": [{"name": r.test_case.name, "hidden": bool(r.test_case.hidden), "passed": bool(r.passed),
                       "points": float(r.test_case.points or 0), "message": (r.message or "").strip()}
                      for r in test_file.test_case_results],
        }
    for index, cell in enumerate((results.notebook or {}).get("cells", [])):
        for output in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            if output.get("output_type") == "error":
                first = cell.get("source", "").strip().splitlines()[:1]
                report["cell_errors"].append({"cell": index, "ename": output.get("ename", ""),
                                              "evalue": str(output.get("evalue", ""))[:300],
                                              "first_line": first[0][:80] if first else ""})
    Path(out, "grading.json").write_text(json.dumps(report))
    return 0


# ---- the batch -------------------------------------------------------------------------------------


def resolve_lesson(arg: str | None, files: list[Path]) -> str:
    """The lesson to grade: --lesson (a prefix such as 09), else the most common otter
    assignment name among the submitted notebooks."""
    known = [p.stem for p in lesson_notebooks(SOLUTIONS)]
    if arg:
        matches = [k for k in known if k == arg or k.startswith(arg)]
        if len(matches) != 1:
            raise SystemExit(f"--lesson {arg!r} matches {matches or 'no lesson'}; lessons: {', '.join(known)}")
        return matches[0]
    names = collections.Counter()
    for f in files:
        try:
            name = json.loads(f.read_text(encoding="utf-8"))["metadata"]["otter"]["assignment_name"]
        except Exception:  # noqa: BLE001 - anything unreadable simply does not vote
            continue
        if name in known:
            names[name] += 1
    if not names:
        raise SystemExit("Could not tell which lesson these submissions belong to (no notebook names one in its "
                         "metadata). Pass it: --lesson 09 (make grade ... LESSON=09).")
    return names.most_common(1)[0][0]


def build_autograder(lesson: str, out: Path) -> Path:
    """Assign the lesson's master with otter (as `make autograder` does) and return its zip."""
    from sync_notebooks import learner_version

    print(f"Building the autograder of {lesson} from solutions/{lesson}.ipynb ...", flush=True)
    _, ag_dir = learner_version(SOLUTIONS / f"{lesson}.ipynb", out / "assign")
    target = out / "autograder" / f"{lesson}-autograder.zip"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(sorted(ag_dir.glob("*.zip"))[-1], target)
    return target


def questions_of(ag_zip: Path) -> dict[str, float]:
    """{question: maximum points}, from the tests inside the autograder zip."""
    from otter.test_files import ExceptionTestFile

    out = {}
    with zipfile.ZipFile(ag_zip) as z:
        for name in sorted(n for n in z.namelist() if n.startswith("tests/") and n.endswith(".py")):
            test_file = ExceptionTestFile.from_string(z.read(name).decode(), path=Path(name).name)
            out[test_file.name] = float(test_file.possible)
    return out


def prepare(source: Path, lesson: str, dest: Path, params: dict | None) -> tuple[str | None, list[str]]:
    """Copy a submission to ``dest`` ready for otter: (refusal status or None, notes)."""
    import nbformat

    if source.suffix.lower() != ".ipynb":
        return f"not a notebook ({source.suffix or 'no extension'} file)", []
    try:
        nb = nbformat.read(source, as_version=4)
        if not isinstance(nb.get("cells"), list):
            raise ValueError("no cells")
    except Exception as exc:  # noqa: BLE001 - JSON, schema, encoding ...
        return "not a notebook", [f"Could not read it as a notebook: {type(exc).__name__}: {str(exc)[:200]}"]
    notes = []
    otter_meta = nb.metadata.setdefault("otter", {})
    name = otter_meta.get("assignment_name")
    if name and name != lesson:
        return f"wrong lesson ({name})", [f"This notebook is lesson {name}; this batch grades {lesson}."]
    otter_meta["assignment_name"] = lesson
    nb.metadata.setdefault("kernelspec", {"display_name": "Python 3", "language": "python", "name": "python3"})
    nbformat.write(nb, dest)
    if params is not None:
        import papermill as pm

        if not any("parameters" in c.get("metadata", {}).get("tags", []) for c in nb.cells):
            notes.append("No cell is tagged `parameters`: graded with the notebook's own parameter values.")
        else:
            pm.execute_notebook(str(dest), str(dest), parameters=params, prepare_only=True, progress_bar=False,
                                log_output=False)
            notes.append(f"Graded at the quick parameters {params}.")
    return None, notes


def kill_tree(pid: int) -> None:
    """Kill a process, every descendant (the Jupyter kernel included) and whatever else is left
    in its session (the worker starts one: background processes a notebook spawned)."""
    import psutil

    procs = []
    try:
        parent = psutil.Process(pid)
        procs = parent.children(recursive=True) + [parent]
    except psutil.NoSuchProcess:
        pass
    for p in psutil.process_iter():
        try:
            if p.pid != os.getpid() and os.getsid(p.pid) == pid and p not in procs:
                procs.append(p)
        except (OSError, psutil.Error):
            continue
    for p in procs:
        try:
            p.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(procs, timeout=10)


def grade_one(source: Path, lesson: str, ag_zip: Path, params: dict | None, timeout: float) -> dict[str, Any]:
    """Grade one submission in a fresh temporary folder and subprocess."""
    import resource

    start = time.perf_counter()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_before = usage.ru_utime + usage.ru_stime
    row: dict[str, Any] = {"status": "ok", "questions": {}, "cell_errors": [], "notes": [], "log": ""}
    workdir = Path(tempfile.mkdtemp(prefix="grade-"))
    try:
        notebook = workdir / "submission" / f"{lesson}.ipynb"
        notebook.parent.mkdir()
        try:
            refused, row["notes"] = prepare(source, lesson, notebook, params)
        except Exception as exc:  # noqa: BLE001 - a notebook papermill cannot parameterize
            refused = f"error: could not prepare the notebook ({type(exc).__name__}: {str(exc)[:100]})"
        if refused:
            row["status"] = refused
            return row
        out = workdir / "out"
        out.mkdir()
        tmp = workdir / "tmp"
        tmp.mkdir()
        env = {**os.environ, "TMPDIR": str(tmp), "MPLBACKEND": "Agg", "TF_CPP_MIN_LOG_LEVEL": "2",
               "PYTHONDONTWRITEBYTECODE": "1"}
        env.pop("COURSE_RESULTS_DIR", None)  # a graded run must not overwrite a lesson's results
        log_path = workdir / "otter.log"
        with open(log_path, "w") as log:
            proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--worker", str(notebook),
                                     str(ag_zip), str(out)], cwd=notebook.parent, env=env, stdout=log,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                kill_tree(proc.pid)
                proc.wait()
                row["status"] = f"timeout (> {timeout:g} s)"
                row["notes"].append(f"Still running after {timeout:g} s, so it was stopped: an infinite loop, or far "
                                    "more training than the exercise asks for. Nothing after that point was graded.")
        kill_tree(proc.pid)  # leftovers of a finished run, if any
        row["log"] = log_path.read_text(errors="replace")[-4000:]
        if row["status"].startswith("timeout"):
            return row
        report_path = out / "grading.json"
        if not report_path.exists():
            tail = [line for line in row["log"].splitlines() if line.strip()][-1:] or [f"exit status {proc.returncode}"]
            row["status"] = f"error: grader process failed ({tail[0][:150]})"
            return row
        report = json.loads(report_path.read_text())
        row["questions"], row["cell_errors"] = report["questions"], report["cell_errors"]
        if report["error"]:
            row["status"] = "error: " + explain(report["error"])
        return row
    finally:
        row["seconds"] = round(time.perf_counter() - start, 1)
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # the worker and its kernel, once reaped
        row["cpu_seconds"] = round(usage.ru_utime + usage.ru_stime - cpu_before, 1)
        shutil.rmtree(workdir, ignore_errors=True)


def explain(error: str) -> str:
    """A short, instructor-readable reason for an otter failure."""
    text = " ".join(error.split())
    if "DeadKernelError" in text or "Kernel died" in text:
        return "the kernel died (the notebook exited or crashed Python)"
    if any(k in text for k in ("FileNotFoundError", "No such file", "EOFError", "Ran out of input", "pickle")):
        return f"no grading results: the notebook deleted or broke the grading files ({text[:80]})"
    return text[:160]


def feedback_text(name: str, row: dict[str, Any], questions: dict[str, float]) -> str:
    lines = [f"Submission: {name}", f"Status: {row['status']}",
             f"Score: {row['total']:g} / {sum(questions.values()):g}",
             f"Grading time: {row['seconds']:g} s (CPU {row['cpu_seconds']:g} s)", ""]
    lines += row["notes"] + ([""] if row["notes"] else [])
    for err in row["cell_errors"]:
        lines.append(f"The cell starting with {err['first_line']!r} raised {err['ename']}: {err['evalue']}")
    if row["cell_errors"]:
        lines.append("")
    for q, possible in questions.items():
        result = row["questions"].get(q)
        if result is None:
            lines.append(f"{q}: 0 / {possible:g}  (not graded: {row['status']})")
            continue
        lines.append(f"{q}: {result['score']:g} / {possible:g}")
        for case in result["cases"]:
            if not case["passed"]:
                message = case["message"].splitlines()
                short = next((m for m in reversed(message) if m.startswith("AssertionError")), message[-1] if message else "")
                lines.append(f"  - {case['name']}{' (hidden test)' if case['hidden'] else ''}: {short}")
    if row["status"].startswith(("timeout", "error")) and row.get("log"):
        noise = ("WARNING: All log messages", "I0000", "E0000", "W0000", "To enable the following", "[IPKernelApp]")
        log = [line for line in row["log"].splitlines() if line.strip() and not line.startswith(noise)]
        if log:
            lines += ["", "Last lines of the grading log:", *log[-15:]]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ["--worker"]:
        return worker(*argv[1:4])
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("submissions", type=Path, help="folder of submitted notebooks")
    parser.add_argument("--lesson", help="lesson prefix, e.g. 09 (default: read from the notebooks)")
    parser.add_argument("--out", type=Path, default=BUILD, help="writes grades.csv and feedback/ here (default: build/)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help=f"seconds allowed per submission (default {DEFAULT_TIMEOUT})")
    parser.add_argument("--as-submitted", action="store_true",
                        help="grade with the learner's own parameters instead of the lesson's quick ones")
    parser.add_argument("--autograder", type=Path, help="use this autograder zip instead of building one")
    args = parser.parse_args(argv)

    folder = args.submissions
    if not folder.is_dir():
        print(f"Submissions folder {folder} does not exist (or is not a folder). Usage: make grade "
              "SUBMISSIONS=path/to/folder", file=sys.stderr)
        return 2
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    if not files:
        print(f"Submissions folder {folder} is empty: put one submitted notebook (.ipynb) per learner in it.",
              file=sys.stderr)
        return 2
    skipped = sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    try:
        lesson = resolve_lesson(args.lesson, [f for f in files if f.suffix.lower() == ".ipynb"])
    except SystemExit as exc:
        print(exc, file=sys.stderr)
        return 2
    use_this_python_for_kernels()
    args.out.mkdir(parents=True, exist_ok=True)
    ag_zip = args.autograder or build_autograder(lesson, args.out / "grade")
    questions = questions_of(ag_zip)
    params = None if args.as_submitted else quick_parameters(lesson)
    feedback_dir = args.out / "feedback"
    if feedback_dir.exists():
        for old in feedback_dir.glob("*.txt"):
            old.unlink()
    feedback_dir.mkdir(parents=True, exist_ok=True)

    stems = collections.Counter(f.stem for f in files)
    rows = []
    print(f"Grading {len(files)} submission(s) of {lesson} "
          f"({'as submitted' if params is None else f'at quick parameters {params}'}; "
          f"at most {args.timeout:g} s each)" + (f"; sub-folders skipped: {', '.join(skipped)}" if skipped else ""),
          flush=True)
    for f in files:
        print(f"  {f.name:<40}", end=" ", flush=True)
        try:
            row = grade_one(f, lesson, ag_zip, params, args.timeout)
        except Exception as exc:  # noqa: BLE001 - never let one submission stop the batch
            row = {"status": f"error: grading failed ({type(exc).__name__}: {str(exc)[:120]})", "questions": {},
                   "cell_errors": [], "notes": [], "log": "", "seconds": 0.0, "cpu_seconds": 0.0}
        row["total"] = round(sum(row["questions"].get(q, {}).get("score", 0.0) for q in questions), 2)
        name = f.stem if stems[f.stem] == 1 and f.suffix.lower() == ".ipynb" else f.name
        (feedback_dir / f"{name}.txt").write_text(feedback_text(f.name, row, questions), encoding="utf-8")
        rows.append((f.name, row))
        print(f"{row['total']:>5g} / {sum(questions.values()):g}  {row['seconds']:6.1f} s "
              f"(CPU {row['cpu_seconds']:.0f} s)  {row['status']}", flush=True)

    csv_path = args.out / "grades.csv"
    with open(csv_path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["submission", "status", *questions, "total", "max", "seconds"])
        for name, row in rows:
            writer.writerow([name, row["status"],
                             *(f"{row['questions'].get(q, {}).get('score', 0.0):g}" for q in questions),
                             f"{row['total']:g}", f"{sum(questions.values()):g}", row["seconds"]])
    shown = lambda p: p.relative_to(ROOT) if p.resolve().is_relative_to(ROOT) else p  # noqa: E731
    print(f"\nWrote {shown(csv_path)} ({len(rows)} row(s)) and per-submission feedback in {shown(feedback_dir)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
