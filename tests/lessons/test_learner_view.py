"""What a learner sees in the executed lessons (the default run `make test` and `make run` write):
a figure under every cell that draws, in the notebook and in its HTML copy; no TensorFlow/absl/CUDA
log lines; progress or a result from every cell that trains; output short enough to read, in
lines that fit JupyterLab's output column.

The real-browser checks (JupyterLab driven by Chromium) are in tests/browser/.
"""

from __future__ import annotations

import ast
import re

import pytest
from _common import appendix_notebooks
from conftest import BUILD, EXECUTED, lesson_names

LESSONS = lesson_names()
#: The lessons and the appendices (they run after the lessons and print what they recorded).
EVERY_NOTEBOOK = LESSONS + [p.stem for p in appendix_notebooks()]

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
#: The calls that train a network (the course's helpers and Keras's own ``fit``): a cell that makes
#: one (outside a function it only defines) must show progress or a result. Decided from the code,
#: not from how long the cell took: durations differ twice over between machines.
TRAINING_CALLS = frozenset(
    {
        "train",
        "fit",
        "run_experiment",
        "compare_over_seeds",
        "compare_on_seeds",
        "build_model_bank",
        "lr_range_test",
    }
)
#: Any other cell that runs this long must show something too (a generous bound, ten times what a
#: cell of ours that only evaluates or draws takes).
SILENT_CELL_SECONDS = 60.0
#: JupyterLab's output column holds this many characters of a printed line at a 1280-pixel window
#: (measured in Chromium by tests/browser/test_lab.py); it wraps a longer line wherever it runs out
#: of room, through a table's columns or mid-word.
OUTPUT_COLUMN_CHARS = 107
#: A code cell prints at most this many lines, so that the notebook stays readable and logs short.
MAX_LINES_PER_CELL = 40


def _trains(source: str) -> bool:
    """Whether the cell itself (not a function or lambda it defines) calls a training function."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython magics: none of the lessons' training cells has one
        return False

    def visit(node: ast.AST) -> bool:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            return False
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in TRAINING_CALLS:
                return True
        return any(visit(child) for child in ast.iter_child_nodes(node))

    return visit(tree)


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


@pytest.mark.parametrize("lesson", EVERY_NOTEBOOK)
def test_no_cell_shows_a_warning_or_any_stderr_box(lesson, executed):
    """A Python warning (a Keras UserWarning about a model's input structure, a deprecation) is
    noise a learner cannot act on, in a red box: the lesson's code must not trigger one."""
    _, nb = executed(lesson)
    boxes = {i: _stream(c, "stderr")[:300] for i, c in enumerate(nb.cells) if _stream(c, "stderr").strip()}
    assert not boxes, f"{lesson}: cells with a stderr box: {boxes}"


@pytest.mark.parametrize("lesson", EVERY_NOTEBOOK)
def test_no_cell_ends_with_a_stray_out_value(lesson, executed):
    """A cell whose last line returns True, False or None (a claim, a check) shows it as an
    ``Out[n]:`` under the verdict it printed: noise that reads like a second answer."""
    _, nb = executed(lesson)
    stray = {
        i: o["data"]["text/plain"]
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "execute_result"
        and o.get("data", {}).get("text/plain") in ("True", "False", "None")
    }
    assert not stray, f"{lesson}: cells that end with a bare Out value: {stray}"


@pytest.mark.parametrize("lesson", LESSONS)
def test_training_cells_show_progress_and_stay_short(lesson, executed):
    _, nb = executed(lesson)
    silent, flooding = [], []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        shown = _stream(cell, "stdout")
        seconds = cell.metadata.get("papermill", {}).get("duration") or 0.0
        if (_trains(cell.source) or seconds > SILENT_CELL_SECONDS) and not shown.strip():
            silent.append(f"cell {i} ({seconds:.0f} s here)")
        lines = shown.count("\n")
        if lines > MAX_LINES_PER_CELL:
            flooding.append(f"cell {i} ({lines} lines)")
    assert not silent, f"{lesson}: cells that train but print nothing: {silent}"
    assert not flooding, f"{lesson}: cells that print more than {MAX_LINES_PER_CELL} lines: {flooding}"


@pytest.mark.parametrize("lesson", EVERY_NOTEBOOK)
def test_printed_lines_fit_the_output_column(lesson, executed):
    _, nb = executed(lesson)
    long = [
        f"cell {i} ({len(line)} characters): {line[:60]}..."
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        for line in _stream(cell, "stdout").splitlines()
        if len(line) > OUTPUT_COLUMN_CHARS
    ]
    assert not long, (
        f"{lesson}: lines wider than JupyterLab's output column ({OUTPUT_COLUMN_CHARS} characters), "
        "which it breaks mid-word: print them in two lines, or as a table (cu's tables split their "
        "columns into blocks that fit):\n" + "\n".join(long)
    )


def test_the_training_call_detector_sees_calls_and_skips_definitions():
    assert _trains("history = cu.train(model, data, epochs=3, progress=False)")
    assert _trains("model.fit(x, y, verbose=0)")
    assert _trains("runs = {n: cu.train(m, data) for n, m in models.items()}")
    assert _trains("for seed in SEEDS:\n    results.append(cu.compare_over_seeds(run, SEEDS))")
    assert not _trains("def fit(model):\n    return cu.train(model, data)")
    assert not _trains("fit_later = lambda m: m.fit(x, y)")
    assert not _trains("cu.plot_history(history)")
    assert not _trains("%timeit cu.train(model, data)")  # not Python: skipped, not an error
