"""What a learner sees, through the real client: each lesson opened in the course's JupyterLab,
in headless Chromium, run with Run > Run All Cells, then checked in the page itself.

For every lesson in LESSONS (copied at its quick parameters, with the otter tests the learner
notebook carries in its metadata):

* the tab is not marked modified (``jp-mod-dirty``) once the notebook and its kernel are ready;
* Run All Cells runs every code cell to the end, with no error output anywhere;
* the setup cell shows no stderr box (every other stderr box is listed in the report);
* every code cell whose source draws (``cu.plot_...``, ``plt.``, ``.plot(``) shows a figure
  (an ``<img>``) in its output: kernels draw inline because the server has no MPLBACKEND;
* every line printed to stdout fits the output column at the 1280-pixel window (a longer one is
  broken by the browser wherever it runs out of room, mid-word included);
* lesson 01: its review questions, answered once right and once wrong, show the check's verdict
  first and the right answer with the section to re-read, rendered as HTML;
* lesson 03: the slider of ``cu.plot_explorer`` (section 4's learning curves per dropout rate),
  moved with the keyboard, redraws its figure: the figure's image changes in place;
* lesson 10: a deliberately wrong answer (the off-by-one warm-up of exercise 4) gets
  ``grader.check``'s explanation, visible in the page.

Screenshots: build/browser/<lesson>.png (the whole notebook) and build/browser/<lesson>/cellNN.png
(each figure); build/browser/report.json lists every lesson's outputs and stderr boxes.

Without Chromium or Playwright the module is skipped with the reason (``-rs``; `make test`
prints it); under CI=true that is a failure.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from browser_env import OUT, SUMMARY, in_ci, missing_browser, skip_or_fail

if missing_browser() and not in_ci():  # under CI=true the `browser` fixture fails instead
    skip_or_fail(missing_browser(), module_level=True)

LESSONS = ["01_overfitting", "03_dropout", "04_batch_norm", "10_exercises"]
EXPLORER_LESSON = "03_dropout"  # its cu.plot_explorer slider must redraw its figure
RUN_TIMEOUT_S = 300  # per lesson, from Run All Cells to the last cell's output
OPEN_TIMEOUT_S = 120  # page loaded and kernel idle

DRAWS = re.compile(r"\bcu\.plot_\w*\(|\bplt\.\w+\(|\.plot\(")
SETUP_MARK = "import course_utils as cu"
ERROR_MIME = "application/vnd.jupyter.error"
STDERR_MIME = "application/vnd.jupyter.stderr"

# Lesson 10's typical wrong answer (as in tests/submissions/make_submissions.py): the warm-up
# starts at peak / W instead of 0. The visible q4 test explains it with these two sentences.
WRONG_Q4 = """def warmup_cosine(step, peak_lr, warmup_steps, decay_steps, min_lr=0.0):
    if step < warmup_steps:
        return peak_lr * (step + 1) / warmup_steps
    progress = min(step - warmup_steps, decay_steps) / decay_steps
    return min_lr + (peak_lr - min_lr) * 0.5 * (1 + math.cos(math.pi * progress))
