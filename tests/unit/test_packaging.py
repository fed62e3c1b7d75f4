"""Packaging checks: pyproject.toml, environment.yml and the Makefile agree; the pins are exact and
installed; the public API is documented."""

from __future__ import annotations

import ast
import importlib.metadata as md
import inspect
import re
import tomllib
from pathlib import Path

import pytest
import yaml

import course_utils

REPO = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
ENVIRONMENT = yaml.safe_load((REPO / "environment.yml").read_text())
MAKEFILE = (REPO / "Makefile").read_text()

_REQ = re.compile(
    r"^\s*(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[(?P<extras>[^\]]*)\])?\s*"
    r"(?P<spec>.*)$"
)


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _parse(requirement: str) -> tuple[str, str, str]:
    """(normalized name, extras, version spec) of a PEP 508 requirement without markers."""
    m = _REQ.match(requirement)
    assert m, requirement
    return _norm(m["name"]), (m["extras"] or "").strip(), m["spec"].strip()


def _all_requirements() -> list[tuple[str, str]]:
    """(group, requirement) for the base dependencies and every extra."""
    project = PYPROJECT["project"]
    reqs = [("base", r) for r in project["dependencies"]]
    for extra, items in project.get("optional-dependencies", {}).items():
        reqs.extend((extra, r) for r in items)
    return reqs


def _pins() -> dict[str, str]:
    pins: dict[str, str] = {}
    for _, req in _all_requirements():
        name, _, spec = _parse(req)
        if spec.startswith("=="):
            pins.setdefault(name, spec[2:].strip())
    return pins


def _conda_deps() -> tuple[list[str], list[str]]:
    conda, pip = [], []
    for dep in ENVIRONMENT["dependencies"]:
        if isinstance(dep, dict):
            pip.extend(dep.get("pip", []))
        else:
            conda.append(str(dep))
    return conda, pip


def _makefile_default_extras() -> set[str]:
    m = re.search(r"^EXTRAS\s*\?=\s*(\S+)\s*$", MAKEFILE, re.MULTILINE)
    assert m, "the Makefile has no `EXTRAS ?=` default"
    return {e.strip() for e in m.group(1).split(",") if e.strip()}


# ---------------------------------------------------------------------------------------------
# environment.yml <-> pyproject.toml <-> Makefile
# ---------------------------------------------------------------------------------------------


#: The Python versions the course supports; the full suite runs on the first (the lessons'
#: committed kernel metadata is 3.11's), CI runs the unit tests and lint on the others.
SUPPORTED_PYTHONS = ("3.11", "3.12", "3.13")


def _requires_python_range() -> tuple[tuple[int, int], tuple[int, int]]:
    requires = PYPROJECT["project"]["requires-python"]
    lower = re.search(r">=\s*(\d+)\.(\d+)", requires)
    upper = re.search(r"<\s*(\d+)\.(\d+)", requires)
    assert lower and upper, requires
    return (int(lower[1]), int(lower[2])), (int(upper[1]), int(upper[2]))


def test_requires_python_is_exactly_the_supported_versions():
    (major, low), (upper_major, high) = _requires_python_range()
    assert major == upper_major == 3
    assert tuple(f"3.{m}" for m in range(low, high)) == SUPPORTED_PYTHONS


def test_classifiers_list_the_supported_versions():
    classifiers = PYPROJECT["project"]["classifiers"]
    listed = tuple(
        c.rsplit(" :: ", 1)[1]
        for c in classifiers
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    )
    assert listed == SUPPORTED_PYTHONS


def test_environment_python_matches_requires_python():
    conda, _ = _conda_deps()
    pythons = [d for d in conda if re.match(r"^python\s*[=<>]", d)]
    assert len(pythons) == 1, conda
    version = re.sub(r"^python\s*=+\s*", "", pythons[0])
    # conda / Binder get the version the whole suite runs on.
    assert version == SUPPORTED_PYTHONS[0]


