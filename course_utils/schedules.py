"""Learning-rate schedules, the callbacks that observe them, and the learning-rate range test.

* :class:`OneCycleSchedule`: the 1cycle policy (warm up to a peak rate, then anneal far below
  the start) as a ``keras.optimizers.schedules.LearningRateSchedule``;
* :class:`LearningRateLogger`: records the learning rate the optimizer actually *uses*, per
  epoch or per batch, whatever sets it (a schedule object, ``LearningRateScheduler``,
  ``ReduceLROnPlateau``);
* :func:`schedule_values`: a schedule (Keras object or plain function) evaluated at many steps;
* :class:`LRFinder`, :func:`lr_range_test`, :func:`suggest_learning_rate`: the learning-rate
  range test ("LR finder") and the rule that picks a rate from its curve.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import keras
import numpy as np

from ._validation import check_non_negative, check_positive_int

if TYPE_CHECKING:  # pragma: no cover
    from .data import Dataset

__all__ = [
    "LRFinder",
    "LRRangeTestResult",
    "LearningRateLogger",
    "OneCycleSchedule",
    "lr_range_test",
    "schedule_values",
    "smooth_losses",
    "suggest_learning_rate",
]


def _check_learning_rate(name: str, value: object) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float, np.integer, np.floating))
        or not math.isfinite(float(value))
        or float(value) <= 0.0
    ):
        raise ValueError(f"`{name}` must be a positive, finite learning rate. Received: {name}={value!r}")
    return float(value)


def _check_steps(name: str, value: object, *, allow_zero: bool = False) -> int:
    smallest = 0 if allow_zero else 1
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < smallest:
        kind = "a non-negative" if allow_zero else "a positive"
        raise ValueError(f"`{name}` must be {kind} integer number of steps. Received: {name}={value!r}")
    return int(value)


_ANNEALING = ("cosine", "linear")


@keras.saving.register_keras_serializable(package="course_utils")
class OneCycleSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """The 1cycle learning-rate policy (Smith & Topin, 2017), as a Keras schedule.

    The rate starts at ``max_learning_rate / initial_divisor``, rises to ``max_learning_rate``
    over the first ``warmup_steps`` steps, then falls to ``initial / final_divisor`` (far below
    the start) at ``total_steps``, and stays there. With ``w = warmup_steps``, ``T = total_steps``,
    ``lo = max / initial_divisor``, ``end = lo / final_divisor`` and the step ``t`` clipped to
    ``[0, T]``, the cosine form is::

        t <  w:  lr(t) = lo  + (max - lo)  * (1 - cos(pi * t / w)) / 2
        t >= w:  lr(t) = end + (max - end) * (1 + cos(pi * (t - w) / (T - w))) / 2

    ``annealing="linear"`` replaces both half-cosines by straight lines. ``step`` counts
    optimizer updates (batches), like every Keras schedule.

    Args:
        max_learning_rate: The peak rate, reached at step ``warmup_steps`` (positive).
        total_steps: Length of the cycle in optimizer steps (positive); usually
            ``epochs * steps_per_epoch``.
        warmup_steps: Steps of the rising phase, in ``[0, total_steps)``; ``None`` means 30 % of
            ``total_steps`` (rounded). 0 starts at the peak and only anneals.
        initial_divisor: The start rate is ``max_learning_rate / initial_divisor`` (>= 1).
        final_divisor: The final rate is the start rate divided by this (>= 1).
        annealing: ``"cosine"`` (default) or ``"linear"``: the shape of both phases.
        name: Name of the schedule.

    Raises:
        ValueError: If a rate is not positive, ``warmup_steps`` is negative or not shorter than
            ``total_steps``, a divisor is below 1, or ``annealing`` is unknown.

    Example:

    >>> from course_utils import OneCycleSchedule
    >>> s = OneCycleSchedule(0.1, total_steps=100, warmup_steps=30)
    >>> [float(f"{float(s(t)):.3g}") for t in (0, 30, 100)]
    [0.004, 0.1, 4e-07]
    """

    def __init__(
        self,
        max_learning_rate: float,
        total_steps: int,
        warmup_steps: int | None = None,
        initial_divisor: float = 25.0,
        final_divisor: float = 1e4,
        annealing: str = "cosine",
        name: str = "OneCycleSchedule",
    ) -> None:
        super().__init__()
        self.max_learning_rate = _check_learning_rate("max_learning_rate", max_learning_rate)
        self.total_steps = _check_steps("total_steps", total_steps)
        if warmup_steps is None:
            warmup_steps = int(round(0.3 * self.total_steps))
        self.warmup_steps = _check_steps("warmup_steps", warmup_steps, allow_zero=True)
        if self.warmup_steps >= self.total_steps:
            raise ValueError(
                "`warmup_steps` must be shorter than `total_steps` (the cycle needs an annealing "
                f"phase). Received: warmup_steps={warmup_steps!r}, total_steps={total_steps!r}"
            )
        for arg, value in (("initial_divisor", initial_divisor), ("final_divisor", final_divisor)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not float(value) >= 1.0:
                raise ValueError(f"`{arg}` must be a number >= 1. Received: {arg}={value!r}")
        self.initial_divisor = float(initial_divisor)
        self.final_divisor = float(final_divisor)
        if annealing not in _ANNEALING:
            raise ValueError(f"`annealing` must be one of {_ANNEALING}. Received: annealing={annealing!r}")
        self.annealing = annealing
        self.name = name

    @property
    def initial_learning_rate(self) -> float:
        """The rate at step 0: ``max_learning_rate / initial_divisor``."""
        return self.max_learning_rate / self.initial_divisor

    @property
    def final_learning_rate(self) -> float:
        """The rate from ``total_steps`` on: ``initial_learning_rate / final_divisor``."""
        return self.initial_learning_rate / self.final_divisor

    def __call__(self, step: Any) -> Any:
        ops = keras.ops
        t = ops.cast(step, "float32")
        total = float(self.total_steps)
        warm = float(self.warmup_steps)
        t = ops.clip(t, 0.0, total)
        peak, lo, end = self.max_learning_rate, self.initial_learning_rate, self.final_learning_rate
        # Progress through each phase, in [0, 1]; max(., 1) keeps warmup_steps=0 free of 0/0.
        rise = ops.clip(t / max(warm, 1.0), 0.0, 1.0)
        fall = ops.clip((t - warm) / (total - warm), 0.0, 1.0)
        if self.annealing == "cosine":
            up = (1.0 - ops.cos(math.pi * rise)) / 2.0
            down = (1.0 + ops.cos(math.pi * fall)) / 2.0
        else:
            up, down = rise, 1.0 - fall
        return ops.where(t < warm, lo + (peak - lo) * up, end + (peak - end) * down)

    def get_config(self) -> dict[str, Any]:
        return {
            "max_learning_rate": self.max_learning_rate,
            "total_steps": self.total_steps,
            "warmup_steps": self.warmup_steps,
            "initial_divisor": self.initial_divisor,
            "final_divisor": self.final_divisor,
            "annealing": self.annealing,
            "name": self.name,
        }


def _learning_rate_reader(optimizer: Any) -> Any:
    """A function returning ``optimizer.learning_rate``: the rate of the next update (a schedule
    is evaluated at ``optimizer.iterations``). On TensorFlow it is compiled once with
    ``tf.function``, as inside ``fit``'s train step; evaluating a schedule eagerly before every
    batch would cost more than the batch itself."""
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        return tf.function(lambda: (optimizer.learning_rate, optimizer.iterations))
    return lambda: (optimizer.learning_rate, optimizer.iterations)


@keras.saving.register_keras_serializable(package="course_utils")
class LearningRateLogger(keras.callbacks.Callback):
    """Records the learning rate the optimizer actually uses, per epoch or per batch.

    In Keras 3, ``model.optimizer.learning_rate`` is the rate of the *next* update: a schedule
    object is evaluated at ``optimizer.iterations``, and callbacks such as
    ``LearningRateScheduler`` or ``ReduceLROnPlateau`` assign a new value to the variable. The
    logger reads it at the start of every batch, right before the update that uses it, so the
    record does not depend on the order of the callbacks.

    * ``every="epoch"`` keeps the rate of each epoch's first batch (one value per epoch);
    * ``every="batch"`` keeps the rate of every batch.

    ``steps[i]`` is the value of ``optimizer.iterations`` (the step that a schedule was
    evaluated at) for ``learning_rates[i]``, and ``epochs[i]`` the 0-based epoch.

    Args:
        every: ``"epoch"`` (default) or ``"batch"``.

    Raises:
        ValueError: If ``every`` is neither.

    Example:

    >>> from course_utils import LearningRateLogger
    >>> logger = LearningRateLogger(every="batch")
    >>> # model.fit(..., callbacks=[logger]); then logger.learning_rates, logger.steps
    >>> logger.learning_rates
    []
    """

    def __init__(self, every: str = "epoch") -> None:
        super().__init__()
        if every not in ("epoch", "batch"):
            raise ValueError(f"`every` must be 'epoch' or 'batch'. Received: every={every!r}")
        self.every = every
        self.learning_rates: list[float] = []
        self.steps: list[int] = []
        self.epochs: list[int] = []
        self._epoch = 0
        self._first_batch = True
        self._read: Any = None

    def on_train_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        self.learning_rates, self.steps, self.epochs = [], [], []
        self._read = _learning_rate_reader(self.model.optimizer)

    def on_epoch_begin(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        self._epoch = int(epoch)
        self._first_batch = True

    def on_train_batch_begin(self, batch: int, logs: Mapping[str, Any] | None = None) -> None:
        if self.every == "epoch" and not self._first_batch:
            return
        self._first_batch = False
        rate, step = self._read()
        self.learning_rates.append(float(keras.ops.convert_to_numpy(rate)))
        self.steps.append(int(keras.ops.convert_to_numpy(step)))
        self.epochs.append(self._epoch)

    def get_config(self) -> dict[str, Any]:
        return {"every": self.every}


def schedule_values(schedule: Any, steps: Sequence[int] | np.ndarray) -> np.ndarray:
    """Evaluates a learning-rate schedule at the given steps.

    A Keras schedule object is evaluated on all steps at once when its formula allows it, or
    else through one compiled function (``CosineDecay`` with warm-up branches on the step); a
    plain function is called once per step with a Python ``int``.

    Args:
        schedule: A ``keras.optimizers.schedules.LearningRateSchedule`` (or any callable that
            maps a step, or an epoch, to a rate, such as the function given to
            ``keras.callbacks.LearningRateScheduler``).
        steps: The steps (or epochs) to evaluate at: non-negative integers.

    Returns:
        A float64 array of the rates, one per step.

    Raises:
        ValueError: If ``schedule`` is not callable, ``steps`` is empty or has a negative
            entry, or the schedule returns something that is not a single finite number.

    Example:

    >>> import keras
    >>> from course_utils import schedule_values
    >>> s = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    >>> schedule_values(s, [0, 10, 20]).round(6).tolist()
    [0.1, 0.05, 0.025]
    """
    if not callable(schedule):
        raise ValueError(
            f"`schedule` must be a schedule object or a function of the step. Received: {schedule!r}"
        )
    steps_arr = np.asarray(steps)
    if steps_arr.ndim != 1 or steps_arr.size == 0:
        raise ValueError(f"`steps` must be a non-empty 1-D sequence of steps. Received: steps={steps!r}")
    if not np.issubdtype(steps_arr.dtype, np.integer) or (steps_arr < 0).any():
        raise ValueError(f"`steps` must hold non-negative integers. Received: steps={steps!r}")
    if isinstance(schedule, keras.optimizers.schedules.LearningRateSchedule):
        vectorized = _vectorized_values(schedule, steps_arr)
        if vectorized is not None:
            return vectorized
    out = np.empty(len(steps_arr))
    for i, step in enumerate(steps_arr.tolist()):
        value = schedule(step)
        try:
            number = float(keras.ops.convert_to_numpy(value))
        except (TypeError, ValueError):
            raise ValueError(f"The schedule returned {value!r} at step {step}; expected a number.") from None
        if not math.isfinite(number):
            raise ValueError(f"The schedule returned {number} at step {step}; expected a finite rate.")
        out[i] = number
    return out


def _vectorized_values(schedule: Any, steps: np.ndarray) -> np.ndarray | None:
    """All steps at once, or ``None`` when that fails (then the caller goes step by step)."""
    try:  # one call on the vector of steps: fine for formulas without branches
        values = np.asarray(
            keras.ops.convert_to_numpy(schedule(keras.ops.convert_to_tensor(steps.astype("int64")))),
            dtype=float,
        )
        if values.shape == steps.shape and np.isfinite(values).all():
            return values
    except Exception:  # noqa: BLE001 - e.g. a `cond` on a vector (CosineDecay with warm-up)
        pass
    if keras.backend.backend() != "tensorflow":
        return None
    import tensorflow as tf

    try:  # one compiled loop over the steps
        compiled = tf.function(lambda t: tf.map_fn(schedule, t, fn_output_signature=tf.float32))
        values = np.asarray(compiled(tf.constant(steps.astype("int64"))), dtype=float)
    except Exception:  # noqa: BLE001 - not traceable: let the caller evaluate eagerly
        return None
    return values if np.isfinite(values).all() else None


# ---- the learning-rate range test ---------------------------------------------------------------


def smooth_losses(losses: Sequence[float] | np.ndarray, beta: float = 0.9) -> np.ndarray:
    """Exponential moving average of a noisy loss curve, with bias correction.

    ``avg_t = beta * avg_{t-1} + (1 - beta) * loss_t`` and ``smoothed_t = avg_t / (1 - beta^(t+1))``
    (so the first values are not pulled towards 0).

    Args:
        losses: Per-batch losses.
        beta: Smoothing factor in ``[0, 1)``; larger is smoother (and lags more).

    Returns:
        The smoothed curve, same length as ``losses``.

    Raises:
        ValueError: If ``beta`` is outside ``[0, 1)`` or ``losses`` is empty.

    Example:

    >>> from course_utils import smooth_losses
    >>> smooth_losses([1.0, 1.0, 1.0], beta=0.5).tolist()
    [1.0, 1.0, 1.0]
    """
    if isinstance(beta, bool) or not isinstance(beta, (int, float)) or not 0.0 <= beta < 1.0:
        raise ValueError(f"`beta` must be a number in [0, 1). Received: beta={beta!r}")
    arr = np.asarray(losses, dtype=float)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError("`losses` must be a non-empty 1-D sequence of numbers.")
    out = np.empty_like(arr)
    avg = 0.0
    for t, loss in enumerate(arr):
        avg = beta * avg + (1.0 - beta) * loss
        out[t] = avg / (1.0 - beta ** (t + 1))
    return out


_METHODS = ("steepest", "min_over_10")


def suggest_learning_rate(
    learning_rates: Sequence[float] | np.ndarray,
    losses: Sequence[float] | np.ndarray,
    *,
    method: str = "steepest",
    beta: float = 0.9,
    skip_start: int = 5,
) -> float:
    """Picks a learning rate from a range test's curve (rate increasing, loss per batch).

    * ``"steepest"``: the rate where the smoothed loss falls fastest per unit of
      ``log10(rate)``, searched before the loss minimum: the middle of the useful range.
    * ``"min_over_10"``: one tenth of the rate at the smoothed loss's minimum. At the minimum
      the rate is already almost too large (the loss turns around just after), so a factor of
      10 backs off to a safe value.

    Args:
        learning_rates: The rates tried, increasing.
        losses: The training loss of each batch, same length.
        method: ``"steepest"`` or ``"min_over_10"``.
        beta: Smoothing factor of :func:`smooth_losses`.
        skip_start: Batches ignored at the start (the smoothing needs a few to settle).

    Returns:
        The suggested learning rate.

    Raises:
        ValueError: If the inputs differ in length, are too short, the rates do not increase,
            or ``method`` is unknown.

    Example:

    >>> import numpy as np
    >>> from course_utils import suggest_learning_rate
    >>> lrs = np.logspace(-4, 0, 41)
    >>> losses = 2 - np.tanh(np.log10(lrs) + 2.5) + np.where(lrs > 0.1, 50 * (lrs - 0.1), 0)
    >>> round(float(np.log10(suggest_learning_rate(lrs, losses, beta=0.0, skip_start=0))), 1)
    -2.5
    """
    if method not in _METHODS:
        raise ValueError(f"`method` must be one of {_METHODS}. Received: method={method!r}")
    lrs = np.asarray(learning_rates, dtype=float)
    raw = np.asarray(losses, dtype=float)
    if lrs.shape != raw.shape or lrs.ndim != 1:
        raise ValueError(
            f"`learning_rates` and `losses` must be 1-D and of the same length. "
            f"Received: {lrs.shape} and {raw.shape}"
        )
    skip_start = _check_steps("skip_start", skip_start, allow_zero=True)
    if len(lrs) < skip_start + 3:
        raise ValueError(
            f"The curve has {len(lrs)} points; at least skip_start + 3 = {skip_start + 3} are needed."
        )
    if (lrs <= 0).any() or (np.diff(lrs) <= 0).any():
        raise ValueError("`learning_rates` must be positive and strictly increasing.")
    finite = np.isfinite(raw)
    cut = int(np.argmin(finite)) if not finite.all() else len(raw)  # stop at the first nan/inf
    smoothed = smooth_losses(raw[:cut], beta=beta)[skip_start:]
    lrs = lrs[skip_start:cut]
    if len(lrs) < 3:
        raise ValueError("The loss is not finite early in the curve; start the test at a smaller rate.")
    lowest = int(np.argmin(smoothed))
    if method == "min_over_10":
        return float(lrs[lowest] / 10.0)
    slope = np.gradient(smoothed, np.log10(lrs))
    search = slope[: max(lowest, 1) + 1]
    return float(lrs[int(np.argmin(search))])


class LRFinder(keras.callbacks.Callback):
    """Callback of the learning-rate range test: raises the rate geometrically every batch and
    records the training loss of each batch.

    Batch ``k`` (0-based) uses ``min_learning_rate * (max_learning_rate /
    min_learning_rate) ** (k / (num_steps - 1))``. Training stops after ``num_steps`` batches,
    or earlier when the loss is not finite or exceeds ``divergence_factor`` times the lowest
    smoothed loss seen (the rate is then clearly too large).

    The optimizer must have been created with a plain float ``learning_rate`` (not a schedule
    object): the callback assigns the rate before every batch.

    Args:
        min_learning_rate: First rate (positive).
        max_learning_rate: Last rate (larger than ``min_learning_rate``).
        num_steps: Number of batches the rate takes to go from min to max (at least 3).
        divergence_factor: Stop when the loss exceeds this multiple of the lowest smoothed loss
            (> 1); ``None`` never stops early.
        beta: Smoothing factor for the divergence check (see :func:`smooth_losses`).

    Raises:
        ValueError: If a rate is not positive, the range is empty, or ``num_steps < 3``.

    Example:

    >>> from course_utils import LRFinder
    >>> finder = LRFinder(1e-4, 1.0, num_steps=100)
    >>> round(finder.rate_at(99), 6)
    1.0
    """

    def __init__(
        self,
        min_learning_rate: float,
        max_learning_rate: float,
        num_steps: int,
        divergence_factor: float | None = 4.0,
        beta: float = 0.9,
    ) -> None:
        super().__init__()
        self.min_learning_rate = _check_learning_rate("min_learning_rate", min_learning_rate)
        self.max_learning_rate = _check_learning_rate("max_learning_rate", max_learning_rate)
        if self.max_learning_rate <= self.min_learning_rate:
            raise ValueError(
                "`max_learning_rate` must be larger than `min_learning_rate`. Received: "
                f"min_learning_rate={min_learning_rate!r}, max_learning_rate={max_learning_rate!r}"
            )
        self.num_steps = _check_steps("num_steps", num_steps)
        if self.num_steps < 3:
            raise ValueError(f"`num_steps` must be at least 3. Received: num_steps={num_steps!r}")
        if divergence_factor is not None and not (
            isinstance(divergence_factor, (int, float)) and divergence_factor > 1
        ):
            raise ValueError(
                f"`divergence_factor` must be > 1 or None. Received: divergence_factor={divergence_factor!r}"
            )
        self.divergence_factor = divergence_factor
        self.beta = float(check_non_negative("beta", beta))
        if self.beta >= 1.0:
            raise ValueError(f"`beta` must be in [0, 1). Received: beta={beta!r}")
        self.learning_rates: list[float] = []
        self.losses: list[float] = []
        self.stopped_early = False
        self._step = 0
        self._avg = 0.0
        self._best = math.inf

    def rate_at(self, step: int) -> float:
        """The rate of batch ``step`` (0-based)."""
        ratio = self.max_learning_rate / self.min_learning_rate
        return self.min_learning_rate * ratio ** (step / (self.num_steps - 1))

    def on_train_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        if not isinstance(self.model.optimizer._learning_rate, keras.Variable):
            raise ValueError(
                "LRFinder needs an optimizer created with a float learning_rate, not a schedule object."
            )
        self.learning_rates, self.losses = [], []
        self.stopped_early, self._step, self._avg, self._best = False, 0, 0.0, math.inf

    def on_train_batch_begin(self, batch: int, logs: Mapping[str, Any] | None = None) -> None:
        self.model.optimizer.learning_rate = self.rate_at(self._step)
        # logs["loss"] is a running mean over the epoch; resetting the metrics before every
        # batch makes it the loss of this batch alone.
        self.model.reset_metrics()

    def on_train_batch_end(self, batch: int, logs: Mapping[str, Any] | None = None) -> None:
        loss = float((logs or {}).get("loss", math.nan))
        self.learning_rates.append(self.rate_at(self._step))
        self.losses.append(loss)
        self._step += 1
        self._avg = self.beta * self._avg + (1 - self.beta) * loss
        smoothed = self._avg / (1 - self.beta**self._step)
        self._best = min(self._best, smoothed)
        diverged = not math.isfinite(loss) or (
            self.divergence_factor is not None
            and self._step > 5
            and smoothed > self.divergence_factor * self._best
        )
        if diverged or self._step >= self.num_steps:
            self.stopped_early = diverged
            self.model.stop_training = True


@dataclass(frozen=True)
class LRRangeTestResult:
    """What :func:`lr_range_test` measured.

    Attributes:
        learning_rates: The rate of each batch, increasing.
        losses: The training loss of each batch (before the update with that rate).
        smoothed_losses: ``losses`` smoothed by :func:`smooth_losses`.
        suggestion: The rate :func:`suggest_learning_rate` picks.
        method: The rule used for ``suggestion``.
        stopped_early: Whether the loss diverged before the last planned step.

    Example:

    >>> import numpy as np
    >>> from course_utils import LRRangeTestResult
    >>> r = LRRangeTestResult(np.array([1e-3, 1e-2, 1e-1]), np.array([2.0, 1.0, 3.0]),
    ...                       np.array([2.0, 1.5, 2.0]), 1e-2, "steepest", False)
    >>> r.lr_at_min_loss
    0.01
    """

    learning_rates: np.ndarray
    losses: np.ndarray
    smoothed_losses: np.ndarray
    suggestion: float
    method: str
    stopped_early: bool

    @property
    def lr_at_min_loss(self) -> float:
        """The rate at the minimum of the smoothed loss."""
        return float(self.learning_rates[int(np.argmin(self.smoothed_losses))])


def lr_range_test(
    model: keras.Model,
    data: Dataset,
    *,
    min_learning_rate: float = 1e-5,
    max_learning_rate: float = 10.0,
    num_steps: int = 200,
    batch_size: int = 32,
    method: str = "steepest",
    beta: float = 0.9,
    divergence_factor: float | None = 4.0,
    seed: int = 0,
) -> LRRangeTestResult:
    """Runs the learning-rate range test (Smith, 2017) on a freshly compiled model.

    The rate grows geometrically from ``min_learning_rate`` to ``max_learning_rate`` over
    ``num_steps`` batches (the training set is repeated as needed) while each batch's loss is
    recorded. The loss first barely moves (rate too small), then falls fast (useful rates), then
    explodes (too large). The model is trained by the test: build a fresh one for the real run.

    Args:
        model: A compiled model whose optimizer has a float ``learning_rate``.
        data: A :class:`course_utils.Dataset`; only its training split is used.
        min_learning_rate: First rate.
        max_learning_rate: Last rate.
        num_steps: Batches from the first to the last rate.
        batch_size: Examples per batch.
        method: Rule for the suggestion (see :func:`suggest_learning_rate`).
        beta: Smoothing factor.
        divergence_factor: Stop once the smoothed loss exceeds this multiple of its minimum.
        seed: Shuffle seed.

    Returns:
        A :class:`LRRangeTestResult`.

    Raises:
        ValueError: For invalid rates, step counts or ``method``, or an uncompiled model.

    Example:

    >>> import keras
    >>> from course_utils import build_mlp, load_dataset, lr_range_test
    >>> data = load_dataset("digits", n_train=200)
    >>> model = build_mlp(data.input_shape, data.num_classes, (32,), seed=0)
    >>> model.compile(optimizer=keras.optimizers.SGD(learning_rate=1e-3),
    ...               loss="sparse_categorical_crossentropy")
    >>> result = lr_range_test(model, data, num_steps=50)
    >>> 1e-5 <= result.suggestion <= 10
    True
    """
    from .training import as_tf_dataset

    if method not in _METHODS:
        raise ValueError(f"`method` must be one of {_METHODS}. Received: method={method!r}")
    if getattr(model, "optimizer", None) is None:
        raise ValueError(
            f"Model {model.name!r} is not compiled. Compile it with an optimizer "
            "that has a float learning_rate first."
        )
    batch_size = check_positive_int("batch_size", batch_size)
    finder = LRFinder(
        min_learning_rate, max_learning_rate, num_steps, divergence_factor=divergence_factor, beta=beta
    )
    ds = as_tf_dataset(data.x_train, data.y_train, batch_size=batch_size, shuffle=True, seed=seed)
    model.fit(ds.repeat().take(num_steps), epochs=1, verbose=0, shuffle=False, callbacks=[finder])
    lrs = np.asarray(finder.learning_rates)
    losses = np.asarray(finder.losses)
    suggestion = suggest_learning_rate(lrs, losses, method=method, beta=beta)
    clean = np.where(np.isfinite(losses), losses, np.nan)
    smoothed = smooth_losses(np.nan_to_num(clean, nan=np.nanmax(clean)), beta=beta)
    return LRRangeTestResult(
        learning_rates=lrs,
        losses=losses,
        smoothed_losses=smoothed,
        suggestion=suggestion,
        method=method,
        stopped_early=finder.stopped_early,
    )