"""
Q4_MESSAGES = ["Wrong value at step 0", "Steps count from 0 and the warm-up starts at 0"]


def put_wrong_q4(nb) -> None:
    cells = [
        c for c in nb.cells if c.cell_type == "code" and c.source.lstrip().startswith("def warmup_cosine(")
    ]
    assert len(cells) == 1, "lesson 10 has no single `def warmup_cosine(` exercise cell any more"
    cells[0].source = WRONG_Q4


# Lesson 01's review questions: one right answer, one wrong one, the rest left blank.
REVIEW_LESSON = "01_overfitting"


def review_answers() -> dict:
    import course_utils as cu

    questions = cu.review_questions(REVIEW_LESSON).questions
    wrong = next(k for k in questions[1].choices if k != questions[1].answer)
    return {questions[0].id: questions[0].answer, questions[1].id: wrong}


def put_review_answers(nb) -> None:
    cells = [
        c for c in nb.cells if c.cell_type == "code" and c.source.lstrip().startswith("review_answers = {")
    ]
    assert len(cells) == 1, f"{REVIEW_LESSON} has no single `review_answers = {{...}}` cell"
    cells[0].source = f"review_answers = {review_answers()!r}"


EDITS = {"10_exercises": put_wrong_q4, REVIEW_LESSON: put_review_answers}

# ---- reading the page -----------------------------------------------------------------------------

PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"

STATE_JS = """() => {
  const panel = document.querySelector('%(panel)s');
  if (!panel) return null;
  const prompts = Array.from(panel.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt'))
      .map(p => p.textContent.trim());
  const indicator = panel.querySelector('.jp-Notebook-ExecutionIndicator');
  const kernel = Array.from(document.querySelectorAll('#jp-main-statusbar .jp-StatusBar-TextItem'))
      .map(e => e.textContent.trim()).find(t => t.includes(' | ')) || '';
  return {
    cells: panel.querySelectorAll('.jp-Cell').length,
    busy: prompts.filter(p => p.includes('*')).length,
    executed: prompts.filter(p => /\\[\\d+\\]/.test(p)).length,
    code: prompts.length,
    indicator: indicator ? indicator.dataset.status : null,
    kernel: kernel,
    dirty: Array.from(document.querySelectorAll('#jp-main-dock-panel .lm-TabBar-tab.jp-mod-dirty'))
      .map(t => t.textContent.trim()),
  };
}""" % {"panel": PANEL}  # noqa: UP031  (a JavaScript template: its braces stay literal)

CELLS_JS = """() => Array.from(document.querySelectorAll('%(panel)s .jp-Cell')).map(cell => ({
  type: cell.classList.contains('jp-CodeCell') ? 'code'
      : (cell.classList.contains('jp-MarkdownCell') ? 'markdown' : 'raw'),
  prompt: (cell.querySelector('.jp-InputArea-prompt') || {textContent: ''}).textContent.trim(),
  wraps: !!cell.querySelector('.jp-InputArea-editor .cm-lineWrapping'),
  outputs: Array.from(cell.querySelectorAll('.jp-OutputArea-output')).map(o => {
    const typed = o.matches('[data-mime-type]') ? o : o.querySelector('[data-mime-type]');
    const pre = (typed && typed.getAttribute('data-mime-type') === 'application/vnd.jupyter.stdout')
        ? typed.querySelector('pre') : null;
    let columns = null;
    if (pre) {
      const style = getComputedStyle(pre);
      const ctx = document.createElement('canvas').getContext('2d');
      ctx.font = style.fontSize + ' ' + style.fontFamily;
      const width = pre.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
      const lines = pre.textContent.split('\\n');
      const longest = lines.reduce((a, b) => (b.length > a.length ? b : a), '');
      columns = {fits: Math.floor(width / (ctx.measureText('0'.repeat(100)).width / 100)),
                 longest: longest.length, line: longest.slice(0, 160)};
    }
    return {mime: typed ? typed.getAttribute('data-mime-type') : null, columns: columns,
            text: o.textContent.slice(0, 4000), imgs: o.querySelectorAll('img').length,
            sizes: Array.from(o.querySelectorAll('img'))
                .map(i => [i.naturalWidth, i.naturalHeight, i.clientWidth])};
  }),
}))""" % {"panel": PANEL}  # noqa: UP031  (a JavaScript template: its braces stay literal)


def kernel_idle(state: dict | None) -> bool:
    return bool(state) and state["kernel"].endswith("| Idle") and state["indicator"] in (None, "idle")


def wait_for(page, predicate, timeout_s: float, what: str, poll_s: float = 0.5) -> dict:
    deadline = time.monotonic() + timeout_s
    state = None
    while time.monotonic() < deadline:
        state = page.evaluate(STATE_JS)
        if predicate(state):
            return state
        time.sleep(poll_s)
    pytest.fail(f"timed out after {timeout_s:.0f} s waiting for {what}; last page state: {state}")


def full_notebook_screenshot(page, path: Path) -> None:
    """The whole notebook in one image: make the window as tall as the notebook's content (the
    notebook scrolls inside the page, so Playwright's full_page would show one screen only)."""
    height = page.evaluate(f"""() => {{
      const outer = document.querySelector('{PANEL} .jp-WindowedPanel-outer');
      return outer ? outer.scrollHeight : document.body.scrollHeight; }}""")
    page.set_viewport_size({"width": 1280, "height": min(int(height) + 200, 16000)})
    page.evaluate(
        f"() => {{ const o = document.querySelector('{PANEL} .jp-WindowedPanel-outer');"
        " if (o) o.scrollTop = 0; }"
    )
    time.sleep(1.5)
    page.screenshot(path=str(path))
    page.set_viewport_size({"width": 1280, "height": 900})


def shoot(locator, path: Path) -> None:
    """Screenshot of one element once it is scrolled into view and laid out."""
    locator.evaluate("e => e.scrollIntoView({block: 'center'})")
    time.sleep(0.3)
    locator.screenshot(path=str(path))


def move_the_slider(page, cell_nodes, sources, figures: Path) -> dict:
    """Moves the slider of the lesson's ``cu.plot_explorer`` cell one step with the keyboard and
    reads the figure under it before and after: a redraw replaces the image in place."""
    at = next((i for i, (kind, src) in enumerate(sources) if "cu.plot_explorer(" in src), None)
    if at is None:
        return {"found": False}
    area = cell_nodes.nth(at).locator(".jp-OutputArea")
    handle = area.locator(".noUi-handle").first
    if handle.count() == 0:
        return {"found": True, "slider": False, "text": area.inner_text()[:500]}
    readout = area.locator(".widget-readout").first

    def state() -> tuple[str, str]:
        src = area.locator("img").first.get_attribute("src") or ""
        return (readout.inner_text() if readout.count() else ""), src

    shoot(area, figures / f"cell{at:02d}-explorer-before.png")  # in view: laid out, readout drawn
    before = state()
    after = before
    for key in ("ArrowRight", "ArrowLeft"):
        handle.focus()
        page.keyboard.press(key)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            after = state()
            if after[1] != before[1]:
                break
            time.sleep(0.5)
        if after[1] != before[1]:
            break
    time.sleep(0.5)
    shoot(area, figures / f"cell{at:02d}-explorer-after.png")
    return {
        "found": True,
        "slider": True,
        "cell": at,
        "readout": [before[0], after[0]],
        "image_changed": after[1] != before[1] and bool(after[1]),
        "images": area.locator("img").count(),
    }


# ---- one run of each lesson, shared by the checks below ------------------------------------------------


class LessonRun:
    def __init__(self, lesson: str) -> None:
        self.lesson = lesson
        self.opened: dict = {}
        self.dirty_after_open: list[str] = []
        self.finished: dict = {}
        self.cells: list[dict] = []
        self.sources: list[tuple[str, str]] = []
        self.figures: list[str] = []
        self.q4_visible: dict[str, bool] = {}
        self.explorer: dict = {}
        self.toasts: list[str] = []
        self.timing: dict[str, float] = {}
        self.failure: str | None = None


def summarize(run: LessonRun) -> dict:
    outputs = [(i, o) for i, c in enumerate(run.cells) for o in c["outputs"]]
    return {
        "failure": run.failure,
        "timing_s": {k: round(v, 1) for k, v in run.timing.items()},
        "dirty_after_open": run.dirty_after_open,
        "stderr": [{"cell": i, "text": o["text"][:500]} for i, o in outputs if o["mime"] == STDERR_MIME],
        "errors": [{"cell": i, "text": o["text"][:1000]} for i, o in outputs if o["mime"] == ERROR_MIME],
        "figures": run.figures,
        # [natural width, natural height, width shown] of every figure: shown < natural means
        # the browser shrank it (and its text) to fit the notebook's column.
        "figure_sizes": {f"cell{i:02d}": o["sizes"] for i, o in outputs if o["imgs"]},
        "q4_feedback_visible": run.q4_visible or None,
        "explorer": run.explorer or None,
    }


def summary_line(lesson: str, r: dict) -> str:
    t = r["timing_s"]
    line = (
        f"{lesson}: {t.get('total_s', 0):.0f} s (open {t.get('open_s', 0):.0f} s, run all "
        f"{t.get('run_s', 0):.0f} s), {len(r['figures'])} figures, {len(r['errors'])} error "
        f"outputs, {len(r['stderr'])} stderr boxes"
    )
    for item in r["stderr"]:
        line += f"\n    stderr in cell {item['cell']}: {item['text'][:160]!r}"
    return line


@pytest.fixture(scope="session")
def runs(lab, browser):
    """lesson -> LessonRun: opened, checked for the modified mark, run to the end, read back."""
    done: dict[str, LessonRun] = {}
    report: dict[str, dict] = {}

    def get(lesson: str) -> LessonRun:
        if lesson not in done:
            run = done[lesson] = LessonRun(lesson)
            try:
                drive(run)
            except BaseException as exc:  # pytest.fail included: every check of it fails alike
                run.failure = f"{type(exc).__name__}: {exc}"
                raise
            finally:
                report[lesson] = summarize(run)
                OUT.mkdir(parents=True, exist_ok=True)
                (OUT / "report.json").write_text(json.dumps(report, indent=1) + "\n")
                SUMMARY.append(summary_line(lesson, report[lesson]))
        run = done[lesson]
        if run.failure:
            pytest.fail(f"{lesson} could not be run in the browser: {run.failure}", pytrace=False)
        return run

    def drive(run: LessonRun) -> None:
        lesson = run.lesson
        t0 = time.monotonic()
        nb_path = lab.prepare(lesson, EDITS.get(lesson))
        import nbformat

        nb = nbformat.read(nb_path, as_version=4)
        run.sources = [(c.cell_type, c.source) for c in nb.cells]
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        try:
            page.goto(lab.url(nb_path.name, f"browser-{lesson}"))
            page.wait_for_selector(f"{PANEL} .jp-Cell", timeout=OPEN_TIMEOUT_S * 1000)
            run.opened = wait_for(
                page,
                lambda s: kernel_idle(s) and s["cells"] == len(nb.cells),
                OPEN_TIMEOUT_S,
                "the notebook to load and its kernel to be idle",
            )
            time.sleep(2.0)  # anything the page changes on its own once the kernel is ready
            run.dirty_after_open = page.evaluate(STATE_JS)["dirty"]
            run.timing["open_s"] = time.monotonic() - t0

            t1 = time.monotonic()
            page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
            page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
            wait_for(page, lambda s: s["busy"] > 0 or s["executed"] > 0, 30, "Run All Cells to start")
            run.finished = wait_for(
                page,
                lambda s: s["busy"] == 0 and kernel_idle(s),
                RUN_TIMEOUT_S,
                "every cell to finish (no [*] prompt left, kernel idle)",
                poll_s=1.0,
            )
            run.timing["run_s"] = time.monotonic() - t1
            time.sleep(1.0)  # the last figure's <img> is attached after its output message
            run.cells = page.evaluate(CELLS_JS)
            run.toasts = page.locator(".Toastify__toast").all_inner_texts()

            OUT.mkdir(parents=True, exist_ok=True)
            page.mouse.move(1, 1)  # no hover overlay (output prompt, tooltips) in the screenshots
            # First the whole notebook: every cell is then laid out once, so that the per-figure
            # crops below do not shift (offscreen cells are skipped with content-visibility: auto).
            full_notebook_screenshot(page, OUT / f"{lesson}.png")
            figures = OUT / lesson
            figures.mkdir(exist_ok=True)
            for old in figures.glob("cell*.png"):
                old.unlink()
            cell_nodes = page.locator(f"{PANEL} .jp-Cell")
            for i, cell in enumerate(run.cells):
                if any(o["imgs"] for o in cell["outputs"]):
                    path = figures / f"cell{i:02d}.png"
                    shoot(cell_nodes.nth(i).locator(".jp-OutputArea"), path)
                    run.figures.append(str(path.relative_to(OUT.parent.parent)))
            if lesson == REVIEW_LESSON:
                at = next(i for i, (kind, src) in enumerate(run.sources) if "cu.check_review(" in src)
                shoot(cell_nodes.nth(at).locator(".jp-OutputArea"), figures / f"cell{at:02d}-review.png")
            if lesson == EXPLORER_LESSON:
                run.explorer = move_the_slider(page, cell_nodes, run.sources, figures)
            if lesson == "10_exercises":
                check = next(
                    (
                        i
                        for i, (kind, src) in enumerate(run.sources)
                        if kind == "code" and 'grader.check("q4_schedule")' in src
                    ),
                    None,
                )
                if check is not None:
                    area = cell_nodes.nth(check).locator(".jp-OutputArea")
                    shoot(area, figures / f"cell{check:02d}-q4-feedback.png")
                    for message in Q4_MESSAGES:
                        found = area.get_by_text(message, exact=False)
                        run.q4_visible[message] = found.count() > 0 and found.first.is_visible()
        finally:
            run.timing["total_s"] = time.monotonic() - t0
            page.close()
            try:  # free the kernel's memory now rather than at the end of the session
                for session in lab.api("/api/sessions") or []:
                    lab.api(f"/api/sessions/{session['id']}", method="DELETE")
            except OSError:
                pass

    return get


def _where(run: LessonRun, i: int) -> str:
    first = run.sources[i][1].strip().splitlines()[0] if run.sources[i][1].strip() else ""
    return f"cell {i} ({first[:60]!r})"


# ---- the checks ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("lesson", LESSONS)
def test_tab_is_not_marked_modified_after_opening(lesson, runs):
    run = runs(lesson)
    assert not run.dirty_after_open, (
        f"{lesson}: JupyterLab marks the freshly opened notebook as modified (jp-mod-dirty on "
        f"{run.dirty_after_open}) before the learner typed anything, so closing it asks to save "
        "changes. Typically the notebook's metadata differs from what the kernel reports "
        "(e.g. a minimal language_info that JupyterLab replaces with the kernel's)."
    )


@pytest.mark.parametrize("lesson", LESSONS)
def test_run_all_cells_runs_every_code_cell_without_an_error(lesson, runs):
    run = runs(lesson)
    assert len(run.cells) == len(run.sources), "the page shows a different number of cells than the file"
    errors = [
        f"{_where(run, i)}: {o['text'][:400]}"
        for i, c in enumerate(run.cells)
        for o in c["outputs"]
        if o["mime"] == ERROR_MIME
    ]
    assert not errors, "error outputs in the page:\n" + "\n".join(errors)
    not_run = [
        _where(run, i)
        for i, c in enumerate(run.cells)
        if c["type"] == "code" and run.sources[i][1].strip() and not re.search(r"\[\d+\]", c["prompt"])
    ]
    assert not not_run, "code cells Run All Cells did not execute: " + ", ".join(not_run)


@pytest.mark.parametrize("lesson", LESSONS)
def test_code_cells_wrap_long_lines(lesson, runs):
    """make setup installs tools/lab/overrides.json (lineWrap) into the course's JupyterLab: a
    code line longer than the column stays readable instead of running off the right edge."""
    run = runs(lesson)
    unwrapped = [
        _where(run, i) for i, c in enumerate(run.cells) if c["type"] == "code" and not c.get("wraps")
    ]
    assert not unwrapped, (
        "code cells whose editor does not wrap long lines (is "
        ".venv/share/jupyter/lab/settings/overrides.json missing? run make setup): "
        + ", ".join(unwrapped[:5])
    )


@pytest.mark.parametrize("lesson", LESSONS)
def test_no_notification_covers_the_lesson(lesson, runs):
    """JupyterLab's first start asks, in a toast over the bottom right of the notebook, whether it
    may fetch Jupyter's news from the internet; tools/lab/overrides.json answers no (the course is
    offline by default), so the toast never covers a figure or a table."""
    run = runs(lesson)
    assert not run.toasts, f"notifications over the notebook: {run.toasts}"


@pytest.mark.parametrize("lesson", LESSONS)
def test_setup_cell_shows_no_stderr(lesson, runs):
    run = runs(lesson)
    setup = [i for i, (kind, src) in enumerate(run.sources) if kind == "code" and SETUP_MARK in src]
    assert setup, f"no setup cell ({SETUP_MARK!r}) in {lesson}"
    boxes = [o["text"] for o in run.cells[setup[0]]["outputs"] if o["mime"] == STDERR_MIME]
    assert not boxes, f"the setup cell shows a stderr box on the learner's first screen:\n{boxes}"


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_drawing_cell_shows_a_figure_inline(lesson, runs):
    run = runs(lesson)

    def uncommented(src: str) -> str:
        return "\n".join(line for line in src.splitlines() if not line.lstrip().startswith("#"))

    drawing = [
        i for i, (kind, src) in enumerate(run.sources) if kind == "code" and DRAWS.search(uncommented(src))
    ]
    assert drawing, f"{lesson} has no cell that draws: the pattern {DRAWS.pattern} is out of date"
    missing = [_where(run, i) for i in drawing if not any(o["imgs"] for o in run.cells[i]["outputs"])]
    assert not missing, (
        "cells that draw but show no <img> in the page (is MPLBACKEND set for the "
        "kernel?): " + ", ".join(missing)
    )


def test_a_slider_redraws_its_figure(runs):
    """Lesson 03's cu.plot_explorer: the slider is drawn (ipywidgets' JupyterLab side is
    installed) and one step of it redraws the figure under it, in place (still one figure)."""
    explorer = runs(EXPLORER_LESSON).explorer
    assert explorer.get("found"), f"{EXPLORER_LESSON} has no cu.plot_explorer cell any more"
    assert explorer.get("slider"), (
        "the cu.plot_explorer cell shows no slider in the page (is jupyterlab_widgets installed?); "
        f"it shows: {explorer.get('text')!r}"
    )
    assert explorer["readout"][0] != explorer["readout"][1], f"the slider did not move: {explorer}"
    assert explorer["image_changed"] and explorer["images"] == 1, (
        f"the figure was not redrawn in place: {explorer}"
    )


def test_grader_check_explains_a_wrong_answer_in_the_page(runs):
    run = runs("10_exercises")
    check = next(
        i
        for i, (kind, src) in enumerate(run.sources)
        if kind == "code" and 'grader.check("q4_schedule")' in src
    )
    shown = "\n".join(o["text"] for o in run.cells[check]["outputs"])
    for message in Q4_MESSAGES:
        assert message in shown, (
            f"grader.check('q4_schedule') on the off-by-one warm-up does not show "
            f"{message!r}; the page shows:\n{shown[:2000]}"
        )
    hidden = [m for m, visible in run.q4_visible.items() if not visible]
    assert not hidden, (
        f"grader.check('q4_schedule')'s explanation is in the page but not visible "
        f"without a click (collapsed?): {hidden}"
    )


@pytest.mark.parametrize("lesson", LESSONS)
def test_printed_lines_fit_the_output_column(lesson, runs):
    """A printed line wider than the output area is broken by the browser wherever it runs out of
    room, mid-word or mid-number ("training accu" / "racy"): at the course's 1280-pixel window,
    every line the lesson prints (claims, tables, progress) fits."""
    run = runs(lesson)
    wide = [
        f"{_where(run, i)}: {o['columns']['longest']} characters where {o['columns']['fits']} fit: "
        f"{o['columns']['line']!r}"
        for i, c in enumerate(run.cells)
        for o in c["outputs"]
        if o.get("columns") and o["columns"]["longest"] > o["columns"]["fits"]
    ]
    assert not wide, "printed lines the output area breaks:\n" + "\n".join(wide)


def test_review_questions_give_feedback_first_in_the_page(runs):
    """Lesson 01's review, answered with one right and one wrong answer: the check's verdict comes
    first, the wrong answer gets the right one and the section to re-read, rendered as HTML."""
    import course_utils as cu

    run = runs(REVIEW_LESSON)
    at = next(i for i, (kind, src) in enumerate(run.sources) if "cu.check_review(" in src)
    outputs = run.cells[at]["outputs"]
    assert [o["mime"] for o in outputs] == ["text/html"], outputs
    shown = " ".join(outputs[0]["text"].split())
    questions = cu.review_questions(REVIEW_LESSON).questions
    n = len(questions)
    assert shown.startswith(f"{REVIEW_LESSON}: 1 of {n} right ({n - 2} not answered yet)"), shown[:300]
    right = questions[1]
    assert "not quite" in shown and f"The answer is ({right.answer})" in shown, shown[:1500]
    assert "Re-read" in shown and "not answered yet" in shown, shown[:1500]
