"""Build the learner-facing course, without solutions, hidden tests or answer keys.

    python tools/release.py                 # into build/release/
    python tools/release.py --out DIR       # elsewhere (a folder this tool made, or a new one)
    make release

This repository is the instructors' one: ``solutions/`` holds every exercise's solution and its
hidden tests, and tools/grade.py builds the answer keys from them. A graded class publishes the
release instead: the lessons from ``notebooks/`` (visible tests only), ``course_utils``,
``pyproject.toml``, ``LICENSE``, a README for learners and an ``environment.yml``. After copying,
the release is checked: no file may contain a line of a hidden test or of a solution (every
code line of a master in ``solutions/`` that its learner notebook does not have, compared with
quotes and spacing normalized), and no ``solutions/``, ``tests/`` folder or autograder zip may be
in it. A leak stops the build with exit status 1 and the release folder is removed.

The release folder is rebuilt from scratch each time, but only when it is one this tool made
(it holds ``.course-release``): a folder made by someone else is never overwritten.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import BUILD, NOTEBOOKS, ROOT, SOLUTIONS, lesson_notebooks  # noqa: E402

MARKER = ".course-release"
MIN_LINE = 16  # shorter lines (``return model``, ``import numpy``) are too common to be a leak

LEARNER_README = """# {title}

{intro}

## Set up

You need Python 3.11 (3.12 and 3.13 work too) and a connection to the Python package index; the
default dataset ships inside scikit-learn, nothing else is downloaded.

```bash
python3.11 -m venv .venv
.venv/bin/pip install -e ".[course]"
.venv/bin/jupyter lab notebooks/
```

With conda: `conda env create -f environment.yml && conda activate regopt-course`, then
`jupyter lab notebooks/`. For an NVIDIA GPU (Linux x86_64), install `.[course,gpu]` instead.

## The lessons

{lessons}

Each lesson has one `parameters` cell (dataset, sizes, epochs, seed): change it to run the lesson
on other data or for longer. The "Your turn" exercises end with a `grader.check("...")` cell that
runs the exercise's **visible** tests and tells you what is wrong.

## Handing in the graded exercises

Lesson 10 (`notebooks/10_exercises.ipynb`) is graded: seven exercises, 21 points. Your instructor
grades it with the visible tests and a few **hidden** ones on top, so passing every
`grader.check` is necessary, not sufficient. Before handing in, run *Kernel → Restart & Run All*
and check that the notebook runs from top to bottom, then hand in the `.ipynb` file (*File →
Download*) as your instructor asks.
"""


def _code_lines(text: str) -> set[str]:
    return {_normalize(line) for line in text.splitlines() if len(line.strip()) >= MIN_LINE}


def _normalize(line: str) -> str:
    """A code line compared without its quotes' kind and its spacing (otter rewrites quotes)."""
    return " ".join(line.replace("'", '"').split())


