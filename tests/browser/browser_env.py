"""Where the browser stage looks for Chromium and Playwright, and how it skips (or, under
CI=true, fails) without them. Imported by conftest.py and test_lab.py (a module of its own, so
that the name does not collide with the other test folders' conftest modules)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

from _common import BUILD  # noqa: E402

#: Where the screenshots and the stage's report go.
OUT = BUILD / "browser"

CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update"]
INSTALL_HINT = (
    "Install them with `apt-get install -y chromium` (Debian/Ubuntu; the browser "
    "Playwright drives, at /usr/bin/chromium) and `.venv/bin/pip install playwright` "
    "(the `test` extra pins it), or point COURSE_CHROMIUM at a Chromium executable."
)


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


def chromium_path() -> str | None:
    """The Chromium to drive: $COURSE_CHROMIUM, /usr/bin/chromium, or one on PATH."""
    for candidate in (
        os.environ.get("COURSE_CHROMIUM"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def missing_browser() -> str | None:
    """Why the stage cannot run here, or None."""
    problems = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problems.append(f"Playwright is not installed in {sys.prefix}")
    if chromium_path() is None:
        problems.append(
            "no Chromium executable (looked for $COURSE_CHROMIUM, /usr/bin/chromium, "
            "chromium and chromium-browser on PATH)"
        )
    if not problems:
        return None
    return "BROWSER STAGE NOT RUN: " + "; ".join(problems) + ". " + INSTALL_HINT


_NOT_RUN: list[str] = []
#: One line per lesson run (time, figures, stderr boxes), printed at the end of the session.
SUMMARY: list[str] = []


def skip_or_fail(reason: str, module_level: bool = False) -> None:
    """Skip loudly (the reason is repeated in a banner at the end of the run); under CI=true a
    missing browser is a failure."""
    if in_ci():
        pytest.fail(reason + " (CI=true: the browser stage must run in CI)", pytrace=False)
    _NOT_RUN.append(reason)
    pytest.skip(reason, allow_module_level=module_level)
