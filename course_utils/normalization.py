"""Measurements for the lesson on batch normalization and layer normalization (lesson 04).

* :func:`epochs_to_reach`: the first epoch at which a run reaches a target (training speed);
* :func:`ema_initial_weight`, :func:`ema_steps_to_forget`: how fast a moving average with a
  given ``momentum`` forgets its starting value (the moving statistics of ``BatchNormalization``);
* :func:`layer_inputs`, :func:`compare_moving_statistics`, :class:`MovingStatistics`: a batch-norm
  layer's moving mean and variance next to the actual statistics of what it receives;
* :func:`batch_dependence`: how much one sample's output changes with the other samples of its
  batch (batch norm in training mode: a lot; layer norm: not at all).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

import numpy as np

from ._validation import check_positive_int
from .training import HistoryLike, as_history_dict

__all__ = [
    "MovingStatistics",
    "batch_dependence",
    "compare_moving_statistics",
    "ema_initial_weight",
    "ema_steps_to_forget",
    "epochs_to_reach",
    "layer_inputs",
]

_MODES = ("auto", "min", "max")


def _check_finite(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(float(value)):
        raise ValueError(f"`{name}` must be a finite number. Received: {name}={value!r}")
    return float(value)


def _check_momentum(momentum: object) -> float:
    if isinstance(momentum, bool) or not isinstance(momentum, Real) or not 0.0 < float(momentum) < 1.0:
        raise ValueError(
            "`momentum` must be a number strictly between 0 and 1 (Keras's BatchNormalization "
            f"uses 0.99). Received: momentum={momentum!r}"
        )
    return float(momentum)


def epochs_to_reach(
    history: HistoryLike,
    target: float,
    *,
    metric: str = "loss",
    mode: str = "auto",
) -> int | None:
    """Returns the first epoch (counted from 1) at which ``metric`` reaches ``target``.

    "Reaches" means ``<= target`` for a metric to minimize (a loss) and ``>= target`` for one to
    maximize (an accuracy). Use it to compare how fast two models train: the one that reaches
    the same training loss in fewer epochs is faster.

    Args:
        history: A ``keras.callbacks.History`` or its ``.history`` dict.
        target: The value to reach. For a loss it must be ``>= 0`` (a cross-entropy cannot go
            below 0); for an accuracy-like metric it must lie in ``[0, 1]``.
        metric: The metric to read, e.g. ``"loss"``, ``"val_loss"``, ``"accuracy"``.
        mode: ``"min"`` (reach = fall to ``target`` or below), ``"max"`` (reach = rise to
            ``target`` or above), or ``"auto"``: ``"max"`` when the metric name contains
            ``"acc"``, ``"min"`` otherwise.

    Returns:
        The 1-based epoch, or ``None`` if the run never reaches ``target``.

    Raises:
        ValueError: If ``metric`` is not in the history (the message lists those present),
            ``mode`` is unknown, or ``target`` is out of range (e.g. a negative loss).

    Example:

    >>> from course_utils import epochs_to_reach
    >>> epochs_to_reach({"loss": [2.0, 0.9, 0.4, 0.2]}, 0.5)
    3
    >>> epochs_to_reach({"loss": [2.0, 0.9]}, 0.5) is None
    True
    """
    h = as_history_dict(history)
    if metric not in h:
        raise ValueError(f"The history has no metric {metric!r}; it has {sorted(h)}.")
    if mode not in _MODES:
        raise ValueError(f"`mode` must be one of {_MODES}. Received: mode={mode!r}")
    target = _check_finite("target", target)
    resolved = ("max" if "acc" in metric else "min") if mode == "auto" else mode
    if resolved == "min" and target < 0:
        raise ValueError(
            f"`target` must be >= 0 for {metric!r}: a loss cannot be negative. Received: target={target!r}"
        )
    if resolved == "max" and "acc" in metric and not 0.0 <= target <= 1.0:
        raise ValueError(f"`target` must be in [0, 1] for {metric!r}. Received: target={target!r}")
    values = np.asarray(h[metric], dtype=float)
    hit = values <= target if resolved == "min" else values >= target
    where = np.flatnonzero(hit)
    return int(where[0]) + 1 if where.size else None


def ema_initial_weight(momentum: float, steps: int) -> float:
    """Weight that a moving average still gives its starting value after ``steps`` updates.

    ``BatchNormalization`` updates ``moving = momentum * moving + (1 - momentum) * batch_value``
    at every training step. Unrolled, the starting value (0 for the mean, 1 for the variance)
    keeps the weight ``momentum ** steps``; the rest is spread over the batches seen, the most
    recent ones weighing most.

    Args:
        momentum: The moving average's momentum, strictly between 0 and 1.
        steps: Number of updates (training steps), ``>= 0``.

    Returns:
        ``momentum ** steps``.

    Raises:
        ValueError: If ``momentum`` is not in ``(0, 1)`` or ``steps`` is negative.

    Example:

    >>> from course_utils import ema_initial_weight
    >>> round(ema_initial_weight(0.99, 100), 3)
    0.366
    """
    momentum = _check_momentum(momentum)
    if isinstance(steps, bool) or not isinstance(steps, Integral) or steps < 0:
        raise ValueError(f"`steps` must be an integer >= 0. Received: steps={steps!r}")
    return momentum ** int(steps)


def ema_steps_to_forget(momentum: float, remaining: float = 0.01) -> int:
    """Smallest number of updates after which the starting value weighs at most ``remaining``.

    Solves ``momentum ** k <= remaining`` for the smallest integer ``k``:
    ``k = ceil(log(remaining) / log(momentum))``.

    Args:
        momentum: The moving average's momentum, strictly between 0 and 1.
        remaining: The weight left on the starting value, strictly between 0 and 1.

    Returns:
        The number of steps ``k``.

    Raises:
        ValueError: If ``momentum`` or ``remaining`` is not strictly between 0 and 1.

    Example:

    >>> from course_utils import ema_steps_to_forget
    >>> ema_steps_to_forget(0.99, 0.01)
    459
    """
    momentum = _check_momentum(momentum)
    if isinstance(remaining, bool) or not isinstance(remaining, Real) or not 0.0 < float(remaining) < 1.0:
        raise ValueError(
            f"`remaining` must be a number strictly between 0 and 1. Received: remaining={remaining!r}"
        )
    k = math.ceil(math.log(float(remaining)) / math.log(momentum))
    while momentum ** (k - 1) <= remaining and k > 0:  # guard against rounding in the logs
        k -= 1
    return int(k)


def _find_layer(model: Any, layer: Any) -> Any:
    if isinstance(layer, str):
        try:
            return model.get_layer(layer)
        except ValueError:
            names = [lay.name for lay in model.layers]
            raise ValueError(
                f"Model {model.name!r} has no layer {layer!r}; its layers are {names}."
            ) from None
    if layer not in model.layers:
        raise ValueError(f"Layer {getattr(layer, 'name', layer)!r} is not a layer of model {model.name!r}.")
    return layer


def layer_inputs(model: Any, layer: Any, x: np.ndarray, *, batch_size: int = 1024) -> np.ndarray:
    """Computes what one layer of a model receives when the model sees ``x`` (inference mode).

    Args:
        model: A built Keras model (e.g. from :func:`course_utils.build_mlp`).
        layer: The layer or its name, e.g. ``"batch_norm_1"``.
        x: Inputs for the model, first axis = examples.
        batch_size: Examples per forward pass (positive). Inference mode does not depend on it.

    Returns:
        A NumPy array: the layer's input for every example of ``x``.

    Raises:
        ValueError: If the layer is not in the model or ``batch_size`` is not positive.

    Example:

    >>> import numpy as np
    >>> from course_utils import build_mlp, layer_inputs
    >>> model = build_mlp((8, 8, 1), 10, (16,), batch_norm=True, seed=0)
    >>> layer_inputs(model, "batch_norm_1", np.zeros((5, 8, 8, 1), "float32")).shape
    (5, 16)
    """
    import keras

    batch_size = check_positive_int("batch_size", batch_size)
    target = _find_layer(model, layer)
    probe = keras.Model(model.inputs, target.input)
    return np.asarray(probe.predict(np.asarray(x), batch_size=batch_size, verbose=0))


@dataclass(frozen=True)
class MovingStatistics:
    """A batch-norm layer's moving statistics next to the statistics of the data it receives.

    All arrays have one entry per normalized feature (unit or channel).

    Attributes:
        moving_mean: The layer's ``moving_mean`` (what inference mode subtracts).
        data_mean: The actual mean of the layer's input over the given data.
        moving_variance: The layer's ``moving_variance``.
        data_variance: The actual variance (divided by ``n``) of the layer's input.
        mean_error: ``||moving_mean - data_mean|| / ||data_mean||``: 1.0 for a fresh layer
            (its moving mean is 0), near 0 once the moving mean has caught up.
        variance_error: ``||moving_variance - data_variance|| / ||data_variance||``.

    Example:

    >>> import numpy as np
    >>> from course_utils import MovingStatistics
    >>> s = MovingStatistics(np.zeros(2), np.ones(2), np.ones(2), np.ones(2), 1.0, 0.0)
    >>> s.mean_error
    1.0
    """

    moving_mean: np.ndarray
    data_mean: np.ndarray
    moving_variance: np.ndarray
    data_variance: np.ndarray
    mean_error: float
    variance_error: float

    def as_dict(self) -> dict[str, float]:
        """The two relative errors as a plain dict (for tables and JSON)."""
        return {"mean_error": self.mean_error, "variance_error": self.variance_error}


def compare_moving_statistics(layer: Any, inputs: np.ndarray) -> MovingStatistics:
    """Compares a ``BatchNormalization`` layer's moving statistics with those of ``inputs``.

    During training, batch norm normalizes with the statistics of each batch and keeps
    exponential moving averages of them; at inference it uses those averages instead. They are
    only right if they match the statistics of the data the layer actually receives. Pass that
    data as ``inputs`` (see :func:`layer_inputs`).

    Args:
        layer: A built ``keras.layers.BatchNormalization`` layer.
        inputs: What the layer receives, shape ``(n, ..., features)`` with the normalized
            features on the layer's ``axis`` (the last one by default).

    Returns:
        A :class:`MovingStatistics`.

    Raises:
        ValueError: If ``layer`` is not a built ``BatchNormalization`` layer, or ``inputs``
            does not have the layer's number of features on its axis.

    Example:

    >>> import keras, numpy as np
    >>> from course_utils import compare_moving_statistics
    >>> bn = keras.layers.BatchNormalization()
    >>> x = np.random.default_rng(0).normal(3.0, 2.0, (256, 4)).astype("float32")
    >>> _ = bn(x, training=False)  # builds the layer; moving mean 0, moving variance 1
    >>> round(compare_moving_statistics(bn, x).mean_error, 2)
    1.0
    """
    import keras

    if not isinstance(layer, keras.layers.BatchNormalization) or not layer.built:
        raise ValueError(
            "`layer` must be a built keras.layers.BatchNormalization layer (call it once or train "
            f"the model first). Received: {type(layer).__name__}"
        )
    x = np.asarray(inputs, dtype=np.float64)
    axis = layer.axis if layer.axis >= 0 else x.ndim + layer.axis
    moving_mean = np.asarray(layer.moving_mean, dtype=np.float64)
    if x.ndim < 2 or axis >= x.ndim or x.shape[axis] != moving_mean.shape[0]:
        raise ValueError(
            f"`inputs` must have {moving_mean.shape[0]} features on axis {layer.axis} (one per "
            f"normalized unit). Received: inputs of shape {x.shape}"
        )
    reduce = tuple(i for i in range(x.ndim) if i != axis)
    data_mean = x.mean(axis=reduce)
    data_var = x.var(axis=reduce)
    moving_var = np.asarray(layer.moving_variance, dtype=np.float64)

    def rel(a: np.ndarray, b: np.ndarray) -> float:
        return float(np.linalg.norm(a - b) / max(float(np.linalg.norm(b)), 1e-12))

    return MovingStatistics(
        moving_mean, data_mean, moving_var, data_var, rel(moving_mean, data_mean), rel(moving_var, data_var)
    )


def batch_dependence(
    layer: Any,
    x: np.ndarray,
    *,
    index: int = 0,
    batch_size: int = 8,
    n_batches: int = 5,
    training: bool = True,
    seed: int = 0,
) -> float:
    """How much one sample's output changes when the rest of its batch changes.

    Sample ``x[index]`` is put first in ``n_batches`` batches whose other ``batch_size - 1``
    members are drawn at random from the rest of ``x``; the layer (or model) is called on each
    batch. The result is the largest absolute difference between the sample's outputs. For
    batch normalization in training mode it is clearly positive (the batch statistics change);
    for layer normalization, or batch normalization in inference mode, it is 0 up to float
    rounding.

    Calling batch norm with ``training=True`` also updates its moving statistics; this function
    restores the layer's weights afterwards, so it leaves the layer as it found it.

    Args:
        layer: A Keras layer or model (built, or buildable on ``x``).
        x: Inputs, first axis = examples; at least ``batch_size`` of them.
        index: The sample to follow.
        batch_size: Size of each batch, at least 2 (a batch of one has no batch-mates).
        n_batches: Number of different batches to compare, at least 2.
        training: Call the layer in training mode (``True``) or inference mode.
        seed: Seed for drawing the batch-mates.

    Returns:
        The maximum absolute difference, a float ``>= 0``.

    Raises:
        ValueError: If ``batch_size`` < 2, ``n_batches`` < 2, ``x`` has fewer than
            ``batch_size`` examples, or ``index`` is out of range.

    Example:

    >>> import keras, numpy as np
    >>> from course_utils import batch_dependence
    >>> x = np.random.default_rng(0).normal(size=(32, 6)).astype("float32")
    >>> batch_dependence(keras.layers.LayerNormalization(), x) < 1e-5
    True
    >>> batch_dependence(keras.layers.BatchNormalization(), x) > 0.01
    True
    """
    x = np.asarray(x)
    batch_size = check_positive_int("batch_size", batch_size)
    if batch_size < 2:
        raise ValueError(
            "`batch_size` must be at least 2: a sample alone in its batch has no batch-mates to "
            f"depend on. Received: batch_size={batch_size}"
        )
    n_batches = check_positive_int("n_batches", n_batches)
    if n_batches < 2:
        raise ValueError(f"`n_batches` must be at least 2 (to compare). Received: n_batches={n_batches}")
    if x.ndim < 1 or len(x) < batch_size:
        raise ValueError(
            f"`x` needs at least batch_size={batch_size} examples. Received: x of shape {x.shape}"
        )
    if isinstance(index, bool) or not isinstance(index, Integral) or not 0 <= index < len(x):
        raise ValueError(f"`index` must be an integer in [0, {len(x)}). Received: index={index!r}")
    rng = np.random.default_rng(seed)
    others = np.delete(np.arange(len(x)), index)
    batches = [
        np.concatenate([[index], rng.choice(others, batch_size - 1, replace=False)]) for _ in range(n_batches)
    ]
    if not layer.built:
        layer(x[batches[0]], training=False)
    saved = layer.get_weights()
    try:
        outputs = [np.asarray(layer(x[b], training=training))[0] for b in batches]
    finally:
        layer.set_weights(saved)
    first = outputs[0]
    return float(max(np.max(np.abs(o - first)) for o in outputs[1:]))
