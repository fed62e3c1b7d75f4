"""Tests for course_utils.review: the "Check your understanding" questions (API, validation, the
banks' contents checked against the lesson masters) and the appendix's evidence helpers."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

import course_utils as cu
from course_utils import review

REPO = Path(__file__).resolve().parents[2]
SOLUTIONS = REPO / "solutions"
NOTEBOOKS = REPO / "notebooks"
APPENDIX = SOLUTIONS / "A1_interview_questions.ipynb"

BANKS = review._BANKS
ALL_QUESTIONS = [(topic, q) for topic, questions in BANKS.items() for q in questions]
qids = [f"{topic}-{q.id}" for topic, q in ALL_QUESTIONS]


def _master(topic: str) -> dict:
    path = SOLUTIONS / f"{review.REVIEW_LESSONS[topic]}.ipynb"
    assert path.exists(), f"{path.name} (lesson {topic!r} of REVIEW_LESSONS) is not in solutions/"
    return json.loads(path.read_text(encoding="utf-8"))


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _headings(topic: str) -> set[str]:
    """A master's section headings, without the # marks and with "3." written as "3."."""
    out = set()
    for cell in _master(topic)["cells"]:
        if cell["cell_type"] == "markdown":
            for line in _source(cell).splitlines():
                if line.startswith("#"):
                    out.add(line.lstrip("#").strip())
    return out


def _code(topic: str) -> str:
    return "\n".join(_source(c) for c in _master(topic)["cells"] if c["cell_type"] == "code")


def _claim_ids(topic: str) -> set[str]:
    return set(re.findall(r"\.claim\(\s*[\"']([\w.-]+)[\"']", _code(topic)))


# ---- the API --------------------------------------------------------------------------------------


def test_review_questions_by_stem_number_or_topic():
    sheet = cu.review_questions("03_dropout")
    assert sheet.lesson == "03_dropout"
    assert cu.review_questions("03").questions == sheet.questions
    assert cu.review_questions("dropout").questions == sheet.questions
    assert cu.review_questions("03_dropout.ipynb").lesson == "03_dropout"
    assert cu.review_questions("capstone").lesson == review.REVIEW_LESSONS["exercises"]
    # a lesson that still calls with its old number finds its bank by topic (renumbering)
    assert cu.review_questions("10_exercises").lesson == review.REVIEW_LESSONS["exercises"]


def test_sheet_shows_every_question_and_the_answers_template():
    sheet = cu.review_questions("02_l1_l2")
    text, page = str(sheet), sheet._repr_html_()
    assert text == repr(sheet)
    for q in sheet.questions:
        assert f"{q.id}." in text and f"<b>{q.id}.</b>" in page
        if isinstance(q, cu.MultipleChoice):
            for letter in q.choices:
                assert f"({letter})" in text
    assert sheet.template() in text
    assert 'review_answers = {"q1": None' in sheet.template()
    assert "cu.check_review" in text and "cu.check_review" in page
    assert all(len(line) <= 110 for line in text.splitlines()), "text output wraps"


def test_unanswered_questions_do_not_raise_and_say_so():
    for lesson in review.REVIEW_LESSONS:
        for answers in (None, {}, {q.id: None for q in BANKS[lesson]}, {q.id: ... for q in BANKS[lesson]}):
            result = cu.check_review(lesson, answers)
            assert result.score == 0 and result.answered == 0
            assert all(f.status == "unanswered" for f in result.feedback)
            assert "not answered yet" in str(result)
            assert len(str(result).splitlines()) == 1 + len(BANKS[lesson]), "short output when unanswered"


def _right(q):
    return q.answer


def _wrong(q):
    if isinstance(q, cu.MultipleChoice):
        return next(k for k in q.choices if k != q.answer)
    return q.answer * 2 + 1


