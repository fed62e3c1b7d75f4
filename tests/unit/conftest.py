"""Shared fixtures for the unit tests of ``course_utils``.

* No test may download anything: the whole session runs with ``COURSE_OFFLINE=1`` and with
  Keras's ``urlretrieve`` replaced by a function that fails the test.
* The checks that need a fresh interpreter (Keras reads ``KERAS_HOME`` once, at import time;
  "importing course_utils does not touch matplotlib's rcParams") run in three subprocess
  "probes". Each imports TensorFlow (~5 s), so they are started together, in parallel, as soon as
  the session begins, and the tests that need them wait for their results.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import matplotlib  # noqa: E402

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
PROBE_MARKER = "@@PROBE-RESULT@@"
PROBE_TIMEOUT_S = 300


@pytest.fixture(autouse=True)
def _close_figures() -> Any:
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


# --------------------------------------------------------------------------------------------
# A fake Fashion-MNIST in the Keras cache layout (gzip'd IDX files).
# --------------------------------------------------------------------------------------------


def fake_fashion_arrays(n_train: int = 60, n_test: int = 20) -> dict[str, np.ndarray]:
    """Small uint8 images whose pixel [0, 0] identifies them; every class appears n/10 times.

    Train image k has pixel[0, 0] == 3 * k (unique for k < 86) and label k % 10; test image j
    has pixel[0, 0] == (3 * j + 1) and label (j * 7) % 10. The other pixels run over the whole
    0..255 range so that the /255 scaling is visible.
    """
    ramp = np.arange(28 * 28).reshape(28, 28)
    x_train = np.stack([(ramp + 3 * k) % 256 for k in range(n_train)]).astype(np.uint8)
    x_test = np.stack([(ramp * 5 + 3 * j + 1) % 256 for j in range(n_test)]).astype(np.uint8)
    return {
        "x_train": x_train,
        "y_train": (np.arange(n_train) % 10).astype(np.uint8),
        "x_test": x_test,
        "y_test": ((np.arange(n_test) * 7) % 10).astype(np.uint8),
    }


def _write_idx_labels(path: Path, labels: np.ndarray) -> None:
    header = np.array([2049, len(labels)], dtype=">i4").tobytes()  # 8 bytes
    with gzip.open(path, "wb") as f:
        f.write(header + labels.astype(np.uint8).tobytes())


def _write_idx_images(path: Path, images: np.ndarray) -> None:
    header = np.array([2051, len(images), 28, 28], dtype=">i4").tobytes()  # 16 bytes
    with gzip.open(path, "wb") as f:
        f.write(header + images.astype(np.uint8).tobytes())


def write_fake_fashion_mnist(keras_home: Path, arrays: dict[str, np.ndarray]) -> Path:
    folder = keras_home / "datasets" / "fashion-mnist"
    folder.mkdir(parents=True, exist_ok=True)
    _write_idx_labels(folder / "train-labels-idx1-ubyte.gz", arrays["y_train"])
    _write_idx_images(folder / "train-images-idx3-ubyte.gz", arrays["x_train"])
    _write_idx_labels(folder / "t10k-labels-idx1-ubyte.gz", arrays["y_test"])
    _write_idx_images(folder / "t10k-images-idx3-ubyte.gz", arrays["x_test"])
    return folder


# --------------------------------------------------------------------------------------------
# Subprocess probes.
# --------------------------------------------------------------------------------------------

# Common prologue: every download goes through a recording stub that fails like a blocked network.
_PROLOGUE = """
import contextlib, io, json, os, sys, urllib.error
out = {}
calls = []

def _blocked_urlretrieve(url, *args, **kwargs):
    calls.append(str(url))
    raise urllib.error.URLError("offline")

def _patch_network():
    from keras.src.utils import file_utils
    file_utils.urlretrieve = _blocked_urlretrieve

