"""The lesson runner: bad input is refused with a clear message, and nothing is written into
notebooks/ or solutions/."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT

RUNNER = [sys.executable, str(ROOT / "tools" / "run_lessons.py")]


def test_misspelt_parameter_is_refused_before_anything_runs(tmp_path):
    proc = subprocess.run(RUNNER + ["--out", str(tmp_path), "--only", "01", "-p", "DATASETT", "mnist"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "no parameter DATASETT" in proc.stderr and "DATASET" in proc.stderr
    assert not list(tmp_path.glob("*.ipynb"))


def test_output_inside_notebooks_is_refused():
    proc = subprocess.run(RUNNER + ["--out", str(ROOT / "notebooks" / "out")], capture_output=True, text=True)
    assert proc.returncode != 0 and "Refusing to write" in (proc.stdout + proc.stderr)
    assert not (ROOT / "notebooks" / "out").exists()


def test_unknown_lesson_prefix_is_refused(tmp_path):
    proc = subprocess.run(RUNNER + ["--out", str(tmp_path), "--only", "77"], capture_output=True, text=True)
    assert proc.returncode != 0 and "No lesson" in (proc.stdout + proc.stderr)


def test_quick_parameters_name_real_parameters_of_each_lesson():
    """A misspelt quick parameter would be ignored by papermill and the grading runs would be slow."""
    import nbformat
    from conftest import NOTEBOOKS, lesson_notebooks, parameters_cell, quick_parameters

    for path in lesson_notebooks(NOTEBOOKS):
        known = parameters_cell(nbformat.read(path, as_version=4))
        quick = quick_parameters(path.stem)
        assert quick["EPOCHS"] <= 5, (path.name, quick)
        unknown = sorted(set(quick) - set(known))
        assert not unknown, f"{path.name}: quick parameters {unknown} are not in its parameters cell"
