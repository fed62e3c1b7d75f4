"""Grade a folder of submitted notebooks with the course's otter autograders, without Docker.

    python tools/grade.py SUBMISSIONS                 # the lesson is read from the notebooks
    python tools/grade.py SUBMISSIONS --lesson 09 --timeout 600 --out build
    make grade SUBMISSIONS=path/to/folder [LESSON=09] [TIMEOUT=600]

Every file in SUBMISSIONS (dot-files included; sub-folders are listed and skipped) gets one row
in ``<out>/grades.csv``: one column per question, the total, the maximum, a status and the
grading time. ``<out>/feedback/<file name>.txt`` (e.g. ``dave.pdf.txt``, ``dave.pdf.ipynb.txt``)
holds, per question, the score and what each failed test said (hidden tests included), plus the
cells that raised an error; at most 20 kB each, and lines quoting the hidden tests or the answer
key are removed. Each row and its feedback file are written (and flushed to disk) as soon as that
submission is graded, so an interrupted batch keeps every row graded so far; ``--resume`` then
grades only the files that have no row yet.

Each submission is graded by ``otter run`` against the lesson's autograder (built fresh from
solutions/) inside a bubblewrap sandbox (``bwrap``): no network, its own process namespace (every
process the notebook starts dies with it, detached ones included), a read-only system and virtual
environment, the repository, the output folder, the other submissions and the home folders
hidden, a private /tmp (2 GiB at most, in memory: HOME and a copy of this submission and of the
autograder zip; nothing of the host is writable), resource limits (memory, processes, file size, CPU time) and a time limit. The
worker hands its results to this process through a pipe, not a file, and every score is checked
(the autograder's questions exactly, each score a number between 0 and the question's points)
before it is written; anything else is ``invalid result`` with zeros. Without a usable ``bwrap``
the batch refuses to start (``apt-get install bubblewrap``) unless ``--unsafe-no-sandbox`` is
given. A submission that raises, loops forever, deletes files around it, kills its kernel or is
not a notebook at all gets a row with zeros and a status saying so; the batch always continues.
Statuses:

* ``ok``: graded (cells that raised are listed in the feedback; later cells still ran);
* ``timeout``: still running after --timeout seconds (killed with all its processes);
* ``error: ...``: grading could not complete (kernel died, grading files deleted, ...);
* ``invalid result``: the grader's report failed the checks above (scores zeroed);
* ``not a notebook``: not an ``.ipynb`` file, or not valid notebook JSON;
* ``wrong lesson``: the notebook belongs to another lesson than the one graded.

By default a submission runs at the lesson's *quick* parameters (the values of its parameters
cell that grading overrides, e.g. ``EPOCHS=3``), exactly as the course's tests grade: the
exercises check code, not the lesson's numbers, so every submission gets the same bounded run
time whatever a learner typed into the parameters cell. ``--as-submitted`` grades with the
learner's own parameters instead.

Exit status: 0 when the batch completed (whatever the submissions scored), 2 when the folder is
missing or empty, the lesson cannot be determined or no sandbox is available, 130 when it was
interrupted (Ctrl-C, SIGTERM: the running sandbox is killed, the rows written so far are kept).
"""

from __future__ import annotations

import argparse
import collections
import csv
import json
import math
import os
import signal
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
if __name__ != "__main__" or sys.argv[1:2] != ["--worker"]:  # the sandboxed worker sees no tools/
    from _common import (  # noqa: E402
        BUILD,
        ROOT,
        SOLUTIONS,
        lesson_notebooks,
        quick_parameters,
        use_this_python_for_kernels,
    )

