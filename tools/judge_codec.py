"""Data, never code: the format in which a sandboxed notebook hands its answers to the judge.

tools/grade.py runs a submission in a sandbox and decides its score in a separate, trusted
process (the *judge*) that runs the autograder's tests on what the sandbox handed back. This
module is that hand-back format: tagged JSON holding plain values only (None, bools, numbers,
text, lists, tuples, dicts, NumPy arrays of numeric dtypes, Keras models as ``.keras`` bytes,
objects of the course's own and Keras's classes as their public attributes, a learner function
as its name, an exception as its class name and message). No pickle, no code: :func:`decode`
builds plain Python values, loads models with ``safe_mode=True`` and rebuilds objects only of
allow-listed classes, so nothing the learner wrote runs in the judge.

The same file runs on both sides: its :func:`encode` and :func:`serve` inside the learner's
kernel (which may tamper with them: whatever comes back is only data, checked by :func:`decode`),
its :func:`decode` in the judge. Every limit below is enforced by the decoder.
"""

from __future__ import annotations

import base64
import json
import math
import os
import sys
from collections.abc import Callable
from typing import Any

MAX_DEPTH = 12  # nesting of containers
MAX_ITEMS = 200_000  # container entries in one message
MAX_ELEMENTS = 20_000_000  # array elements in one message
MAX_TEXT = 1_000_000  # characters of one string
MAX_MODEL_BYTES = 64 << 20  # one .keras file
MAX_MODEL_UNPACKED = 256 << 20  # the files inside one .keras zip, unpacked
MAX_INT_DIGITS = 400
BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")  # a np.random.Generator's engines
ARRAY_DTYPES = (
    "bool",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float16",
    "float32",
    "float64",
)
# Objects are rebuilt (class.__new__ plus their public attributes) only for classes from here.
TRUSTED_MODULES = ("course_utils.", "keras.")


class Unavailable:
    """What the judge puts where the sandbox handed back no usable value: any use of it fails
    the test with a message that says why."""

    def __init__(self, why: str) -> None:
        self.why = why[:300]

    def __repr__(self) -> str:
        return f"<not handed back: {self.why}>"

    def _fail(self, *_: Any, **__: Any) -> Any:
        raise AssertionError(f"This answer could not be graded: {self.why}.")

    __call__ = __getattr__ = __getitem__ = __iter__ = __len__ = __float__ = __int__ = _fail
    __lt__ = __le__ = __gt__ = __ge__ = __add__ = __sub__ = __mul__ = __truediv__ = _fail

    def __bool__(self) -> bool:
        return False


class Budget:
    """Counts what one message may still hold; ``spend`` raises ValueError past a limit."""

    def __init__(self) -> None:
        self.items, self.elements = MAX_ITEMS, MAX_ELEMENTS

    def spend(self, items: int = 0, elements: int = 0) -> None:
        self.items -= items
        self.elements -= elements
        if self.items < 0 or self.elements < 0:
            raise ValueError("more data than the grader accepts (a huge container or array)")


# ---- encoding (runs in the learner's kernel) -----------------------------------------------------


def _is_model(value: Any) -> bool:
    keras = sys.modules.get("keras")
    return keras is not None and isinstance(value, keras.Model)


