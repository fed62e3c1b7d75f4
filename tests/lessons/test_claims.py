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
