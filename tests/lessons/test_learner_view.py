"""What a learner sees in the executed lessons (the default run `make test` and `make run` write):
a figure under every cell that draws, in the notebook and in its HTML copy; no TensorFlow/absl/CUDA
log lines; progress on every cell that trains for long; output short enough to read.

The real-browser checks (JupyterLab driven by Chromium) are in tests/browser/.
"""

from __future__ import annotations

import re

import pytest
from conftest import BUILD, EXECUTED, lesson_names

LESSONS = lesson_names()

#: A code cell that draws: a course plot helper, pyplot, or an Axes method.
DRAWS = re.compile(
    r"\bcu\.plot_\w+\(|\bplt\.(?:subplots|figure|plot|imshow|bar|hist|scatter)\(|"
    r"\b(?:ax|axes|axs)\w*(?:\[[^\]]*\])*\.(?:plot|bar|barh|hist|imshow|scatter)\("
)
#: TensorFlow / absl / CUDA start-up lines ("I0000 00:00:... port.cc:153] ...", "W0000 ...").
#: ... and TensorFlow's Python logger ("WARNING:tensorflow:5 out of the last 13 calls to <function
#: ...> triggered tf.function retracing", which absl prints to stdout in a kernel).
TF_LOG = re.compile(
    r"^[IWEF]\d{4} \d\d:\d\d:\d\d|absl::InitializeLog|cuInit|cpu_feature_guard|"
    r"oneDNN custom operations|cuda_(?:driver|platform|dnn|blas|fft)|TF-TRT|"
    r"^(?:WARNING|ERROR|INFO):(?:tensorflow|absl):|triggered tf\.function retracing",
    re.M,
)
#: A cell that runs longer than this must show progress (papermill records each cell's duration).
LONG_CELL_SECONDS = 5.0
#: ... and print at most this many lines, so that the notebook stays readable and logs short.
MAX_LINES_PER_CELL = 40


def _outputs(cell):
    return cell.get("outputs", []) if cell.cell_type == "code" else []


def _stream(cell, name: str) -> str:
    return "".join(
        o.get("text", "")
        for o in _outputs(cell)
        if o.get("output_type") == "stream" and o.get("name") == name
    )


def _images(cell) -> int:
    return sum("image/png" in o.get("data", {}) for o in _outputs(cell))


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_drawing_cell_shows_a_figure(lesson, executed):
    _, nb = executed(lesson)
    drawing = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and DRAWS.search(c.source)]
    assert drawing, f"{lesson}: no cell draws a figure (the lesson's figures are its point)"
    blind = [i for i in drawing if _images(nb.cells[i]) == 0]
    assert not blind, (
        f"{lesson}: cells {blind} draw but their executed output holds no image. Is MPLBACKEND "
        "set in the environment of the kernel (it must not be: ipykernel then skips its inline "
        "backend), or does the cell close its figure before Jupyter shows it?"
    )


@pytest.mark.parametrize("lesson", LESSONS)
def test_html_copy_embeds_every_figure(lesson, executed):
    _, nb = executed(lesson)
    html = BUILD / "html" / f"{lesson}.html"
    assert html.exists(), f"no {html}: the run that the tests check exports HTML (run_lessons.py --html)"
    assert html.stat().st_mtime >= (EXECUTED / f"{lesson}.ipynb").stat().st_mtime - 60, (
        f"{html.name} is older than the executed notebook; rerun run_lessons.py --html"
    )
    images = sum(_images(c) for c in nb.cells)
    embedded = html.read_text(encoding="utf-8").count("data:image/png;base64,")
    assert images > 0 and embedded >= images, f"{html.name} embeds {embedded} of {images} figures"


@pytest.mark.parametrize("lesson", LESSONS)
def test_no_tensorflow_log_lines_reach_the_learner(lesson, executed):
    _, nb = executed(lesson)
    setup = next(
        i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "import course_utils" in c.source
    )
    assert not _stream(nb.cells[setup], "stderr"), (
        f"{lesson}: the setup cell shows a stderr box:\n{_stream(nb.cells[setup], 'stderr')[:800]}"
    )
    streams = [_stream(c, "stderr") + "\n" + _stream(c, "stdout") for c in nb.cells]
    noisy = {i: TF_LOG.search(text).group(0) for i, text in enumerate(streams) if TF_LOG.search(text)}
    assert not noisy, f"{lesson}: TensorFlow log lines shown in cells {noisy}"


@pytest.mark.parametrize("lesson", LESSONS)
def test_long_cells_show_progress_and_stay_short(lesson, executed):
    _, nb = executed(lesson)
    silent, flooding = [], []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        seconds = cell.metadata.get("papermill", {}).get("duration") or 0.0
        shown = _stream(cell, "stdout")
        if seconds > LONG_CELL_SECONDS and not shown.strip():
            silent.append(f"cell {i} ({seconds:.0f} s)")
        lines = shown.count("\n")
        if lines > MAX_LINES_PER_CELL:
            flooding.append(f"cell {i} ({lines} lines)")
    assert not silent, f"{lesson}: long cells that print nothing while they train: {silent}"
    assert not flooding, f"{lesson}: cells that print more than {MAX_LINES_PER_CELL} lines: {flooding}"