def test_right_wrong_and_score():
    questions = BANKS["dropout"]
    answers = {questions[0].id: _right(questions[0]), questions[1].id: _wrong(questions[1])}
    result = cu.check_review("03_dropout", answers)
    assert [f.status for f in result.feedback[:2]] == ["right", "wrong"]
    assert result.score == 1 and result.answered == 2 and result.total == len(questions)
    assert (
        result.verdict() == f"03_dropout: 1 of {len(questions)} right ({len(questions) - 2} not answered yet)"
    )
    wrong = result.feedback[1].message()
    assert "not quite" in wrong and questions[1].explanation in wrong and "section" in wrong
    assert questions[0].explanation in result.feedback[0].message()
    everything = cu.check_review("03_dropout", {q.id: _right(q) for q in questions})
    assert (
        everything.all_right
        and everything.verdict() == f"03_dropout: {len(questions)} of {len(questions)} right"
    )
    assert everything.as_dict()["score"] == len(questions)


def test_html_feedback_comes_first():
    questions = BANKS["batch_norm"]
    result = cu.check_review("04_batch_norm", {questions[0].id: _wrong(questions[0])})
    page = result._repr_html_()
    assert page.index(result.verdict()) < page.index(questions[0].explanation.split(" ")[0])
    assert "<script" not in page


def test_multiple_choice_accepts_case_and_parentheses():
    q = next(q for q in BANKS["dropout"] if isinstance(q, cu.MultipleChoice))
    assert q.check(f" ({q.answer.upper()}) ").status == "right"


def test_numeric_tolerance():
    q = next(q for q in BANKS["dropout"] if isinstance(q, cu.Numeric))
    assert q.check(q.answer * (1 + q.rel_tol / 2)).status == "right"
    assert q.check(q.answer * (1 + 3 * q.rel_tol) + 0.01).status == "wrong"
    assert q.check(int(q.answer) if float(q.answer).is_integer() else q.answer).status == "right"


# ---- validation -----------------------------------------------------------------------------------


def test_unknown_lesson_names_the_known_ones():
    with pytest.raises(ValueError, match=r"No review questions for lesson 'nope'.*03_dropout"):
        cu.review_questions("nope")
    with pytest.raises(ValueError, match="must be a lesson's name"):
        cu.check_review("", {})
    with pytest.raises(ValueError, match="must be a lesson's name"):
        cu.review_questions(3)  # type: ignore[arg-type]


def test_an_ambiguous_number_asks_for_the_full_name(monkeypatch):
    # two lessons sharing a number, as while one is renumbered: the bare number is ambiguous
    monkeypatch.setitem(review.REVIEW_LESSONS, "exercises", review.REVIEW_LESSONS["augmentation"])
    number = review.REVIEW_LESSONS["augmentation"].split("_", 1)[0]
    with pytest.raises(ValueError, match="ambiguous"):
        cu.review_questions(number)


def test_unknown_question_id_names_the_questions():
    with pytest.raises(ValueError, match=r"no question 'q9'.*q1, q2"):
        cu.check_review("03_dropout", {"q9": "a"})


def test_answer_not_among_the_choices():
    q = next(q for q in BANKS["dropout"] if isinstance(q, cu.MultipleChoice))
    with pytest.raises(ValueError, match=rf"{q.id!r}: 'z' is not one of its choices.*'a', 'b'"):
        cu.check_review("03_dropout", {q.id: "z"})
    with pytest.raises(ValueError, match="not one of its choices"):
        cu.check_review("03_dropout", {q.id: 1})


def test_numeric_answer_must_be_a_number():
    q = next(q for q in BANKS["dropout"] if isinstance(q, cu.Numeric))
    for bad in ("4", True, float("nan")):
        with pytest.raises(ValueError, match=rf"{q.id!r} expects a finite number"):
            cu.check_review("03_dropout", {q.id: bad})


def test_answers_must_be_a_dictionary():
    with pytest.raises(ValueError, match="must be a dictionary"):
        cu.check_review("03_dropout", ["a", "b"])  # type: ignore[arg-type]