def test_makefile_accepts_every_supported_python():
    m = re.search(r"sys\.version_info\[:2\] in (\(\([^\n]*?\)\))", MAKEFILE)
    assert m, "the Makefile's Python version check is missing"
    accepted = tuple(f"{a}.{b}" for a, b in ast.literal_eval(m.group(1)))
    assert accepted == SUPPORTED_PYTHONS


def test_environment_installs_the_package_with_the_makefile_extras():
    _, pip = _conda_deps()
    local = [p for p in pip if re.match(r"^(-e\s+)?\.(\[|$)", p.strip())]
    assert len(local) == 1, pip
    m = re.search(r"\[([^\]]*)\]", local[0])
    extras = {e.strip() for e in m.group(1).split(",")} if m else set()
    assert extras == _makefile_default_extras()
    assert extras <= set(PYPROJECT["project"]["optional-dependencies"])


def test_environment_pins_agree_with_pyproject():
    pins = _pins()
    conda, pip = _conda_deps()
    checked = []
    for dep in conda:
        m = re.match(r"^([A-Za-z0-9._-]+)\s*=+\s*([^\s=]+)", dep)
        if m and _norm(m[1]) not in {"python", "pip"}:
            checked.append((_norm(m[1]), m[2]))
    for dep in pip:
        if dep.strip().startswith(("-", ".")):
            continue
        name, _, spec = _parse(dep)
        if spec.startswith("=="):
            checked.append((name, spec[2:].strip()))
    for name, version in checked:
        assert name in pins, f"environment.yml pins {name}, which pyproject.toml does not declare"
        assert pins[name] == version, (name, version, pins[name])


def test_pip_is_the_only_other_conda_dependency():
    conda, _ = _conda_deps()
    names = {_norm(re.split(r"[=<>\s]", d)[0]) for d in conda}
    assert names == {"python", "pip"}


# ---------------------------------------------------------------------------------------------
# pins in pyproject.toml
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("group", "requirement"), _all_requirements(), ids=[f"{g}:{r}" for g, r in _all_requirements()]
)
def test_every_dependency_is_pinned_exactly(group, requirement):
    _, _, spec = _parse(requirement)
    assert re.fullmatch(r"==\s*[0-9][0-9A-Za-z.+!-]*", spec), (group, requirement)


def test_the_same_package_has_the_same_pin_everywhere():
    seen: dict[str, set[str]] = {}
    for _, req in _all_requirements():
        name, _, spec = _parse(req)
        seen.setdefault(name, set()).add(spec)
    assert {n: s for n, s in seen.items() if len(s) > 1} == {}


def test_one_tensorflow_distribution():
    project = PYPROJECT["project"]
    tf_like = [(g, r) for g, r in _all_requirements() if _parse(r)[0].startswith("tensorflow")]
    assert {_parse(r)[0] for _, r in tf_like} == {"tensorflow"}, tf_like
    base = [_parse(r) for r in project["dependencies"] if _parse(r)[0] == "tensorflow"]
    assert len(base) == 1 and base[0][1] == ""
    gpu = [_parse(r) for r in project["optional-dependencies"]["gpu"]]
    assert [(n, e) for n, e, _ in gpu] == [("tensorflow", "and-cuda")]
    assert gpu[0][2] == base[0][2]  # same version
    text = (REPO / "pyproject.toml").read_text()
    assert not re.search(r"""["']\s*tensorflow[-_](cpu|gpu)""", text)


@pytest.mark.parametrize("dist", ["tensorflow", "keras"])
def test_installed_versions_match_the_pins(dist):
    assert md.version(dist) == _pins()[dist]


def test_package_version_is_consistent():
    version = PYPROJECT["project"]["version"]
    assert course_utils.__version__ == version
    assert md.version(PYPROJECT["project"]["name"]) == version


# ---------------------------------------------------------------------------------------------
# the public API
# ---------------------------------------------------------------------------------------------