def _strings(value: Any) -> list[str]:
    """Every string inside parsed JSON (a notebook's cells, outputs and metadata)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _notebook_text(path: Path) -> str:
    return "\n".join(_strings(json.loads(path.read_text(encoding="utf-8"))))


def _master_parts(master: Path) -> tuple[set[str], set[str]]:
    """(secret lines, public lines) of an otter master: secret are the lines between ``# BEGIN
    SOLUTION`` and ``# END SOLUTION`` in code cells (a prompt excepted) and every line of a test
    cell whose configuration says ``hidden: true``; public is every other code line."""
    secret, public = set(), set()
    in_tests = False
    for cell in json.loads(master.read_text(encoding="utf-8"))["cells"]:
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        if cell.get("cell_type") == "raw":
            first = source.strip().splitlines()[:1]
            if first and first[0].strip() in ("# BEGIN TESTS", "# END TESTS"):
                in_tests = first[0].strip() == "# BEGIN TESTS"
            continue
        if cell.get("cell_type") != "code":
            continue
        if in_tests:
            hidden = re.search(r"BEGIN TEST CONFIG.*?hidden:\s*true.*?END TEST CONFIG", source, re.S)
            lines = {line for line in _code_lines(source) if "TEST CONFIG" not in line}
            (secret if hidden else public).update(lines)
            continue
        region = None
        for line in source.splitlines():
            marker = line.strip().lstrip('"').strip()
            if re.match(r"# BEGIN (SOLUTION|PROMPT)", marker):
                region = "prompt" if "PROMPT" in marker else "solution"
            elif re.match(r"# END (SOLUTION|PROMPT)", marker):
                region = None
            elif len(line.strip()) >= MIN_LINE:
                (secret if region == "solution" else public).add(_normalize(line))
    return secret, public


def secret_lines() -> dict[str, set[str]]:
    """{lesson: code lines a learner must not get}: its master's solution lines and hidden tests
    (:func:`_master_parts`), less every line that is public anyway (in any master's public part
    or in course_utils), so that a line a lesson teaches openly is not called a leak."""
    public = set()
    for f in sorted((ROOT / "course_utils").rglob("*.py")):
        public |= _code_lines(f.read_text(encoding="utf-8"))
    parts = {master.stem: _master_parts(master) for master in lesson_notebooks(SOLUTIONS)}
    for _, lesson_public in parts.values():
        public |= lesson_public
    return {lesson: secret - public for lesson, (secret, _) in parts.items()}


def leaks(release: Path) -> list[str]:
    """What of the answer-key side is in ``release``: forbidden files, and 'file: line' for every
    secret line found in a file (notebooks compared on their decoded text)."""
    found = []
    for path in sorted(release.rglob("*")):
        rel = path.relative_to(release)
        if path.is_dir() and path.name in ("solutions", "tests", "autograder"):
            found.append(f"{rel}/: a folder of the answer-key side")
        if path.is_file() and (path.suffix == ".zip" or "autograder" in path.name):
            found.append(f"{rel}: an autograder file")
    secrets = set().union(*secret_lines().values())
    for path in sorted(p for p in release.rglob("*") if p.is_file() and p.suffix != ".zip"):
        try:
            text = _notebook_text(path) if path.suffix == ".ipynb" else path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, ValueError):
            continue
        mine = {_normalize(line) for line in text.splitlines()}
        for line in sorted(secrets & mine):
            found.append(f"{path.relative_to(release)}: {line[:100]}")
    return found


def _learner_readme() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    title = readme.splitlines()[0].lstrip("# ").strip()
    intro = readme.split("\n\n", 2)[1].strip()
    lessons = [line for line in readme.splitlines() if line.startswith("|")]
    start = next(i for i, line in enumerate(lessons) if "Notebook" in line)
    table = lessons[start:]
    end = next((i for i, line in enumerate(table[2:], 2) if not re.match(r"\| \d\d \|", line)), len(table))
    return LEARNER_README.format(title=title, intro=intro, lessons="\n".join(table[:end]))


def _environment() -> str:
    text = (ROOT / "environment.yml").read_text(encoding="utf-8")
    text = text.replace(".[course,test]", ".[course]")
    return re.sub(r"(?m)^# .*test.*\n", "", text) if "[course,test]" in text else text


def build_release(out: Path) -> Path:
    """Write the learner-facing course into ``out`` (see the module's doc); return it."""
    if out.exists():
        if not (out / MARKER).exists():
            raise SystemExit(
                f"{out} exists and was not made by tools/release.py (no {MARKER} in it): move it away "
                "or choose another folder with --out."
            )
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / MARKER).write_text(
        "Built by tools/release.py; rebuilt from scratch on every run.\n", encoding="utf-8"
    )
    (out / "notebooks").mkdir()
    for nb in lesson_notebooks(NOTEBOOKS):
        shutil.copyfile(nb, out / "notebooks" / nb.name)
    shutil.copytree(
        ROOT / "course_utils",
        out / "course_utils",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints"),
    )
    for name in ("pyproject.toml", "LICENSE"):
        if (ROOT / name).exists():
            shutil.copyfile(ROOT / name, out / name)
    (out / "README.md").write_text(_learner_readme(), encoding="utf-8")
    (out / "environment.yml").write_text(_environment(), encoding="utf-8")
    found = leaks(out)
    if found:
        shutil.rmtree(out)
        raise SystemExit(
            "The release would leak the answer-key side, so it was not built:\n  "
            + "\n  ".join(found[:30])
            + "\nRegenerate the learner notebooks (make notebooks) and check solutions/ for solution "
            "code outside its BEGIN/END SOLUTION markers."
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=BUILD / "release", help="default: build/release")
    args = parser.parse_args(argv)
    try:
        out = build_release(args.out)
    except SystemExit as exc:
        print(exc, file=sys.stderr)
        return 1 if "leak" in str(exc) else 2
    files = sum(1 for p in out.rglob("*") if p.is_file())
    print(
        f"Wrote the learner release to {out} ({files} files; no solution, hidden test or answer key in it). "
        "Publish this folder to a graded class, not the repository."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
