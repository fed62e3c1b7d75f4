"""Fixtures for the lesson-level tests: executed lessons, their recorded numbers, otter runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import papermill as pm
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

from _common import BUILD, NOTEBOOKS, SOLUTIONS, lesson_notebooks, quick_parameters  # noqa: E402

# The grading runs below draw nothing a person sees (run_lessons.py removes this for its kernels).
os.environ.setdefault("MPLBACKEND", "Agg")

# Where `make test` executed the lessons; point COURSE_EXECUTED_DIR elsewhere to check the claims
# of another run (e.g. `run_lessons.py --out build/seed1 -p SEED 1`).
EXECUTED = Path(os.environ.get("COURSE_EXECUTED_DIR", BUILD / "executed")).resolve()


def lesson_names() -> list[str]:
    return [p.stem for p in lesson_notebooks(NOTEBOOKS)]


def _fresh(result: Path, source: Path) -> bool:
    return result.exists() and result.stat().st_mtime >= source.stat().st_mtime


@pytest.fixture(scope="session")
def executed():
    """Return a function lesson -> (results payload, executed notebook).

    `make test` executes every lesson (tools/run_lessons.py) before these tests run; when the
    results are missing or older than the lesson (e.g. running pytest on its own), the lesson
    is executed here with its defaults, exactly as a learner gets it.
    """
    cache: dict[str, tuple[dict, nbformat.NotebookNode]] = {}

    def get(lesson: str):
        if lesson not in cache:
            result = EXECUTED / f"{lesson}.results.json"
            if "COURSE_EXECUTED_DIR" in os.environ:  # someone else's run: check it as it is
                if not result.exists():
                    pytest.fail(f"no {result.name} in COURSE_EXECUTED_DIR={EXECUTED}")
            elif not _fresh(result, NOTEBOOKS / f"{lesson}.ipynb"):
                subprocess.run(
                    [
                        sys.executable,
                        str(ROOT / "tools" / "run_lessons.py"),
                        "--html",
                        "--out",
                        str(EXECUTED),
                        "--only",
                        lesson,
                    ],
                    check=True,
                )
            cache[lesson] = (
                json.loads(result.read_text()),
                nbformat.read(EXECUTED / f"{lesson}.ipynb", as_version=4),
            )
        return cache[lesson]

    return get


def printed_text(nb: nbformat.NotebookNode) -> str:
    """All stdout the executed notebook showed the learner, with each run of whitespace as one space.

    Printed claims are wrapped at word boundaries (``Claim.__str__``), so a phrase a test looks
    for may continue on the next, indented line; tests match words, not layout.
    """
    out = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            if o.get("output_type") == "stream" and o.get("name") == "stdout":
                out.append(o.get("text", ""))
    return " ".join("".join(out).split())


def parameters_cell(nb: nbformat.NotebookNode) -> dict:
    """Evaluate the parameters-tagged cell of a notebook and return its variables."""
    cells = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1, f"expected one parameters cell, found {len(cells)}"
    env: dict = {}
    exec(cells[0].source, env)  # the parameters cell holds literals only
    return {k: v for k, v in env.items() if not k.startswith("__")}


# ---- otter grading -----------------------------------------------------------------------------

# Grading runs use tiny parameters (`quick_parameters`, from tools/_common.py): the checks test the
# learner's code, not the lesson's numbers (those are the claim tests' job).


class _Autograders:
    """``autograders[lesson]`` -> {"zip": autograder zip, "solution": solution notebook}; each
    lesson is assigned (otter assign) on first use only, in the session's assignment cache."""

    def __init__(self, build: Path, cache: Path) -> None:
        self.build = build
        self.cache = cache
        self.found: dict[str, dict[str, Path]] = {}

    def __getitem__(self, lesson: str) -> dict[str, Path]:
        if lesson not in self.found:
            from sync_notebooks import learner_version

            _, ag_dir = learner_version(SOLUTIONS / f"{lesson}.ipynb", self.build, self.cache)
            self.found[lesson] = {
                "zip": sorted(ag_dir.glob("*.zip"))[-1],
                "solution": ag_dir / f"{lesson}.ipynb",
            }
        return self.found[lesson]


