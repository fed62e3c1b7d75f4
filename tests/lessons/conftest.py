"""Fixtures for the lesson-level tests: executed lessons, their recorded numbers, otter runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

from _common import BUILD, NOTEBOOKS, SOLUTIONS, lesson_notebooks  # noqa: E402

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
                subprocess.run([sys.executable, str(ROOT / "tools" / "run_lessons.py"),
                                "--out", str(EXECUTED), "--only", lesson], check=True)
            cache[lesson] = (json.loads(result.read_text()),
                             nbformat.read(EXECUTED / f"{lesson}.ipynb", as_version=4))
        return cache[lesson]

    return get


def printed_text(nb: nbformat.NotebookNode) -> str:
    """All stdout the executed notebook showed the learner."""
    out = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            if o.get("output_type") == "stream" and o.get("name") == "stdout":
                out.append(o.get("text", ""))
    return "".join(out)


def parameters_cell(nb: nbformat.NotebookNode) -> dict:
    """Evaluate the parameters-tagged cell of a notebook and return its variables."""
    cells = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1, f"expected one parameters cell, found {len(cells)}"
    env: dict = {}
    exec(cells[0].source, env)  # the parameters cell holds literals only
    return {k: v for k, v in env.items() if not k.startswith("__")}