def encode(value: Any, budget: Budget | None = None, depth: int = 0, tmpdir: str = "/tmp") -> dict[str, Any]:
    """``value`` as tagged JSON-ready data; what cannot be handed back becomes ``unavailable``."""
    import numpy as np

    budget = budget or Budget()
    try:
        if depth > MAX_DEPTH:
            raise ValueError("nested too deeply")
        budget.spend(items=1)
        if value is None:
            return {"t": "none"}
        if value is Ellipsis:
            return {"t": "ellipsis"}
        if isinstance(value, (bool, np.bool_)):
            return {"t": "bool", "v": bool(value)}
        if isinstance(value, (int, np.integer)):
            return {"t": "int", "v": str(int(value))}
        if isinstance(value, (float, np.floating)):
            return {"t": "float", "v": repr(float(value))}
        if isinstance(value, str):
            return {"t": "str", "v": value[:MAX_TEXT]}
        if isinstance(value, np.ndarray):
            if value.dtype.name not in ARRAY_DTYPES:
                raise ValueError(f"an array of dtype {value.dtype.name}")
            budget.spend(elements=int(value.size))
            return {
                "t": "array",
                "dtype": value.dtype.name,
                "shape": list(value.shape),
                "b64": base64.b64encode(np.ascontiguousarray(value).tobytes()).decode(),
            }
        if isinstance(value, np.random.Generator):  # its state, so both sides draw the same numbers
            name = type(value.bit_generator).__name__
            if name not in BIT_GENERATORS:
                raise ValueError(f"a random generator driven by {name}")
            return {
                "t": "rng",
                "bit_generator": name,
                "state": encode(value.bit_generator.state, budget, depth + 1, tmpdir),
            }
        if isinstance(value, (list, tuple)):
            return {
                "t": "list" if isinstance(value, list) else "tuple",
                "v": [encode(v, budget, depth + 1, tmpdir) for v in value],
            }
        if isinstance(value, dict):
            return {
                "t": "dict",
                "v": [
                    [encode(k, budget, depth + 1, tmpdir), encode(v, budget, depth + 1, tmpdir)]
                    for k, v in value.items()
                ],
            }
        if _is_model(value):
            if depth > 2:
                raise ValueError("a model nested inside another value")
            path = os.path.join(tmpdir, f"model-{os.getpid()}-{id(value)}.keras")
            value.save(path)
            with open(path, "rb") as fh:
                data = fh.read()
            os.unlink(path)
            return {"t": "model", "b64": base64.b64encode(data).decode()}
        if isinstance(value, type(encode)) or (callable(value) and isinstance(value, type)):
            return {"t": "callable", "name": str(getattr(value, "__name__", "?"))[:100]}
        if hasattr(np, "generic") and isinstance(value, np.generic):
            return encode(np.asarray(value), budget, depth, tmpdir)
        cls = type(value)
        attrs = getattr(value, "__dict__", None)
        if isinstance(attrs, dict) and str(cls.__module__).startswith(TRUSTED_MODULES):
            public = {k: v for k, v in attrs.items() if isinstance(k, str) and not k.startswith("_")}
            return {
                "t": "object",
                "cls": f"{cls.__module__}:{cls.__qualname__}",
                "attrs": {k: encode(v, budget, depth + 1, tmpdir) for k, v in public.items()},
            }
        raise ValueError(
            f"a {cls.__name__} (only plain values, arrays, Keras models and the course's objects "
            "can be graded)"
        )
    except ValueError as exc:
        return {"t": "unavailable", "why": str(exc)[:300]}
    except Exception as exc:  # noqa: BLE001 - e.g. a model that cannot be saved
        return {"t": "unavailable", "why": f"{type(exc).__name__}: {str(exc)[:200]}"}


def serve(request_path: str, response_path: str, namespace: dict[str, Any]) -> None:
    """Answer one judge request inside the kernel: ``values`` of names, or ``calls`` of the
    learner's functions on arguments the judge chose (with the arrays after the call, so that
    a function that modifies its inputs is seen doing so)."""
    with open(request_path, encoding="utf-8") as fh:
        request = json.load(fh)
    tmpdir = os.path.dirname(response_path)
    if request["op"] == "values":
        out: Any = {
            name: (encode(namespace[name], tmpdir=tmpdir) if name in namespace else {"t": "missing"})
            for name in request["names"]
        }
    else:
        out = []
        for call in request["calls"]:
            fn = namespace.get(call["name"])
            args, kwargs = decode(call["args"]), decode(call["kwargs"])
            try:
                result = encode(fn(*args, **kwargs), tmpdir=tmpdir)
            except Exception as exc:  # noqa: BLE001 - the learner's function raised: that is its answer
                result = {"t": "exception", "cls": type(exc).__name__[:60], "msg": str(exc)[:500]}
            out.append({"result": result, "args_after": encode([args, kwargs], tmpdir=tmpdir)})
    with open(response_path, "w", encoding="utf-8") as fh:
        json.dump(out, fh)


# ---- decoding (runs in the judge) ----------------------------------------------------------------


def _check(condition: bool, why: str) -> None:
    if not condition:
        raise ValueError(why)


