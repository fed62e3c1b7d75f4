"""Generate the learner notebooks (notebooks/) and the autograders from the instructor versions.

solutions/NN_*.ipynb is the single source of truth: each is an Otter Assign master notebook
(lesson + solutions + tests). This tool runs ``otter assign`` on each into build/assign/, then

* writes the learner version (solutions and hidden tests removed) to notebooks/, normalized
  (no outputs, stable cell ids) so that regenerating it gives byte-identical files;
* copies the autograder zip to build/autograder/<lesson>-autograder.zip.

    python tools/sync_notebooks.py            # regenerate notebooks/ and the autograders
    python tools/sync_notebooks.py --check    # exit 1 if a committed learner notebook is stale

A learner notebook that has uncommitted edits (someone's work) is never overwritten unless
``--force`` is given.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    BUILD,
    NOTEBOOKS,
    ROOT,
    SOLUTIONS,
    course_notebooks,
    is_appendix,
    use_this_python_for_kernels,
)

KEEP_NB_METADATA = ("kernelspec", "language_info", "otter")
#: What JupyterLab writes into a notebook once its kernel starts. Committed in full, so that opening
#: a lesson changes nothing (no "modified" mark, no diff in git) for a learner on the course's Python.
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
LANGUAGE_INFO = {
    "codemirror_mode": {"name": "ipython", "version": 3},
    "file_extension": ".py",
    "mimetype": "text/x-python",
    "name": "python",
    "nbconvert_exporter": "python",
    "pygments_lexer": "ipython3",
    "version": "3.11.7",
}
KEEP_CELL_METADATA = ("tags", "editable", "deletable")


def normalize(nb: nbformat.NotebookNode, stem: str) -> nbformat.NotebookNode:
    """Strip outputs and volatile metadata; give cells stable ids."""
    nb.metadata = nbformat.NotebookNode({k: nb.metadata[k] for k in KEEP_NB_METADATA if k in nb.metadata})
    nb.metadata.kernelspec = nbformat.NotebookNode(KERNELSPEC)
    nb.metadata.language_info = nbformat.from_dict(LANGUAGE_INFO)
    for i, cell in enumerate(nb.cells):
        cell.id = f"{stem[:40]}-{i:03d}".replace(".", "-")
        cell.metadata = nbformat.NotebookNode(
            {k: cell.metadata[k] for k in KEEP_CELL_METADATA if k in cell.metadata}
        )
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nb.nbformat, nb.nbformat_minor = 4, 5
    return nb


def dumps(nb: nbformat.NotebookNode) -> str:
    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"


def assign(master: Path, dest: Path) -> Path:
    """Run otter assign on ``master`` into ``dest``; return the dest folder."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [sys.executable, "-m", "otter", "assign", "--no-run-tests", "--no-pdfs", str(master), str(dest)],
        capture_output=True,
        text=True,
        cwd=master.parent,
    )
    if proc.returncode != 0:
        raise SystemExit(f"otter assign failed on {master.relative_to(ROOT)}:\n{proc.stdout}\n{proc.stderr}")
    return dest


def assign_once(master: Path, cache: Path) -> Path:
    """Like :func:`assign`, into ``cache/<stem>-<key>``, unless that folder is already complete.

    The key hashes the master, this file and otter's version: an assignment made from the same
    three is the same, so the test suite's sync check and its exercise checks (in different
    pytest-xdist workers) assign each master once between them. A lock per master makes a second
    process wait for the first instead of assigning it again.
    """
    import otter

    key = hashlib.sha256(master.read_bytes() + Path(__file__).read_bytes() + otter.__version__.encode())
    dest = cache / f"{master.stem}-{key.hexdigest()[:16]}"
    complete = dest / ".complete"
    if complete.exists():
        return dest
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / f"{master.stem}.lock", "w") as lock:
        try:
            import fcntl

            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        except ImportError:  # Windows: no lock; a second process assigns again
            pass
        if not complete.exists():
            assign(master, dest)
            complete.touch()
    return dest


def learner_version(master: Path, assign_root: Path, cache: Path | None = None) -> tuple[str, Path]:
    """Return (normalized learner notebook text, autograder folder) for one master. An appendix
    has no questions: its learner version is the master, normalized (no otter run, no autograder).
    With ``cache``, an assignment already made there from the same master is reused
    (:func:`assign_once`)."""
    if is_appendix(master):
        text = dumps(normalize(nbformat.read(master, as_version=4), master.stem))
        return text, assign_root / master.stem / "autograder"
    dest = assign_once(master, cache) if cache else assign(master, assign_root / master.stem)
    student = nbformat.read(dest / "student" / master.name, as_version=4)
    return dumps(normalize(student, master.stem)), dest / "autograder"


def has_local_edits(path: Path) -> bool:
    """True if ``path`` differs from git's HEAD (or git cannot tell)."""
    try:
        tracked = (
            subprocess.run(
                ["git", "ls-files", "--error-unmatch", str(path)], cwd=ROOT, capture_output=True
            ).returncode
            == 0
        )
        if not tracked:
            return path.exists()
        return subprocess.run(["git", "diff", "--quiet", "HEAD", "--", str(path)], cwd=ROOT).returncode != 0
    except FileNotFoundError:
        return path.exists()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="only report stale learner notebooks")
    parser.add_argument("--force", action="store_true", help="overwrite learner notebooks with local edits")
    parser.add_argument("--only", nargs="*", help="lesson prefixes, e.g. 01")
    parser.add_argument("--build", type=Path, default=BUILD, help="build folder (default: build/)")
    parser.add_argument(
        "--assign-cache",
        type=Path,
        help="reuse the otter assignments in this folder made from the same masters (the tests' cache)",
    )
    args = parser.parse_args(argv)
    use_this_python_for_kernels()

    stale, refused = [], []
    for master in course_notebooks(SOLUTIONS, args.only):
        text, ag_dir = learner_version(master, args.build / "assign", args.assign_cache)
        target = NOTEBOOKS / master.name
        zips = sorted(ag_dir.glob("*.zip")) if ag_dir.exists() else []
        if zips:
            out = args.build / "autograder" / f"{master.stem}-autograder.zip"
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(zips[-1], out)
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current == text:
            print(f"  {target.relative_to(ROOT)}: up to date")
            continue
        if args.check:
            stale.append(target.relative_to(ROOT))
            continue
        if current is not None and has_local_edits(target) and not args.force:
            refused.append(target.relative_to(ROOT))
            continue
        target.write_text(text, encoding="utf-8")
        print(f"  {target.relative_to(ROOT)}: regenerated from {master.relative_to(ROOT)}")

    if stale:
        print(
            "\nThese learner notebooks are out of date with solutions/: "
            + ", ".join(map(str, stale))
            + "\nRun `make notebooks` (python tools/sync_notebooks.py) and commit the result.",
            file=sys.stderr,
        )
        return 1
    if refused:
        print(
            "\nNot overwritten because they have uncommitted edits (possibly a learner's work): "
            + ", ".join(map(str, refused))
            + "\nCommit or stash them, or rerun with --force to discard them.",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
