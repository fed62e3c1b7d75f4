"""Helpers for the lesson on early stopping, checkpoints and selection bias.

* :func:`early_stopping_trace` / :func:`stopping_epoch` apply the rule of
  ``keras.callbacks.EarlyStopping`` to a *recorded* curve, epoch by epoch, so that you can ask
  "where would it have stopped with ``patience=5``?" without training again;
* :func:`replay_early_stopping` feeds a recorded curve through a real Keras callback (no
  training), to check the rule against Keras itself;
* :func:`build_model_bank` builds many small, independent classifiers inside one Keras model, so
  that a sweep of dozens of candidates costs about as much as training one;
* :func:`selection_bias` and :func:`resampled_selection_bias` measure how optimistic the score of
  a model is on the very data it was *selected* by, against an untouched hold-out.

The lesson keeps the callbacks themselves (``EarlyStopping``, ``ModelCheckpoint``) in plain view;
this module holds only the plumbing around them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from numbers import Integral, Real
from typing import Any

import numpy as np

from ._validation import check_positive_int

__all__ = [
    "EarlyStoppingTrace",
    "SelectionBias",
    "build_model_bank",
    "early_stopping_trace",
    "replay_early_stopping",
    "resampled_selection_bias",
    "selection_bias",
    "stopping_epoch",
]

_MODES = ("min", "max")


# ------------------------------------------------------------------------------------------------
# The early-stopping rule, simulated on a recorded curve
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EarlyStoppingTrace:
    """What ``keras.callbacks.EarlyStopping`` does on one curve, epoch by epoch (1-based epochs).

    Attributes:
        stop_epoch: The epoch at whose end the callback stops training, or ``None`` if it never
            fires within the curve (training then runs until the epoch budget ends).
        epochs_trained: How many epochs run: ``stop_epoch``, or the curve's length.
        best_epoch: The epoch whose weights ``restore_best_weights=True`` puts back (the last
            epoch that counted as an improvement); ``None`` if no epoch was monitored.
        best_value: The monitored value at ``best_epoch`` (``None`` likewise).
        waits: The callback's ``wait`` counter after each epoch that ran: how many epochs in a
            row went without an improvement (0 on an improvement; unchanged during the
            ``start_from_epoch`` warm-up).
        improved: Whether each epoch that ran counted as an improvement.

    Example:

    >>> from course_utils import early_stopping_trace
    >>> trace = early_stopping_trace([1.0, 0.8, 0.9, 0.95], patience=2)
    >>> trace.stop_epoch, trace.best_epoch, trace.as_dict()["waits"]
    (4, 2, [0, 0, 1, 2])
    """

    stop_epoch: int | None
    epochs_trained: int
    best_epoch: int | None
    best_value: float | None
    waits: tuple[int, ...]
    improved: tuple[bool, ...]

    def as_dict(self) -> dict[str, Any]:
        """The trace as a plain dict (lists instead of tuples), e.g. to record it."""
        d = asdict(self)
        d["waits"], d["improved"] = list(self.waits), list(self.improved)
        return d


def _check_curve(values: Any) -> list[float]:
    raw = getattr(values, "history", values)
    if isinstance(raw, dict):
        raise ValueError(
            "`values` must be the list of one monitored metric, e.g. history.history['val_loss'], "
            f"not the whole history dict (keys {sorted(raw)})."
        )
    if isinstance(raw, (str, bytes)) or not isinstance(raw, (Sequence, np.ndarray)):
        raise ValueError(
            "`values` must be a sequence of numbers, one per epoch, e.g. "
            f"history.history['val_loss']. Received: values of type {type(values).__name__}"
        )
    out = []
    for i, v in enumerate(np.asarray(raw, dtype=object).reshape(-1).tolist()):
        if isinstance(v, bool) or not isinstance(v, Real) or not math.isfinite(float(v)):
            raise ValueError(f"`values` must hold finite numbers; entry {i} (epoch {i + 1}) is {v!r}.")
        out.append(float(v))
    if not out:
        raise ValueError("`values` is empty: record at least one epoch.")
    return out


def _check_non_negative_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 0:
        raise ValueError(f"`{name}` must be an integer >= 0. Received: {name}={value!r}")
    return int(value)


def _check_min_delta(min_delta: object) -> float:
    if (
        isinstance(min_delta, bool)
        or not isinstance(min_delta, Real)
        or not (math.isfinite(float(min_delta)) and float(min_delta) >= 0.0)
    ):
        raise ValueError(
            "`min_delta` must be a number >= 0 (the smallest change that counts as an "
            f"improvement). Received: min_delta={min_delta!r}"
        )
    return float(min_delta)


def _check_mode(mode: object) -> str:
    if mode not in _MODES:
        raise ValueError(
            f"`mode` must be 'min' (for a loss) or 'max' (for an accuracy). Received: mode={mode!r}"
        )
    return str(mode)


def early_stopping_trace(
    values: Sequence[float],
    *,
    patience: int = 0,
    min_delta: float = 0.0,
    start_from_epoch: int = 0,
    mode: str = "min",
    baseline: float | None = None,
) -> EarlyStoppingTrace:
    """Applies the rule of ``keras.callbacks.EarlyStopping`` to a recorded curve.

    After every epoch ``t`` (counting from 1) the callback compares the monitored value
    ``v_t`` with the best value so far, ``b``. With ``mode="min"`` the epoch is an
    *improvement* when ``v_t + min_delta < b`` (``v_t - min_delta > b`` with ``mode="max"``);
    the first monitored epoch always is. On an improvement ``b`` becomes ``v_t`` and the
    ``wait`` counter restarts at 0; otherwise ``wait`` grows by one, and once it reaches
    ``patience`` training stops at the end of that epoch. Epochs ``1 .. start_from_epoch``
    are not monitored at all. This is Keras 3's rule exactly, including two details that
    surprise people: an improvement smaller than ``min_delta`` does *not* move ``b``, and
    ``patience=0`` behaves like ``patience=1`` (the first epoch without an improvement stops).

    Args:
        values: The monitored metric, one value per epoch, e.g.
            ``history.history["val_loss"]``.
        patience: Epochs without improvement after which training stops (``>= 0``).
        min_delta: Smallest change of the monitored value that counts as an improvement
            (``>= 0``).
        start_from_epoch: Number of warm-up epochs that are not monitored (``>= 0``).
        mode: ``"min"`` for a loss, ``"max"`` for an accuracy (Keras's ``"auto"`` picks one of
            the two from the metric's name).
        baseline: Optional value to beat: an improvement that does not also beat ``baseline``
            does not reset ``wait``.

    Returns:
        An :class:`EarlyStoppingTrace`.

    Raises:
        ValueError: If ``values`` is empty or not a sequence of finite numbers, ``patience`` or
            ``start_from_epoch`` is not an integer ``>= 0``, ``min_delta`` is negative, or
            ``mode`` is not ``"min"``/``"max"``.

    Example:

    >>> from course_utils import early_stopping_trace
    >>> trace = early_stopping_trace([1.0, 0.8, 0.7, 0.75, 0.72, 0.9, 0.6], patience=2)
    >>> trace.stop_epoch, trace.best_epoch, trace.waits
    (5, 3, (0, 0, 0, 1, 2))
    """
    curve = _check_curve(values)
    patience = _check_non_negative_int("patience", patience)
    start_from_epoch = _check_non_negative_int("start_from_epoch", start_from_epoch)
    min_delta = _check_min_delta(min_delta)
    mode = _check_mode(mode)
    if baseline is not None and (
        isinstance(baseline, bool) or not isinstance(baseline, Real) or not math.isfinite(float(baseline))
    ):
        raise ValueError(f"`baseline` must be a finite number or None. Received: baseline={baseline!r}")

    # Written as Keras writes it: monitor_op(current - signed_delta, reference).
    signed_delta = -min_delta if mode == "min" else min_delta

    def is_improvement(current: float, reference: float | None) -> bool:
        if reference is None:
            return True
        shifted = current - signed_delta
        return shifted < reference if mode == "min" else shifted > reference

    best: float | None = None
    best_epoch: int | None = None
    wait = 0
    waits: list[int] = []
    improved: list[bool] = []
    for index, current in enumerate(curve):
        epoch = index + 1
        if index < start_from_epoch:  # warm-up: not monitored
            waits.append(wait)
            improved.append(False)
            continue
        wait += 1
        if is_improvement(current, best):
            best, best_epoch = current, epoch
            if baseline is None or is_improvement(current, float(baseline)):
                wait = 0
            waits.append(wait)
            improved.append(True)
            continue
        waits.append(wait)
        improved.append(False)
        if wait >= patience and index > 0:
            return EarlyStoppingTrace(epoch, epoch, best_epoch, best, tuple(waits), tuple(improved))
    return EarlyStoppingTrace(None, len(curve), best_epoch, best, tuple(waits), tuple(improved))


def stopping_epoch(
    values: Sequence[float],
    *,
    patience: int = 0,
    min_delta: float = 0.0,
    start_from_epoch: int = 0,
    mode: str = "min",
) -> int | None:
    """The epoch (counting from 1) at which ``EarlyStopping`` would stop on a recorded curve.

    A shortcut for ``early_stopping_trace(...).stop_epoch``; see :func:`early_stopping_trace`
    for the rule.

    Args:
        values: The monitored metric, one value per epoch.
        patience: Epochs without improvement after which training stops (``>= 0``).
        min_delta: Smallest change that counts as an improvement (``>= 0``).
        start_from_epoch: Number of warm-up epochs that are not monitored (``>= 0``).
        mode: ``"min"`` for a loss, ``"max"`` for an accuracy.

    Returns:
        The stopping epoch, or ``None`` if the rule never fires within ``values``.

    Raises:
        ValueError: As :func:`early_stopping_trace`, e.g. for a negative ``patience``.

    Example:

    >>> from course_utils import stopping_epoch
    >>> curve = [1.0, 0.8, 0.7, 0.75, 0.72, 0.9, 0.6]
    >>> stopping_epoch(curve, patience=2), stopping_epoch(curve, patience=4)
    (5, None)
    """
    return early_stopping_trace(
        values, patience=patience, min_delta=min_delta, start_from_epoch=start_from_epoch, mode=mode
    ).stop_epoch


_REPLAY_MODEL: Any = None


def _replay_model() -> Any:
    """A tiny compiled model whose compiled metrics are built (Keras's ``mode="auto"`` reads the
    direction of ``accuracy`` from them)."""
    global _REPLAY_MODEL
    if _REPLAY_MODEL is None:
        import keras

        model = keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(2, activation="softmax")])
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        model.evaluate(np.zeros((1, 1), "float32"), np.zeros(1, "int64"), verbose=0)
        _REPLAY_MODEL = model
    return _REPLAY_MODEL


def replay_early_stopping(callback: Any, values: Sequence[float]) -> EarlyStoppingTrace:
    """Feeds a recorded curve through a real ``keras.callbacks.EarlyStopping``, without training.

    The callback sees, after each epoch, the logs ``{callback.monitor: value}``, exactly as in
    ``fit``, and the replay ends when it sets ``stop_training``. Use it to check what a
    configured callback would do on a curve you already have, or to compare
    :func:`early_stopping_trace` with Keras itself.

    Args:
        callback: A ``keras.callbacks.EarlyStopping`` instance (it is reset, as ``fit`` does).
        values: The monitored metric, one value per epoch.

    Returns:
        An :class:`EarlyStoppingTrace` read from the callback's own state.

    Raises:
        ValueError: If ``callback`` is not an ``EarlyStopping`` or ``values`` is not a
            non-empty sequence of finite numbers.

    Example:

    >>> import keras
    >>> from course_utils import replay_early_stopping
    >>> es = keras.callbacks.EarlyStopping(monitor="val_loss", patience=2)
    >>> replay_early_stopping(es, [1.0, 0.8, 0.7, 0.75, 0.72, 0.9, 0.6]).stop_epoch
    5
    """
    import keras

    if not isinstance(callback, keras.callbacks.EarlyStopping):
        raise ValueError(
            f"`callback` must be a keras.callbacks.EarlyStopping. Received: {type(callback).__name__}"
        )
    curve = _check_curve(values)
    model = _replay_model()
    model.stop_training = False
    callback.set_model(model)
    callback.on_train_begin()
    waits: list[int] = []
    improved: list[bool] = []
    stop: int | None = None
    try:
        for index, value in enumerate(curve):
            callback.on_epoch_end(index, {callback.monitor: value})
            waits.append(int(callback.wait))
            improved.append(index >= callback.start_from_epoch and callback.best_epoch == index)
            if model.stop_training:
                stop = index + 1
                break
    finally:
        model.stop_training = False
        callback.best_weights = None  # do not let on_train_end touch the replay model
    best = None if callback.best is None else float(callback.best)
    return EarlyStoppingTrace(
        stop,
        len(waits),
        None if best is None else int(callback.best_epoch) + 1,
        best,
        tuple(waits),
        tuple(improved),
    )


# ------------------------------------------------------------------------------------------------
# Many candidates at once, and the bias of selecting among them
# ------------------------------------------------------------------------------------------------


def build_model_bank(
    input_shape: Sequence[int],
    num_classes: int,
    n_models: int,
    hidden_units: int = 32,
    *,
    seed: int = 0,
    name: str = "model_bank",
) -> Any:
    """Builds ``n_models`` independent one-hidden-layer classifiers inside one Keras model.

    Model ``k`` is ``Flatten -> Dense(hidden_units, relu) -> Dense(num_classes, softmax)`` with
    its own weights; the bank computes all of them side by side (one wide ``Dense`` for the
    hidden layers, one ``EinsumDense`` that gives each model its own output weights) and
    returns predictions of shape ``(batch, n_models, num_classes)``. No weight is shared, and
    the loss is the mean of the models' losses, so each model receives the gradient of its own
    loss only (scaled by ``1 / n_models``, which Adam's per-weight normalization undoes):
    training the bank trains ``n_models`` networks that differ only in their initial weights,
    at about the cost of one. Each model's weights start from Glorot-uniform values computed
    for its own layer sizes.

    Compile it with ``loss="sparse_categorical_crossentropy"`` and fit it on labels repeated
    once per model: ``np.repeat(y[:, None], n_models, axis=1)``.

    Args:
        input_shape: Shape of one example, e.g. ``data.input_shape``.
        num_classes: Number of classes (at least 2).
        n_models: Number of independent models in the bank (positive).
        hidden_units: Width of each model's hidden layer (positive).
        seed: Seed of the initial weights.
        name: The Keras model's name.

    Returns:
        An uncompiled ``keras.Model``; its output has shape ``(batch, n_models, num_classes)``.

    Raises:
        ValueError: If a size is not a positive integer or ``num_classes < 2``.

    Example:

    >>> from course_utils import build_model_bank
    >>> bank = build_model_bank((8, 8, 1), 10, n_models=5, hidden_units=16)
    >>> tuple(bank.output.shape), bank.count_params() == 5 * (64 * 16 + 16 + 16 * 10 + 10)
    ((None, 5, 10), True)
    """
    import keras

    if isinstance(input_shape, (int, str)) or not isinstance(input_shape, Sequence):
        raise ValueError(f"`input_shape` must be a tuple such as (8, 8, 1). Received: {input_shape!r}")
    shape = tuple(check_positive_int("input_shape entry", d) for d in input_shape)
    if isinstance(num_classes, bool) or not isinstance(num_classes, Integral) or num_classes < 2:
        raise ValueError(f"`num_classes` must be an integer >= 2. Received: num_classes={num_classes!r}")
    n_models = check_positive_int("n_models", n_models)
    hidden_units = check_positive_int("hidden_units", hidden_units)
    if isinstance(seed, bool) or not isinstance(seed, Integral) or seed < 0:
        raise ValueError(f"`seed` must be an integer >= 0. Received: seed={seed!r}")
    n_inputs = int(np.prod(shape))
    n_classes = int(num_classes)
    limit_1 = math.sqrt(6.0 / (n_inputs + hidden_units))
    limit_2 = math.sqrt(6.0 / (hidden_units + n_classes))
    inputs = keras.Input(shape=shape)
    x = keras.layers.Flatten()(inputs)
    x = keras.layers.Dense(
        n_models * hidden_units,
        activation="relu",
        name="hidden_all",
        kernel_initializer=keras.initializers.RandomUniform(-limit_1, limit_1, seed=int(seed)),
    )(x)
    x = keras.layers.Reshape((n_models, hidden_units), name="per_model")(x)
    x = keras.layers.EinsumDense(
        "bkh,khc->bkc",
        output_shape=(n_models, n_classes),
        bias_axes="kc",
        name="output_all",
        kernel_initializer=keras.initializers.RandomUniform(-limit_2, limit_2, seed=int(seed) + 1),
    )(x)
    outputs = keras.layers.Softmax(name="softmax")(x)
    return keras.Model(inputs, outputs, name=name)


@dataclass(frozen=True)
class SelectionBias:
    """The winner of a selection and how its score holds up on an untouched hold-out.

    Attributes:
        winner: Index of the candidate with the best selection score (the first one on a tie).
        winner_selection_score: Its score on the data it was selected by.
        winner_holdout_score: Its score on the untouched hold-out.
        optimism: How much better the selection score looks than the hold-out score
            (``selection - holdout`` for a score where higher is better, reversed otherwise).
        mean_selection_score: The average candidate's selection score.
        mean_holdout_score: The average candidate's hold-out score.
        excess_optimism: ``optimism`` minus the average candidate's optimism: the part due to
            *selecting*, not to one split being easier than the other.
        best_holdout_score: The best hold-out score of any candidate (what an oracle would pick).
        winner_holdout_rank: The winner's rank on the hold-out (1 = best).
        n_candidates: Number of candidates.

    Example:

    >>> from course_utils import selection_bias
    >>> result = selection_bias([0.70, 0.75], [0.72, 0.71])
    >>> result.winner, round(result.optimism, 2), round(result.excess_optimism, 2)
    (1, 0.04, 0.03)
    """

    winner: int
    winner_selection_score: float
    winner_holdout_score: float
    optimism: float
    mean_selection_score: float
    mean_holdout_score: float
    excess_optimism: float
    best_holdout_score: float
    winner_holdout_rank: int
    n_candidates: int

    def as_dict(self) -> dict[str, Any]:
        """The result as a plain dict, e.g. to record it."""
        return asdict(self)


def _check_scores(name: str, scores: Any) -> np.ndarray:
    arr = np.asarray(scores, dtype=float) if not isinstance(scores, (str, bytes)) else None
    if arr is None or arr.ndim != 1 or len(arr) < 2 or not np.all(np.isfinite(arr)):
        raise ValueError(
            f"`{name}` must be a 1-D sequence of at least 2 finite scores, one per candidate. "
            f"Received: {scores!r}"[:300]
        )
    return arr


def selection_bias(
    selection_scores: Sequence[float],
    holdout_scores: Sequence[float],
    *,
    higher_is_better: bool = True,
) -> SelectionBias:
    """Picks the best candidate by ``selection_scores`` and compares with its hold-out score.

    The winner's selection score is the maximum of many noisy estimates, so it is biased
    upwards (the "winner's curse"): part of why it won is luck on those particular examples,
    and that luck does not carry over to new data. The hold-out score of the same model is an
    unbiased estimate *only if the hold-out played no part in the choice*.

    Args:
        selection_scores: One score per candidate on the data used to choose (e.g. accuracy on
            a validation split, or on a test set that was, wrongly, used for choosing).
        holdout_scores: The same candidates' scores on an untouched hold-out, in the same order.
        higher_is_better: ``True`` for accuracy-like scores, ``False`` for losses.

    Returns:
        A :class:`SelectionBias`.

    Raises:
        ValueError: If the score lists are not 1-D, finite, of equal length, with at least 2
            candidates.

    Example:

    >>> from course_utils import selection_bias
    >>> r = selection_bias([0.80, 0.90, 0.85], [0.84, 0.83, 0.86])
    >>> r.winner, round(r.optimism, 2), r.winner_holdout_rank
    (1, 0.07, 3)
    """
    sel = _check_scores("selection_scores", selection_scores)
    hold = _check_scores("holdout_scores", holdout_scores)
    if len(sel) != len(hold):
        raise ValueError(
            "`selection_scores` and `holdout_scores` must list the same candidates. Received "
            f"{len(sel)} and {len(hold)} scores."
        )
    sign = 1.0 if higher_is_better else -1.0
    winner = int(np.argmax(sign * sel))
    optimism = sign * (sel[winner] - hold[winner])
    mean_optimism = sign * (sel.mean() - hold.mean())
    rank = int(np.sum(sign * hold > sign * hold[winner])) + 1
    best_hold = float(hold.max() if higher_is_better else hold.min())
    return SelectionBias(
        winner,
        float(sel[winner]),
        float(hold[winner]),
        float(optimism),
        float(sel.mean()),
        float(hold.mean()),
        float(optimism - mean_optimism),
        best_hold,
        rank,
        len(sel),
    )


def resampled_selection_bias(
    selection_correct: np.ndarray,
    holdout_correct: np.ndarray,
    *,
    subset_size: int,
    n_draws: int = 500,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """Repeats a selection on many random subsets of a pool and returns each winner's scores.

    Each draw picks ``subset_size`` examples of the pool at random (without replacement),
    chooses the candidate with the best accuracy on them and notes that accuracy and the same
    candidate's accuracy on the hold-out. Averaged over draws, the difference estimates the
    *expected* optimism of a selection made on ``subset_size`` examples, independently of how
    easy one particular subset happens to be.

    Args:
        selection_correct: Boolean array ``(n_candidates, n_pool)``: whether each candidate
            classifies each pool example correctly.
        holdout_correct: Boolean array ``(n_candidates, n_holdout)``, same candidates.
        subset_size: Examples per selection subset (between 1 and ``n_pool``).
        n_draws: Number of random subsets (positive).
        seed: Seed of the draws.

    Returns:
        A dict of arrays of length ``n_draws``: ``"winner"``, ``"selection_score"``,
        ``"holdout_score"`` (the winner's), ``"mean_selection_score"``.

    Raises:
        ValueError: If the arrays are not 2-D with the same number of candidates (at least 2),
            or ``subset_size``/``n_draws`` are out of range.

    Example:

    >>> import numpy as np
    >>> from course_utils import resampled_selection_bias
    >>> rng = np.random.default_rng(0)
    >>> pool, hold = rng.random((20, 100)) < 0.7, rng.random((20, 300)) < 0.7
    >>> r = resampled_selection_bias(pool, hold, subset_size=30, n_draws=200)
    >>> bool((r["selection_score"] - r["holdout_score"]).mean() > 0.1)
    True
    """
    sel = np.asarray(selection_correct)
    hold = np.asarray(holdout_correct)
    if sel.ndim != 2 or hold.ndim != 2 or sel.shape[0] != hold.shape[0] or sel.shape[0] < 2:
        raise ValueError(
            "`selection_correct` and `holdout_correct` must be 2-D arrays (candidates x examples) "
            f"with the same number (>= 2) of candidates. Received shapes {sel.shape} and {hold.shape}"
        )
    subset_size = check_positive_int("subset_size", subset_size)
    if subset_size > sel.shape[1]:
        raise ValueError(
            f"`subset_size` must be at most the pool size {sel.shape[1]}. Received: subset_size={subset_size}"
        )
    n_draws = check_positive_int("n_draws", n_draws)
    rng = np.random.default_rng(seed)
    sel_f = sel.astype(float)
    hold_acc = hold.astype(float).mean(axis=1)
    winners = np.empty(n_draws, dtype=int)
    sel_scores = np.empty(n_draws)
    mean_sel = np.empty(n_draws)
    for d in range(n_draws):
        idx = rng.choice(sel.shape[1], size=subset_size, replace=False)
        acc = sel_f[:, idx].mean(axis=1)
        winners[d] = int(np.argmax(acc))
        sel_scores[d] = acc[winners[d]]
        mean_sel[d] = acc.mean()
    return {
        "winner": winners,
        "selection_score": sel_scores,
        "holdout_score": hold_acc[winners],
        "mean_selection_score": mean_sel,
    }
