"""Every claim a lesson states with ``record.claim(...)`` holds on the default run, is printed
where the learner reads it, and is recorded as ``{id, statement, holds, evidence}``."""

from __future__ import annotations

import pytest
from conftest import lesson_names, printed_text

LESSONS = lesson_names()


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_claim_holds_and_is_printed(lesson, executed):
    results, nb = executed(lesson)
    claims = results.get("claims", [])
    text = printed_text(nb)
    for claim in claims:
        assert set(claim) == {"id", "statement", "holds", "evidence"}, claim
        assert claim["statement"] and claim["evidence"], claim
        assert claim["statement"] in text and claim["evidence"] in text, (
            f"{lesson}: claim {claim['id']!r} is recorded but not printed"
        )
    failed = [c for c in claims if not c["holds"]]
    assert not failed, f"{lesson}: claims that do not hold on the default run: {failed}"
    assert len({c["id"] for c in claims}) == len(claims)


@pytest.mark.parametrize("lesson", LESSONS)
def test_the_results_record_exactly_the_parameters_cell(lesson, executed):
    """`LessonRecorder(..., parameters=globals())` keeps the parameters cell's names: the results
    file holds each of them with the value the run used, and nothing else."""
    import ast

    import nbformat
    from conftest import NOTEBOOKS

    results, executed_nb = executed(lesson)
    master = nbformat.read(NOTEBOOKS / f"{lesson}.ipynb", as_version=4)
    cell = next(c for c in master.cells if "parameters" in c.metadata.get("tags", []))
    names = {target.id for node in ast.parse(cell.source).body for target in node.targets}
    assert set(results["parameters"]) == names, set(results["parameters"]) ^ names
    # the values are the ones the run used: the defaults, with papermill's injected values on top
    namespace: dict = {}
    for c in executed_nb.cells:
        tags = c.metadata.get("tags", [])
        if "parameters" in tags or "injected-parameters" in tags:
            exec(c.source, namespace)  # assignments of literals only (test_hygiene checks it)
    as_json = lambda v: [as_json(x) for x in v] if isinstance(v, (list, tuple)) else v  # noqa: E731
    for name in names:
        assert results["parameters"][name] == as_json(namespace[name]), name


@pytest.mark.parametrize("lesson", LESSONS)
def test_the_review_questions_show_and_check_in_the_learners_run(lesson, executed):
    """The learner's copy ends with its review questions: the sheet shows every question (text and
    HTML), and the check runs on the blank answers, saying that none is answered yet."""
    import course_utils as cu

    _, nb = executed(lesson)
    cells = {c.source.strip(): c for c in nb.cells if c.cell_type == "code"}
    sheet, check = (
        cells.get(f'cu.{f}("{lesson}"{a})')
        for f, a in (("review_questions", ""), ("check_review", ", review_answers"))
    )
    assert sheet is not None and check is not None, f"{lesson}: the review cells are missing"
    questions = cu.review_questions(lesson).questions
    for cell in (sheet, check):
        assert not [o for o in cell.outputs if o.output_type == "error"], cell.outputs
        data = [o["data"] for o in cell.outputs if o.output_type == "execute_result"]
        assert len(data) == 1 and {"text/plain", "text/html"} <= set(data[0]), cell.outputs
    shown = sheet.outputs[0]["data"]["text/plain"]
    for q in questions:
        assert " ".join(q.prompt.split()[:6]) in " ".join(shown.split()), (lesson, q.id)
    verdict = check.outputs[0]["data"]["text/plain"].splitlines()[0]
    n = len(questions)
    assert verdict == f"{lesson}: 0 of {n} right ({n} not answered yet)", verdict
