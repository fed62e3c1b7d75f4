"""Grade a folder of submitted notebooks with the course's otter autograders, without Docker.

    python tools/grade.py SUBMISSIONS                 # the lesson is read from the notebooks
    python tools/grade.py SUBMISSIONS --lesson 10 --timeout 600 --out build --jobs 2
    make grade SUBMISSIONS=path/to/folder [LESSON=10] [TIMEOUT=600] [JOBS=2]

Every file in SUBMISSIONS (dot-files included; sub-folders are listed and skipped) gets one row
in ``<out>/grades.csv``: one column per question, the total, the maximum, a status and the
grading time. ``<out>/feedback/<file name>.txt`` (e.g. ``dave.pdf.txt``, ``dave.pdf.ipynb.txt``)
holds, per question, the score and what each failed test said (hidden tests included), plus the
cells that raised an error; at most 20 kB each, and lines quoting the hidden tests or the answer
key are removed. Each row and its feedback file are written (and flushed to disk) as soon as that
submission is graded, so an interrupted batch keeps every row graded so far; ``--resume`` then
grades only the files that have no row yet.

Each submission is executed inside a bubblewrap sandbox (``bwrap``) that holds no test and no
answer key, and its scores are decided outside it by the *judge* (tools/judge.py), a separate,
fresh interpreter that owns the lesson's autograder (built fresh from solutions/). The sandbox
hands back data only (tools/judge_codec.py: the values of the names the tests use, a learner
function's values on the arguments the judge's tests choose, models as ``.keras`` files loaded
with ``safe_mode=True``); the judge runs otter's tests on that data. So patching otter, NumPy or
course_utils.grading in the notebook, or forging what it hands back, changes nothing but the
submission's own answers. The sandbox has no network, its own process namespace (every process
the notebook starts dies with it, detached ones included), sees read-only only the system
(/usr, a few files of /etc), the interpreter, the virtual environment and course_utils (not the
repository, the autograder, the output folder, the other submissions or any home folder), has a
private /tmp (2 GiB at most, in memory: HOME and a copy of this submission; nothing of the host
is writable), resource limits (memory, processes, file size, CPU time) and a time limit. The
judge reports to this process through a pipe, and every score is checked (the autograder's
questions exactly, each score a number between 0 and the question's points) before it is
written; anything else is ``invalid result`` with zeros. Without a usable ``bwrap`` the batch
refuses to start (``apt-get install bubblewrap``) unless ``--unsafe-no-sandbox`` is given.
``--jobs N`` grades N submissions at once, each in its own sandbox (rows are written in the order
they finish; CPU times are then approximate). A submission that raises, loops forever, deletes
files around it, kills its kernel or is not a notebook at all gets a row with zeros (or the
points its answers earn) and a status saying so; the batch always continues.
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
interrupted (Ctrl-C, SIGTERM: every running sandbox is killed, the rows written so far are kept).
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import csv
import json
import math
import os
import shutil
import signal
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
MEMORY_LIMIT = 4 << 30  # bytes of address space per process of a submission
# Processes *and threads* (RLIMIT_NPROC counts both, per user; a root-run batch puts each sandbox
# in a pids cgroup of this size instead, since the kernel never applies RLIMIT_NPROC to root):
# TensorFlow starts a few threads per core, so the limit grows with the machine.
PROCESS_LIMIT = max(512, 16 * (os.cpu_count() or 1))
FILE_SIZE_LIMIT = 200 << 20  # bytes, the largest file a submission may write
RESULT_CAP = 4 << 20  # bytes read from the judge's report pipe
HANDBACK_CAP = 192 << 20  # bytes of one answer the sandbox hands back to the judge
LOG_CAP = 64 << 10  # bytes of the worker's output kept (its tail)
FEEDBACK_CAP = 20_000  # characters per feedback file
TMP_SIZE = 2 << 30  # bytes: the sandbox's private /tmp (its only writable place, in memory)
# The processes of every submission being graded, so that an interrupted batch (Ctrl-C, SIGTERM)
# kills them all, whichever thread started them; once STOPPING is set, no thread starts new ones.
RUNNING: set[tuple[subprocess.Popen, bool]] = set()
RUNNING_LOCK = threading.Lock()
STOPPING = threading.Event()
SANDBOX_HELP = (
    "Install it (Debian/Ubuntu: apt-get install bubblewrap) and make sure it can create namespaces, "
    "or pass --unsafe-no-sandbox to grade without one (learner code then runs with your rights)."
)


# ---- the worker: runs inside the per-submission subprocess ---------------------------------------


def worker(notebook: str, request_fd: str, response_fd: str, cpu_seconds: str) -> int:
    """Execute one prepared notebook in a kernel, then answer the judge's requests (the values of
    names, the learner's functions on the judge's arguments) as data, over the pipes
    ``request_fd`` / ``response_fd``, which the kernel does not inherit. Runs inside the sandbox,
    under resource limits that the kernel inherits; holds no test and no answer key."""
    import resource

    for limit, value in (
        (resource.RLIMIT_AS, MEMORY_LIMIT),
        (resource.RLIMIT_NPROC, PROCESS_LIMIT),
        (resource.RLIMIT_FSIZE, FILE_SIZE_LIMIT),
        (resource.RLIMIT_CPU, int(float(cpu_seconds))),
    ):
        try:
            resource.setrlimit(limit, (value, value))
        except (ValueError, OSError):
            pass
    req, resp = int(request_fd), int(response_fd)
    for fd in (req, resp):
        os.set_inheritable(fd, False)
    here = Path(__file__).resolve().parent
    sys.path.insert(0, str(here))
    import judge_codec as codec
    import nbformat
    from nbclient import NotebookClient

    path = Path(notebook)
    nb = nbformat.read(path, as_version=4)
    kernel = (nb.metadata.get("kernelspec") or {}).get("name") or "python3"
    client = NotebookClient(
        nb,
        timeout=None,
        allow_errors=True,
        kernel_name=kernel,
        resources={"metadata": {"path": str(path.parent)}},
    )
    exchange = Path(tempfile.mkdtemp(prefix="handback-"))
    with client.setup_kernel():
        error = None
        try:
            for index, cell in enumerate(nb.cells):
                if cell.cell_type == "code":
                    client.execute_cell(cell, index)
        except BaseException as exc:  # noqa: BLE001 - a dead kernel, a broken notebook ...
            error = f"{type(exc).__name__}: {str(exc)[:2000]}"
        cell_errors = []
        for index, cell in enumerate(nb.cells):
            for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
                if output.get("output_type") == "error" and len(cell_errors) < 50:
                    first = cell.source.strip().splitlines()[:1]
                    cell_errors.append(
                        {
                            "cell": index,
                            "ename": str(output.get("ename", ""))[:100],
                            "evalue": str(output.get("evalue", ""))[:300],
                            "first_line": first[0][:80] if first else "",
                        }
                    )
        codec.write_frame(resp, {"type": "executed", "cell_errors": cell_errors, "error": error})
        if error is not None:
            return 0
        source = str(here / "judge_codec.py")
        setup = nbformat.v4.new_code_cell(
            f"def __course_grading_serve__(request, response, _source={source!r}):\n"
            "    namespace = {}\n"
            "    exec(compile(open(_source).read(), _source, 'exec'), namespace)\n"
            "    namespace['serve'](request, response, globals())\n"
        )
        nb.cells.append(setup)  # nbclient stores each executed cell in the notebook
        client.execute_cell(setup, len(nb.cells) - 1)
        count = 0
        while True:
            try:
                request = codec.read_frame(req, 16 << 20)
            except ValueError:
                request = None
            if not isinstance(request, dict) or request.get("op") not in ("values", "calls"):
                return 0
            count += 1
            request_path, response_path = (
                exchange / f"request-{count}.json",
                exchange / f"response-{count}.json",
            )
            request_path.write_text(json.dumps(request), encoding="utf-8")
            cell = nbformat.v4.new_code_cell(
                f"__course_grading_serve__({str(request_path)!r}, {str(response_path)!r})"
            )
            reply: dict[str, Any] = {"type": "response"}
            try:
                nb.cells.append(cell)
                client.execute_cell(cell, len(nb.cells) - 1)
                nb.cells.pop()
                failed = [o for o in cell.outputs if o.get("output_type") == "error"]
                if failed:
                    reply["error"] = f"{failed[0].get('ename', '')}: {str(failed[0].get('evalue', ''))[:300]}"
                elif response_path.stat().st_size > HANDBACK_CAP:
                    reply["error"] = "the answer is larger than the grader accepts"
                else:
                    reply["data"] = json.loads(response_path.read_text(encoding="utf-8"))
            except BaseException as exc:  # noqa: BLE001 - dead kernel, missing or malformed answer
                reply["error"] = f"{type(exc).__name__}: {str(exc)[:300]}"
            response_path.unlink(missing_ok=True)
            codec.write_frame(resp, reply)


# ---- the batch -------------------------------------------------------------------------------------


def resolve_lesson(arg: str | None, files: list[Path]) -> str:
    """The lesson to grade: --lesson (a prefix such as 10), else the most common otter
    assignment name among the submitted notebooks."""
    known = [p.stem for p in lesson_notebooks(SOLUTIONS)]
    if arg:
        matches = [k for k in known if k == arg or k.startswith(arg)]
        if len(matches) != 1:
            raise SystemExit(
                f"--lesson {arg!r} matches {matches or 'no lesson'}; lessons: {', '.join(known)}"
            )
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
        raise SystemExit(
            "Could not tell which lesson these submissions belong to (no notebook names one in its "
            "metadata). Pass it: --lesson 10 (make grade ... LESSON=10)."
        )
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
    nb.metadata.setdefault(
        "kernelspec", {"display_name": "Python 3", "language": "python", "name": "python3"}
    )
    nbformat.write(nb, dest)
    if params is not None:
        import papermill as pm

        if not any("parameters" in c.get("metadata", {}).get("tags", []) for c in nb.cells):
            notes.append("No cell is tagged `parameters`: graded with the notebook's own parameter values.")
        else:
            pm.execute_notebook(
                str(dest),
                str(dest),
                parameters=params,
                prepare_only=True,
                progress_bar=False,
                log_output=False,
            )
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
    probe = subprocess.run(
        [
            bwrap,
            "--unshare-all",
            "--die-with-parent",
            "--new-session",
            "--ro-bind",
            "/",
            "/",
            "--proc",
            "/proc",
            "--dev",
            "/dev",
            "--tmpfs",
            "/tmp",
            "true",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if probe.returncode != 0:
        return f"bwrap cannot create a sandbox here: {(probe.stderr or '').strip()[:200]}"
    return None


_CGROUPS: list[Path] = []  # the pids cgroups this batch made (removed once empty)
_CGROUP_LOCK = threading.Lock()


def _pids_cgroup_root() -> Path | None:
    """Where this process may create pids cgroups: cgroup v1's pids hierarchy, or the v2 root
    when it delegates the pids controller; None when not root or neither is writable."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return None
    v1 = Path("/sys/fs/cgroup/pids")
    if (v1 / "cgroup.procs").exists() and os.access(v1, os.W_OK):
        return v1
    v2 = Path("/sys/fs/cgroup")
    try:
        if "pids" in (v2 / "cgroup.subtree_control").read_text().split() and os.access(v2, os.W_OK):
            return v2
    except OSError:
        pass
    return None