DEFAULT_TIMEOUT = 600
MEMORY_LIMIT = 4 << 30        # bytes of address space per process of a submission
PROCESS_LIMIT = 256
FILE_SIZE_LIMIT = 200 << 20   # bytes, the largest file a submission may write
RESULT_CAP = 4 << 20          # bytes read from the worker's result pipe
LOG_CAP = 64 << 10            # bytes of the worker's output kept (its tail)
FEEDBACK_CAP = 20_000         # characters per feedback file
TMP_SIZE = 2 << 30            # bytes: the sandbox's private /tmp (its only writable place, in memory)
SANDBOX_HELP = ("Install it (Debian/Ubuntu: apt-get install bubblewrap) and make sure it can create namespaces, "
                "or pass --unsafe-no-sandbox to grade without one (learner code then runs with your rights).")


# ---- the worker: runs inside the per-submission subprocess ---------------------------------------


def worker(notebook: str, autograder: str, fd: str, cpu_seconds: str) -> int:
    """Grade one prepared notebook with otter; write the report (JSON) to the pipe ``fd``, which
    the notebook's kernel does not inherit. Runs inside the sandbox, under resource limits that the
    kernel inherits."""
    import resource

    for limit, value in ((resource.RLIMIT_AS, MEMORY_LIMIT), (resource.RLIMIT_NPROC, PROCESS_LIMIT),
                         (resource.RLIMIT_FSIZE, FILE_SIZE_LIMIT), (resource.RLIMIT_CPU, int(float(cpu_seconds)))):
        try:
            resource.setrlimit(limit, (value, value))
        except (ValueError, OSError):
            pass
    result_fd = int(fd)
    os.set_inheritable(result_fd, False)
    from otter.run import main as otter_run

    report: dict[str, Any] = {"questions": {}, "cell_errors": [], "error": None}
    try:
        results = otter_run(notebook, autograder=autograder, output_dir=None, no_logo=True)
    except BaseException as exc:  # noqa: BLE001 - any failure of otter itself is reported
        report["error"] = f"{type(exc).__name__}: {str(exc)[:2000]}"
        results = None
    if results is not None:
        if results.catastrophic_error is not None:
            err = results.catastrophic_error
            report["error"] = f"{type(err).__name__}: {str(err)[:2000]}"
        for name, test_file in results.results.items():
            report["questions"][name] = {
                "score": float(test_file.score),
                "cases": [{"name": str(r.test_case.name), "hidden": bool(r.test_case.hidden), "passed": bool(r.passed),
                           "message": (r.message or "").strip()[-2000:]}
                          for r in test_file.test_case_results],
            }
        for index, cell in enumerate((results.notebook or {}).get("cells", [])):
            for output in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
                if output.get("output_type") == "error" and len(report["cell_errors"]) < 50:
                    first = cell.get("source", "").strip().splitlines()[:1]
                    report["cell_errors"].append({"cell": index, "ename": str(output.get("ename", ""))[:100],
                                                  "evalue": str(output.get("evalue", ""))[:300],
                                                  "first_line": first[0][:80] if first else ""})
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    report["cpu_seconds"] = own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime  # the kernel's, once reaped
    data = json.dumps(report).encode()
    while data:
        data = data[os.write(result_fd, data):]
    os.close(result_fd)
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


class Invalid(ValueError):
    """A worker report that fails validation."""


