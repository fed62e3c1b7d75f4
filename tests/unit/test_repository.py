"""The repository's own files: the GitHub workflows are valid and run what .ci/run runs; the GPU
workflow targets the documented self-hosted runner; LICENSE and CONTRIBUTING.md are there.

The workflows are validated offline against GitHub's workflow schema as vendored by
check-jsonschema (`--builtin-schema vendor.github-workflows`)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
CI_RUN = (REPO / ".ci" / "run").read_text()
README = (REPO / "README.md").read_text()
CONTRIBUTING = (REPO / "CONTRIBUTING.md").read_text()
MAKEFILE = (REPO / "Makefile").read_text()
GPU_LABELS = ["self-hosted", "linux", "gpu"]


def _load(path: Path) -> dict:
    # PyYAML reads the key `on` as True (YAML 1.1); keep GitHub's meaning.
    data = yaml.safe_load(path.read_text())
    if True in data:
        data["on"] = data.pop(True)
    return data


def _steps(workflow: dict) -> list[tuple[str, dict]]:
    return [(job_id, step) for job_id, job in workflow["jobs"].items() for step in job.get("steps", [])]


def _commands(step: dict) -> list[str]:
    """The shell commands of a `run:` step, one per non-empty, non-comment line."""
    return [
        ln.strip() for ln in step.get("run", "").splitlines() if ln.strip() and not ln.strip().startswith("#")
    ]


def _ci_run_test_command() -> str:
    """The last command of .ci/run: the test command it runs after installing system packages."""
    lines = [ln.strip() for ln in CI_RUN.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    return lines[-1]


def test_there_are_a_cpu_and_a_gpu_workflow():
    assert {p.name for p in WORKFLOWS} >= {"ci.yml", "gpu.yml"}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_matches_githubs_schema(path: Path):
    proc = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ci_run_runs_the_readmes_test_command():
    command = _ci_run_test_command()
    assert command == "make test"
    assert re.search(r"^make test\s+# ", README, re.MULTILINE), "the README's Quick start names `make test`"


def test_cpu_workflow_runs_on_every_push_and_pull_request():
    triggers = _load(REPO / ".github" / "workflows" / "ci.yml")["on"]
    assert "push" in triggers and "pull_request" in triggers
    for event in ("push", "pull_request"):
        assert not (triggers[event] or {}).get("branches"), f"{event} is limited to some branches"


def test_cpu_workflow_calls_the_same_command_as_ci_run():
    workflow = _load(REPO / ".github" / "workflows" / "ci.yml")
    runs = [(job, cmd) for job, step in _steps(workflow) for cmd in _commands(step)]
    same = [
        (job, cmd)
        for job, cmd in runs
        if shlex.split(cmd) in (["bash", ".ci/run"], shlex.split(_ci_run_test_command()))
    ]
    assert same, f"no step of ci.yml runs `bash .ci/run` or `{_ci_run_test_command()}`: {runs}"
    job = workflow["jobs"][same[0][0]]
    # ... with CI=true (under it a skipped browser stage fails, as in the project's own CI), on the
    # Python the whole suite is run on, with a time limit.
    assert str(job.get("env", {}).get("CI", "")).lower() == "true"
    assert "3.11" in job["container"]["image"]
    assert job.get("timeout-minutes", 0) >= 60


def test_cpu_workflow_covers_every_supported_python():
    workflow = _load(REPO / ".github" / "workflows" / "ci.yml")
    text = yaml.safe_dump(workflow)
    requires = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["requires-python"]
    low, high = (int(m) for m in re.findall(r"3\.(\d+)", requires))
    for minor in range(low, high):
        assert f"3.{minor}" in text, f"ci.yml does not run on Python 3.{minor}"


def test_cpu_workflow_uploads_the_executed_notebooks_and_html():
    workflow = _load(REPO / ".github" / "workflows" / "ci.yml")
    uploads = [
        step
        for _, step in _steps(workflow)
        if str(step.get("uses", "")).startswith("actions/upload-artifact@")
    ]
    executed = [step for step in uploads if "build/executed/" in str(step["with"]["path"])]
    assert executed and "build/html/" in str(executed[0]["with"]["path"])
    assert executed[0].get("if") == "always()"  # also when a test failed: what did the lesson print?
    assert any("build/site/" in str(step["with"]["path"]) for step in uploads)


def test_gpu_workflow_triggers_and_runner():
    workflow = _load(REPO / ".github" / "workflows" / "gpu.yml")
    triggers = workflow["on"]
    assert "workflow_dispatch" in triggers
    assert "labeled" in triggers["pull_request"]["types"]
    assert triggers["schedule"] and all("cron" in s for s in triggers["schedule"])
    (job,) = workflow["jobs"].values()
    assert job["runs-on"] == GPU_LABELS
    assert "'gpu'" in job["if"]  # a pull request runs it only with the label
    commands = [cmd for _, step in _steps(workflow) for cmd in _commands(step)]
    assert "make test GPU=1" in commands
    assert "make gpu-check GPU=1" in commands
    # The GPU check runs first: without a GPU the job fails at once instead of testing on the CPU.
    assert commands.index("make gpu-check GPU=1") < commands.index("make test GPU=1")


def test_the_gpu_runner_and_its_host_are_documented():
    for label in GPU_LABELS:
        assert f"`{label}`" in CONTRIBUTING
    assert "NVIDIA driver" in CONTRIBUTING and "CUDA-capable" in CONTRIBUTING


def test_makefile_has_the_targets_the_workflows_and_contributing_name():
    for target in ("test", "unit", "lint", "gpu-check"):
        assert re.search(rf"^{re.escape(target)}:", MAKEFILE, re.MULTILINE), target
    assert re.search(r"^ifeq \(\$\(GPU\),1\)\nEXTRAS := \$\(EXTRAS\),gpu", MAKEFILE, re.MULTILINE)


def test_license_is_mit_as_pyproject_says():
    assert tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["license"] == "MIT"
    text = (REPO / "LICENSE").read_text()
    assert text.startswith("MIT License") and "The course authors" in text


def test_contributing_has_the_add_a_lesson_checklist():
    section = CONTRIBUTING.split("## Add a lesson", 1)[1].split("\n## ", 1)[0]
    for item in (
        "solutions/",
        "quick_parameters",
        "tools/sync_notebooks.py",
        "claim",
        "test_learner_view",
        "Hygiene",
        "site",
    ):
        assert item in section, item


# ---------------------------------------------------------------------------------------------
# pre-commit
# ---------------------------------------------------------------------------------------------

PRE_COMMIT = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())


def _pins() -> dict[str, str]:
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    return {
        name.split("[")[0].lower(): version
        for reqs in extras.values()
        for name, version in (req.split("==") for req in reqs)
    }


def _hook_repo(name: str) -> dict:
    (repo,) = [r for r in PRE_COMMIT["repos"] if r["repo"].rstrip("/").endswith(name)]
    return repo


def test_pre_commit_revisions_equal_the_pins():
    pins = _pins()
    assert _hook_repo("astral-sh/ruff-pre-commit")["rev"] == f"v{pins['ruff']}"
    assert _hook_repo("kynan/nbstripout")["rev"] == pins["nbstripout"]


def test_pre_commit_ruff_does_not_rewrite_code():
    hooks = _hook_repo("astral-sh/ruff-pre-commit")["hooks"]
    assert [h["id"] for h in hooks] == ["ruff-check"]
    assert not any("--fix" in h.get("args", []) for h in hooks)


def test_nbstripout_leaves_the_committed_notebooks_unchanged(tmp_path):
    """The hook with its arguments is a no-op on what is committed (no outputs, stable ids)."""
    (hook,) = _hook_repo("kynan/nbstripout")["hooks"]
    assert "--keep-id" in hook["args"]
    notebooks = sorted([*REPO.glob("solutions/*.ipynb"), *REPO.glob("notebooks/*.ipynb")])
    assert notebooks and all(re.search(hook["files"], str(p.relative_to(REPO))) for p in notebooks)
    copies = []
    for path in notebooks:
        copy = tmp_path / path.parent.name / path.name
        copy.parent.mkdir(exist_ok=True)
        copy.write_bytes(path.read_bytes())
        copies.append(copy)
    proc = subprocess.run(
        [sys.executable, "-m", "nbstripout", *hook["args"], *map(str, copies)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    changed = [
        str(p.relative_to(REPO)) for p, c in zip(notebooks, copies) if c.read_bytes() != p.read_bytes()
    ]
    assert changed == []


# ---- Binder ------------------------------------------------------------------------------------


def test_binder_environment_provides_the_root_environments_python_and_pip():
    binder = yaml.safe_load((REPO / "binder" / "environment.yml").read_text())
    root = yaml.safe_load((REPO / "environment.yml").read_text())
    python = [d for d in root["dependencies"] if isinstance(d, str) and d.startswith("python")]
    assert python and python[0] in binder["dependencies"]
    assert "pip" in binder["dependencies"]
    # repo2docker installs this file before the repository is copied: nothing may point at it
    assert not any(isinstance(d, dict) for d in binder["dependencies"]), binder


def test_binder_post_build_installs_the_package_and_the_lab_settings():
    post = REPO / "binder" / "postBuild"
    assert os.access(post, os.X_OK), "binder/postBuild must be executable"
    text = post.read_text()
    assert 'pip install --no-cache-dir -e ".[course]"' in text
    assert "tools/lab/overrides.json" in text and (REPO / "tools" / "lab" / "overrides.json").exists()
    proc = subprocess.run(["bash", "-n", str(post)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
