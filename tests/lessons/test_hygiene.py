"""Static checks on the committed notebooks: no outputs, one parameters cell, Keras 3 only,
lesson skeleton present, learner versions in sync with solutions/, hidden tests kept hidden."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from _common import appendix_notebooks
from conftest import NOTEBOOKS, ROOT, SOLUTIONS, lesson_notebooks

LEARNER = lesson_notebooks(NOTEBOOKS)
MASTERS = lesson_notebooks(SOLUTIONS)
#: The appendices (A1_*.ipynb): no exercises, so not held to the lesson skeleton, but to every
#: other rule of the committed notebooks.
APPENDICES = appendix_notebooks(NOTEBOOKS) + appendix_notebooks(SOLUTIONS)
ALL = LEARNER + MASTERS + APPENDICES
ids = lambda paths: [f"{p.parent.name}/{p.name}" for p in paths]  # noqa: E731

# Removed or broken in Keras 3 (see CURRICULUM.md, "Current Keras only").
KERAS2_PATTERNS = {
    "Keras-2 optimizer internals": r"_resource_apply_dense|_resource_apply_sparse|_create_slots",
    "`lr=` (use learning_rate=)": r"(?<![\w])lr\s*=",
    "`optimizer.lr` (use optimizer.learning_rate)": r"\.optimizer\.lr\b|\boptimizer\.lr\b",
    "`decay=` on an optimizer": r"(?<![\w])decay\s*=",
    "HDF5 model checkpoints (use .keras)": r"\.h5[\"']",
    "ImageDataGenerator (use preprocessing layers)": r"ImageDataGenerator",
    "keras.wrappers.scikit_learn": r"keras\.wrappers",
    "input_shape= on a layer (use keras.Input)": r"layers\.\w+\([^)]*input_shape\s*=",
    "TensorFlow Addons": r"tensorflow_addons|tfa\.",
}


def test_there_is_at_least_one_lesson():
    assert LEARNER and MASTERS
    assert [p.name for p in LEARNER] == [p.name for p in MASTERS], "every lesson needs both versions"
    assert [p.name for p in appendix_notebooks(NOTEBOOKS)] == [
        p.name for p in appendix_notebooks(SOLUTIONS)
    ], "every appendix needs both versions"


@pytest.mark.parametrize("path", ALL, ids=ids(ALL))
def test_committed_without_outputs(path: Path):
    nb = nbformat.read(path, as_version=4)
    dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert not dirty, f"{path.name}: cells {dirty} carry outputs; run `make notebooks` or clear outputs"


@pytest.mark.parametrize("path", ALL, ids=ids(ALL))
def test_exactly_one_parameters_cell(path: Path):
    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    tree = ast.parse(tagged[0].source)
    assert all(isinstance(node, ast.Assign) for node in tree.body), "parameters cell: assignments only"


@pytest.mark.parametrize("path", ALL, ids=ids(ALL))
def test_no_keras2_patterns_and_no_star_imports(path: Path):
    nb = nbformat.read(path, as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    for what, pattern in KERAS2_PATTERNS.items():
        assert not re.search(pattern, code), f"{path.name} uses {what}"
    assert not re.search(r"^\s*from\s+\S+\s+import\s+\*", code, re.M), f"{path.name} has a star import"


def test_course_utils_has_no_keras2_patterns():
    for py in (ROOT / "course_utils").glob("*.py"):
        text = py.read_text()
        for what, pattern in KERAS2_PATTERNS.items():
            assert not re.search(pattern, text), f"{py.name} uses {what}"


@pytest.mark.parametrize("path", LEARNER, ids=ids(LEARNER))
def test_lesson_skeleton(path: Path):
    nb = nbformat.read(path, as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# "), "starts with a title"
    for part in ("Difficulty", "Time", "Prerequisites", "Learning objectives", "Key takeaways", "Your turn"):
        assert part in text, f"{path.name} lacks a '{part}' section"
    assert re.search(r"\]\(\d\d_\w+\.ipynb\)", text), "links to the neighbouring lessons"
    assert any("grader.check(" in c.source for c in nb.cells), "has auto-checked exercises"
    assert any("nbval-check-output" in c.metadata.get("tags", []) for c in nb.cells), (
        "at least one deterministic cell is marked for nbval comparison"
    )


@pytest.mark.parametrize("path", appendix_notebooks(NOTEBOOKS), ids=ids(appendix_notebooks(NOTEBOOKS)))
def test_appendix_skeleton(path: Path):
    """An appendix starts with a title and the lesson header, links to the lessons, records what it
    shows (``cu.LessonRecorder`` named after it) and has no exercises to check."""
    nb = nbformat.read(path, as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# "), "starts with a title"
    for part in ("Difficulty", "Time", "Prerequisites", "Previous", "Next"):
        assert part in text, f"{path.name} lacks a '{part}' entry"
    assert re.search(r"\]\(\d\d_\w+\.ipynb\)", text), "links to the lessons"
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert f'cu.LessonRecorder("{path.stem}"' in code
    assert "grader.check(" not in code and "BEGIN QUESTION" not in nbformat.writes(nb)


def test_learner_notebooks_are_in_sync_with_solutions(tmp_path, assign_cache):
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tools" / "sync_notebooks.py"),
            "--check",
            "--build",
            str(tmp_path),
            "--assign-cache",
            str(assign_cache),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("path", LEARNER, ids=ids(LEARNER))
def test_hidden_tests_do_not_reach_learners(path: Path):
    learner = nbformat.read(path, as_version=4)
    master = nbformat.read(SOLUTIONS / path.name, as_version=4)
    hidden_names = re.findall(
        r"hidden:\s*true\s*\n\"\"\"\s*#\s*END TEST CONFIG\s*\ndef (\w+)",
        "\n".join(c.source for c in master.cells),
        flags=re.I,
    )
    assert hidden_names, "the master defines hidden tests"
    blob = nbformat.writes(learner)
    for name in hidden_names:
        assert name not in blob, f"hidden test {name} leaked into {path.name}"
    assert "hidden=True" not in blob
    # and solutions are stripped
    assert "# BEGIN SOLUTION" not in blob and "# END SOLUTION" not in blob


@pytest.mark.parametrize("path", ALL, ids=ids(ALL))
def test_every_code_cell_is_valid_python(path: Path):
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        source = "\n".join(
            line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!"))
        )
        try:
            ast.parse(source)
        except SyntaxError as err:
            pytest.fail(f"{path.name} cell {i} has a syntax error: {err}")


def test_learner_notebooks_open_unmodified():
    """JupyterLab writes the running kernel's ``kernelspec`` and ``language_info`` into a notebook
    as soon as it opens it; unless the committed metadata is already exactly that, every lesson
    is marked modified on opening (closing asks to save, `git status` shows a change)."""
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3")
    try:
        info = kc.kernel_info(reply=True, timeout=60)["content"]["language_info"]
        spec = km.kernel_spec
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    for path in LEARNER + appendix_notebooks(NOTEBOOKS):
        meta = nbformat.read(path, as_version=4).metadata
        assert dict(meta.kernelspec) == {
            "display_name": spec.display_name,
            "language": spec.language,
            "name": "python3",
        }, path.name
        committed = dict(meta.language_info)
        if committed.get("version") != info["version"]:
            pytest.skip(
                f"this kernel runs Python {info['version']}; the lessons are committed for "
                f"{committed.get('version')} (tools/sync_notebooks.py LANGUAGE_INFO)"
            )
        assert committed == info, f"{path.name}: language_info {committed} != the kernel's {info}"


# ---- GPU-scale parameters (run_lessons.py --gpu-scale, the GPU workflow) ------------------------


def _rendered(value) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "(" + ", ".join(_rendered(v) for v in value) + ")"
    return repr(value)


@pytest.mark.parametrize("master", lesson_notebooks(SOLUTIONS), ids=lambda p: p.stem)
def test_gpu_parameters_exist_and_match_what_the_parameters_cell_suggests(master):
    """Each master's metadata holds the GPU-scale setting its parameters markdown suggests
    ("On a GPU, try `DATASET = ...`"): the same names and values, and every name is a parameter."""
    nb = nbformat.read(master, as_version=4)
    gpu = nb.metadata.get("course", {}).get("gpu_parameters")
    assert gpu, f"{master.name}: no course.gpu_parameters in the metadata"
    cells = nb.cells
    index = next(i for i, c in enumerate(cells) if "parameters" in c.metadata.get("tags", []))
    names = {t.id for node in ast.parse(cells[index].source).body if isinstance(node, ast.Assign)
             for t in node.targets if isinstance(t, ast.Name)}  # fmt: skip
    prose = cells[index - 1].source
    assert "GPU" in prose, f"{master.name}: the markdown above the parameters cell suggests no GPU setting"
    for name, value in gpu.items():
        assert name in names, f"{master.name}: gpu_parameters names {name}, which is not a parameter"
        assert f"`{name} = {_rendered(value)}`" in prose, (
            f"{master.name}: gpu_parameters {name} = {value!r} is not what the parameters markdown "
            f"suggests (expected `{name} = {_rendered(value)}` in it)"
        )
