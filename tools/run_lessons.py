"""Execute the course's lessons with papermill into build/ (the course's main job).

    python tools/run_lessons.py                     # every lesson, defaults, into build/executed
    python tools/run_lessons.py --only 01 -p DATASET fashion_mnist -p N_TRAIN 5000
    python tools/run_lessons.py --bench             # also write build/bench.json (timings)
    python tools/run_lessons.py --html              # also export HTML into build/html
    python tools/run_lessons.py --quick --out build/quick   # tiny parameters: does every cell run?
    python tools/run_lessons.py --jobs 1            # one lesson at a time (default: one per CPU)

Each lesson writes its executed copy and its measured numbers
(``<lesson>.results.json``) into the output folder. The appendices (``A1_*.ipynb``) read those
numbers, so they run after every lesson, one at a time, and get only the parameters they have
(``-p SEED 1`` goes to the lessons; ``--only A1`` runs an appendix alone, on the results already
in the output folder). Nothing under notebooks/ or solutions/
is ever written. Exits non-zero if any lesson raised an error.

With ``--jobs N`` > 1, up to N lessons run at once, each in its own worker process (its own
kernel, ``COURSE_RESULTS_DIR`` and kernel log); the lines still come one per lesson, in lesson
order. ``--bench`` runs one lesson at a time unless ``--jobs`` is given (parallel lessons slow
each other down, and the per-lesson times are what it records), then times ``cu.train``
against plain ``model.fit`` on lesson 01's model (``course_utils.training.benchmark_train_speed``)
and records the ratio in build/bench.json.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import itertools
import json
import multiprocessing
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    BUILD,
    NOTEBOOKS,
    ROOT,
    course_notebooks,
    gpu_parameters,
    is_appendix,
    quick_parameters,
    refuse_protected,
    use_this_python_for_kernels,
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", nargs="*", help="lesson prefixes to run, e.g. 01 03")
    parser.add_argument("--out", type=Path, default=BUILD / "executed", help="output folder (under build/)")
    parser.add_argument("--source", type=Path, default=NOTEBOOKS, help="folder of lessons to execute")
    parser.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="override a parameters-cell value (VALUE is parsed as YAML: 5000, 0.1, 'mnist')",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="run each lesson at its tiny grading parameters (checks that the code runs; "
        "the numbers are not the lesson's claims)",
    )
    parser.add_argument(
        "--gpu-scale",
        action="store_true",
        help="run each lesson at the larger setting its parameters cell suggests for a GPU "
        "(Fashion-MNIST and more epochs; needs the Keras dataset cache or internet access)",
    )
    parser.add_argument(
        "--html", action="store_true", help="also export each executed notebook to build/html"
    )
    parser.add_argument(
        "--bench", action="store_true", help="write timings to build/bench.json and print a table"
    )
    parser.add_argument("--timeout", type=int, default=900, help="per-cell timeout in seconds")
    parser.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="lessons executed at once, each in its own process (default: the number "
        "of CPUs; 1 with --bench); --jobs 1 runs them one by one in this process",
    )
    args = parser.parse_args(argv)
    if args.jobs is None:
        args.jobs = 1 if args.bench else (os.cpu_count() or 1)
    elif args.jobs < 1:
        parser.error(f"--jobs must be at least 1 (got {args.jobs})")
    if args.quick and args.gpu_scale:
        parser.error("--quick and --gpu-scale choose two different settings: pass one of them")
    return args


@contextlib.contextmanager
def stderr_to(path: Path):
    """Send this process's file descriptor 2, and so the kernel's TensorFlow/absl start-up
    chatter that it inherits, to a log file instead of the terminal."""
    sys.stderr.flush()
    saved = os.dup(2)
    with open(path, "w") as log:
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


def run_one(nb: Path, out_dir: Path, params: dict, timeout: int) -> tuple[bool, float, str]:
    import papermill as pm

    out = out_dir / nb.name
    os.environ["COURSE_RESULTS_DIR"] = str(out_dir.resolve())
    results = out_dir / f"{nb.stem}.results.json"
    if results.exists():
        results.unlink()  # never let a stale file vouch for this run
    start = time.perf_counter()
    log = out_dir / f"{nb.stem}.kernel.log"
    try:
        with stderr_to(log):
            pm.execute_notebook(
                str(nb),
                str(out),
                parameters=params,
                cwd=str(nb.parent),
                kernel_name="python3",
                progress_bar=False,
                log_output=False,
                execution_timeout=timeout,
            )
    except pm.PapermillExecutionError as exc:
        return False, time.perf_counter() - start, f"cell {exc.exec_count}: {exc.ename}: {exc.evalue}"
    except Exception as exc:  # kernel died, timeout, bad parameters ...
        shown = log.relative_to(ROOT) if log.is_relative_to(ROOT) else log
        return (False, time.perf_counter() - start, f"{type(exc).__name__}: {exc} (kernel log: {shown})")
    finally:
        os.environ.pop("COURSE_RESULTS_DIR", None)
    return True, time.perf_counter() - start, ""


def run_all(lessons: list[Path], out_dir: Path, params_for, timeout: int, jobs: int, before=None):
    """Yields ``(nb, (ok, seconds, error))`` in lesson order, running up to ``jobs`` lessons at
    once. With ``jobs == 1`` they run here, one by one (``before(nb)`` is called as each one
    starts); with more, each ``run_one`` runs in a worker process (spawned, so that its
    ``COURSE_RESULTS_DIR`` and its redirected fd 2 are its own), and results are reported in
    order, each as soon as it and every lesson before it have finished."""
    if jobs == 1:
        for nb in lessons:
            if before:
                before(nb)
            yield nb, run_one(nb, out_dir, params_for(nb), timeout)
        return
    with concurrent.futures.ProcessPoolExecutor(
        max_workers=min(jobs, len(lessons)), mp_context=multiprocessing.get_context("spawn")
    ) as pool:
        futures = [pool.submit(run_one, nb, out_dir, params_for(nb), timeout) for nb in lessons]
        try:
            for nb, future in zip(lessons, futures):
                try:
                    result = future.result()
                except Exception as exc:  # the worker process itself died
                    result = (False, 0.0, f"worker failed: {type(exc).__name__}: {exc}")
                yield nb, result
        except BaseException:
            for future in futures:
                future.cancel()
            raise


#: The line that prefixes benchmark_train_speed's JSON in the benchmark subprocess's output.
_BENCH_MARK = "@@TRAIN-VS-FIT@@"


def bench_train_vs_fit(timeout: int) -> dict:
    """``course_utils.training.benchmark_train_speed()`` (cu.train against plain model.fit on
    lesson 01's model) in a fresh interpreter, after the lessons, so that nothing else runs."""
    code = (
        "import json; from course_utils.training import benchmark_train_speed; "
        f"print({_BENCH_MARK!r} + json.dumps(benchmark_train_speed()))"
    )
    try:
        proc = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout, cwd=str(ROOT)
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout} s"}
    for line in proc.stdout.splitlines():
        if line.startswith(_BENCH_MARK):
            return json.loads(line[len(_BENCH_MARK) :])
    return {"error": f"exit status {proc.returncode}: {(proc.stderr or proc.stdout).strip()[-500:]}"}


