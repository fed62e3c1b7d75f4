"""Running several models under one budget and comparing them (lesson 08).

The lesson keeps every model definition visible; this module holds the bookkeeping around them:
:func:`run_experiment` trains one model on a dataset with a fixed budget (epochs, batch size,
seed) and returns an :class:`ExperimentResult` with its history, wall time, the number of epochs
it actually trained (early stopping may stop sooner) and its accuracies measured in inference
mode; :func:`results_table` formats several results as a plain-text table.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ._validation import check_positive_int

if TYPE_CHECKING:  # pragma: no cover
    from .data import Dataset

__all__ = ["ExperimentResult", "inference_accuracy", "results_table", "run_experiment"]


def inference_accuracy(model: Any, x: np.ndarray, y: np.ndarray, *, batch_size: int = 512) -> float:
    """Accuracy of ``model`` on ``(x, y)`` in inference mode (dropout off, batch norm on its
    moving statistics, augmentation layers passing inputs through).

    The ``accuracy`` that ``fit`` logs for the training set is measured in *training* mode and
    averaged over an epoch while the weights change; this function measures the model as it is
    now, the way it will be used.

    Args:
        model: A Keras model whose outputs are class scores, shape ``(n, num_classes)``.
        x: Inputs, first axis = examples.
        y: Integer labels ``(n,)`` or one-hot labels ``(n, num_classes)``.
        batch_size: Examples per forward pass (positive).

    Returns:
        The fraction of examples whose highest-scoring class is the label.

    Raises:
        ValueError: If ``x`` and ``y`` differ in length, are empty, or ``y`` is neither integer
            labels nor one-hot rows.

    Example:

    >>> import numpy as np
    >>> from course_utils import build_mlp, inference_accuracy
    >>> model = build_mlp((4,), 3, (8,), seed=0)
    >>> acc = inference_accuracy(model, np.zeros((5, 4), "float32"), np.zeros(5, "int64"))
    >>> 0.0 <= acc <= 1.0
    True
    """
    batch_size = check_positive_int("batch_size", batch_size)
    y = np.asarray(y)
    if len(x) != len(y) or len(y) == 0:
        raise ValueError(
            f"`x` and `y` must be non-empty and of the same length. Received: {len(x)} and {len(y)}"
        )
    if y.ndim == 2:
        labels = y.argmax(axis=1)
    elif y.ndim == 1:
        labels = y.astype(np.int64)
    else:
        raise ValueError(
            "`y` must hold integer labels, shape (n,), or one-hot rows, shape (n, num_classes). "
            f"Received: shape {y.shape}"
        )
    correct = 0
    for start in range(0, len(y), batch_size):
        scores = np.asarray(model(x[start : start + batch_size], training=False))
        correct += int((scores.argmax(axis=1) == labels[start : start + batch_size]).sum())
    return correct / len(y)


@dataclass(frozen=True)
class ExperimentResult:
    """One model trained under a recorded budget (see :func:`run_experiment`).

    Attributes:
        name: The experiment's name (a row of the results table).
        history: Per-epoch metrics logged by ``fit`` (``loss``, ``val_loss``, ``accuracy``,
            ``val_accuracy``, ...).
        epochs_budget: The epochs it was allowed to train.
        epochs_trained: The epochs it did train (fewer when early stopping stopped it).
        elapsed_seconds: Wall time of the fit.
        train_accuracy: Training accuracy of the final model, measured in inference mode.
        val_accuracy: Validation accuracy of the final model, in inference mode: the model you
            keep (with ``restore_best_weights`` that is the best epoch's weights).
        n_params: Number of parameters of the model.
        seed: The seed set before the model was built and used to shuffle.
        batch_size: Examples per gradient step.
        n_train: Number of training examples.
        model: The trained Keras model (not compared, not in :meth:`as_dict`).

    Example:

    >>> from course_utils import ExperimentResult
    >>> r = ExperimentResult("demo", {"val_accuracy": [0.5, 0.8, 0.7]}, epochs_budget=5,
    ...                      epochs_trained=3, elapsed_seconds=1.0, train_accuracy=0.9,
    ...                      val_accuracy=0.8, n_params=10, seed=0, batch_size=32, n_train=100)
    >>> r.best_val_accuracy, r.best_epoch, round(r.gap, 3), r.stopped_early
    (0.8, 2, 0.1, True)
    """

    name: str
    history: dict[str, list[float]]
    epochs_budget: int
    epochs_trained: int
    elapsed_seconds: float
    train_accuracy: float
    val_accuracy: float
    n_params: int
    seed: int
    batch_size: int
    n_train: int
    model: Any = field(default=None, repr=False, compare=False)

    @property
    def gap(self) -> float:
        """``train_accuracy - val_accuracy`` of the final model (both in inference mode)."""
        return self.train_accuracy - self.val_accuracy

    @property
    def best_val_accuracy(self) -> float:
        """The highest validation accuracy logged at the end of any epoch."""
        return float(max(self.history["val_accuracy"]))

    @property
    def best_epoch(self) -> int:
        """The (1-based) epoch with the highest logged validation accuracy."""
        return int(np.argmax(self.history["val_accuracy"])) + 1

    @property
    def stopped_early(self) -> bool:
        """Whether it trained fewer epochs than its budget."""
        return self.epochs_trained < self.epochs_budget

    def as_dict(self) -> dict[str, Any]:
        """The scalar fields and properties as a plain dict (for records and tables)."""
        return {
            "name": self.name,
            "epochs_budget": self.epochs_budget,
            "epochs_trained": self.epochs_trained,
            "stopped_early": self.stopped_early,
            "elapsed_seconds": self.elapsed_seconds,
            "train_accuracy": self.train_accuracy,
            "val_accuracy": self.val_accuracy,
            "best_val_accuracy": self.best_val_accuracy,
            "best_epoch": self.best_epoch,
            "gap": self.gap,
            "n_params": self.n_params,
            "seed": self.seed,
            "batch_size": self.batch_size,
            "n_train": self.n_train,
        }


def run_experiment(
    name: str,
    build_fn: Callable[[], Any],
    data: Dataset,
    *,
    epochs: int,
    batch_size: int = 32,
    callbacks: Sequence[Any] | None = None,
    seed: int = 0,
    progress: bool = False,
) -> ExperimentResult:
    """Builds a model with ``build_fn`` and trains it on ``data`` under a fixed budget.

    The seed is set (:func:`course_utils.set_seed`) right before ``build_fn()`` is called, so
    every experiment of a comparison starts from the same random state; the model is then
    trained with :func:`course_utils.train` (training split, validated on the validation split;
    the test split is never touched) and measured in inference mode on both splits
    (:func:`inference_accuracy`).

    Args:
        name: A short name for the experiment (non-empty).
        build_fn: A function with no arguments that returns a *compiled* Keras model.
        data: A :class:`course_utils.Dataset`. Its labels may be integers or one-hot rows
            (for a loss with label smoothing).
        epochs: The epoch budget (positive). Early stopping may use less.
        batch_size: Examples per gradient step (positive).
        callbacks: Keras callbacks for this fit (early stopping, schedules, ...).
        seed: Seed set before building and used to shuffle.
        progress: Print a few progress lines (see :class:`course_utils.CompactProgress`).

    Returns:
        An :class:`ExperimentResult`.

    Raises:
        ValueError: If ``name`` is empty, ``build_fn`` is not callable or does not return a
            compiled Keras model, or ``epochs``/``batch_size`` are not positive integers.

    Example:

    >>> import keras
    >>> from course_utils import build_mlp, load_dataset, run_experiment
    >>> data = load_dataset("digits", n_train=100)
    >>> def build():
    ...     model = build_mlp(data.input_shape, data.num_classes, (32,), seed=0)
    ...     model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
    ...                   metrics=["accuracy"])
    ...     return model
    >>> result = run_experiment("small", build, data, epochs=2)
    >>> result.epochs_trained, result.n_train
    (2, 100)
    """
    import keras

    from .reproducibility import set_seed
    from .training import as_history_dict, train

    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"`name` must be a non-empty string. Received: name={name!r}")
    if not callable(build_fn):
        raise ValueError(
            "`build_fn` must be a function with no arguments that builds and compiles a model, "
            f"e.g. `def build(): ...; return model`. Received: {type(build_fn).__name__}"
        )
    epochs = check_positive_int("epochs", epochs)
    batch_size = check_positive_int("batch_size", batch_size)
    set_seed(seed)
    model = build_fn()
    if not isinstance(model, keras.Model):
        raise ValueError(
            f"`build_fn` must return a Keras model; {getattr(build_fn, '__name__', 'it')}() "
            f"returned {type(model).__name__}. Did you forget `return model`?"
        )
    if getattr(model, "optimizer", None) is None:
        raise ValueError(
            f"The model returned by `build_fn` ({model.name!r}) is not compiled: call "
            "model.compile(optimizer=..., loss=..., metrics=['accuracy']) before returning it."
        )
    start = time.perf_counter()
    history = train(
        model,
        data,
        epochs=epochs,
        batch_size=batch_size,
        callbacks=callbacks,
        progress=progress,
        label=name,
        seed=seed,
    )
    elapsed = time.perf_counter() - start
    logged = as_history_dict(history)
    return ExperimentResult(
        name=name,
        history=logged,
        epochs_budget=epochs,
        epochs_trained=len(logged["loss"]),
        elapsed_seconds=elapsed,
        train_accuracy=inference_accuracy(model, data.x_train, data.y_train),
        val_accuracy=inference_accuracy(model, data.x_val, data.y_val),
        n_params=int(model.count_params()),
        seed=int(seed),
        batch_size=batch_size,
        n_train=len(data.y_train),
        model=model,
    )


_COLUMNS = ("model", "val acc", "best val", "train acc", "gap", "epochs", "time")


def results_table(
    results: Sequence[ExperimentResult] | Mapping[str, ExperimentResult],
    *,
    baseline: str | None = None,
) -> str:
    """Formats results as a plain-text table, one row per experiment.

    Columns: validation accuracy of the final model, best validation accuracy logged during
    training, training accuracy (inference mode), gap, epochs trained out of the budget
    (``*`` = stopped early) and wall time. With ``baseline``, a last column gives each model's
    validation accuracy minus the baseline's.

    Args:
        results: Experiment results, in the order of the rows (a list, or a dict whose values
            are results).
        baseline: Optional name of the result to compare every row with.

    Returns:
        The table as one string (print it).

    Raises:
        ValueError: If ``results`` is empty or holds something other than
            :class:`ExperimentResult`, or ``baseline`` is not one of the names.

    Example:

    >>> from course_utils import ExperimentResult, results_table
    >>> r = ExperimentResult("demo", {"val_accuracy": [0.5, 0.8]}, epochs_budget=2,
    ...                      epochs_trained=2, elapsed_seconds=1.25, train_accuracy=0.9,
    ...                      val_accuracy=0.8, n_params=10, seed=0, batch_size=32, n_train=100)
    >>> print(results_table([r]).splitlines()[2])
    demo     0.800     0.800      0.900  +0.100     2/2  1.2 s
    """
    rows = list(results.values()) if isinstance(results, Mapping) else list(results)
    if not rows:
        raise ValueError("`results` is empty: run at least one experiment first.")
    bad = [type(r).__name__ for r in rows if not isinstance(r, ExperimentResult)]
    if bad:
        raise ValueError(
            f"`results` must contain ExperimentResult objects (from run_experiment). Received: {bad}"
        )
    names = [r.name for r in rows]
    ref = None
    if baseline is not None:
        if baseline not in names:
            raise ValueError(f"`baseline` must be one of {names}. Received: baseline={baseline!r}")
        ref = rows[names.index(baseline)]
    budget_width = max(len(str(r.epochs_budget)) for r in rows)
    cells = []
    for r in rows:
        epochs = f"{r.epochs_trained:>{budget_width}}/{r.epochs_budget}" + ("*" if r.stopped_early else "")
        row = [
            r.name,
            f"{r.val_accuracy:.3f}",
            f"{r.best_val_accuracy:.3f}",
            f"{r.train_accuracy:.3f}",
            f"{r.gap:+.3f}",
            epochs,
            _seconds(r.elapsed_seconds),
        ]
        if ref is not None:
            row.append(f"{r.val_accuracy - ref.val_accuracy:+.3f}")
        cells.append(row)
    header = list(_COLUMNS) + ([f"vs {baseline}"] if ref is not None else [])
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(header)]
    fmt = lambda row: "  ".join(  # noqa: E731
        f"{v:<{w}}" if i == 0 else f"{v:>{w}}" for i, (v, w) in enumerate(zip(row, widths))
    ).rstrip()
    lines = [fmt(header), "  ".join("-" * w for w in widths)] + [fmt(c) for c in cells]
    if any(r.stopped_early for r in rows):
        lines.append("* stopped early (fewer epochs than the budget)")
    return "\n".join(lines)


def _seconds(value: float) -> str:
    return f"{value:.1f} s" if math.isfinite(value) else "n/a"