# ---- the banks ----------------------------------------------------------------------------------


def test_every_lesson_has_a_short_bank_of_three_to_seven_questions():
    assert set(BANKS) == set(review.REVIEW_LESSONS)
    for topic, questions in BANKS.items():
        assert 3 <= len(questions) <= 7, topic
        assert [q.id for q in questions] == [f"q{i}" for i in range(1, len(questions) + 1)], topic


@pytest.mark.parametrize(("topic", "q"), ALL_QUESTIONS, ids=qids)
def test_every_answer_is_possible(topic, q):
    assert q.prompt.strip() and q.explanation.strip()
    if isinstance(q, cu.MultipleChoice):
        assert len(q.choices) >= 2
        assert q.answer in q.choices, f"{topic} {q.id}: answer {q.answer!r} is not among {list(q.choices)}"
        assert len(set(q.choices.values())) == len(q.choices), "two choices read the same"
        assert q.check(q.answer).status == "right"
        assert all(q.check(k).status == "wrong" for k in q.choices if k != q.answer)
    else:
        assert math.isfinite(q.answer)
        assert q.check(q.answer).status == "right"


@pytest.mark.parametrize(("topic", "q"), ALL_QUESTIONS, ids=qids)
def test_every_explanation_cites_a_section_that_exists(topic, q):
    assert q.sections, f"{topic} {q.id} cites no section"
    for lesson, heading in q.sections:
        assert heading in _headings(lesson), (
            f"{topic} {q.id} cites section {heading!r} of {review.REVIEW_LESSONS[lesson]}, which has no "
            f"such heading; its headings: {sorted(_headings(lesson))}"
        )
    assert "section" in q.where()


@pytest.mark.parametrize(("topic", "q"), ALL_QUESTIONS, ids=qids)
def test_every_cited_claim_exists_in_its_lessons_master(topic, q):
    for lesson, claim_id in q.claims:
        assert claim_id in _claim_ids(lesson), (
            f"{topic} {q.id} cites claim {claim_id!r}, which {review.REVIEW_LESSONS[lesson]} does not state "
            f"(its claims: {sorted(_claim_ids(lesson))})"
        )


def test_the_fifteen_interview_questions_are_all_covered():
    assert sorted(review.INTERVIEW_QUESTIONS) == list(range(1, 16))
    for _, q in ALL_QUESTIONS:
        assert q.interview and set(q.interview) <= set(review.INTERVIEW_QUESTIONS), q.id
    coverage = cu.interview_coverage()
    missing = [n for n in review.INTERVIEW_QUESTIONS if not coverage[n]]
    assert not missing, f"interview questions no review question trains: {missing}"


def test_the_capstone_set_covers_the_curse_of_dimensionality():
    assert any(10 in q.interview for q in BANKS["exercises"])


# ---- the review cells in the lessons --------------------------------------------------------------

#: The lessons that exist (every topic of REVIEW_LESSONS has its notebook now).
WRITTEN = [t for t in review.REVIEW_LESSONS if (SOLUTIONS / f"{review.REVIEW_LESSONS[t]}.ipynb").exists()]


def _review_cells(folder: Path, topic: str) -> list[str]:
    """The sources of the three review cells (sheet, answers, check), in order, of one notebook."""
    stem = review.REVIEW_LESSONS[topic]
    nb = json.loads((folder / f"{stem}.ipynb").read_text(encoding="utf-8"))
    code = [_source(c) for c in nb["cells"] if c["cell_type"] == "code"]
    calls = [f'cu.review_questions("{stem}")', f'cu.check_review("{stem}", review_answers)']
    at = [i for i, src in enumerate(code) if src.strip() == calls[0]]
    assert len(at) == 1, f"{folder.name}/{stem}.ipynb: expected one cell `{calls[0]}`, found {len(at)}"
    cells = code[at[0] : at[0] + 3]
    assert len(cells) == 3 and cells[2].strip() == calls[1], (
        f"{folder.name}/{stem}.ipynb: `{calls[0]}` must be followed by the answers cell and `{calls[1]}`"
    )
    return cells