def export_html(executed: Path, html_dir: Path) -> None:
    import nbformat
    from nbconvert import HTMLExporter

    html_dir.mkdir(parents=True, exist_ok=True)
    body, _ = HTMLExporter().from_notebook_node(nbformat.read(executed, as_version=4))
    (html_dir / f"{executed.stem}.html").write_text(body, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out_dir = refuse_protected(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    params = {name: yaml.safe_load(value) for name, value in args.parameter}
    use_this_python_for_kernels()
    # The executed copies are what a learner reads: their kernels must draw with ipykernel's
    # inline backend, which it only selects when no MPLBACKEND is inherited.
    os.environ.pop("MPLBACKEND", None)
    notebooks = course_notebooks(args.source, args.only)
    appendices = [nb for nb in notebooks if is_appendix(nb)]
    lessons = [nb for nb in notebooks if not is_appendix(nb)]
    if not notebooks:
        print(f"No lessons found in {args.source}", file=sys.stderr)
        return 1

    import papermill as pm

    known_to = {nb: set(pm.inspect_notebook(str(nb))) for nb in notebooks}
    for nb in lessons or appendices:  # a misspelt parameter would otherwise be ignored with only a warning
        known = known_to[nb]
        unknown = sorted(set(params) - known)
        if unknown:
            print(
                f"{nb.name} has no parameter {', '.join(unknown)}; its parameters are: "
                f"{', '.join(known)}. Check the spelling, or use --only to pick lessons.",
                file=sys.stderr,
            )
            return 2

    jobs = max(1, min(args.jobs, len(lessons)))
    print(
        f"Executing {len(lessons)} lesson(s)"
        + (f" and {len(appendices)} appendix(es)" if appendices else "")
        + f" into {out_dir}"
        + (f" with {params}" if params else "")
        + (f", {jobs} at a time" if jobs > 1 else ""),
        flush=True,
    )

    def params_for(nb: Path) -> dict:
        if args.quick:
            chosen = {**quick_parameters(nb.stem), **params}
        elif args.gpu_scale:
            chosen = {**gpu_parameters(nb.stem), **params}
        else:
            chosen = params
        if is_appendix(nb):  # it reads the lessons' results; their settings are not its parameters
            chosen = {k: v for k, v in chosen.items() if k in known_to[nb]}
        return chosen

    def announce(nb: Path) -> None:  # one at a time: the name first, the outcome when it ends
        print(f"  {nb.stem:<28}", end=" ", flush=True)

    rows = []
    wall_start = time.perf_counter()
    results = itertools.chain(
        run_all(lessons, out_dir, params_for, args.timeout, jobs, before=announce),
        # the appendices read what the lessons recorded: they start once every lesson has ended
        run_all(appendices, out_dir, params_for, args.timeout, 1, before=announce if jobs == 1 else None),
    )
    for nb, (ok, seconds, error) in results:
        print(
            ("" if jobs == 1 else f"  {nb.stem:<28} ")
            + f"{'ok    ' if ok else 'FAILED'} {seconds:6.1f} s"
            + (f"  {error}" if error else ""),
            flush=True,
        )
        rows.append({"lesson": nb.stem, "ok": ok, "seconds": round(seconds, 2), "error": error})
        if ok and args.html:
            export_html(out_dir / nb.name, BUILD / "html")
    wall_seconds = time.perf_counter() - wall_start
    if jobs > 1:
        print(f"  {'wall time':<28}        {wall_seconds:6.1f} s  ({jobs} lessons at a time)", flush=True)

    failed = [r["lesson"] for r in rows if not r["ok"]]
    if args.bench:
        print("\nTiming cu.train against plain model.fit on lesson 01's model (best of 3) ...", flush=True)
        speed = bench_train_vs_fit(timeout=1800)
        bench = {
            "machine": {
                "cpus": os.cpu_count(),
                "platform": platform.platform(),
                "python": platform.python_version(),
            },
            "parameters": params,
            "quick": args.quick,
            "gpu_scale": args.gpu_scale,
            "jobs": jobs,
            "lessons": rows,
            "total_seconds": round(sum(r["seconds"] for r in rows), 2),
            "wall_seconds": round(wall_seconds, 2),
            "train_vs_fit": speed,
        }
        path = BUILD / "bench.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(bench, indent=2))
        print(
            f"\nLesson execution times ({os.cpu_count()} CPUs"
            + (f", {jobs} lessons at a time" if jobs > 1 else "")
            + f"), written to {path.relative_to(ROOT)}:"
        )
        for r in rows:
            print(f"  {r['lesson']:<28} {r['seconds']:7.1f} s  {'ok' if r['ok'] else 'FAILED'}")
        print(f"  {'total':<28} {bench['total_seconds']:7.1f} s")
        if jobs > 1:
            print(f"  {'wall time':<28} {bench['wall_seconds']:7.1f} s")
        if "ratio" in speed:
            same = (
                "same history"
                if speed["max_history_difference"] < 1e-4
                else f"histories differ by up to {speed['max_history_difference']:.2g}"
            )
            path_note = "" if speed["fast_path"] is True else f"; fast path NOT used: {speed['fast_path']}"
            print(
                f"\ncu.train vs model.fit ({speed['model']}): fit {speed['fit_seconds']:.2f} s, "
                f"cu.train {speed['train_seconds']:.2f} s: {speed['ratio']:.2f}x faster "
                f"(best of {speed['repeats']}, interleaved; {same}{path_note}); the first call, "
                f"which traces the architecture: {speed['train_first_seconds']:.2f} s, "
                f"{speed['ratio_first']:.2f}x"
            )
        else:
            print(f"\ncu.train vs model.fit: the benchmark failed: {speed.get('error')}", file=sys.stderr)
    if args.html and not failed:
        print(f"HTML copies in {(BUILD / 'html').relative_to(ROOT)}/")
    if failed:
        print(
            f"\n{len(failed)} lesson(s) failed: {', '.join(failed)}. Open the executed copy in "
            f"{out_dir} to see the error in context.",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