def _load_model(data: bytes, tmpdir: str) -> Any:
    """A Keras model from ``.keras`` bytes, loaded with safe_mode=True after checking its size."""
    import io
    import tempfile
    import zipfile

    _check(len(data) <= MAX_MODEL_BYTES, "a model file over 64 MB")
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        _check(
            sum(i.file_size for i in z.infolist()) <= MAX_MODEL_UNPACKED,
            "a model file that unpacks to over 256 MB",
        )
    import keras

    fd, path = tempfile.mkstemp(suffix=".keras", dir=tmpdir)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        return keras.saving.load_model(path, safe_mode=True, compile=True)
    finally:
        os.unlink(path)


def _trusted_class(path: str) -> type:
    """The class ``module:qualname`` names, if objects of it may be rebuilt from data: a class of
    course_utils, or a Keras callback (History, EarlyStopping, ...), without a ``__del__`` (a
    rebuilt object runs no code of its own when it is collected). Raises ValueError otherwise."""
    import importlib

    module, _, qualname = path.partition(":")
    _check(
        module.startswith(TRUSTED_MODULES) and qualname and len(path) < 200, f"an object of class {path[:80]}"
    )
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        _check(part.isidentifier() and not part.startswith("_"), f"an object of class {path[:80]}")
        obj = getattr(obj, part)
    _check(isinstance(obj, type), f"{path[:80]} is not a class")
    _check(all("__del__" not in vars(k) for k in obj.__mro__[:-1]), f"an object of class {path[:80]}")
    if not module.startswith("course_utils."):
        import keras

        _check(
            issubclass(obj, keras.callbacks.Callback),
            f"an object of class {path[:80]} (not a Keras callback)",
        )
    return obj


