"""The judge: decides a submission's scores outside its sandbox, on data only.

tools/grade.py starts, for each submission, a sandbox that executes the notebook (and holds no
test, no solution, no answer key) and, as a separate process on the host, this judge: a fresh
interpreter the learner's code cannot reach. The judge owns the autograder's tests. It asks the
sandbox, over a pipe, for the *values* of the names the tests use; the sandbox hands them back
as data (tools/judge_codec.py: plain values, arrays, ``.keras`` models loaded here with
``safe_mode=True``; a learner function as its name only). The judge then runs otter's own test
files here, with every learner function replaced by a stand-in that asks the sandbox for the
function's value on the arguments the tests chose. A call the sandbox has not answered yet makes
the stand-in return a placeholder; the test's outcome is then discarded, the open calls are sent
to the sandbox in one batch, and the test runs again with their answers (a round), until no call
is open. Scores are otter's (its points and partial credit), computed here, so a notebook that
patches otter, NumPy or course_utils.grading in its kernel, or forges what it hands back, only
changes its own answers.

    python tools/judge.py AUTOGRADER_ZIP REQUEST_FD RESPONSE_FD REPORT_FD CPU_SECONDS

Writes one JSON report (the format tools/grade.py validates) to REPORT_FD.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import judge_codec as codec  # noqa: E402

MEMORY_LIMIT = 6 << 30  # bytes of address space (TensorFlow, the submission's models)
RESPONSE_CAP = 256 << 20  # bytes of one message from the sandbox
MAX_ROUNDS = 400  # rounds of calls: a test that uses each call's result before the next (a loop)
MAX_CALLS = 20000  # learner-function calls per submission
MAX_CALLS_PER_ROUND = 1000
SANDBOX_ENDED = (
    "grader process failed: the sandbox ended before handing back the notebook's answers "
    "(the notebook killed its kernel's parent, or ran out of memory or processes)"
)


class _Miss(BaseException):
    """Raised when a test uses the result of a learner call the sandbox has not answered yet."""


class Pending:
    """The placeholder result of an open call: any use of it ends this run of the test."""

    def _miss(self, *_: Any, **__: Any) -> Any:
        raise _Miss

    __getattr__ = __call__ = __getitem__ = __iter__ = __len__ = __bool__ = __float__ = __int__ = __index__ = (
        _miss
    )
    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __hash__ = __contains__ = _miss
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = __pow__ = (
        _miss
    )
    __neg__ = __abs__ = __array__ = __str__ = __format__ = _miss

    def __repr__(self) -> str:
        return "<result not handed back yet>"


class Protocol(Exception):
    """The sandbox broke the hand-back protocol (ended, or sent what is not the format)."""


class Judge:
    """One submission's grading: the pipe to its sandbox, the learner-call cache, the tests."""

    def __init__(self, request_fd: int, response_fd: int, tmpdir: str) -> None:
        self.request_fd, self.response_fd, self.tmpdir = request_fd, response_fd, tmpdir
        self.answers: dict[str, tuple[Any, Any]] = {}  # call key -> (result data, args-after data)
        self.models: dict[str, Any] = {}  # call key -> loaded model (loaded once)
        self.pending: dict[str, dict[str, Any]] = {}  # call key -> the call, not answered yet
        self.calls = 0
        self.misses = 0  # Pending placeholders handed out so far

    def ask(self, request: dict[str, Any]) -> Any:
        """Send one request to the sandbox and return its answer's data."""
        try:
            codec.write_frame(self.request_fd, request)
        except OSError:
            raise Protocol(SANDBOX_ENDED) from None
        try:
            reply = codec.read_frame(self.response_fd, RESPONSE_CAP)
        except ValueError as exc:
            raise Protocol(f"invalid hand-back from the sandbox: {exc}") from None
        if reply is None:
            raise Protocol(SANDBOX_ENDED)
        if (
            not isinstance(reply, dict)
            or reply.get("type") != "response"
            or set(reply) - {"type", "data", "error"}
        ):
            raise Protocol("invalid hand-back from the sandbox: not a response")
        return reply.get("data"), reply.get("error")

    def decode(self, data: Any, what: str, top: bool = False) -> Any:
        """Tagged data -> value, or Unavailable saying why (never raises)."""
        try:
            return codec.decode(data, tmpdir=self.tmpdir, function=self.function if top else None)
        except RecursionError:
            return codec.Unavailable(f"{what} is nested too deeply")
        except Exception as exc:  # noqa: BLE001 - whatever the data is, it only fails its own tests
            return codec.Unavailable(f"{what} could not be read: {str(exc)[:200]}")

    def function(self, name: str) -> Any:
        judge = self

        def learner_function(*args: Any, **kwargs: Any) -> Any:
            return judge.call(name, args, kwargs)

        learner_function.__name__ = learner_function.__qualname__ = (
            name if name.isidentifier() else "function"
        )
        return learner_function

    def call(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """A learner function's value on these arguments: the sandbox's answer, or Pending."""
        encoded = codec.encode([list(args), dict(kwargs)])
        if "unavailable" in json.dumps(encoded):
            raise AssertionError(f"{name} cannot be graded on these arguments outside the notebook.")
        key = json.dumps([name, encoded], sort_keys=True)
        if key not in self.answers:
            self.misses += 1
            if len(self.pending) < MAX_CALLS_PER_ROUND:
                self.pending[key] = {
                    "name": name,
                    "args": codec.encode(list(args)),
                    "kwargs": codec.encode(dict(kwargs)),
                }
            return Pending()
        result, after = self.answers[key]
        self._apply_after(args, kwargs, after)
        if isinstance(result, dict) and result.get("t") == "model":
            if key not in self.models:
                self.models[key] = self.decode(result, f"the model {name}(...) returned")
            return self.models[key]
        if isinstance(result, dict) and result.get("t") == "exception":
            value = self.decode(result, f"the error {name}(...) raised")
            if isinstance(value, Exception):
                raise value
            return value
        return self.decode(result, f"what {name}(...) returned")

    def _apply_after(self, args: tuple[Any, ...], kwargs: dict[str, Any], after: Any) -> None:
        """Copy the sandbox's arrays and random generators after the call into the judge's
        arguments (what the call changed in place, the numbers it drew)."""
        try:
            self._copy_back(args, kwargs, *codec.decode(after))
        except Exception:  # noqa: BLE001 - unreadable or not the call's shape: the arguments stay as they were
            return

    @staticmethod
    def _copy_back(
        args: tuple[Any, ...], kwargs: dict[str, Any], new_args: list[Any], new_kwargs: dict[str, Any]
    ) -> None:
        import numpy as np

        pairs = list(zip(args, new_args)) + [(v, new_kwargs.get(k)) for k, v in kwargs.items()]
        for mine, theirs in pairs:
            if isinstance(mine, np.random.Generator) and isinstance(theirs, np.random.Generator):
                if type(mine.bit_generator) is type(theirs.bit_generator):  # the draws the call made
                    mine.bit_generator.state = theirs.bit_generator.state
                continue
            if (
                isinstance(mine, np.ndarray)
                and isinstance(theirs, np.ndarray)
                and mine.shape == theirs.shape
                and mine.dtype == theirs.dtype
                and mine.flags.writeable
            ):
                np.copyto(mine, theirs)

    def answer_pending(self) -> None:
        """Send the open calls to the sandbox in one request and store its answers."""
        keys = list(self.pending)[: max(0, MAX_CALLS - self.calls)]
        calls = [self.pending[k] for k in keys]
        self.pending.clear()
        if not calls:
            return
        self.calls += len(calls)
        data, error = self.ask({"op": "calls", "calls": calls})
        if error is not None or not isinstance(data, list) or len(data) != len(calls):
            why = (
                f"the notebook's answer could not be computed ({str(error)[:150]})"
                if error
                else "malformed answer"
            )
            for k in keys:
                self.answers[k] = ({"t": "unavailable", "why": why}, None)
            return
        for k, item in zip(keys, data):
            if isinstance(item, dict) and set(item) == {"result", "args_after"}:
                self.answers[k] = (item["result"], item["args_after"])
            else:
                self.answers[k] = ({"t": "unavailable", "why": "malformed answer"}, None)


def _test_files(ag_zip: Path) -> list[Any]:
    from otter.test_files import ExceptionTestFile

    with zipfile.ZipFile(ag_zip) as z:
        names = sorted(n for n in z.namelist() if n.startswith("tests/") and n.endswith(".py"))
        return [ExceptionTestFile.from_string(z.read(n).decode(), path=Path(n).name) for n in names]


def _parameters(test_files: list[Any]) -> list[str]:
    names: list[str] = []
    for tf in test_files:
        for tc in tf.test_cases:
            for name in tc.body._get_func_params():
                if name != "env" and name not in names:
                    names.append(name)
    return names


def _run_case(tf: Any, tc: Any, env: dict[str, Any]) -> tuple[bool, str] | None:
    """(passed, message) of one test case as otter's TestFile.run computes them; None when the
    run used an open call."""
    try:
        tc.body.call_func(env)
    except _Miss:
        return None
    except Exception as exc:  # noqa: BLE001 - exactly what otter counts as a failed test
        try:
            return False, "❌ Test case failed\n" + tf._generate_error_message(exc)
        except Exception:  # noqa: BLE001 - a traceback otter cannot point into
            return False, f"❌ Test case failed\n{type(exc).__name__}: {str(exc)[:2000]}"
    return True, "✅ Test case passed"


def _cell_errors(data: Any) -> list[dict[str, Any]]:
    """The sandbox's list of cells that raised, kept only where well-formed (informational)."""
    out = []
    for err in data if isinstance(data, list) else []:
        if (
            isinstance(err, dict)
            and set(err) == {"cell", "ename", "evalue", "first_line"}
            and isinstance(err["cell"], int)
            and not isinstance(err["cell"], bool)
            and all(isinstance(err[k], str) for k in ("ename", "evalue", "first_line"))
        ):
            out.append(
                {
                    "cell": err["cell"],
                    "ename": err["ename"][:100],
                    "evalue": err["evalue"][:300],
                    "first_line": err["first_line"][:80],
                }
            )
        if len(out) >= 50:
            break
    return out


def grade(ag_zip: Path, request_fd: int, response_fd: int) -> dict[str, Any]:
    """The report: otter's scores of the autograder's tests on what the sandbox handed back."""
    from otter.test_files.abstract_test import TestCaseResult

    report: dict[str, Any] = {"questions": {}, "cell_errors": [], "error": None}
    test_files = _test_files(ag_zip)
    with tempfile.TemporaryDirectory(prefix="judge-") as tmpdir:
        judge = Judge(request_fd, response_fd, tmpdir)
        try:
            try:
                executed = codec.read_frame(response_fd, RESPONSE_CAP)
            except ValueError as exc:
                raise Protocol(f"invalid hand-back from the sandbox: {exc}") from None
            if executed is None:
                raise Protocol(SANDBOX_ENDED)
            if not isinstance(executed, dict) or executed.get("type") != "executed":
                raise Protocol("invalid hand-back from the sandbox: no execution report")
            report["cell_errors"] = _cell_errors(executed.get("cell_errors"))
            if executed.get("error") is not None:
                report["error"] = str(executed["error"])[:2000]
                return report
            names = _parameters(test_files)
            data, error = judge.ask({"op": "values", "names": names})
            values = data if isinstance(data, dict) and error is None else {}
            env: dict[str, Any] = {}
            for name in names:
                if name not in values:
                    env[name] = codec.Unavailable(
                        f"`{name}` was not handed back ({str(error)[:100] or 'missing'})"
                    )
                else:
                    value = judge.decode(values[name], f"`{name}`", top=True)
                    env[name] = None if value is None and values[name] == {"t": "missing"} else value
            results: dict[tuple[int, int], tuple[bool, str]] = {}
            for _ in range(MAX_ROUNDS):
                for i, tf in enumerate(test_files):
                    for j, tc in enumerate(tf.test_cases):
                        if (i, j) in results:
                            continue
                        before = judge.misses
                        outcome = _run_case(tf, tc, env)
                        if outcome is not None and judge.misses == before:
                            results[i, j] = outcome
                if not judge.pending or judge.calls >= MAX_CALLS:
                    break
                judge.answer_pending()
            try:
                codec.write_frame(request_fd, {"op": "quit"})
            except OSError:
                pass
        except Protocol as exc:
            report["error"] = str(exc)
            return report
        for i, tf in enumerate(test_files):
            tf.test_case_results = [
                TestCaseResult(
                    test_case=tc,
                    passed=results.get((i, j), (False, ""))[0],
                    message=results.get(
                        (i, j),
                        (
                            False,
                            "❌ Test case failed\nAssertionError: grading "
                            "needed more evaluations of your functions than allowed",
                        ),
                    )[1],
                )
                for j, tc in enumerate(tf.test_cases)
            ]
            report["questions"][tf.name] = {
                "score": float(tf.score),
                "cases": [
                    {
                        "name": str(r.test_case.name),
                        "hidden": bool(r.test_case.hidden),
                        "passed": bool(r.passed),
                        "message": (r.message or "").strip()[-2000:],
                    }
                    for r in tf.test_case_results
                ],
            }
    return report


def main(argv: list[str]) -> int:
    import resource

    ag_zip, request_fd, response_fd, report_fd, cpu_seconds = argv
    for limit, value in ((resource.RLIMIT_AS, MEMORY_LIMIT), (resource.RLIMIT_CPU, int(float(cpu_seconds)))):
        try:
            resource.setrlimit(limit, (value, value))
        except (ValueError, OSError):
            pass
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        report = grade(Path(ag_zip), int(request_fd), int(response_fd))
    except MemoryError:
        report = {
            "questions": {},
            "cell_errors": [],
            "error": "the notebook's answers needed more memory than allowed",
        }
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    report["cpu_seconds"] = own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime
    data = json.dumps(report).encode()
    while data:
        data = data[os.write(int(report_fd), data) :]
    os.close(int(report_fd))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
