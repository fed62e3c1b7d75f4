"""Deliberately wrong submissions of lesson 09, generated from its solution notebook.

Each submission is the solution with one or more typical mistakes edited in, so the fixtures stay
in sync with the solution automatically (an edit that no longer applies fails loudly). The
grading tests (tests/lessons/test_grading.py) run tools/grade.py on them and check the scores.

    python tests/submissions/make_submissions.py build/assign/09_exercises/autograder/09_exercises.ipynb build/demo
    make grade SUBMISSIONS=build/demo          # see what the instructor's grading reports

Submissions:

* ``several_faults.ipynb``: an off-by-one warm-up in the schedule (q4), the wrong sign in the
  Adam update (q5), an unregularized challenge model that misses the threshold (q3) and a cell
  that raises before the batch-norm exercise is defined (q2); q1, q6 and q7 are right.
* ``deletes_grader.ipynb``: deletes the grading files around it and the ``grader`` object, then
  defines correct answers for q4 and q5 (which must not be credited).
* ``infinite_loop.ipynb``: loops forever right after the parameters cell.
* ``not_json.ipynb``: a text file named like a notebook; ``essay.txt``: not a notebook at all.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat


def _edit(nb: nbformat.NotebookNode, old: str, new: str) -> None:
    """Replace ``old`` by ``new`` in the one code cell that contains it."""
    hits = [c for c in nb.cells if c.cell_type == "code" and old in c.source]
    if len(hits) != 1:
        raise ValueError(f"expected one cell containing {old!r}, found {len(hits)}: the solution changed; "
                         "update tests/submissions/make_submissions.py")
    hits[0].source = hits[0].source.replace(old, new)


def _cell_index(nb: nbformat.NotebookNode, text: str) -> int:
    hits = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and text in c.source]
    if not hits:
        raise ValueError(f"no code cell contains {text!r}")
    return hits[0]


def several_faults(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    _edit(nb, "return peak_lr * step / warmup_steps", "return peak_lr * (step + 1) / warmup_steps")
    _edit(nb, "new_w = w - learning_rate * m_hat", "new_w = w + learning_rate * m_hat")
    _edit(nb, 'dropout=0.5, name="regularized"', 'name="regularized"')
    _edit(nb, "progress=False, callbacks=[stop])", "progress=False)")
    _edit(nb, "def bn_model(placement):", 'raise RuntimeError("a crash before bn_model is defined")\n\ndef bn_model(placement):')
    return nb


def deletes_grader(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    setup = _cell_index(nb, "grader = cu.grading.Notebook(")
    keep = [nb.cells[i] for i in range(setup + 1)]
    keep.append(nbformat.v4.new_code_cell(
        "import os, shutil\n"
        "for path in ('tests', '../tests', '../source'):\n"
        "    shutil.rmtree(path, ignore_errors=True)\n"
        "del grader"))
    keep += [nb.cells[_cell_index(nb, "def warmup_cosine(")], nb.cells[_cell_index(nb, "def adam_update(")]]
    nb.cells = keep
    return nb


def infinite_loop(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    params = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    nb.cells.insert(params + 1, nbformat.v4.new_code_cell("while True:\n    pass"))
    return nb


NOTEBOOK_FAULTS = {"several_faults": several_faults, "deletes_grader": deletes_grader, "infinite_loop": infinite_loop}
NOT_NOTEBOOKS = {"not_json.ipynb": "This is my homework, I could not export it.\n",
                 "essay.txt": "Dropout is a regularizer.\n"}


def make_submissions(solution: Path, folder: Path, names: list[str] | None = None) -> list[Path]:
    """Write the chosen submissions (default: all) into ``folder``; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in names or [*NOTEBOOK_FAULTS, *NOT_NOTEBOOKS]:
        if name in NOTEBOOK_FAULTS:
            nb = NOTEBOOK_FAULTS[name](nbformat.read(solution, as_version=4))
            path = folder / f"{name}.ipynb"
            nbformat.write(nb, path)
        else:
            path = folder / name
            path.write_text(NOT_NOTEBOOKS[name])
        written.append(path)
    return written


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    for p in make_submissions(Path(sys.argv[1]), Path(sys.argv[2])):
        print(p)
