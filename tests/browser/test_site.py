"""The course site (``make site``) as a reader's browser shows it: built from the lessons the
default run executed (build/executed), every page loads, every figure the executed lesson holds
is on its page and has loaded, every internal link resolves, and previous/next links chain the
lessons in order. Runs in headless Chromium like the JupyterLab checks; skipped loudly (failed
under CI=true) without Chromium, Playwright or an executed run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urldefrag, urlparse

import pytest
from browser_env import OUT, skip_or_fail

ROOT = Path(__file__).resolve().parents[2]
EXECUTED = Path(os.environ.get("COURSE_EXECUTED_DIR", ROOT / "build" / "executed")).resolve()


def _lessons() -> list[Path]:
    return sorted(p for p in EXECUTED.glob("[0-9][0-9]_*.ipynb"))


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    if not _lessons():
        skip_or_fail(
            f"SITE CHECK NOT RUN: no executed lessons in {EXECUTED} (run `make run` or "
            "`python tools/run_lessons.py --out build/executed` first)"
        )
    out = tmp_path_factory.mktemp("site")
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tools" / "build_site.py"),
            "--executed",
            str(EXECUTED),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return out


def _images_in(notebook: Path) -> int:
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    return sum("image/png" in o.get("data", {}) for c in nb["cells"] for o in c.get("outputs", []))


def _page_of(site: Path, lesson: Path) -> Path:
    pages = list(site.rglob(f"{lesson.stem}.html"))
    assert len(pages) == 1, (lesson.stem, pages)
    return pages[0]


def test_every_page_loads_with_its_figures_and_working_links(browser, site):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    failed_requests: list[str] = []
    page.on("requestfailed", lambda r: failed_requests.append(r.url) if r.url.startswith("file:") else None)
    (OUT / "site").mkdir(parents=True, exist_ok=True)
    pages = [site / "index.html"] + [_page_of(site, lesson) for lesson in _lessons()]
    order = []
    for path in pages:
        response = page.goto(path.as_uri())
        assert response is None or response.ok, path
        page.wait_for_load_state("load")
        assert page.title(), f"{path.name} has no title"
        if path.name != "index.html":
            lesson = next(p for p in _lessons() if p.stem == path.stem)
            expected = _images_in(lesson)
            loaded = page.evaluate(
                "() => Array.from(document.images).filter(i => i.complete && i.naturalWidth > 0"
                " && i.src.includes('_images')).length"
            )
            assert loaded >= expected, f"{path.name}: {loaded} of {expected} figures loaded"
            order.append(path.stem)
            page.screenshot(path=str(OUT / "site" / f"{path.stem}.png"))
        for href in page.evaluate("() => Array.from(document.querySelectorAll('a[href]')).map(a => a.href)"):
            url, _ = urldefrag(href)
            parsed = urlparse(url)
            if parsed.scheme == "file":
                assert Path(parsed.path).exists(), f"{path.name}: broken link {href}"
    assert not failed_requests, failed_requests
    assert order == [p.stem for p in _lessons()]
    page.close()


def test_previous_and_next_links_chain_the_lessons(browser, site):
    page = browser.new_page()
    stems = [p.stem for p in _lessons()]
    for i, stem in enumerate(stems):
        page.goto(_page_of(site, _lessons()[i]).as_uri())
        nxt = page.evaluate("() => { const a = document.querySelector('a.right-next'); return a && a.href; }")
        if i + 1 < len(stems):
            assert nxt and stems[i + 1] in nxt, (stem, nxt)
    page.close()


def test_code_cells_wrap_instead_of_hiding_the_end_of_long_lines(browser, site):
    """The lessons' code lines (up to 110 characters) are wider than the theme's article: the
    site wraps them, so a reader sees every line whole without scrolling each cell sideways."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    for lesson in _lessons():
        page.goto(_page_of(site, lesson).as_uri())
        cut = page.evaluate(
            "() => Array.from(document.querySelectorAll('div.cell_input pre'))"
            ".filter(p => p.scrollWidth > p.clientWidth + 1).length"
        )
        assert cut == 0, f"{lesson.stem}: {cut} code cells hide the end of their long lines"
    page.close()