@pytest.mark.parametrize("topic", WRITTEN)
def test_every_lesson_ends_with_its_review_questions_and_learners_get_blank_answers(topic):
    stem = review.REVIEW_LESSONS[topic]
    sheet, answers, check = _review_cells(NOTEBOOKS, topic)
    assert answers.strip() == cu.review_questions(stem).template(), (
        f"notebooks/{stem}.ipynb: the answers cell must be the blank template (no answer leaks into "
        f"the learner's copy); it reads {answers!r}"
    )
    nb = json.loads((NOTEBOOKS / f"{stem}.ipynb").read_text(encoding="utf-8"))
    headings = [_source(c) for c in nb["cells"] if c["cell_type"] == "markdown"]
    last_code = max(i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code")
    assert _source(nb["cells"][last_code]).strip() == f'cu.check_review("{stem}", review_answers)', (
        f"{stem}: the review questions are not the lesson's last code cell"
    )
    assert any(h.startswith(("## Check your understanding", "## Interview practice")) for h in headings)
    # its own name: lesson 10's graded concept question is read from `answers`
    others = [
        _source(c)
        for c in nb["cells"]
        if c["cell_type"] == "code" and _source(c) not in (sheet, answers, check)
    ]
    assert not [src for src in others if re.search(r"\breview_answers\b", src)], (
        f"{stem}: review_answers reused"
    )


@pytest.mark.parametrize("topic", WRITTEN)
def test_the_masters_answers_are_all_right(topic):
    stem = review.REVIEW_LESSONS[topic]
    _, answers, _ = _review_cells(SOLUTIONS, topic)
    env: dict = {}
    exec(answers, env)  # the template, then the solution block: literals only
    result = cu.check_review(stem, env["review_answers"])
    assert result.all_right, str(result)


def test_the_right_letters_are_spread_over_the_choices():
    """A learner who always answers "b" must not pass: no letter is right much more than its share."""
    letters = [q.answer for _, q in ALL_QUESTIONS if isinstance(q, cu.MultipleChoice)]
    counts = {k: letters.count(k) for k in "abc"}
    assert max(counts.values()) <= 0.45 * len(letters) and min(counts.values()) >= 0.2 * len(letters), counts
    for topic, questions in BANKS.items():
        mine = [q.answer for q in questions if isinstance(q, cu.MultipleChoice) and len(q.choices) > 2]
        if len(mine) >= 3:
            assert len(set(mine)) > 1, f"{topic}: every multiple-choice answer is ({mine[0]})"


# ---- the appendix's evidence --------------------------------------------------------------------


def test_every_interview_question_has_evidence_that_exists_in_the_masters():
    assert sorted(review.INTERVIEW_EVIDENCE) == list(range(1, 16))
    for n, cited in review.INTERVIEW_EVIDENCE.items():
        assert cited["claims"] or cited["values"], f"Q{n} cites nothing"
        for lesson, claim_id in cited["claims"]:
            assert claim_id in _claim_ids(lesson), (
                f"Q{n}: {review.REVIEW_LESSONS[lesson]} states no claim {claim_id!r}"
            )
        for lesson, path, label in cited["values"]:
            assert label and path
            assert re.search(rf"[\"']{re.escape(path[0])}[\"']", _code(lesson)), (
                f"Q{n}: {review.REVIEW_LESSONS[lesson]} records nothing under {path[0]!r}"
            )


def _payload(claims=(), values=None):
    return {"claims": list(claims), "values": values or {}}


def test_load_course_results_reads_what_is_there_and_says_how_to_run_the_rest(tmp_path, capsys):
    (tmp_path / "03_dropout.results.json").write_text(json.dumps(_payload()))
    found = cu.load_course_results(tmp_path, lessons=["03", "l1_l2"])
    out = capsys.readouterr().out
    assert found["03_dropout"] == _payload() and found["02_l1_l2"] is None
    assert "03_dropout: 0 claims recorded" in out
    assert (
        f"02_l1_l2: not run yet in {tmp_path}: run `python tools/run_lessons.py --only 02 --out {tmp_path}`"
        in out
    )


def test_load_course_results_defaults_to_the_runners_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_RESULTS_DIR", str(tmp_path))
    (tmp_path / "01_overfitting.results.json").write_text(json.dumps(_payload()))
    found = cu.load_course_results()
    assert found["01_overfitting"] is not None
    assert set(found) == set(review._cited_stems())
    assert "01_overfitting: 0 claims recorded" in capsys.readouterr().out


def test_show_interview_evidence_gives_the_verdict_or_says_why_not(capsys):
    results = {
        "03_dropout": _payload(
            [
                {"id": "good", "statement": "It holds.", "holds": True, "evidence": "1 < 2"},
                {"id": "bad", "statement": "It fails.", "holds": False, "evidence": "3 > 2"},
            ],
            {"sweep": {"peak_rate": 0.5}},
        ),
        "02_l1_l2": None,
    }
    rows = cu.show_interview_evidence(
        11,
        results,
        claims=[("dropout", "good"), ("dropout", "bad"), ("dropout", "absent"), ("l1_l2", "l1_sparse")],
        values=[("dropout", ("sweep", "peak_rate"), "the best rate"), ("dropout", ("sweep", "nope"), "x")],
    )
    out = capsys.readouterr().out
    assert "claim good (03_dropout): holds\n    It holds.\n    evidence: 1 < 2" in out
    assert "claim bad (03_dropout): does NOT hold on this run" in out
    assert "the recorded run of 03_dropout states no such claim" in out
    assert "02_l1_l2 has not been run yet" in out
    assert "the best rate: 0.5" in out and "has no such value" in out
    assert [(r["found"], r["holds"]) for r in rows] == [
        (True, True), (True, False), (False, False), (False, False), (True, None), (False, None),
    ]  # fmt: skip
    with pytest.raises(ValueError, match="must be one of 1..15"):
        cu.show_interview_evidence(16, results)


# ---- the appendix master ------------------------------------------------------------------------


def test_the_appendix_answers_each_question_in_order_with_links_and_evidence():
    cells = json.loads(APPENDIX.read_text(encoding="utf-8"))["cells"]
    headings = [
        (i, _source(c).splitlines()[0]) for i, c in enumerate(cells)
        if c["cell_type"] == "markdown" and _source(c).startswith("## Q")
    ]  # fmt: skip
    assert [h for _, h in headings] == [f"## Q{n}. {t}" for n, t in review.INTERVIEW_QUESTIONS.items()]
    for n, (i, _) in enumerate(headings, 1):
        text = _source(cells[i])
        assert "**Where the course answers it:**" in text and "**Model answer.**" in text, f"Q{n}"
        links = re.findall(r"\]\(([\w.]+\.ipynb)\)", text)
        assert links, f"Q{n} links to no lesson"
        for link in links:
            assert (NOTEBOOKS / link).exists(), f"Q{n} links to {link}, which is not in notebooks/"
        assert _source(cells[i + 1]).strip() == f"cited[{n}] = cu.show_interview_evidence({n}, results)"
    text = "\n".join(_source(c) for c in cells)
    # the corrections the issue asks for
    assert "places BN before the nonlinearity" in text
    assert "`keras.layers.Dropout` is inverted dropout" in text
    assert (
        "L2 in the loss is not weight\ndecay under Adam" in text
        or "L2 in the loss is not weight decay under Adam" in text
    )
