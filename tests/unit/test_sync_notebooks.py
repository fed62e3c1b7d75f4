"""tools/sync_notebooks.py's assignment cache (``assign_once``): one otter assign per master
between the test suite's sync check and its exercise checks, a new one when the master changes.
otter itself is replaced by a stand-in that counts its runs (the real one runs in tests/lessons)."""

from __future__ import annotations

import shutil
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import sync_notebooks  # noqa: E402


def _counting_assign(monkeypatch) -> list[Path]:
    runs: list[Path] = []

    def fake_assign(master: Path, dest: Path) -> Path:  # like the real one: a fresh folder
        runs.append(dest)
        shutil.rmtree(dest, ignore_errors=True)
        (dest / "autograder").mkdir(parents=True)
        (dest / "autograder" / "demo.zip").write_bytes(master.read_bytes())
        return dest

    monkeypatch.setattr(sync_notebooks, "assign", fake_assign)
    return runs


def test_the_same_master_is_assigned_once_and_a_changed_one_again(tmp_path, monkeypatch):
    runs = _counting_assign(monkeypatch)
    master = tmp_path / "01_demo.ipynb"
    master.write_text('{"cells": []}')
    cache = tmp_path / "cache"
    first = sync_notebooks.assign_once(master, cache)
    assert sync_notebooks.assign_once(master, cache) == first and len(runs) == 1
    master.write_text('{"cells": [], "changed": true}')
    second = sync_notebooks.assign_once(master, cache)
    assert second != first and len(runs) == 2
    assert (second / "autograder" / "demo.zip").read_text() == master.read_text()


def test_an_interrupted_assignment_is_made_again(tmp_path, monkeypatch):
    runs = _counting_assign(monkeypatch)
    master = tmp_path / "01_demo.ipynb"
    master.write_text('{"cells": []}')
    dest = sync_notebooks.assign_once(master, tmp_path / "cache")
    (dest / ".complete").unlink()  # as if the process had stopped between assign and the mark
    assert sync_notebooks.assign_once(master, tmp_path / "cache") == dest and len(runs) == 2


def test_concurrent_callers_wait_for_one_assignment(tmp_path, monkeypatch):
    runs = _counting_assign(monkeypatch)
    master = tmp_path / "01_demo.ipynb"
    master.write_text('{"cells": []}')
    results: list[Path] = []
    threads = [
        threading.Thread(target=lambda: results.append(sync_notebooks.assign_once(master, tmp_path / "c")))
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1 and len(runs) == 1