@pytest.fixture(scope="session")
def assign_cache(tmp_path_factory) -> Path:
    """One folder of otter assignments for the whole test session, pytest-xdist workers included
    (their temporary folders are siblings): the sync check and the exercise checks assign each
    master once between them (tools/sync_notebooks.py, ``assign_once``)."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    return root / "assign-cache"


@pytest.fixture(scope="session")
def autograders(tmp_path_factory, assign_cache):
    return _Autograders(tmp_path_factory.mktemp("assign"), assign_cache)


def otter_grade(
    notebook: Path, ag_zip: Path, workdir: Path, lesson: str | None = None
) -> dict[str, tuple[float, float]]:
    """Grade one notebook with `otter run` (no Docker) at the lesson's quick parameters; return
    {question: (score, max)}."""
    workdir.mkdir(parents=True, exist_ok=True)
    prepared = workdir / notebook.name
    pm.execute_notebook(
        str(notebook),
        str(prepared),
        parameters=quick_parameters(lesson or notebook.stem),
        prepare_only=True,
        progress_bar=False,
    )
    out = workdir / "out"
    out.mkdir()
    subprocess.run(
        [sys.executable, "-m", "otter", "run", "--no-logo", "-a", str(ag_zip), "-o", str(out), str(prepared)],
        check=True,
        capture_output=True,
        cwd=workdir,
    )
    results = json.loads((out / "results.json").read_text())
    return {t["name"]: (t["score"], t["max_score"]) for t in results["tests"] if "score" in t}


def load_tests(lesson: str, question: str, autograders):
    """The full (hidden included) tests of one question, from the lesson's autograder zip."""
    from otter.test_files import ExceptionTestFile

    with zipfile.ZipFile(autograders[lesson]["zip"]) as z:
        source = z.read(f"tests/{question}.py").decode()
    return ExceptionTestFile.from_string(source, path=f"{question}.py")


def grade(tests, env: dict) -> tuple[float, str]:
    """Run loaded tests in ``env`` (the names a notebook would define); return (score, messages)."""
    tests.run(env)
    return tests.score, "\n".join(r.message for r in tests.test_case_results)


# ---- one lesson's executed default run, for the claim test modules (each sets LESSON = "NN_name") --


@pytest.fixture(scope="module")
def run(executed, request):
    """(results payload, executed notebook) of the module's LESSON."""
    return executed(request.module.LESSON)


@pytest.fixture(scope="module")
def values(run):
    """The numbers the lesson recorded."""
    return run[0]["values"]


@pytest.fixture(scope="module")
def params(run):
    """The parameters the recorded run used."""
    return run[0]["parameters"]


def recomputed_comparisons(recorded: dict, params: dict) -> dict[str, tuple[float, float]]:
    """Comparisons that a lesson recorded with ``record.comparisons`` (``cu.compare_on_seeds``),
    recomputed from their per-seed values: label -> (mean difference A - B, its standard error).

    Checks first that they were measured on the seeds the close-call rule asks for:
    COMPARISON_SEEDS (at least 3), or CLOSE_CALL_SEEDS (at least 5) for every comparison when
    one differs by no more than 3 standard errors on the first COMPARISON_SEEDS, and that the
    recorded difference and standard error are those of the values."""
    import numpy as np

    first, more = params["COMPARISON_SEEDS"], params["CLOSE_CALL_SEEDS"]
    assert first >= 3 and more >= 5, (first, more)

    def stats(a, b):
        d = np.subtract(a, b)
        return float(d.mean()), float(d.std(ddof=1) / np.sqrt(len(d)))

    close = any(
        abs(m) <= 3 * se for m, se in (stats(c["a"][:first], c["b"][:first]) for c in recorded.values())
    )
    out = {}
    for label, c in recorded.items():
        assert len(c["a"]) == len(c["b"]) == (more if close else first), (label, close)
        mean, se = stats(c["a"], c["b"])
        assert np.isclose(c["difference"], mean) and np.isclose(c["standard_error"], se), (label, c)
        out[label] = (mean, se)
    return out


def assert_claims_recorded_and_hold(run: tuple, expected: set[str]) -> None:
    """The lesson recorded exactly the claims ``expected`` names (a claim added, dropped or
    renamed must be listed in its test file's CLAIMS), and each of them holds on this run."""
    claims = {c["id"]: c for c in run[0]["claims"]}
    assert set(claims) == expected, (
        f"claims recorded but not in CLAIMS, or the reverse: {set(claims) ^ expected}"
    )
    failed = [c for c in claims.values() if not c["holds"]]
    assert not failed, f"claims that do not hold on this run: {failed}"
