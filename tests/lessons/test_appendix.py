"""The appendix (A1_interview_questions) on the default run: it executes after the lessons, shows
every claim and value it cites from their recorded results, and each cited claim exists in that
lesson's run and holds there, with the verdict, statement and evidence the lesson recorded."""

from __future__ import annotations

import os

import pytest
from conftest import EXECUTED, printed_text

from course_utils import review

LESSON = "A1_interview_questions"


def _cited_stems() -> list[str]:
    return review._cited_stems()


@pytest.fixture(scope="module")
def appendix(executed):
    """(lessons' results by stem, the appendix's results, its executed notebook)."""
    lessons = {stem: executed(stem)[0] for stem in _cited_stems()}
    result = EXECUTED / f"{LESSON}.results.json"
    if "COURSE_EXECUTED_DIR" not in os.environ and result.exists():
        newest = max((EXECUTED / f"{stem}.results.json").stat().st_mtime for stem in lessons)
        if result.stat().st_mtime < newest:  # it read older results than the lessons' current ones
            result.unlink()
    payload, nb = executed(LESSON)
    return lessons, payload, nb


def test_every_cited_lesson_was_found(appendix):
    _, _, nb = appendix
    text = printed_text(nb)
    assert "not run yet" not in text, text[:2000]
    assert "has not been run yet" not in text


def test_every_citation_is_shown_and_every_cited_claim_holds(appendix):
    lessons, payload, nb = appendix
    text = printed_text(nb)
    rows = payload["values"]["citations"]
    expected = sum(len(e["claims"]) + len(e["values"]) for e in review.INTERVIEW_EVIDENCE.values())
    assert len(rows) == expected
    missing = [r for r in rows if not r["found"]]
    assert not missing, f"cited but not in the recorded runs: {missing}"
    for row in rows:
        if row["kind"] != "claim":
            continue
        recorded = {c["id"]: c for c in lessons[row["lesson"]]["claims"]}
        assert row["id"] in recorded, f"{row['lesson']} recorded no claim {row['id']!r}"
        claim = recorded[row["id"]]
        assert claim["holds"], f"the appendix cites {row['id']!r} of {row['lesson']}, which does not hold"
        assert row["holds"] == claim["holds"]
        assert f"claim {row['id']} ({row['lesson']}): holds" in text
        assert claim["statement"] in text and claim["evidence"] in text
    claims = [r for r in rows if r["kind"] == "claim"]
    assert (
        f"{len(rows)} of {len(rows)} citations found in the recorded runs; "
        f"{len(claims)} of {len(claims)} cited claims hold" in text
    )


def test_every_cited_value_is_the_recorded_one(appendix):
    lessons, payload, _ = appendix
    for row in payload["values"]["citations"]:
        if row["kind"] == "value":
            found, value = review._lookup(lessons[row["lesson"]]["values"], row["path"])
            assert found and value == row["value"], row