def _attempt(key, **kwargs):
    from course_utils import DatasetUnavailableError, load_dataset
    before = len(calls)
    entry = {}
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            load_dataset(**kwargs)
    except DatasetUnavailableError as exc:
        entry = {"error": "DatasetUnavailableError", "message": str(exc),
                 "cause": repr(exc.__cause__)}
    except Exception as exc:
        entry = {"error": type(exc).__name__, "message": str(exc)}
    else:
        entry = {"error": None}
    entry["calls"] = len(calls) - before
    out[key] = entry
"""

# Empty Keras cache, network blocked: also checks that importing course_utils leaves rcParams alone.
_OFFLINE_SCRIPT = (
    _PROLOGUE
    + """
import matplotlib
rc_before = matplotlib.rcParams.copy()
import course_utils
from course_utils.data import keras_cache_dir, main
rc_after = matplotlib.rcParams.copy()
out["rcparams_changed"] = sorted(
    k for k in set(rc_before) | set(rc_after) if rc_before.get(k) != rc_after.get(k))
_patch_network()
out["keras_cache_dir"] = str(keras_cache_dir())
out["course_offline_at_start"] = os.environ.get("COURSE_OFFLINE")
_attempt("no_download", name="fashion_mnist", download=False)
_attempt("download_fails", name="mnist", download=True)
_attempt("default_download_fails", name="mnist")
os.environ["COURSE_OFFLINE"] = "1"
_attempt("offline_env", name="mnist")
_attempt("offline_env_explicit_download", name="mnist", download=True)
del os.environ["COURSE_OFFLINE"]
stdout, stderr = io.StringIO(), io.StringIO()
before = len(calls)
with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
    rc = main(["download", "mnist"])
out["cli_download"] = {"rc": rc, "stdout": stdout.getvalue(), "stderr": stderr.getvalue(),
                       "calls": len(calls) - before}
"""
)

# Keras cache holding a fake Fashion-MNIST: loads it and saves the arrays for the parent.
_FASHION_SCRIPT = (
    _PROLOGUE
    + """
import numpy as np
_patch_network()
from course_utils import keras_cache_dir, load_dataset
out["keras_cache_dir"] = str(keras_cache_dir())
arrays = {}
for key, kwargs in {"default": {}, "half": {"val_fraction": 0.5}, "n20": {"n_train": 20}}.items():
    before = len(calls)
    d = load_dataset("fashion_mnist", download=False, **kwargs)
    out[key] = {"name": d.name, "class_names": list(d.class_names),
                "input_shape": list(d.input_shape), "num_classes": d.num_classes,
                "sizes": d.sizes, "calls": len(calls) - before}
    for split in ("train", "val", "test"):
        arrays[f"{key}_x_{split}"] = getattr(d, f"x_{split}")
        arrays[f"{key}_y_{split}"] = getattr(d, f"y_{split}")