def validate_report(report: Any, questions: dict[str, float]) -> dict[str, Any]:
    """The worker's report, checked: exactly the autograder's questions, each score a finite number
    between 0 and that question's points, well-formed test cases and cell errors. Raises Invalid."""
    def text(value: Any, where: str) -> str:
        if not isinstance(value, str):
            raise Invalid(f"{where} is not text")
        return value

    if not isinstance(report, dict) or set(report) - {"cpu_seconds"} != {"questions", "cell_errors", "error"}:
        raise Invalid("the report is not the worker's format")
    cpu = report.get("cpu_seconds", 0.0)
    if isinstance(cpu, bool) or not isinstance(cpu, (int, float)) or not math.isfinite(cpu) or cpu < 0:
        raise Invalid("malformed CPU time")
    if report["error"] is not None:
        text(report["error"], "the error")
    graded = report["questions"]
    if not isinstance(graded, dict):
        raise Invalid("no questions")
    if graded and set(graded) != set(questions):
        raise Invalid(f"questions {sorted(graded)[:10]} are not the autograder's")
    for q, result in graded.items():
        if not isinstance(result, dict) or set(result) != {"score", "cases"}:
            raise Invalid(f"{q}: malformed result")
        score = result["score"]
        if isinstance(score, bool) or not isinstance(score, (int, float)) or not math.isfinite(score):
            raise Invalid(f"{q}: score {str(score)[:40]!r} is not a finite number")
        if not 0 <= score <= questions[q] + 1e-9:
            raise Invalid(f"{q}: score {score:g} outside 0..{questions[q]:g}")
        if not isinstance(result["cases"], list):
            raise Invalid(f"{q}: malformed test cases")
        for case in result["cases"]:
            if not isinstance(case, dict) or set(case) != {"name", "hidden", "passed", "message"}:
                raise Invalid(f"{q}: malformed test case")
            text(case["name"], "a test name"), text(case["message"], "a test message")
            if not isinstance(case["hidden"], bool) or not isinstance(case["passed"], bool):
                raise Invalid(f"{q}: malformed test case")
    if not graded and report["error"] is None:
        raise Invalid("no question was graded and no error reported")
    if not isinstance(report["cell_errors"], list):
        raise Invalid("malformed cell errors")
    for err in report["cell_errors"]:
        if not isinstance(err, dict) or set(err) != {"cell", "ename", "evalue", "first_line"}:
            raise Invalid("malformed cell error")
        for key in ("ename", "evalue", "first_line"):
            text(err[key], "a cell error")
    return report


