"""Instructor notes: one markdown cell per lesson master (timing, where learners go wrong,
discussion prompts, the figure to project), tagged so that otter assign removes it from the
learner's copy."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SOLUTIONS = REPO / "solutions"
NOTEBOOKS = REPO / "notebooks"
LESSONS = sorted(p.stem for p in SOLUTIONS.glob("0*.ipynb"))
PARTS = ("Timing", "Where learners go wrong", "Discussion prompts", "Figure to project")
TAG = "otter_assign_solution_cell"  # otter assign deletes markdown cells with this tag


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def test_every_lesson_has_a_master():
    assert len(LESSONS) == 9, LESSONS


@pytest.mark.parametrize("lesson", LESSONS)
def test_the_master_has_one_tagged_note_with_its_four_parts(lesson):
    cells = _cells(SOLUTIONS / f"{lesson}.ipynb")
    notes = [
        c for c in cells if c["cell_type"] == "markdown" and _source(c).startswith("**Instructor notes**")
    ]
    assert len(notes) == 1, f"{lesson}: {len(notes)} instructor-notes cells"
    note = notes[0]
    assert TAG in note.get("metadata", {}).get("tags", []), f"{lesson}: the note is not tagged {TAG!r}"
    text = _source(note)
    for part in PARTS:
        assert f"**{part}**" in text, f"{lesson}: the note has no **{part}**"
    headings = {
        line.lstrip("#").strip()
        for c in cells
        if c["cell_type"] == "markdown"
        for line in _source(c).splitlines()
        if line.startswith("#")
    }
    cited = re.findall(r"`(\d+\. [^`]+)`", text)
    assert cited, f"{lesson}: the note cites no section by its heading"
    for heading in cited:
        assert heading in headings, f"{lesson}: the note cites {heading!r}, which is not a heading"


@pytest.mark.parametrize("lesson", LESSONS)
def test_the_learners_copy_has_no_instructor_notes(lesson):
    leaked = [c for c in _cells(NOTEBOOKS / f"{lesson}.ipynb") if "Instructor notes" in _source(c)]
    assert not leaked, f"notebooks/{lesson}.ipynb carries the instructor notes"