def _in_pids_cgroup() -> list[str]:
    """The command prefix that starts the sandbox in a fresh pids cgroup limited to PROCESS_LIMIT
    (a shell writes its own pid into the cgroup, then execs bwrap: everything the sandbox
    starts, detached or not, counts), when the batch runs as root; else ``[]`` (an ordinary
    user, whose RLIMIT_NPROC the kernel applies, or a host without a writable pids cgroup)."""
    root = _pids_cgroup_root()
    if root is None:
        return []
    with _CGROUP_LOCK:
        group = root / f"course-grade-{os.getpid()}-{len(_CGROUPS)}"
        try:
            group.mkdir()
            (group / "pids.max").write_text(str(PROCESS_LIMIT))
        except OSError:
            return []
        _CGROUPS.append(group)
    return ["/bin/sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', str(group)]


def release_cgroups() -> None:
    """Removes this batch's pids cgroups that no process uses any more."""
    with _CGROUP_LOCK:
        for group in list(_CGROUPS):
            try:
                group.rmdir()
                _CGROUPS.remove(group)
            except OSError:
                pass  # still in use (removed by a later call), or gone


SYSTEM_DIRS = ("/usr", "/bin", "/lib", "/lib32", "/lib64", "/libx32", "/sbin")
SYSTEM_ETC = (
    "passwd",
    "group",
    "nsswitch.conf",
    "hosts",
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "localtime",
    "ssl",
    "ca-certificates",
    "fonts",
    "mime.types",
    "alternatives",
)


def sandbox_command(
    notebook_fd: int, notebook: str, grader_fd: int, codec_fd: int, hidden: list[Path]
) -> list[str]:
    """The bwrap command line. The sandbox sees only what it needs, read-only: the system's
    programs and libraries (/usr and its links, a few files of /etc), the interpreter, the venv and
    course_utils; nothing else of the host (no repository, no solutions/, no autograder, no other
    checkout, no home folder). ``hidden`` folders that lie inside one of those are covered by an
    empty tmpfs. A private /tmp (at most TMP_SIZE bytes, the only writable place) holds HOME and
    /tmp/submission, a copy of the notebook; the worker's code (grade.py, judge_codec.py) is at
    /tmp/grader, read-only. No test file, no answer key is ever inside."""
    return _sandbox_base(hidden) + [
        "--dir",
        "/tmp/home",
        "--dir",
        "/tmp/submission",
        "--dir",
        "/tmp/grader",
        "--file",
        str(notebook_fd),
        f"/tmp/submission/{notebook}",
        "--ro-bind-data",
        str(grader_fd),
        "/tmp/grader/grade.py",
        "--ro-bind-data",
        str(codec_fd),
        "/tmp/grader/judge_codec.py",
        "--chdir",
        "/tmp/submission",
        "--",
    ]


def judge_sandbox_command(judge_fd: int, codec_fd: int, zip_fd: int, hidden: list[Path]) -> list[str]:
    """The judge's own sandbox (defence in depth: it reads data a learner may have forged): the
    same read-only view of the system, interpreter, venv and course_utils, no network, a private
    /tmp, and read-only copies of its code (/tmp/judge/) and of the autograder (/tmp/judge/
    autograder.zip). It shares nothing with the submission's sandbox but the two pipes."""
    return _sandbox_base(hidden) + [
        "--dir",
        "/tmp/home",
        "--dir",
        "/tmp/judge",
        "--ro-bind-data",
        str(judge_fd),
        "/tmp/judge/judge.py",
        "--ro-bind-data",
        str(codec_fd),
        "/tmp/judge/judge_codec.py",
        "--ro-bind-data",
        str(zip_fd),
        "/tmp/judge/autograder.zip",
        "--chdir",
        "/tmp/home",
        "--",
    ]


def _sandbox_base(hidden: list[Path]) -> list[str]:
    """bwrap options common to both sandboxes (see sandbox_command)."""
    cmd = [*_in_pids_cgroup(), shutil.which("bwrap") or "bwrap", "--unshare-all", "--die-with-parent",
           "--new-session"]  # fmt: skip
    for folder in SYSTEM_DIRS:
        path = Path(folder)
        if path.is_symlink():
            cmd += ["--symlink", os.readlink(path), folder]
        elif path.is_dir():
            cmd += ["--ro-bind", folder, folder]
    for name in SYSTEM_ETC:
        if (Path("/etc") / name).exists():
            cmd += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
    cmd += ["--proc", "/proc", "--dev", "/dev", "--size", str(TMP_SIZE), "--tmpfs", "/tmp"]
    visible = [Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), (ROOT / "course_utils").resolve()]
    bound = [Path(f) for f in SYSTEM_DIRS]
    for folder in visible:
        if folder.exists() and not any(b == folder or b in folder.parents for b in bound):
            cmd += ["--ro-bind", str(folder), str(folder)]
            bound.append(folder)
    for folder in sorted(
        {p.resolve() for p in hidden if p.exists() and p.is_dir()}, key=lambda p: len(p.parts)
    ):
        inside = any(b in folder.parents for b in bound)
        if inside and not any(folder == v or folder in v.parents for v in visible):
            cmd += ["--size", str(1 << 20), "--tmpfs", str(folder)]
    return cmd


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
                    self.data = self.data[: self.cap] if self.keep == "head" else self.data[-self.cap :]
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


