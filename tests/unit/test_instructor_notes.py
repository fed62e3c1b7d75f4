"""The instructor notes of the lesson masters (solutions/01_*.ipynb ... 09_*.ipynb).

Each master carries one markdown cell, right after its title, that starts with "**Instructor
notes**" and is tagged ``otter_assign_solution_cell``, so that otter assign deletes it from the
learners' copy. It has four parts (timing, common mistakes, discussion prompts, the figure to
project), and every section it cites exists in that master. Static: reads the notebooks' JSON.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SOLUTIONS = REPO / "solutions"
NOTEBOOKS = REPO / "notebooks"
MASTERS = sorted(SOLUTIONS.glob("[0-9][0-9]_*.ipynb"))

MARKER = "**Instructor notes**"
FIRST_LINE = "**Instructor notes** (in the master only; removed from the learners' copy)"
SOLUTION_TAG = "otter_assign_solution_cell"
#: The bold labels of the four parts, in the order the notes give them.
PARTS = ("**Timing**", "**Where learners go wrong**", "**Discussion prompts**", "**Figure to project**")
#: A section cited by its heading, in backticks: `3. An over-sized network, trained for too long`.
CITED_HEADING = re.compile(r"`(\d+\. [^`]+)`")
#: A section cited by number: "section 3", "sections 4 and 5", "sections 1–6", "section 3.3".
CITED_NUMBER = re.compile(r"\bsections?\s+(\d+(?:\.\d+)?(?:\s*(?:,|and|or|–|-)\s*\d+(?:\.\d+)?)*)")


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _notes(nb: dict) -> list[tuple[int, dict]]:
    return [
        (i, c)
        for i, c in enumerate(nb["cells"])
        if c["cell_type"] == "markdown" and _source(c).startswith(MARKER)
    ]


def _note_text(path: Path) -> str:
    notes = _notes(_load(path))
    assert len(notes) == 1, f"{path.name}: {len(notes)} instructor-notes cells, expected 1"
    return _source(notes[0][1])


def _headings(nb: dict) -> set[str]:
    """The master's headings, without the # marks ("3. An over-sized network, ...")."""
    return {
        line.lstrip("#").strip()
        for cell in nb["cells"]
        if cell["cell_type"] == "markdown"
        for line in _source(cell).splitlines()
        if line.startswith("#")
    }


def _section_numbers(nb: dict) -> set[str]:
    """The numbers of the master's numbered sections ("3" for "3. ..." and for "3.1 ...")."""
    return {m.group(1) for h in _headings(nb) if (m := re.match(r"(\d+)[. ]", h))}


def test_every_lesson_has_a_master():
    assert [p.name[:2] for p in MASTERS] == [f"{n:02d}" for n in range(1, 11)]


@pytest.mark.parametrize("master", MASTERS, ids=lambda p: p.stem)
def test_one_note_right_after_the_title_tagged_for_removal(master):
    nb = _load(master)
    notes = _notes(nb)
    assert len(notes) == 1, f"{master.name}: {len(notes)} instructor-notes cells, expected exactly 1"
    index, cell = notes[0]
    assert SOLUTION_TAG in cell.get("metadata", {}).get("tags", []), (
        f"{master.name}: the instructor notes are not tagged {SOLUTION_TAG!r}, so otter assign would "
        "copy them into the learners' notebook"
    )
    assert _source(cell).splitlines()[0] == FIRST_LINE
    assert isinstance(cell["source"], list), "stored as a list of lines, like every other cell"
    assert cell.get("id") == f"{master.name[:2]}-instructor-notes"
    config = next(
        i
        for i, c in enumerate(nb["cells"])
        if c["cell_type"] == "raw" and _source(c).startswith("# ASSIGNMENT CONFIG")
    )
    title = next(i for i in range(config + 1, len(nb["cells"])) if nb["cells"][i]["cell_type"] == "markdown")
    assert _source(nb["cells"][title]).startswith("# "), f"{master.name}: no title after the config"
    assert index == title + 1, f"{master.name}: the notes are cell {index}, not right after the title"
    # no headings: they would appear in the lesson's outline and among the sections it cites
    assert not any(line.startswith("#") for line in _source(cell).splitlines())


@pytest.mark.parametrize("master", MASTERS, ids=lambda p: p.stem)
def test_note_has_the_four_parts_in_order(master):
    text = _note_text(master)
    missing = [part for part in PARTS if part not in text]
    assert not missing, f"{master.name}: the instructor notes lack {missing}"
    positions = [text.index(part) for part in PARTS]
    assert positions == sorted(positions), f"{master.name}: the parts are not in the order {PARTS}"


@pytest.mark.parametrize("master", MASTERS, ids=lambda p: p.stem)
def test_cited_sections_exist_in_the_master(master):
    nb = _load(master)
    text = _note_text(master)
    headings = _headings(nb)
    cited = CITED_HEADING.findall(text)
    unknown = [c for c in cited if c not in headings]
    assert not unknown, f"{master.name}: the notes cite headings that the master does not have: {unknown}"
    figure = text[text.index("**Figure to project**") :]
    assert CITED_HEADING.search(figure), f"{master.name}: the figure to project names no section heading"
    numbers = _section_numbers(nb)
    referred = {n for m in CITED_NUMBER.finditer(text) for n in re.findall(r"(\d+)(?:\.\d+)?", m.group(1))}
    assert referred <= numbers, f"{master.name}: the notes refer to sections {sorted(referred - numbers)}"


@pytest.mark.parametrize("master", MASTERS, ids=lambda p: p.stem)
def test_learner_copy_has_no_instructor_notes(master):
    learner = NOTEBOOKS / master.name
    assert learner.exists(), f"notebooks/{master.name} is missing"
    leaked = [i for i, c in enumerate(_load(learner)["cells"]) if "Instructor notes" in _source(c)]
    assert not leaked, f"notebooks/{master.name}: cells {leaked} hold the instructor notes"
