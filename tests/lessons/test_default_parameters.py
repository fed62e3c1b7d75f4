"""Every lesson's claims are checked on the run a learner gets: the recorded run used exactly the
parameters committed in the lesson's parameters cell."""

from __future__ import annotations

import json

import nbformat
import pytest
from conftest import NOTEBOOKS, lesson_names, parameters_cell


@pytest.mark.parametrize("lesson", lesson_names())
def test_claims_are_checked_on_the_learners_default_run(lesson, executed):
    committed = parameters_cell(nbformat.read(NOTEBOOKS / f"{lesson}.ipynb", as_version=4))
    recorded = executed(lesson)[0]["parameters"]
    assert json.loads(json.dumps(committed)) == recorded, (
        f"the recorded run of {lesson} did not use the notebook's default parameters"
    )
