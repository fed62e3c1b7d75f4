"""The lesson runner: bad input is refused with a clear message, and nothing is written into
notebooks/ or solutions/."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

RUNNER = [sys.executable, str(ROOT / "tools" / "run_lessons.py")]


def test_misspelt_parameter_is_refused_before_anything_runs(tmp_path):
    proc = subprocess.run(
        RUNNER + ["--out", str(tmp_path), "--only", "01", "-p", "DATASETT", "mnist"],
        capture_output=True,
        text=True,
    )
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


def _fake_lesson(path, body):
    """A tiny numbered notebook with a parameters cell (EPOCHS, as every lesson has)."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("EPOCHS = 100")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(body)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


_REPORT = """
import json, os, sys, time
time.sleep({sleep})
out = os.environ["COURSE_RESULTS_DIR"]
os.write(2, b"fd-2 chatter\\n")  # as TensorFlow's C++ start-up log lines do
with open(os.path.join(out, "{name}.env.json"), "w") as f:
    json.dump({{"results_dir": out, "mplbackend": os.environ.get("MPLBACKEND"), "epochs": EPOCHS,
               "python": sys.executable}}, f)
"""


def _fake_lessons(tmp_path):
    source = tmp_path / "lessons"
    source.mkdir()
    # The first lesson is the slowest: with two jobs the second finishes first.
    _fake_lesson(source / "01_slow.ipynb", _REPORT.format(sleep=4, name="01_slow"))
    _fake_lesson(source / "02_fast.ipynb", _REPORT.format(sleep=0, name="02_fast"))
    _fake_lesson(source / "03_broken.ipynb", "raise RuntimeError('on purpose')")
    return source


def test_parallel_jobs_keep_the_lesson_order_and_each_lessons_environment(tmp_path):
    source, out = _fake_lessons(tmp_path), tmp_path / "out"
    proc = subprocess.run(
        RUNNER + ["--source", str(source), "--out", str(out), "--jobs", "2", "--quick"],
        capture_output=True,
        text=True,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr  # 03_broken failed
    lines = [ln.split() for ln in proc.stdout.splitlines() if ln.startswith("  ")]
    assert [ln[0] for ln in lines[:3]] == ["01_slow", "02_fast", "03_broken"]
    assert [ln[1] for ln in lines[:3]] == ["ok", "ok", "FAILED"]
    assert all(ln[3] == "s" and float(ln[2]) >= 0 for ln in lines[:3])
    assert "RuntimeError: on purpose" in proc.stdout and "03_broken" in proc.stderr
    assert "2 at a time" in proc.stdout and "wall time" in proc.stdout
    for name in ("01_slow", "02_fast"):
        env = json.loads((out / f"{name}.env.json").read_text())
        assert env["results_dir"] == str(out.resolve())
        # Kernels never inherit the caller's MPLBACKEND (Agg here): ipykernel picks its inline one.
        assert env["mplbackend"] != "Agg"
        assert env["epochs"] == 3  # --quick
        assert Path(env["python"]).parent == Path(sys.executable).parent
        assert (out / f"{name}.ipynb").exists()
        assert "fd-2 chatter" in (out / f"{name}.kernel.log").read_text()  # not on the terminal
    assert "fd-2 chatter" not in proc.stderr
    assert "COURSE_RESULTS_DIR" not in os.environ


def test_one_job_runs_in_this_process_like_before(tmp_path):
    source, out = _fake_lessons(tmp_path), tmp_path / "out"
    (source / "03_broken.ipynb").unlink()
    proc = subprocess.run(
        RUNNER + ["--source", str(source), "--out", str(out), "--jobs", "1", "-p", "EPOCHS", "7"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    names = [ln.split()[0] for ln in proc.stdout.splitlines() if ln.startswith("  ")]
    assert names == ["01_slow", "02_fast"] and "at a time" not in proc.stdout
    assert json.loads((out / "02_fast.env.json").read_text())["epochs"] == 7


def test_jobs_must_be_positive(tmp_path):
    proc = subprocess.run(RUNNER + ["--out", str(tmp_path), "--jobs", "0"], capture_output=True, text=True)
    assert proc.returncode == 2 and "--jobs must be at least 1" in proc.stderr


def test_jobs_default_to_the_cpus_and_to_one_for_bench():
    import run_lessons

    assert run_lessons.parse_args([]).jobs == (os.cpu_count() or 1)
    assert run_lessons.parse_args(["--bench"]).jobs == 1
    assert run_lessons.parse_args(["--bench", "--jobs", "3"]).jobs == 3


_APPENDIX = """
import json, os
out = os.environ["COURSE_RESULTS_DIR"]
seen = sorted(name for name in os.listdir(out) if name.endswith(".env.json"))
with open(os.path.join(out, "A1_summary.seen.json"), "w") as f:
    json.dump({"seen": seen, "epochs": "EPOCHS" in globals(), "results": RESULTS}, f)
"""


def test_appendices_run_after_every_lesson_with_only_their_own_parameters(tmp_path):
    """An appendix (A1_*.ipynb) reads what the lessons recorded: even with parallel jobs it starts
    once every lesson has ended, and a lesson parameter (-p EPOCHS 7) is not passed to it."""
    import nbformat

    source, out = _fake_lessons(tmp_path), tmp_path / "out"
    (source / "03_broken.ipynb").unlink()
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("RESULTS = None")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(_APPENDIX)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, source / "A1_summary.ipynb")
    proc = subprocess.run(
        RUNNER + ["--source", str(source), "--out", str(out), "--jobs", "2", "-p", "EPOCHS", "7"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    names = [ln.split()[0] for ln in proc.stdout.splitlines() if ln.startswith("  ") and "wall" not in ln]
    assert names == ["01_slow", "02_fast", "A1_summary"]
    seen = json.loads((out / "A1_summary.seen.json").read_text())
    assert seen == {"seen": ["01_slow.env.json", "02_fast.env.json"], "epochs": False, "results": None}
    only = subprocess.run(
        RUNNER + ["--source", str(source), "--out", str(out), "--only", "A1"], capture_output=True, text=True
    )
    assert only.returncode == 0 and "0 lesson(s) and 1 appendix(es)" in only.stdout, only.stdout + only.stderr