_PUBLIC = list(course_utils.__all__)
_DOCUMENTED = [
    n
    for n in _PUBLIC
    if inspect.isfunction(getattr(course_utils, n, None)) or inspect.isclass(getattr(course_utils, n, None))
]


def test_all_names_exist():
    assert len(_PUBLIC) == len(set(_PUBLIC))
    missing = [n for n in _PUBLIC if not hasattr(course_utils, n)]
    assert missing == []


@pytest.mark.parametrize(
    "module",
    [*course_utils.SUBMODULES, "grading", *(f"plotting.{m}" for m in course_utils.plotting.SUBMODULES)],
)
def test_submodule_all_names_exist(module):
    mod = __import__(f"course_utils.{module}", fromlist=["__all__"])
    assert [n for n in mod.__all__ if not hasattr(mod, n)] == []


def _takes_arguments(obj) -> bool:
    if inspect.isclass(obj):
        init = obj.__dict__.get("__init__") or next(
            (c.__dict__["__init__"] for c in obj.__mro__ if "__init__" in c.__dict__), None
        )
        if not inspect.isfunction(init):  # inherited from a builtin (e.g. an exception)
            return False
        params = list(inspect.signature(init).parameters.values())[1:]  # drop self
    else:
        params = list(inspect.signature(obj).parameters.values())
    return bool(params)


def _returns_something(obj) -> bool:
    ann = inspect.signature(obj).return_annotation
    return ann not in (None, "None", type(None))


@pytest.mark.parametrize("name", _DOCUMENTED)
def test_docstring_documents_arguments(name):
    obj = getattr(course_utils, name)
    if not _takes_arguments(obj):
        return
    doc = inspect.getdoc(obj) or ""
    assert "Args:" in doc or "Attributes:" in doc, name


@pytest.mark.parametrize("name", [n for n in _DOCUMENTED if inspect.isfunction(getattr(course_utils, n))])
def test_docstring_documents_return_value(name):
    obj = getattr(course_utils, name)
    doc = inspect.getdoc(obj) or ""
    if _returns_something(obj):
        assert "Returns:" in doc, name


@pytest.mark.parametrize(
    "name",
    _DOCUMENTED,
)
def test_docstring_has_an_example(name):
    doc = inspect.getdoc(getattr(course_utils, name)) or ""
    assert "Example" in doc, name


# ---------------------------------------------------------------------------------------------
# every imported package is declared
# ---------------------------------------------------------------------------------------------

#: Where the course's own Python code lives (the lessons import only what course_utils needs).
_CODE_DIRS = ("course_utils", "tools", "tests")


def _local_module_names() -> set[str]:
    """Top-level names that are the repository's own modules (tools/_common.py, tests' conftest,
    sibling test helpers imported through sys.path)."""
    names = {"course_utils"}
    for folder in _CODE_DIRS:
        for path in (REPO / folder).rglob("*.py"):
            names.add(path.stem)
    return names


def _imported_top_level_names() -> dict[str, set[str]]:
    """Third-party top-level module name -> files that import it."""
    import sys

    local = _local_module_names()
    found: dict[str, set[str]] = {}
    for folder in _CODE_DIRS:
        for path in (REPO / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if top not in sys.stdlib_module_names and top not in local:
                        found.setdefault(top, set()).add(str(path.relative_to(REPO)))
    return found


def test_every_imported_package_is_declared():
    declared = {_parse(req)[0] for _, req in _all_requirements()}
    providers = md.packages_distributions()
    undeclared = {}
    for module, files in sorted(_imported_top_level_names().items()):
        dists = {_norm(d) for d in providers.get(module, [])}
        assert dists, f"{module} (imported in {sorted(files)}) is not installed"
        if not dists & declared:
            undeclared[module] = (sorted(dists), sorted(files))
    assert undeclared == {}, "imported but not declared in pyproject.toml: " + repr(undeclared)