def grade_one(
    source: Path,
    lesson: str,
    ag_zip: Path,
    params: dict | None,
    timeout: float,
    questions: dict[str, float],
    sandboxed: bool,
    hidden: list[Path],
) -> dict[str, Any]:
    """Grade one submission in a fresh temporary folder and sandbox."""
    import resource

    start = time.perf_counter()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_before = usage.ru_utime + usage.ru_stime
    row: dict[str, Any] = {"status": "ok", "questions": {}, "cell_errors": [], "notes": [], "log": ""}
    workdir = Path(tempfile.mkdtemp(prefix="grade-"))
    proc = judge = None
    judge_inputs: list[int] = []
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
        here = Path(__file__).resolve().parent
        for name in ("grade.py", "judge_codec.py"):
            shutil.copyfile(here / name, grader_dir / name)
        inputs = []  # files handed to bwrap, which copies them into the sandbox
        cpu_limit = int(timeout * (os.cpu_count() or 1) + 60)
        env = {
            "PATH": str(Path(sys.executable).parent) + os.pathsep + "/usr/local/bin:/usr/bin:/bin",
            "LANG": os.environ.get("LANG", "C.UTF-8"),
            "MPLBACKEND": "Agg",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        request_r, request_w = os.pipe()  # judge -> sandbox: what to hand back
        response_r, response_w = os.pipe()  # sandbox -> judge: data only
        report_r, report_w = os.pipe()  # judge -> this batch: the scores
        log_r, log_w = os.pipe()
        judge_args = [str(request_w), str(response_r), str(report_w), str(cpu_limit)]
        if sandboxed:
            env.update(HOME="/tmp/home", TMPDIR="/tmp")
            inputs = [os.open(grader_dir / name, os.O_RDONLY) for name in ("grade.py", "judge_codec.py")]
            inputs.insert(0, os.open(notebook, os.O_RDONLY))
            cmd = sandbox_command(inputs[0], notebook.name, inputs[1], inputs[2], hidden) + [
                sys.executable,
                "/tmp/grader/grade.py",
                "--worker",
                f"/tmp/submission/{notebook.name}",
            ]
            judge_inputs = [
                os.open(path, os.O_RDONLY) for path in (here / "judge.py", here / "judge_codec.py", ag_zip)
            ]
            judge_cmd = judge_sandbox_command(*judge_inputs, hidden) + [
                sys.executable,
                "/tmp/judge/judge.py",
                "/tmp/judge/autograder.zip",
                *judge_args,
            ]
            judge_env = {**env}
        else:
            tmp = workdir / "tmp"
            tmp.mkdir()
            env.update(HOME=str(tmp), TMPDIR=str(tmp))
            cmd = [sys.executable, str(grader_dir / "grade.py"), "--worker", str(notebook)]
            judge_inputs = []
            judge_cmd = [sys.executable, str(here / "judge.py"), str(ag_zip), *judge_args]
            judge_env = {**env, "HOME": str(workdir), "TMPDIR": str(workdir)}
        try:
            RUNNING_LOCK.acquire()
            if STOPPING.is_set():
                raise KeyboardInterrupt
            proc = subprocess.Popen(
                cmd + [str(request_r), str(response_w), str(cpu_limit)],
                cwd=work,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log_w,
                stderr=log_w,
                pass_fds=(request_r, response_w, *inputs),
                start_new_session=True,
            )
            judge = subprocess.Popen(
                judge_cmd,
                cwd=workdir,
                env=judge_env,
                stdin=subprocess.DEVNULL,
                stdout=log_w,
                stderr=log_w,
                pass_fds=(request_w, response_r, report_w, *judge_inputs),
                start_new_session=True,
            )
        finally:
            RUNNING.update(x for x in ((proc, sandboxed), (judge, sandboxed)) if x[0] is not None)
            RUNNING_LOCK.release()
            for fd in (request_r, request_w, response_r, response_w, report_w, log_w, *inputs, *judge_inputs):
                os.close(fd)
        result, log = _Reader(report_r, RESULT_CAP, "head"), _Reader(log_r, LOG_CAP, "tail")
        try:
            judge.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_sandbox(proc, sandboxed)
            kill_sandbox(judge, sandboxed)
            row["status"] = f"timeout (> {timeout:g} s)"
            row["notes"].append(
                f"Still running after {timeout:g} s, so it was stopped: an infinite loop, or far "
                "more training than the exercise asks for. Nothing after that point was graded."
            )
        kill_sandbox(proc, sandboxed)  # the judge is done: the sandbox, and everything in it, goes
        result.join(timeout=10)
        log.join(timeout=10)
        row["log"] = bytes(log.data).decode(errors="replace")
        if row["status"].startswith("timeout"):
            return row
        if judge.returncode != 0 or result.is_alive():
            row["status"] = f"error: the judge failed (exit status {judge.returncode})"
            row["notes"].append(
                "The trusted process that computes the scores did not finish normally, so no score "
                "counts; the end of its log is below. This is a grader problem: please report it."
            )
            return row
        try:
            if result.overflow:
                raise Invalid("the report is too large")
            report = validate_report(json.loads(bytes(result.data).decode()), questions)
        except (ValueError, UnicodeDecodeError) as exc:  # Invalid, JSON errors, extra data ...
            row["status"] = "invalid result"
            row["notes"].append(
                f"The grader's report failed validation ({str(exc)[:150]}), so no score counts."
            )
            return row
        row["questions"], row["cell_errors"] = report["questions"], report["cell_errors"]
        row["reported_cpu"] = float(report.get("cpu_seconds", 0.0))  # informational only
        if report["error"]:
            row["status"] = "error: " + explain(report["error"])
        return row
    finally:
        for p in (proc, judge):
            if p is not None and p.poll() is None:  # interrupted (Ctrl-C, SIGTERM): no process left behind
                kill_sandbox(p, sandboxed)
        with RUNNING_LOCK:
            RUNNING.difference_update({(proc, sandboxed), (judge, sandboxed)})
        release_cgroups()  # the pids cgroups of sandboxes that are gone
        row["seconds"] = round(time.perf_counter() - start, 1)
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # the judge and the worker, once reaped
        row["cpu_seconds"] = round(
            max(usage.ru_utime + usage.ru_stime - cpu_before, row.get("reported_cpu", 0.0)), 1
        )
        shutil.rmtree(workdir, ignore_errors=True)


def stop_everything() -> None:
    """Kill the sandbox and the judge of every submission being graded (and start no more)."""
    with RUNNING_LOCK:
        STOPPING.set()
        running = list(RUNNING)
    for proc, sandboxed in running:
        if sandboxed:
            kill_sandbox(proc, True)
        else:
            kill_tree(proc.pid)
            kill_sandbox(proc, False)


def explain(error: str) -> str:
    """A short, instructor-readable reason for an otter failure."""
    text = " ".join(error.split())
    if "DeadKernelError" in text or "Kernel died" in text:
        return "the kernel died (the notebook exited or crashed Python)"
    if any(
        k in text for k in ("FileNotFoundError", "No such file", "EOFError", "Ran out of input", "pickle")
    ):
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


def feedback_text(
    name: str, row: dict[str, Any], questions: dict[str, float], secrets: set[str] = frozenset()
) -> str:
    lines = [
        f"Submission: {name}",
        f"Status: {row['status']}",
        f"Score: {row['total']:g} / {sum(questions.values()):g}",
        f"Grading time: {row['seconds']:g} s (CPU {row['cpu_seconds']:g} s)",
        "",
    ]
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
                short = next(
                    (m for m in reversed(message) if m.startswith("AssertionError")),
                    message[-1] if message else "",
                )
                lines.append(f"  - {case['name']}{' (hidden test)' if case['hidden'] else ''}: {short[:500]}")
    if row["status"].startswith(("timeout", "error")) and row.get("log"):
        noise = (
            "WARNING: All log messages",
            "I0000",
            "E0000",
            "W0000",
            "To enable the following",
            "[IPKernelApp]",
        )
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
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("submissions", type=Path, help="folder of submitted notebooks")
    parser.add_argument("--lesson", help="lesson prefix, e.g. 10 (default: read from the notebooks)")
    parser.add_argument(
        "--out", type=Path, default=BUILD, help="writes grades.csv and feedback/ here (default: build/)"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        help=f"seconds allowed per submission (default {DEFAULT_TIMEOUT})",
    )
    parser.add_argument(
        "--as-submitted",
        action="store_true",
        help="grade with the learner's own parameters instead of the lesson's quick ones",
    )
    parser.add_argument("--autograder", type=Path, help="use this autograder zip instead of building one")
    parser.add_argument(
        "--resume",
        action="store_true",
        help="keep <out>/grades.csv and grade only the files that have no row in it yet",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="grade this many submissions at once, each in its own sandbox (default 1)",
    )
    parser.add_argument(
        "--unsafe-no-sandbox",
        action="store_true",
        help="grade without the bubblewrap sandbox (learner code runs with your rights)",
    )
    args = parser.parse_args(argv)
    if args.jobs < 1:
        print(
            f"--jobs {args.jobs}: give the number of submissions to grade at once, 1 or more.",
            file=sys.stderr,
        )
        return 2

    folder = args.submissions
    if not folder.is_dir():
        print(
            f"Submissions folder {folder} does not exist (or is not a folder). Usage: make grade "
            "SUBMISSIONS=path/to/folder",
            file=sys.stderr,
        )
        return 2
    entries = sorted(folder.iterdir())
    files = [p for p in entries if not (p.is_dir() and not p.is_symlink())]
    if not files:
        print(
            f"Submissions folder {folder} is empty: put one submitted notebook (.ipynb) per learner in it.",
            file=sys.stderr,
        )
        return 2
    skipped = [p.name for p in entries if p.is_dir() and not p.is_symlink()]
    try:
        lesson = resolve_lesson(
            args.lesson, [f for f in files if f.suffix.lower() == ".ipynb" and f.is_file()]
        )
    except SystemExit as exc:
        print(exc, file=sys.stderr)
        return 2
    sandboxed = not args.unsafe_no_sandbox
    if sandboxed:
        problem = sandbox_available()
        if problem:
            print(
                f"Refusing to grade: {problem}. Learner notebooks run arbitrary code, so each one is graded in "  # noqa: E501
                f"a bubblewrap sandbox. {SANDBOX_HELP}",
                file=sys.stderr,
            )
            return 2
    else:
        print(
            "="
            * 78
            + "\nWARNING: --unsafe-no-sandbox: learner code runs unconfined, with your rights. It can read "
            "and\nchange your files (solutions/, build/, this batch's grades), keep processes running after\n"
            "grading and forge its scores. Grade this way only submissions you trust.\n" + "=" * 78,
            file=sys.stderr,
            flush=True,
        )
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
            print(
                f"--resume: {csv_path} has other columns ({', '.join(old[0])}); it is not a batch of this "
                "lesson. Move it away or grade without --resume.",
                file=sys.stderr,
            )
            return 2
        done = {r[0] for r in old[1:] if r}
    elif csv_path.exists():
        csv_path.replace(csv_path.with_name("grades.previous.csv"))
    # the rows of a sandboxed submission never see the repository, the output or the submissions
    hidden = [ROOT, args.out, folder, Path.home(), Path("/root"), Path("/home"), Path(tempfile.gettempdir())]

    todo = [f for f in files if f.name not in done]
    print(
        f"Grading {len(todo)} submission(s) of {lesson} "
        f"({'as submitted' if params is None else f'at quick parameters {params}'}; "
        f"at most {args.timeout:g} s each{f'; {args.jobs} at a time' if args.jobs > 1 else ''}"
        f"{'; UNSANDBOXED' if not sandboxed else ''})"
        + (f"; already graded, skipped (--resume): {len(done & {f.name for f in files})}" if done else "")
        + (f"; sub-folders skipped: {', '.join(skipped)}" if skipped else ""),
        flush=True,
    )

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

            def run(f: Path) -> dict[str, Any]:
                try:
                    return grade_one(f, lesson, ag_zip, params, args.timeout, questions, sandboxed, hidden)
                except Exception as exc:  # noqa: BLE001 - never let one submission stop the batch
                    return {
                        "status": f"error: grading failed ({type(exc).__name__}: {str(exc)[:120]})",
                        "questions": {},
                        "cell_errors": [],
                        "notes": [],
                        "log": "",
                        "seconds": 0.0,
                        "cpu_seconds": 0.0,
                    }

            pool = concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs, thread_name_prefix="grade")
            futures = {pool.submit(run, f): f for f in todo}
            waiting = set(futures)
            try:
                while waiting:  # short waits: Ctrl-C and SIGTERM reach this thread at once
                    done, waiting = concurrent.futures.wait(
                        waiting, timeout=0.5, return_when=concurrent.futures.FIRST_COMPLETED
                    )
                    for future in sorted(done, key=lambda fut: futures[fut].name):
                        f, row = futures[future], future.result()
                        row["status"] = redact(" ".join(row["status"].split()), secrets)[:200]
                        row["total"] = round(
                            sum(row["questions"].get(q, {}).get("score", 0.0) for q in questions), 2
                        )
                        _durable_write(
                            feedback_dir / f"{f.name}.txt", feedback_text(f.name, row, questions, secrets)
                        )
                        writer.writerow(
                            [
                                f.name,
                                row["status"],
                                *(f"{row['questions'].get(q, {}).get('score', 0.0):g}" for q in questions),
                                f"{row['total']:g}",
                                f"{sum(questions.values()):g}",
                                row["seconds"],
                            ]
                        )
                        fh.flush()
                        os.fsync(fh.fileno())
                        written += 1
                        print(
                            f"  {f.name:<40} {row['total']:>5g} / {sum(questions.values()):g}  {row['seconds']:6.1f} s "  # noqa: E501
                            f"(CPU {row['cpu_seconds']:.0f} s)  {row['status']}",
                            flush=True,
                        )
            except BaseException:
                stop_everything()
                pool.shutdown(wait=False, cancel_futures=True)
                raise
            pool.shutdown(wait=True)
    except KeyboardInterrupt:
        print(
            f"\nInterrupted: the running submission(s) were stopped; the {written} row(s) graded in this run are in "  # noqa: E501
            f"{csv_path}. Run again with --resume to grade the rest.",
            file=sys.stderr,
            flush=True,
        )
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
        release_cgroups()
    shown = lambda p: p.relative_to(ROOT) if p.resolve().is_relative_to(ROOT) else p  # noqa: E731
    print(
        f"\nWrote {shown(csv_path)} ({written} new row(s)) and per-submission feedback in {shown(feedback_dir)}/"  # noqa: E501
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