def sandbox_available() -> str | None:
    """None when bwrap can create the sandbox here, else why not."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return "bubblewrap (bwrap) is not installed"
    probe = subprocess.run([bwrap, "--unshare-all", "--die-with-parent", "--new-session", "--ro-bind", "/", "/",
                            "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "true"],
                           capture_output=True, text=True, timeout=60)
    if probe.returncode != 0:
        return f"bwrap cannot create a sandbox here: {(probe.stderr or '').strip()[:200]}"
    return None


def sandbox_command(notebook_fd: int, notebook: str, grader_fd: int, zip_fd: int, hidden: list[Path]) -> list[str]:
    """The bwrap command line: read-only system, the given folders hidden under empty tmpfs, the
    interpreter, the venv and course_utils visible read-only, a private /tmp (at most TMP_SIZE
    bytes) holding HOME and /tmp/submission: a copy of the notebook (writable) and of the
    autograder zip (read-only); the grader's code read-only at /tmp/grader/grade.py. Nothing of
    the host is writable."""
    cmd = [shutil.which("bwrap") or "bwrap", "--unshare-all", "--die-with-parent", "--new-session",
           "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "--size", str(TMP_SIZE), "--tmpfs", "/tmp",
           "--dir", "/tmp/home", "--dir", "/tmp/submission", "--dir", "/tmp/grader"]
    seen: set[Path] = set()
    for folder in sorted({p.resolve() for p in hidden if p.exists()}, key=lambda p: len(p.parts)):
        if folder in (Path("/"), Path("/tmp")) or Path("/tmp") in folder.parents:
            continue  # / is the system (read-only); /tmp is already a private tmpfs
        if folder.is_dir() and not any(s in folder.parents for s in seen):
            seen.add(folder)
            cmd += ["--size", str(1 << 20), "--tmpfs", str(folder)]
    # Bound again, read-only, where a hidden folder or the private /tmp covers them (a checkout
    # or a virtual environment under /tmp, as on CI machines, would otherwise vanish).
    visible = [Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), (ROOT / "course_utils").resolve()]
    for folder in visible:
        covered = Path("/tmp") in folder.parents or any(s == folder or s in folder.parents for s in seen)
        if folder.exists() and covered:
            cmd += ["--ro-bind", str(folder), str(folder)]
    return cmd + ["--file", str(notebook_fd), f"/tmp/submission/{notebook}",
                  "--ro-bind-data", str(zip_fd), "/tmp/submission/autograder.zip",
                  "--ro-bind-data", str(grader_fd), "/tmp/grader/grade.py", "--chdir", "/tmp/submission", "--"]


class _Reader(threading.Thread):
    """Drains a file descriptor: keeps the first ``cap`` bytes (head) or the last ones (tail)."""

    def __init__(self, fd: int, cap: int, keep: str):
        super().__init__(daemon=True)
        self.fd, self.cap, self.keep, self.data, self.overflow = fd, cap, keep, bytearray(), False
        self.start()

    def run(self) -> None:
        try:
            while chunk := os.read(self.fd, 1 << 16):
                self.data += chunk
                if len(self.data) > self.cap:
                    self.overflow = True
                    self.data = self.data[:self.cap] if self.keep == "head" else self.data[-self.cap:]
        except OSError:
            pass
        finally:
            os.close(self.fd)


def kill_sandbox(proc: subprocess.Popen, sandboxed: bool) -> None:
    """Kill the sandbox (bwrap's death takes its whole process namespace along) or, unsandboxed,
    the worker's process tree and session."""
    if proc.poll() is None:
        try:
            proc.kill()
        except OSError:
            pass
    if not sandboxed:
        kill_tree(proc.pid)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        pass


def grade_one(source: Path, lesson: str, ag_zip: Path, params: dict | None, timeout: float,
              questions: dict[str, float], sandboxed: bool, hidden: list[Path]) -> dict[str, Any]:
    """Grade one submission in a fresh temporary folder and sandbox."""
    import resource

    start = time.perf_counter()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_before = usage.ru_utime + usage.ru_stime
    row: dict[str, Any] = {"status": "ok", "questions": {}, "cell_errors": [], "notes": [], "log": ""}
    workdir = Path(tempfile.mkdtemp(prefix="grade-"))
    proc = None
    try:
        work = workdir / "submission"
        work.mkdir()
        notebook = work / f"{lesson}.ipynb"
        if source.is_symlink() or not source.is_file():
            row["status"] = "not a notebook (not a regular file)"
            return row
        try:
            refused, row["notes"] = prepare(source, lesson, notebook, params)
        except Exception as exc:  # noqa: BLE001 - a notebook papermill cannot parameterize
            refused = f"error: could not prepare the notebook ({type(exc).__name__}: {str(exc)[:100]})"
        if refused:
            row["status"] = refused
            return row
        grader_dir = workdir / "grader"
        grader_dir.mkdir()
        shutil.copyfile(Path(__file__).resolve(), grader_dir / "grade.py")
        inputs = []  # files handed to bwrap, which copies them into the sandbox
        cpu_limit = int(timeout * (os.cpu_count() or 1) + 60)
        env = {"PATH": str(Path(sys.executable).parent) + os.pathsep + "/usr/local/bin:/usr/bin:/bin",
               "LANG": os.environ.get("LANG", "C.UTF-8"), "MPLBACKEND": "Agg", "TF_CPP_MIN_LOG_LEVEL": "2",
               "PYTHONDONTWRITEBYTECODE": "1"}
        if sandboxed:
            env.update(HOME="/tmp/home", TMPDIR="/tmp")
            inputs = [os.open(path, os.O_RDONLY) for path in (notebook, grader_dir / "grade.py", ag_zip)]
            cmd = sandbox_command(inputs[0], notebook.name, inputs[1], inputs[2], hidden) + [
                sys.executable, "/tmp/grader/grade.py", "--worker", f"/tmp/submission/{notebook.name}",
                "/tmp/submission/autograder.zip"]
        else:
            tmp = workdir / "tmp"
            tmp.mkdir()
            env.update(HOME=str(tmp), TMPDIR=str(tmp))
            shutil.copyfile(ag_zip, work / "autograder.zip")
            cmd = [sys.executable, str(grader_dir / "grade.py"), "--worker", str(notebook), str(work / "autograder.zip")]
        result_r, result_w = os.pipe()
        log_r, log_w = os.pipe()
        try:
            proc = subprocess.Popen(cmd + [str(result_w), str(cpu_limit)], cwd=work, env=env, stdin=subprocess.DEVNULL,
                                    stdout=log_w, stderr=log_w, pass_fds=(result_w, *inputs), start_new_session=True)
        finally:
            for fd in (result_w, log_w, *inputs):
                os.close(fd)
        result, log = _Reader(result_r, RESULT_CAP, "head"), _Reader(log_r, LOG_CAP, "tail")
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_sandbox(proc, sandboxed)
            row["status"] = f"timeout (> {timeout:g} s)"
            row["notes"].append(f"Still running after {timeout:g} s, so it was stopped: an infinite loop, or far "
                                "more training than the exercise asks for. Nothing after that point was graded.")
        kill_sandbox(proc, sandboxed)  # leftovers of a finished run, if any
        result.join(timeout=10)
        log.join(timeout=10)
        row["log"] = bytes(log.data).decode(errors="replace")
        if row["status"].startswith("timeout"):
            return row
        if proc.returncode != 0 or result.is_alive() or log.is_alive():
            row["status"] = (f"error: grader process failed (exit status {proc.returncode}"
                             f"{'; it left processes writing to its output' if result.is_alive() or log.is_alive() else ''})")
            row["notes"].append("The grading process did not finish normally (the notebook killed it, or it ran out of "
                                "memory or processes), so no score counts; the end of its log is below.")
            return row
        try:
            if result.overflow:
                raise Invalid("the report is too large")
            report = validate_report(json.loads(bytes(result.data).decode()), questions)
        except (ValueError, UnicodeDecodeError) as exc:  # Invalid, JSON errors, extra data ...
            row["status"] = "invalid result"
            row["notes"].append(f"The grader's report failed validation ({str(exc)[:150]}), so no score counts.")
            return row
        row["questions"], row["cell_errors"] = report["questions"], report["cell_errors"]
        row["reported_cpu"] = float(report.get("cpu_seconds", 0.0))  # informational only
        if report["error"]:
            row["status"] = "error: " + explain(report["error"])
        return row
    finally:
        if proc is not None and proc.poll() is None:  # interrupted (Ctrl-C, SIGTERM): no process left behind
            kill_sandbox(proc, sandboxed)
        row["seconds"] = round(time.perf_counter() - start, 1)
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # the worker and its kernel, once reaped
        row["cpu_seconds"] = round(max(usage.ru_utime + usage.ru_stime - cpu_before, row.get("reported_cpu", 0.0)), 1)
        shutil.rmtree(workdir, ignore_errors=True)


def explain(error: str) -> str:
    """A short, instructor-readable reason for an otter failure."""
    text = " ".join(error.split())
    if "DeadKernelError" in text or "Kernel died" in text:
        return "the kernel died (the notebook exited or crashed Python)"
    if any(k in text for k in ("FileNotFoundError", "No such file", "EOFError", "Ran out of input", "pickle")):
        return f"no grading results: the notebook deleted or broke the grading files ({text[:80]})"
    return text[:160]


def secrets_of(ag_zip: Path, lesson: str) -> set[str]:
    """Lines that a feedback file must not quote: those of the autograder's tests (hidden ones
    included) and the master notebook's code lines that the learner version does not have (the
    answer key). Only lines of 16 characters or more, so that common code does not match."""
    lines: set[str] = set()
    with zipfile.ZipFile(ag_zip) as z:
        for name in z.namelist():
            if name.startswith("tests/") and name.endswith(".py"):
                lines.update(line.strip() for line in z.read(name).decode(errors="replace").splitlines())

    def code_lines(path: Path) -> set[str]:
        try:
            cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        except (OSError, ValueError, KeyError):
            return set()
        out = set()
        for c in cells:
            src = c.get("source", "")
            src = "".join(src) if isinstance(src, list) else src
            out.update(line.strip() for line in src.splitlines())
        return out

    master = code_lines(SOLUTIONS / f"{lesson}.ipynb")
    learner = code_lines(ROOT / "notebooks" / f"{lesson}.ipynb")
    lines |= master - learner
    return {line for line in lines if len(line) >= 16}


def redact(text: str, secrets: set[str]) -> str:
    """``text`` without the lines that quote one of ``secrets``."""
    out = []
    for line in text.split("\n"):
        squeezed = " ".join(line.split())
        if any(secret in line or " ".join(secret.split()) in squeezed for secret in secrets):
            line = "  [line removed: it quotes the autograder's tests or the answer key]"
        out.append(line)
    return "\n".join(out)


def feedback_text(name: str, row: dict[str, Any], questions: dict[str, float], secrets: set[str] = frozenset()) -> str:
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
                lines.append(f"  - {case['name']}{' (hidden test)' if case['hidden'] else ''}: {short[:500]}")
    if row["status"].startswith(("timeout", "error")) and row.get("log"):
        noise = ("WARNING: All log messages", "I0000", "E0000", "W0000", "To enable the following", "[IPKernelApp]")
        log = [line[:300] for line in row["log"].splitlines() if line.strip() and not line.startswith(noise)]
        if log:
            lines += ["", "Last lines of the grading log:", *log[-15:]]
    text = redact("\n".join(lines), secrets)
    if len(text) > FEEDBACK_CAP:
        text = text[:FEEDBACK_CAP] + "\n[feedback cut at 20 kB]"
    return text + "\n"


def _durable_write(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


def main(argv: list[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ["--worker"]:
        return worker(*argv[1:5])
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("submissions", type=Path, help="folder of submitted notebooks")
    parser.add_argument("--lesson", help="lesson prefix, e.g. 09 (default: read from the notebooks)")
    parser.add_argument("--out", type=Path, default=BUILD, help="writes grades.csv and feedback/ here (default: build/)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help=f"seconds allowed per submission (default {DEFAULT_TIMEOUT})")
    parser.add_argument("--as-submitted", action="store_true",
                        help="grade with the learner's own parameters instead of the lesson's quick ones")
    parser.add_argument("--autograder", type=Path, help="use this autograder zip instead of building one")
    parser.add_argument("--resume", action="store_true",
                        help="keep <out>/grades.csv and grade only the files that have no row in it yet")
    parser.add_argument("--unsafe-no-sandbox", action="store_true",
                        help="grade without the bubblewrap sandbox (learner code runs with your rights)")
    args = parser.parse_args(argv)

    folder = args.submissions
    if not folder.is_dir():
        print(f"Submissions folder {folder} does not exist (or is not a folder). Usage: make grade "
              "SUBMISSIONS=path/to/folder", file=sys.stderr)
        return 2
    entries = sorted(folder.iterdir())
    files = [p for p in entries if not (p.is_dir() and not p.is_symlink())]
    if not files:
        print(f"Submissions folder {folder} is empty: put one submitted notebook (.ipynb) per learner in it.",
              file=sys.stderr)
        return 2
    skipped = [p.name for p in entries if p.is_dir() and not p.is_symlink()]
    try:
        lesson = resolve_lesson(args.lesson, [f for f in files if f.suffix.lower() == ".ipynb" and f.is_file()])
    except SystemExit as exc:
        print(exc, file=sys.stderr)
        return 2
    sandboxed = not args.unsafe_no_sandbox
    if sandboxed:
        problem = sandbox_available()
        if problem:
            print(f"Refusing to grade: {problem}. Learner notebooks run arbitrary code, so each one is graded in "
                  f"a bubblewrap sandbox. {SANDBOX_HELP}", file=sys.stderr)
            return 2
    else:
        print("=" * 78 + "\nWARNING: --unsafe-no-sandbox: learner code runs unconfined, with your rights. It can read "
              "and\nchange your files (solutions/, build/, this batch's grades), keep processes running after\n"
              "grading and forge its scores. Grade this way only submissions you trust.\n" + "=" * 78,
              file=sys.stderr, flush=True)
    use_this_python_for_kernels()
    args.out.mkdir(parents=True, exist_ok=True)
    ag_zip = args.autograder or build_autograder(lesson, args.out / "grade")
    questions = questions_of(ag_zip)
    secrets = secrets_of(ag_zip, lesson)
    params = None if args.as_submitted else quick_parameters(lesson)
    feedback_dir = args.out / "feedback"
    feedback_dir.mkdir(parents=True, exist_ok=True)
    header = ["submission", "status", *questions, "total", "max", "seconds"]
    csv_path = args.out / "grades.csv"
    done: set[str] = set()
    if args.resume and csv_path.exists() and csv_path.stat().st_size:
        with open(csv_path, newline="", encoding="utf-8") as fh:
            old = list(csv.reader(fh))
        if old[0] != header:
            print(f"--resume: {csv_path} has other columns ({', '.join(old[0])}); it is not a batch of this "
                  "lesson. Move it away or grade without --resume.", file=sys.stderr)
            return 2
        done = {r[0] for r in old[1:] if r}
    elif csv_path.exists():
        csv_path.replace(csv_path.with_name("grades.previous.csv"))
    # the rows of a sandboxed submission never see the repository, the output or the submissions
    hidden = [ROOT, args.out, folder, Path.home(), Path("/root"), Path("/home"), Path(tempfile.gettempdir())]

    todo = [f for f in files if f.name not in done]
    print(f"Grading {len(todo)} submission(s) of {lesson} "
          f"({'as submitted' if params is None else f'at quick parameters {params}'}; "
          f"at most {args.timeout:g} s each{'; UNSANDBOXED' if not sandboxed else ''})"
          + (f"; already graded, skipped (--resume): {len(done & {f.name for f in files})}" if done else "")
          + (f"; sub-folders skipped: {', '.join(skipped)}" if skipped else ""), flush=True)

    def interrupted(signum, frame):  # noqa: ARG001 - SIGTERM behaves as Ctrl-C
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupted)
    written = 0
    try:
        with open(csv_path, "a", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            if fh.tell() == 0:
                writer.writerow(header)
                fh.flush()
                os.fsync(fh.fileno())
            for f in todo:
                print(f"  {f.name:<40}", end=" ", flush=True)
                try:
                    row = grade_one(f, lesson, ag_zip, params, args.timeout, questions, sandboxed, hidden)
                except Exception as exc:  # noqa: BLE001 - never let one submission stop the batch
                    row = {"status": f"error: grading failed ({type(exc).__name__}: {str(exc)[:120]})", "questions": {},
                           "cell_errors": [], "notes": [], "log": "", "seconds": 0.0, "cpu_seconds": 0.0}
                row["status"] = redact(" ".join(row["status"].split()), secrets)[:200]
                row["total"] = round(sum(row["questions"].get(q, {}).get("score", 0.0) for q in questions), 2)
                _durable_write(feedback_dir / f"{f.name}.txt", feedback_text(f.name, row, questions, secrets))
                writer.writerow([f.name, row["status"],
                                 *(f"{row['questions'].get(q, {}).get('score', 0.0):g}" for q in questions),
                                 f"{row['total']:g}", f"{sum(questions.values()):g}", row["seconds"]])
                fh.flush()
                os.fsync(fh.fileno())
                written += 1
                print(f"{row['total']:>5g} / {sum(questions.values()):g}  {row['seconds']:6.1f} s "
                      f"(CPU {row['cpu_seconds']:.0f} s)  {row['status']}", flush=True)
    except KeyboardInterrupt:
        print(f"\nInterrupted: the running submission was stopped; the {written} row(s) graded in this run are in "
              f"{csv_path}. Run again with --resume to grade the rest.", file=sys.stderr, flush=True)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
    shown = lambda p: p.relative_to(ROOT) if p.resolve().is_relative_to(ROOT) else p  # noqa: E731
    print(f"\nWrote {shown(csv_path)} ({written} new row(s)) and per-submission feedback in {shown(feedback_dir)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