def decode(
    obj: Any,
    budget: Budget | None = None,
    depth: int = 0,
    tmpdir: str | None = None,
    function: Callable[[str], Any] | None = None,
) -> Any:
    """The plain value that tagged data ``obj`` stands for. Raises ValueError for anything that is
    not exactly this module's format or over its limits (callers turn that into Unavailable).
    ``function(name)`` gives the stand-in for a learner function; ``tmpdir`` is where models are
    unpacked (None: models are not accepted)."""
    import numpy as np

    budget = budget or Budget()
    _check(depth <= MAX_DEPTH + 1, "data nested too deeply")
    _check(isinstance(obj, dict) and isinstance(obj.get("t"), str), "malformed data")
    budget.spend(items=1)
    t = obj["t"]
    keys = set(obj) - {"t"}
    rec = lambda v: decode(v, budget, depth + 1, tmpdir, function)  # noqa: E731
    if t in ("none", "ellipsis", "missing"):
        _check(not keys, "malformed data")
        return {"none": None, "ellipsis": Ellipsis, "missing": None}[t]
    if t == "bool":
        _check(keys == {"v"} and isinstance(obj["v"], bool), "malformed bool")
        return obj["v"]
    if t == "int":
        _check(
            keys == {"v"} and isinstance(obj["v"], str) and len(obj["v"]) <= MAX_INT_DIGITS, "malformed int"
        )
        return int(obj["v"])
    if t == "float":
        _check(keys == {"v"} and isinstance(obj["v"], str) and len(obj["v"]) <= 40, "malformed float")
        return float(obj["v"])
    if t == "str":
        _check(keys == {"v"} and isinstance(obj["v"], str) and len(obj["v"]) <= MAX_TEXT, "malformed text")
        return obj["v"]
    if t == "array":
        _check(
            keys == {"dtype", "shape", "b64"}
            and obj["dtype"] in ARRAY_DTYPES
            and isinstance(obj["b64"], str)
            and isinstance(obj["shape"], list)
            and len(obj["shape"]) <= 32
            and all(
                isinstance(n, int) and not isinstance(n, bool) and 0 <= n <= MAX_ELEMENTS
                for n in obj["shape"]
            ),
            "malformed array",
        )
        size = math.prod(obj["shape"])
        budget.spend(elements=size)
        dtype = np.dtype(obj["dtype"])
        _check(
            len(obj["b64"]) <= 4 * (size * dtype.itemsize + 2) // 3 + 4,
            "an array whose data is not its shape",
        )
        raw = base64.b64decode(obj["b64"], validate=True)
        _check(len(raw) == size * dtype.itemsize, "an array whose data is not its shape")
        return np.frombuffer(raw, dtype=dtype).reshape(obj["shape"]).copy()
    if t == "rng":
        _check(
            keys == {"bit_generator", "state"} and obj["bit_generator"] in BIT_GENERATORS,
            "malformed generator",
        )
        state = rec(obj["state"])
        _check(
            isinstance(state, dict) and state.get("bit_generator") == obj["bit_generator"],
            "malformed generator",
        )
        engine = getattr(np.random, obj["bit_generator"])()
        try:
            engine.state = state
        except (TypeError, KeyError, OverflowError) as exc:
            raise ValueError(f"malformed generator state ({type(exc).__name__})") from None
        return np.random.Generator(engine)
    if t in ("list", "tuple"):
        _check(keys == {"v"} and isinstance(obj["v"], list), f"malformed {t}")
        items = [rec(v) for v in obj["v"]]
        return items if t == "list" else tuple(items)
    if t == "dict":
        _check(
            keys == {"v"}
            and isinstance(obj["v"], list)
            and all(isinstance(p, list) and len(p) == 2 for p in obj["v"]),
            "malformed dict",
        )
        out = {}
        for k, v in obj["v"]:
            key = rec(k)
            _check(
                isinstance(key, (str, int, float, bool, tuple, type(None))),
                "a dict key that is not a plain value",
            )
            hash(key)
            out[key] = rec(v)
        return out
    if t == "model":
        _check(
            keys == {"b64"} and isinstance(obj["b64"], str) and tmpdir is not None and depth <= 2,
            "a model where none is accepted",
        )
        _check(len(obj["b64"]) <= MAX_MODEL_BYTES * 4 // 3 + 4, "a model file over 64 MB")
        return _load_model(base64.b64decode(obj["b64"], validate=True), tmpdir)
    if t == "callable":
        _check(
            keys == {"name"} and isinstance(obj["name"], str) and function is not None and depth == 0,
            "a function where none is accepted",
        )
        return function(obj["name"])
    if t == "object":
        _check(
            keys == {"cls", "attrs"} and isinstance(obj["cls"], str) and isinstance(obj["attrs"], dict),
            "malformed object",
        )
        cls = _trusted_class(obj["cls"])
        attrs = {}
        for k, v in obj["attrs"].items():
            _check(k.isidentifier() and not k.startswith("__"), "an object with a special attribute")
            attrs[k] = rec(v)
        instance = cls.__new__(cls)
        instance.__dict__.update(attrs)
        return instance
    if t == "exception":
        _check(
            keys == {"cls", "msg"}
            and isinstance(obj["cls"], str)
            and obj["cls"].isidentifier()
            and len(obj["cls"]) <= 60
            and isinstance(obj["msg"], str),
            "malformed exception",
        )
        return type(obj["cls"], (Exception,), {})(obj["msg"][:500])
    if t == "unavailable":
        _check(keys == {"why"} and isinstance(obj["why"], str), "malformed data")
        return Unavailable(obj["why"])
    raise ValueError(f"unknown kind of data {t[:30]!r}")


# ---- framing: length-prefixed JSON messages on a pipe ----------------------------------------------


def write_frame(fd: int, message: Any) -> None:
    """Send one JSON message (4-byte big-endian length, then the UTF-8 text)."""
    data = json.dumps(message).encode()
    data = len(data).to_bytes(4, "big") + data
    while data:
        data = data[os.write(fd, data) :]


def _read_exactly(fd: int, n: int) -> bytes | None:
    chunks, left = [], n
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_frame(fd: int, cap: int) -> Any:
    """One JSON message, or None at the end of the stream. Raises ValueError for a message over
    ``cap`` bytes (not read) or one that is not JSON."""
    head = _read_exactly(fd, 4)
    if head is None:
        return None
    size = int.from_bytes(head, "big")
    if size > cap:
        raise ValueError(f"a message of {size} bytes (at most {cap} are accepted)")
    body = _read_exactly(fd, size)
    if body is None:
        return None
    try:
        return json.loads(body.decode())
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ValueError(f"a message that is not JSON ({type(exc).__name__})") from None
