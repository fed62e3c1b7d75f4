"""Fixtures for the real-browser stage: the course's own JupyterLab on 127.0.0.1, driven by
headless Chromium through Playwright.

* ``browser``: a headless Chromium. When Chromium or Playwright is missing the stage is SKIPPED
  with the reason and how to install them, except under ``CI=true``, where it FAILS.
* ``lab``: ``jupyter lab`` from this virtual environment, serving a temporary folder, on a free
  port with a random token, with Jupyter's config/data/runtime folders (and IPython's) isolated
  in that temporary folder so that nobody's own settings change what the test sees. Its
  environment has no ``MPLBACKEND`` (kernels must draw inline, as for a learner). The server
  and every process it started (the kernels) are stopped at the end, whatever happened.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from browser_env import (  # noqa: E402
    _NOT_RUN,
    CHROMIUM_ARGS,
    INSTALL_HINT,
    OUT,
    SUMMARY,
    chromium_path,
    missing_browser,
    skip_or_fail,
)

# isort: split
from _common import NOTEBOOKS, quick_parameters  # noqa: E402  (browser_env puts tools/ on sys.path)


def pytest_terminal_summary(terminalreporter):
    if SUMMARY:
        terminalreporter.write_sep("-", f"browser stage (screenshots and report.json in {OUT})")
        for line in SUMMARY:
            terminalreporter.write_line(line)
    if _NOT_RUN:
        terminalreporter.write_sep("!", "BROWSER STAGE SKIPPED", red=True, bold=True)
        terminalreporter.write_line(_NOT_RUN[0], red=True, bold=True)
        terminalreporter.write_line("!" * 78, red=True, bold=True)


@pytest.fixture(scope="session")
def browser():
    reason = missing_browser()
    if reason:
        skip_or_fail(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        try:
            chromium = p.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        except Exception as exc:  # noqa: BLE001 - a browser that does not start is a missing browser
            skip_or_fail(
                f"BROWSER STAGE NOT RUN: {chromium_path()} did not start under Playwright: "
                f"{exc}. {INSTALL_HINT}"
            )
        yield chromium
        chromium.close()


# ---- JupyterLab ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (kernels run in their own sessions, so a process-group kill
    would miss them), read from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


class Lab:
    """A running JupyterLab serving ``root``."""

    def __init__(self, root: Path, port: int, token: str, proc: subprocess.Popen, log: Path) -> None:
        self.root, self.port, self.token, self.proc, self.log = root, port, token, proc, log
        self.base = f"http://127.0.0.1:{port}"

    def url(self, notebook: str, workspace: str) -> str:
        """The address a learner opens; one workspace per lesson so that no lesson restores
        another's tabs (and starts its kernel)."""
        return f"{self.base}/lab/workspaces/{workspace}/tree/{notebook}?token={self.token}"

    def api(self, path: str, method: str = "GET") -> object:
        req = urllib.request.Request(
            f"{self.base}{path}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(req, timeout=10) as r:
            body = r.read()
        return json.loads(body) if body else None

    def prepare(self, lesson: str, edit=None) -> Path:
        """Copy the learner notebook ``lesson`` into the served folder at its quick parameters
        (papermill injects them without executing, as the grading tests do); ``edit(nb)`` may
        change the copy first (e.g. type a wrong answer into an exercise cell)."""
        import nbformat
        import papermill as pm

        target = self.root / f"{lesson}.ipynb"
        pm.execute_notebook(
            str(NOTEBOOKS / f"{lesson}.ipynb"),
            str(target),
            parameters=quick_parameters(lesson),
            prepare_only=True,
            progress_bar=False,
            kernel_name="python3",
        )
        nb = nbformat.read(target, as_version=4)
        if edit is not None:
            edit(nb)
        nbformat.write(nb, target)
        return target

    def stop(self) -> None:
        below = _descendants(self.proc.pid)
        if self.proc.poll() is None:
            try:  # the server shuts its kernels down itself
                self.api("/api/shutdown", method="POST")
            except (OSError, urllib.error.URLError):
                pass
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
        for pid in [self.proc.pid, *below]:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass


def lab_environment(home: Path) -> dict[str, str]:
    """The server's environment: this venv first on PATH (its kernels run this Python), Jupyter's
    and IPython's folders isolated, no MPLBACKEND, nothing that makes a lesson write results."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "MPLBACKEND",
            "COURSE_RESULTS_DIR",
            "JUPYTER_PATH",
            "JUPYTER_CONFIG_PATH",
            "PYTHONPATH",
            "JUPYTER_PREFER_ENV_PATH",
        }
    }
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    for var, sub in (
        ("JUPYTER_CONFIG_DIR", "config"),
        ("JUPYTER_DATA_DIR", "data"),
        ("JUPYTER_RUNTIME_DIR", "runtime"),
        ("IPYTHONDIR", "ipython"),
        ("JUPYTERLAB_SETTINGS_DIR", "lab-settings"),
        ("JUPYTERLAB_WORKSPACES_DIR", "lab-workspaces"),
    ):
        env[var] = str(home / sub)
        (home / sub).mkdir(parents=True, exist_ok=True)
    # No setting of its own: what the learner's `make lab` shows, the course's overrides.json
    # included (it turns off the Jupyter news toast; test_no_notification_covers_the_lesson).
    return env


@pytest.fixture(scope="session")
def lab(browser, tmp_path_factory):
    root = tmp_path_factory.mktemp("lab-root")
    home = tmp_path_factory.mktemp("lab-home")
    port, token = free_port(), secrets.token_hex(16)
    cmd = [
        str(Path(sys.executable).parent / "jupyter"),
        "lab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
    ]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    log = home / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            cmd,
            cwd=root,
            env=lab_environment(home),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Lab(root, port, token, proc, log)
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(f"jupyter lab exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
            try:
                server.api("/api/status")
                break
            except (OSError, urllib.error.URLError):
                if time.monotonic() > deadline:
                    pytest.fail(f"jupyter lab did not answer within 120 s:\n{log.read_text()[-3000:]}")
                time.sleep(0.5)
        yield server
    finally:
        server.stop()
        OUT.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(log, OUT / "server.log")
