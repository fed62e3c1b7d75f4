"""The README's table of measured numbers ("What the lessons measure") against the run the tests
check: every number in a row's "Measured" column must be printed by that lesson's executed
notebook (to the README's precision, or within 2 % of it for a number that varies a little from
one CPU to another). A README number that no run prints is a stale claim: rerun the lesson and
copy the printed value."""

from __future__ import annotations

import re

import pytest
from conftest import EXECUTED, ROOT, printed_text

NUMBER = re.compile(r"(?<![\w.])[−-]?\d[\d,]*(?:\.\d+)?(?:e-?\d+)?")


def _rows() -> list[tuple[str, str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text.split("### What the lessons measure", 1)[1].split("\n\n", 2)[1]
    rows = []
    for line in table.splitlines()[2:]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        rows.append((cells[0], cells[-1]))
    return rows


def _value(token: str) -> float:
    return float(token.replace("−", "-").replace(",", ""))


def _decimals(token: str) -> int:
    mantissa = token.split("e")[0]
    return len(mantissa.split(".")[1]) if "." in mantissa else 0


def _missing(measured: str, printed: list[float]) -> list[str]:
    missing = []
    for match in NUMBER.finditer(measured):
        before = measured[max(0, match.start() - 2) : match.start()]
        if any(sign in before for sign in "<≤≈"):  # a bound or an approximation, not a measurement
            continue
        x, d = _value(match.group(0)), _decimals(match.group(0))
        tolerance = max(0.5 * 10.0**-d, 0.02 * abs(x)) + 1e-12
        if not any(min(abs(y - x), abs(abs(y) - abs(x)), abs(100 * y - x)) <= tolerance for y in printed):
            missing.append(
                f"{match.group(0)} (in '…{measured[max(0, match.start() - 30) : match.end() + 10]}…')"
            )
    return missing


ROWS = _rows()


def test_the_table_has_a_row_for_every_lesson():
    assert {lesson for lesson, _ in ROWS} >= {f"{n:02d}" for n in range(1, 11)}, ROWS


@pytest.mark.parametrize(
    "lesson, measured", ROWS, ids=[f"{lesson}-{i}" for i, (lesson, _) in enumerate(ROWS)]
)
def test_every_readme_number_is_printed_by_the_lesson(lesson, measured, executed):
    name = next(p.stem for p in EXECUTED.glob(f"{lesson}_*.ipynb"))
    _, nb = executed(name)
    printed = [_value(t) for t in NUMBER.findall(printed_text(nb))]
    missing = _missing(measured, printed)
    assert not missing, f"README row of lesson {lesson}: not printed by the default run: {missing}"
