"""tools/gpu_check.py (`make gpu-check`) on a machine without a GPU: it says so and exits 1.

Cheap: with no visible GPU the check stops right after asking TensorFlow for its devices (one
TensorFlow import in a subprocess, ~10 s); it trains nothing. The GPU path runs in the GPU
workflow (.github/workflows/gpu.yml)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_without_a_gpu_it_says_so_and_exits_1(tmp_path):
    out = tmp_path / "gpu_check.json"
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    proc = subprocess.run(
        [sys.executable, str(REPO / "tools" / "gpu_check.py"), "--out", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        cwd=REPO,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "No GPU: TensorFlow sees no GPU" in proc.stdout, proc.stdout
    assert "make setup GPU=1" in proc.stdout  # says what to do about it
    assert "TensorFlow 2." in proc.stdout
    assert not out.exists()  # nothing was measured


def test_bad_arguments_exit_2():
    proc = subprocess.run(
        [sys.executable, str(REPO / "tools" / "gpu_check.py"), "--epochs", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert proc.returncode == 2
    assert "--epochs" in proc.stderr
