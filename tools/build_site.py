"""Build the course site: a static HTML site of the executed lessons, offline (`make site`).

    python tools/build_site.py                       # build/executed/*.ipynb -> build/site/
    python tools/build_site.py --executed DIR --out DIR

Sphinx with myst-nb (notebooks rendered as they were executed, never re-executed) and the
sphinx-book-theme (the Jupyter Book 1 look): the README is the home page, one page per lesson with
its figures, a table of contents in the sidebar, previous/next links at the bottom of each page.
Nothing is downloaded while building (checked by the unit test, which builds without network);
MathJax, for the lessons' formulas, is loaded by the reader's browser when it is online.

The lessons must have been executed first (`make run` or `make test` write build/executed/);
without them this tool says so and exits 1. Open build/site/index.html.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import APPENDIX_PATTERN, BUILD, ROOT  # noqa: E402

TITLE = "Regularization and Optimization for Neural Networks"

CONF_PY = """\
project = {title!r}
author = "The course authors"
copyright = "The course authors (MIT License)"
extensions = ["myst_nb"]
# Notebooks are shown as executed by the course runner; the site never runs them.
nb_execution_mode = "off"
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath"]
exclude_patterns = ["_build"]
html_theme = "sphinx_book_theme"
html_title = {title!r}
html_theme_options = {{
    "show_navbar_depth": 1,
    "show_prev_next": True,
    "use_download_button": False,
    "use_fullscreen_button": False,
}}
html_show_sourcelink = False
html_static_path = ["_static"]
html_css_files = ["course.css"]
"""

#: The lessons' code is written for a wide notebook (lines up to 110 characters), wider than the
#: theme's article: on the site code cells wrap their long lines (as the course's JupyterLab
#: does), and printed tables keep their columns, scrolling sideways if they must.
COURSE_CSS = """\
div.cell_input pre { white-space: pre-wrap; overflow-wrap: anywhere; }
div.cell_output pre { white-space: pre; overflow-x: auto; }
"""


def _lessons(executed: Path) -> list[Path]:
    return sorted(executed.glob("[0-9][0-9]_*.ipynb"))


def _appendices(executed: Path) -> list[Path]:
    return sorted(executed.glob(APPENDIX_PATTERN))


def write_sources(executed: Path, src: Path, readme: Path) -> list[str]:
    """Lays out the Sphinx sources in ``src``; returns the page names: the lessons, then the appendices."""
    if src.exists():
        shutil.rmtree(src)
    (src / "notebooks").mkdir(parents=True)
    lessons = _lessons(executed)
    appendices = _appendices(executed)
    for nb in lessons + appendices:
        # The lessons link to the course overview as ../README.md: on the site that is the home page.
        text = nb.read_text(encoding="utf-8").replace("](../README.md)", "](../index.md)")
        (src / "notebooks" / nb.name).write_text(text, encoding="utf-8")
    pages = [f"notebooks/{nb.stem}" for nb in lessons]
    extra = [f"notebooks/{nb.stem}" for nb in appendices]
    home = readme.read_text(encoding="utf-8")
    # The README's links to the lessons (notebooks/NN_x.ipynb) point at the lesson pages as they are.
    toctree = "\n".join(
        ["", "", "```{toctree}", ":hidden:", ":caption: Lessons", ":maxdepth: 1", "", *pages, "```", ""]
    )
    if extra:  # after the lessons, in a section of their own
        toctree += "\n".join(
            ["", "```{toctree}", ":hidden:", ":caption: Appendix", ":maxdepth: 1", "", *extra, "```", ""]
        )
    (src / "index.md").write_text(home.rstrip() + toctree, encoding="utf-8")
    (src / "conf.py").write_text(CONF_PY.format(title=TITLE), encoding="utf-8")
    (src / "_static").mkdir()
    (src / "_static" / "course.css").write_text(COURSE_CSS, encoding="utf-8")
    return pages + extra


def build(executed: Path, out: Path, readme: Path = ROOT / "README.md") -> int:
    lessons = _lessons(executed)
    if not lessons:
        print(f"No executed lessons in {executed}: run `make run` (or `make test`) first.", file=sys.stderr)
        return 1
    src = out.parent / f"{out.name}-src"
    write_sources(executed, src, readme)
    if out.exists():
        shutil.rmtree(out)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-b",
            "html",
            "-q",
            "-j",
            "1",
            "-d",
            str(src / "_doctrees"),
            str(src),
            str(out),
        ],
        capture_output=True,
        text=True,
    )
    # Sphinx's warnings that matter for readers: a broken cross-reference or a missing image.
    warnings = [ln for ln in proc.stderr.splitlines() if re.search(r"WARNING|ERROR", ln)]
    for line in warnings:
        print(line, file=sys.stderr)
    if proc.returncode != 0:
        print(proc.stdout[-4000:], proc.stderr[-4000:], sep="\n", file=sys.stderr)
        return proc.returncode
    shown = out.relative_to(ROOT) if out.is_relative_to(ROOT) else out
    print(f"Site with {len(lessons)} lessons written to {shown}/index.html")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--executed", type=Path, default=BUILD / "executed", help="executed lessons")
    parser.add_argument("--out", type=Path, default=BUILD / "site", help="output folder")
    parser.add_argument("--readme", type=Path, default=ROOT / "README.md", help="the home page")
    args = parser.parse_args(argv)
    return build(args.executed.resolve(), args.out.resolve(), args.readme.resolve())


if __name__ == "__main__":
    sys.exit(main())