np.savez(os.environ["PROBE_ARRAYS"], **arrays)
"""
)

_EPILOGUE = """
print({marker!r} + json.dumps(out), flush=True)
"""


class Probe:
    """A subprocess started at once; :meth:`result` waits for it and returns what it reported."""

    def __init__(
        self, name: str, argv: list[str], env: dict[str, str], workdir: Path, expects_json: bool
    ) -> None:
        self.name = name
        self.workdir = workdir
        self.expects_json = expects_json
        self._stdout_path = workdir / f"{name}.stdout"
        self._stderr_path = workdir / f"{name}.stderr"
        self._files = (self._stdout_path.open("w"), self._stderr_path.open("w"))
        self._proc = subprocess.Popen(
            argv,
            env=env,
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            stdout=self._files[0],
            stderr=self._files[1],
        )
        self._result: dict[str, Any] | None = None

    def result(self) -> dict[str, Any]:
        if self._result is None:
            try:
                rc = self._proc.wait(timeout=PROBE_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
                pytest.fail(f"probe {self.name!r} did not finish in {PROBE_TIMEOUT_S} s")
            finally:
                for f in self._files:
                    f.close()
            stdout = self._stdout_path.read_text()
            stderr = self._stderr_path.read_text()
            res: dict[str, Any] = {"rc": rc, "stdout": stdout, "stderr": stderr}
            if self.expects_json:
                lines = [ln for ln in stdout.splitlines() if ln.startswith(PROBE_MARKER)]
                if rc != 0 or len(lines) != 1:
                    pytest.fail(
                        f"probe {self.name!r} failed (rc={rc}).\nstdout:\n{stdout}\nstderr:\n{stderr[-4000:]}"
                    )
                res["data"] = json.loads(lines[0][len(PROBE_MARKER) :])
            self._result = res
        return self._result


def _probe_env(keras_home: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("COURSE_OFFLINE", None)  # the probes decide about COURSE_OFFLINE themselves
    env.pop("COURSE_RESULTS_DIR", None)
    env.update(
        KERAS_HOME=str(keras_home),
        MPLBACKEND="Agg",
        TF_CPP_MIN_LOG_LEVEL="3",
        PYTHONDONTWRITEBYTECODE="1",
        CUDA_VISIBLE_DEVICES="",
    )
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def probes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Probe]:
    """Starts the three subprocess probes (in parallel) and returns them by name."""
    epilogue = _EPILOGUE.format(marker=PROBE_MARKER)
    started: dict[str, Probe] = {}

    # 1. Empty Keras cache, blocked network (+ the rcParams check).
    home = tmp_path_factory.mktemp("keras_home_empty")
    work = tmp_path_factory.mktemp("probe_offline")
    started["offline"] = Probe(
        "offline",
        [sys.executable, "-c", textwrap.dedent(_OFFLINE_SCRIPT) + epilogue],
        _probe_env(home),
        work,
        expects_json=True,
    )
    started["offline"].keras_home = home  # type: ignore[attr-defined]

    # 2. Keras cache with a fake Fashion-MNIST.
    arrays = fake_fashion_arrays()
    home = tmp_path_factory.mktemp("keras_home_fashion")
    write_fake_fashion_mnist(home, arrays)
    work = tmp_path_factory.mktemp("probe_fashion")
    out_npz = work / "arrays.npz"
    started["fashion"] = Probe(
        "fashion",
        [sys.executable, "-c", textwrap.dedent(_FASHION_SCRIPT) + epilogue],
        _probe_env(home, PROBE_ARRAYS=str(out_npz)),
        work,
        expects_json=True,
    )
    started["fashion"].keras_home = home  # type: ignore[attr-defined]
    started["fashion"].raw = arrays  # type: ignore[attr-defined]
    started["fashion"].arrays_path = out_npz  # type: ignore[attr-defined]

    # 3. The command line, `python -m course_utils.data list`, on its own cache with the fake
    #    Fashion-MNIST (so that "cached" and "not cached" both show up).
    home = tmp_path_factory.mktemp("keras_home_cli")
    write_fake_fashion_mnist(home, arrays)
    work = tmp_path_factory.mktemp("probe_cli")
    started["cli_list"] = Probe(
        "cli_list",
        [sys.executable, "-m", "course_utils.data", "list"],
        _probe_env(home),
        work,
        expects_json=False,
    )
    started["cli_list"].keras_home = home  # type: ignore[attr-defined]
    return started


@pytest.fixture(scope="session", autouse=True)
def _start_probes_early(request: pytest.FixtureRequest) -> None:
    """Starts the probes at the beginning of the session if any selected test needs them, so that
    they run while the in-process tests do."""
    if any("probes" in getattr(item, "fixturenames", ()) for item in request.session.items):
        request.getfixturevalue("probes")


# --------------------------------------------------------------------------------------------
# No network, ever. (Defined after _start_probes_early so that the probes start first.)
# --------------------------------------------------------------------------------------------


def _refuse_download(*args: Any, **kwargs: Any) -> None:
    raise AssertionError(f"A unit test tried to download something: urlretrieve{args!r}")


@pytest.fixture(scope="session", autouse=True)
def _no_downloads() -> Any:
    mp = pytest.MonkeyPatch()
    mp.setenv("COURSE_OFFLINE", "1")
    mp.delenv("COURSE_RESULTS_DIR", raising=False)
    from keras.src.utils import file_utils

    mp.setattr(file_utils, "urlretrieve", _refuse_download)
    yield
    mp.undo()
