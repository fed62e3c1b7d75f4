"""`make site` (tools/build_site.py) on two small executed lessons with figures: offline (sockets
refused), one page per lesson, the README as the home page, a table of contents, previous/next
links, every figure present, every internal link resolving."""

from __future__ import annotations

import base64
import html.parser
import io
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[2]

#: A sitecustomize module for the build's interpreters (the tool and the Sphinx process it starts):
#: every attempt to open a network connection fails the build (the site must build offline).
NO_NETWORK = """
import socket
def _refuse(*args, **kwargs):
    raise OSError("network access during the site build")
socket.socket.connect = _refuse
socket.create_connection = _refuse
"""


def _png() -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 1))
    ax.plot([0, 1], [1, 0])
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def _lesson(stem: str, title: str, prev: str | None, nxt: str | None) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    links = " · ".join(
        x
        for x in (
            f"[Previous]({prev}.ipynb)" if prev else "[Course overview](../README.md)",
            f"[Next]({nxt}.ipynb)" if nxt else "",
        )
        if x
    )
    nb.cells = [
        nbformat.v4.new_markdown_cell(f"# {title}\n\nThe penalty is $\\lambda \\sum_i w_i^2$."),
        nbformat.v4.new_code_cell(
            "cu.plot_history(history)",
            outputs=[
                nbformat.v4.new_output("stream", name="stdout", text="validation accuracy 0.91\n"),
                nbformat.v4.new_output("display_data", data={"image/png": _png(), "text/plain": "<Figure>"}),
            ],
            execution_count=1,
        ),
        nbformat.v4.new_markdown_cell(links),
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


class _Page(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.images: list[str] = []
        self.rels: dict[str, str] = {}
        self._in_prev_next: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
            classes = a.get("class", "") or ""
            for kind in ("prev", "next"):
                if f"left-{kind}" in classes or f"right-{kind}" in classes:
                    self.rels[kind] = a["href"]
        if tag == "img" and a.get("src"):
            self.images.append(a["src"])


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    pytest.importorskip("myst_nb")
    root = tmp_path_factory.mktemp("site")
    executed = root / "executed"
    executed.mkdir()
    stems = ["01_first", "02_second"]
    for i, stem in enumerate(stems):
        prev = stems[i - 1] if i else None
        nxt = stems[i + 1] if i + 1 < len(stems) else None
        nb = _lesson(stem, f"Lesson {i + 1}", prev, nxt)
        nbformat.write(nb, executed / f"{stem}.ipynb")
    # an appendix (A1_*.ipynb) is shown after the lessons, under a caption of its own
    nbformat.write(_lesson("A1_appendix", "Appendix 1", stems[-1], None), executed / "A1_appendix.ipynb")
    readme = root / "README.md"
    readme.write_text(
        "# The course\n\n| # | Notebook |\n|---|---|\n"
        "| 01 | [First](notebooks/01_first.ipynb) |\n"
        "| 02 | [Second](notebooks/02_second.ipynb) |\n"
    )
    out = root / "site"
    guard = root / "no_network"
    guard.mkdir()
    (guard / "sitecustomize.py").write_text(NO_NETWORK)
    pythonpath = os.pathsep.join(p for p in (str(guard), os.environ.get("PYTHONPATH", "")) if p)
    proc = subprocess.run(
        [
            sys.executable,
            str(REPO / "tools" / "build_site.py"),
            "--executed",
            str(executed),
            "--out",
            str(out),
            "--readme",
            str(readme),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONPATH": pythonpath},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "WARNING" not in proc.stderr, proc.stderr
    return out


def test_one_page_per_lesson_and_the_readme_as_home(site: Path):
    assert (site / "index.html").exists()
    assert "The course" in (site / "index.html").read_text(encoding="utf-8")
    for stem in ("01_first", "02_second"):
        page = site / "notebooks" / f"{stem}.html"
        assert page.exists(), sorted(p.name for p in site.rglob("*.html"))
        assert "validation accuracy 0.91" in page.read_text(encoding="utf-8")


def test_table_of_contents_lists_every_lesson(site: Path):
    links = _parse(site / "index.html").links
    for stem in ("01_first", "02_second"):
        assert any(urlsplit(h).path.endswith(f"notebooks/{stem}.html") for h in links), links


def test_the_appendix_comes_after_the_lessons(site: Path):
    assert "validation accuracy 0.91" in (site / "notebooks" / "A1_appendix.html").read_text(encoding="utf-8")
    links = [urlsplit(h).path for h in _parse(site / "index.html").links]
    order = [next(i for i, h in enumerate(links) if h.endswith(f"notebooks/{stem}.html"))
             for stem in ("01_first", "02_second", "A1_appendix")]  # fmt: skip
    assert order == sorted(order), links
    assert "Appendix" in (site / "index.html").read_text(encoding="utf-8")
    second = _parse(site / "notebooks" / "02_second.html")
    assert second.rels.get("next", "").endswith("A1_appendix.html"), second.rels


def test_previous_and_next_links(site: Path):
    first = _parse(site / "notebooks" / "01_first.html")
    second = _parse(site / "notebooks" / "02_second.html")
    assert first.rels.get("next", "").endswith("02_second.html"), first.rels
    assert second.rels.get("prev", "").endswith("01_first.html"), second.rels


def test_every_figure_is_present(site: Path):
    for stem in ("01_first", "02_second"):
        page = site / "notebooks" / f"{stem}.html"
        images = [src for src in _parse(page).images if not src.startswith("data:") and "logo" not in src]
        assert images, f"no figure on {page.name}"
        for src in images:
            assert (page.parent / unquote(urlsplit(src).path)).resolve().is_file(), src


def test_the_lessons_link_back_to_the_home_page(site: Path):
    text = (site / "notebooks" / "01_first.html").read_text(encoding="utf-8")
    assert re.search(r'<a [^>]*href="\.\./index\.html"[^>]*>(?:<[^>]+>)*Course overview', text)


def test_every_internal_link_resolves(site: Path):
    broken = []
    for page in site.rglob("*.html"):
        for href in _parse(page).links:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not parts.path or href.startswith(("mailto:", "javascript:")):
                continue
            if not (page.parent / unquote(parts.path)).resolve().exists():
                broken.append(f"{page.relative_to(site)} -> {href}")
    assert broken == []


def test_without_executed_lessons_it_says_so(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            str(REPO / "tools" / "build_site.py"),
            "--executed",
            str(tmp_path),
            "--out",
            str(tmp_path / "site"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert "make run" in proc.stderr
