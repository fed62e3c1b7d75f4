"""Make otter's autograder zips Gradescope-ready: the grading image installs TensorFlow and
course_utils, pinned exactly as in pyproject.toml.

    python tools/gradescope.py                        # every zip in build/autograder/
    python tools/gradescope.py build/autograder/10_exercises-autograder.zip --out DIR
    make autograder                                   # builds the zips, then this

otter assign's zip builds a conda environment (``environment.yml``, Python 3.13) with otter only,
so on Gradescope every lesson's ``import course_utils`` (and TensorFlow) would fail. For each
zip this writes ``<out>/<lesson>-autograder.zip`` (default out: ``build/autograder/gradescope``)
with the same tests and otter files plus:

* ``course-utils/``: this repository's ``course_utils`` package with ``pyproject.toml``, README
  and LICENSE, so that the image installs the very code the notebooks were written against;
* ``environment.yml``: Python 3.11 and pip installing ``otter-grader[grading,plugins]`` and
  ``/autograder/source/course-utils[course]``, plus every pin of pyproject's dependencies and of
  its ``course`` extra spelled out (tensorflow==2.21.0, keras, numpy, ...);
* ``requirements.txt``: the same pins, for a platform that installs from a requirements file.

Gradescope runs ``setup.sh`` (which creates that environment) once when it builds the image, then
``run_autograder`` for each submission. tests/lessons/test_grading.py runs the zip's own
``run_otter.py`` in that directory layout (source/, submission/, results/) with this repository's
environment standing in for the image's.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import BUILD, ROOT  # noqa: E402

PACKAGE_DIR = "course-utils"  # inside the zip, i.e. /autograder/source/course-utils
PYTHON = "3.11"  # the version the whole course is tested on
OTTER_EXTRAS = "[grading,plugins]"  # what otter assign's own environment.yml installs


def pins() -> list[str]:
    """Every requirement of pyproject's dependencies and of its ``course`` extra, as written there."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    out = []
    for req in [*project["dependencies"], *project["optional-dependencies"]["course"]]:
        if req.split("==")[0].strip() == "otter-grader":
            req = req.replace("otter-grader", f"otter-grader{OTTER_EXTRAS}", 1)
        out.append(req)
    return out


def environment_yml() -> str:
    lines = [
        "name: otter-env",
        "channels:",
        "  - conda-forge",
        "dependencies:",
        f"  - python={PYTHON}",
        "  - pip",
        "  - pip:",
    ]
    lines += [f"      - {req}" for req in pins()]
    lines.append(f"      - /autograder/source/{PACKAGE_DIR}[course]")
    return "\n".join(lines) + "\n"


def package_files() -> dict[str, Path]:
    """{path inside the zip: file} of the course_utils package as pip installs it."""
    files = {
        f"{PACKAGE_DIR}/{name}": ROOT / name
        for name in ("pyproject.toml", "README.md", "LICENSE")
        if (ROOT / name).exists()
    }
    for f in sorted((ROOT / "course_utils").rglob("*")):
        if f.is_file() and "__pycache__" not in f.parts and f.suffix != ".pyc":
            files[f"{PACKAGE_DIR}/{f.relative_to(ROOT)}"] = f
    return files


def gradescope_zip(ag_zip: Path, out: Path) -> Path:
    """Write the Gradescope-ready copy of ``ag_zip`` into folder ``out``; return its path."""
    with zipfile.ZipFile(ag_zip) as z:
        names = z.namelist()
        config = next((n for n in names if n.endswith("otter_config.json")), None)
        if "run_autograder" not in names or config is None:
            raise SystemExit(
                f"{ag_zip} is not an otter autograder zip (no run_autograder / otter_config.json): "
                "build it with `make autograder`."
            )
        import json

        lesson = json.loads(z.read(config))["assignment_name"]
        out.mkdir(parents=True, exist_ok=True)
        target = out / f"{lesson}-autograder.zip"
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
            for info in z.infolist():
                if info.filename in ("environment.yml", "requirements.txt") or info.filename.startswith(
                    PACKAGE_DIR + "/"
                ):
                    continue
                new.writestr(info, z.read(info))
            new.writestr("environment.yml", environment_yml())
            new.writestr(
                "requirements.txt", "\n".join([*pins(), f"/autograder/source/{PACKAGE_DIR}[course]"]) + "\n"
            )
            for name, path in package_files().items():
                new.write(path, name)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "zips", nargs="*", type=Path, help="otter autograder zips (default: build/autograder/*.zip)"
    )
    parser.add_argument("--out", type=Path, default=BUILD / "autograder" / "gradescope")
    args = parser.parse_args(argv)
    zips = args.zips or sorted((BUILD / "autograder").glob("*.zip"))
    if not zips:
        print("No autograder zip in build/autograder/: run `make autograder` first.", file=sys.stderr)
        return 2
    for z in zips:
        print(gradescope_zip(z, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
