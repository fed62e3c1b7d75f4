"""Paths and small helpers shared by the repository's tools (not part of course_utils)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
SOLUTIONS = ROOT / "solutions"
BUILD = ROOT / "build"
PROTECTED = (NOTEBOOKS, SOLUTIONS)


def lesson_notebooks(folder: Path = NOTEBOOKS, only: list[str] | None = None) -> list[Path]:
    """The numbered lessons in ``folder`` (``NN_name.ipynb``), optionally filtered by prefix."""
    paths = sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb"))
    if only:
        paths = [p for p in paths if any(p.stem.startswith(o) or p.stem == o for o in only)]
        if not paths:
            raise SystemExit(
                f"No lesson in {folder} matches {only}; lessons: "
                f"{[p.stem for p in sorted(folder.glob('[0-9][0-9]_*.ipynb'))]}"
            )
    return paths


#: The appendices (``A1_name.ipynb``): notebooks shown after the lessons that train nothing and
#: have no exercises (no otter questions); they read the lessons' recorded results, so the runner
#: executes them after the lessons.
APPENDIX_PATTERN = "A[0-9]_*.ipynb"


def appendix_notebooks(folder: Path = NOTEBOOKS) -> list[Path]:
    """The appendices in ``folder`` (``A1_name.ipynb``), in order."""
    return sorted(folder.glob(APPENDIX_PATTERN))


def is_appendix(path: Path) -> bool:
    return path.match(APPENDIX_PATTERN)


def course_notebooks(folder: Path = NOTEBOOKS, only: list[str] | None = None) -> list[Path]:
    """The lessons, then the appendices, optionally filtered by prefix (``--only 03 A1``)."""
    paths = sorted(folder.glob("[0-9][0-9]_*.ipynb")) + appendix_notebooks(folder)
    if only:
        paths = [p for p in paths if any(p.stem.startswith(o) or p.stem == o for o in only)]
        if not paths:
            raise SystemExit(
                f"No lesson or appendix in {folder} matches {only}; they are: "
                f"{[p.stem for p in course_notebooks(folder)]}"
            )
    return paths


#: Every lesson has an EPOCHS parameter; grading runs and the nbval stage use this many epochs.
QUICK = {"EPOCHS": 3}


def quick_parameters(stem: str) -> dict:
    """The tiny parameters used to *run* a lesson fast (grading runs, the nbval stage): EPOCHS=3
    plus the lesson's own values from its master notebook's metadata,
    ``"course": {"quick_parameters": {...}}``. They test that the code runs, not the claims."""
    import json

    master = SOLUTIONS / f"{stem}.ipynb"
    meta = json.loads(master.read_text(encoding="utf-8")).get("metadata", {}) if master.exists() else {}
    return {**QUICK, **meta.get("course", {}).get("quick_parameters", {})}


def gpu_parameters(stem: str) -> dict:
    """The larger setting a lesson suggests for a GPU (its parameters cell's markdown says the
    same), from its master notebook's metadata ``"course": {"gpu_parameters": {...}}``; used by
    ``run_lessons.py --gpu-scale`` in the GPU workflow. Standard datasets need the Keras cache
    or internet access."""
    import json

    master = SOLUTIONS / f"{stem}.ipynb"
    meta = json.loads(master.read_text(encoding="utf-8")).get("metadata", {}) if master.exists() else {}
    return dict(meta.get("course", {}).get("gpu_parameters", {}))


def refuse_protected(path: Path) -> Path:
    """Exits with a message if ``path`` lies inside notebooks/ or solutions/."""
    resolved = path.resolve()
    for folder in PROTECTED:
        if resolved == folder or folder in resolved.parents:
            raise SystemExit(
                f"Refusing to write generated output into {folder.relative_to(ROOT)}/: that folder "
                "holds the course's notebooks. Choose a folder under build/ instead."
            )
    return path


def use_this_python_for_kernels() -> None:
    """Put this interpreter's bin/ first on PATH so Jupyter kernels start in the same venv."""
    bindir = str(Path(sys.executable).parent)
    os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
