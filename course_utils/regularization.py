"""Measurements for the lesson on L1, L2 and weight constraints (lesson 02).

Lesson 02 computes the L1/L2 penalties by hand; the helpers here only *collect and measure*
weights so that the comparison of several models stays short:

* :func:`kernel_weights`: a model's kernels (the weight matrices of ``Dense``/``Conv`` layers,
  no biases) as NumPy arrays, by layer name, optionally only the regularized or constrained ones;
* :func:`weight_norm`, :func:`near_zero_fraction`: the global L2 norm of those weights and the
  share of them that are (nearly) zero;
* :func:`kernel_column_norms`: the norm of each weight vector, along the same axis that
  ``keras.constraints.MaxNorm(axis=...)`` uses;
* :func:`regularization_penalty`: the penalty Keras adds to the loss (the sum of
  ``model.losses``);
* :func:`weight_statistics`: all of the above for one model, for the lesson's comparison table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from numbers import Real
from typing import Any

import numpy as np

__all__ = [
    "WeightStatistics",
    "kernel_column_norms",
    "kernel_weights",
    "near_zero_fraction",
    "regularization_penalty",
    "weight_norm",
    "weight_statistics",
]

#: What the measuring helpers accept: a Keras model (its kernels are used), a dict of name ->
#: array (e.g. from :func:`kernel_weights`), a list of arrays, or a single array.
WeightsLike = Any | Mapping[str, Any] | Sequence[Any] | np.ndarray

_WHICH = ("all", "regularized", "constrained")


def _check_positive(name: str, value: object) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, Real)
        or not float(value) > 0.0
        or not np.isfinite(float(value))
    ):
        raise ValueError(f"`{name}` must be a finite number > 0. Received: {name}={value!r}")
    return float(value)


def _is_model(obj: object) -> bool:
    return hasattr(obj, "layers") and hasattr(obj, "trainable_weights")


def _kernel_layers(model: Any) -> list[Any]:
    """Layers with a ``kernel`` weight, in order, looking inside nested models."""
    found: list[Any] = []
    for layer in model.layers:
        if hasattr(layer, "layers") and not hasattr(layer, "kernel"):
            found.extend(_kernel_layers(layer))
        elif getattr(layer, "kernel", None) is not None:
            found.append(layer)
    return found


def kernel_weights(model: Any, *, which: str = "all") -> dict[str, np.ndarray]:
    """Returns the kernels (weight matrices, without biases) of a model's layers, by layer name.

    A ``Dense`` kernel has shape ``(inputs, units)``; a ``Conv2D`` kernel
    ``(rows, cols, in_channels, filters)``. Biases are left out: regularizers and constraints
    are usually put on kernels only (``kernel_regularizer=``, ``kernel_constraint=``).

    Args:
        model: A built Keras model.
        which: ``"all"`` for every kernel, ``"regularized"`` for the kernels of layers created
            with a ``kernel_regularizer``, ``"constrained"`` for those with a
            ``kernel_constraint``.

    Returns:
        A dict ``{layer name: kernel as a NumPy array}``, in layer order (may be empty when
        ``which`` selects no layer).

    Raises:
        ValueError: If ``model`` is not a Keras model, has no kernels (not built yet), or
            ``which`` is not one of ``"all"``, ``"regularized"``, ``"constrained"``.

    Example:

    >>> import keras
    >>> from course_utils import kernel_weights
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="hidden"),
    ...                           keras.layers.Dense(2, name="out")])
    >>> {name: w.shape for name, w in kernel_weights(model).items()}
    {'hidden': (4, 3), 'out': (3, 2)}
    """
    if which not in _WHICH:
        raise ValueError(f"`which` must be one of {_WHICH}. Received: which={which!r}")
    if not _is_model(model):
        raise ValueError(f"`model` must be a Keras model. Received: model of type {type(model).__name__}")
    layers = _kernel_layers(model)
    if not layers:
        raise ValueError(
            f"Model {getattr(model, 'name', '?')!r} has no layer with a kernel. Build it first "
            "(start it with keras.Input(...) or call it on data) and give it Dense or Conv layers."
        )
    if which == "regularized":
        layers = [la for la in layers if getattr(la, "kernel_regularizer", None) is not None]
    elif which == "constrained":
        layers = [la for la in layers if getattr(la, "kernel_constraint", None) is not None]
    return {layer.name: np.asarray(layer.kernel.numpy()) for layer in layers}


def _as_arrays(weights: WeightsLike, name: str = "weights") -> list[np.ndarray]:
    """The flattened float64 arrays behind any :data:`WeightsLike`."""
    if _is_model(weights):
        arrays = list(kernel_weights(weights).values())
    elif isinstance(weights, Mapping):
        arrays = list(weights.values())
    elif isinstance(weights, np.ndarray):
        arrays = [weights]
    elif isinstance(weights, Sequence) and not isinstance(weights, (str, bytes)):
        arrays = list(weights)
    elif hasattr(weights, "numpy") and hasattr(weights, "shape"):  # a tensor or Keras variable
        arrays = [weights]
    else:
        raise ValueError(
            f"`{name}` must be a Keras model, a dict of arrays, a list of arrays or an array. "
            f"Received: {name} of type {type(weights).__name__}"
        )
    out = []
    for a in arrays:
        a = a.numpy() if hasattr(a, "numpy") else a
        try:
            out.append(np.asarray(a, dtype=np.float64).ravel())
        except (TypeError, ValueError):
            raise ValueError(f"`{name}` holds something that is not numeric: {type(a).__name__}") from None
    if not out or sum(a.size for a in out) == 0:
        raise ValueError(f"`{name}` holds no weights.")
    return out


def weight_norm(weights: WeightsLike) -> float:
    """Returns the global L2 norm of a set of weights, ``sqrt(sum of w**2)``.

    For a model, the norm is taken over all its kernels (biases excluded), so a model trained
    with an L2 penalty (or weight decay) has a smaller norm than the same model trained without.

    Args:
        weights: A Keras model (its kernels are used), a dict or list of arrays, or an array.

    Returns:
        The norm, a float ``>= 0``.

    Raises:
        ValueError: If ``weights`` is none of the accepted types or holds no weights.

    Example:

    >>> import numpy as np
    >>> from course_utils import weight_norm
    >>> weight_norm([np.array([3.0, 0.0]), np.array([[4.0]])])
    5.0
    """
    return float(np.sqrt(sum(float(np.sum(a * a)) for a in _as_arrays(weights))))


def near_zero_fraction(weights: WeightsLike, threshold: float = 1e-3) -> float:
    """Returns the fraction of weights with ``|w| < threshold`` (pooled over all arrays).

    Floating-point training rarely produces weights that are *exactly* 0, even with L1: the
    optimizer keeps nudging them around zero. "Near zero" with an explicit threshold is the
    honest measure of sparsity. Every weight counts once, so a large matrix weighs more than a
    small one.

    Args:
        weights: A Keras model (its kernels are used), a dict or list of arrays, or an array.
        threshold: A weight counts as zero when its magnitude is strictly below this (> 0).

    Returns:
        A fraction in ``[0, 1]``.

    Raises:
        ValueError: If ``threshold`` is not a finite number > 0, or ``weights`` is not
            accepted.

    Example:

    >>> import numpy as np
    >>> from course_utils import near_zero_fraction
    >>> near_zero_fraction(np.array([0.0, 1e-5, -2e-4, 0.5]), threshold=1e-3)
    0.75
    """
    threshold = _check_positive("threshold", threshold)
    arrays = _as_arrays(weights)
    small = sum(int(np.count_nonzero(np.abs(a) < threshold)) for a in arrays)
    return small / sum(a.size for a in arrays)


def kernel_column_norms(kernel: Any, axis: int | Sequence[int] = 0) -> np.ndarray:
    """Returns the L2 norm of each weight vector of a kernel, reducing over ``axis``.

    ``axis`` means the same as in ``keras.constraints.MaxNorm(max_value, axis=...)``: the axes
    that are *summed over*. For a ``Dense`` kernel of shape ``(inputs, units)``, ``axis=0``
    gives one norm per unit (the column of weights coming *into* that unit). For a ``Conv2D``
    kernel ``(rows, cols, in_channels, filters)``, ``axis=(0, 1, 2)`` gives one norm per filter.

    Args:
        kernel: A kernel (NumPy array, tensor or Keras variable).
        axis: The axis or axes to reduce over.

    Returns:
        A 1-D array with one norm per weight vector.

    Raises:
        ValueError: If ``kernel`` has fewer than 2 dimensions or ``axis`` is out of range.

    Example:

    >>> import numpy as np
    >>> from course_utils import kernel_column_norms
    >>> kernel_column_norms(np.array([[3.0, 1.0], [4.0, 0.0]]))
    array([5., 1.])
    """
    w = np.asarray(kernel.numpy() if hasattr(kernel, "numpy") else kernel, dtype=np.float64)
    if w.ndim < 2:
        raise ValueError(
            f"`kernel` must have at least 2 dimensions (inputs, units). Received: shape {w.shape}"
        )
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    if not axes or any(
        isinstance(a, bool) or not isinstance(a, (int, np.integer)) or not -w.ndim <= a < w.ndim for a in axes
    ):
        raise ValueError(
            f"`axis` must be an axis (or axes) of a kernel with {w.ndim} dimensions. Received: axis={axis!r}"
        )
    return np.sqrt(np.sum(w * w, axis=axes)).ravel()


def regularization_penalty(model: Any) -> float:
    """Returns the regularization penalty Keras adds to the loss: the sum of ``model.losses``.

    In Keras 3, ``model.losses`` holds one scalar per regularized weight (for example
    ``l2 * sum(square(kernel))``), computed from the *current* weights; ``fit`` adds their sum
    to the data loss at every step.

    Args:
        model: A built Keras model.

    Returns:
        The total penalty as a float (0.0 for a model without regularizers).

    Raises:
        ValueError: If ``model`` is not a Keras model.

    Example:

    >>> import keras, numpy as np
    >>> from course_utils import regularization_penalty
    >>> layer = keras.layers.Dense(2, kernel_initializer="ones",
    ...                            kernel_regularizer=keras.regularizers.L2(0.1))
    >>> model = keras.Sequential([keras.Input((3,)), layer])
    >>> round(regularization_penalty(model), 6)  # 0.1 * (6 weights * 1**2)
    0.6
    """
    if not _is_model(model) or not hasattr(model, "losses"):
        raise ValueError(f"`model` must be a Keras model. Received: model of type {type(model).__name__}")
    return float(sum(float(np.asarray(loss)) for loss in model.losses))


@dataclass(frozen=True)
class WeightStatistics:
    """Weight measurements of one model (see :func:`weight_statistics`).

    Attributes:
        n_weights: Number of kernel weights (biases excluded).
        norm: Global L2 norm of the kernels.
        near_zero: Fraction of kernel weights with ``|w| < threshold``.
        threshold: The threshold used for ``near_zero``.
        max_abs: Largest weight magnitude.
        max_column_norm: Largest norm of the weight vector of one unit (one filter), over all
            kernels: the quantity ``MaxNorm`` bounds (norms over all axes but the last).
        penalty: The regularization penalty Keras adds to the loss (0 without regularizers).

    Example:

    >>> from course_utils import WeightStatistics
    >>> stats = WeightStatistics(n_weights=4, norm=1.0, near_zero=0.5, threshold=1e-3,
    ...                          max_abs=0.8, max_column_norm=0.9, penalty=0.0)
    >>> stats.as_dict()["near_zero"]
    0.5
    """

    n_weights: int
    norm: float
    near_zero: float
    threshold: float
    max_abs: float
    max_column_norm: float
    penalty: float

    def as_dict(self) -> dict[str, float]:
        """The fields as a plain dict (for tables and JSON)."""
        return asdict(self)


def weight_statistics(model: Any, threshold: float = 1e-3) -> WeightStatistics:
    """Measures a model's kernels: norm, share of near-zero weights, largest column norm, penalty.

    Args:
        model: A built Keras model.
        threshold: A weight counts as near zero when ``|w| < threshold`` (> 0).

    Returns:
        A :class:`WeightStatistics`.

    Raises:
        ValueError: If ``model`` is not a built Keras model or ``threshold`` is not > 0.

    Example:

    >>> import keras
    >>> from course_utils import weight_statistics
    >>> model = keras.Sequential([keras.Input((4,)),
    ...                           keras.layers.Dense(3, kernel_initializer="zeros")])
    >>> weight_statistics(model).near_zero
    1.0
    """
    threshold = _check_positive("threshold", threshold)
    kernels = kernel_weights(model)
    arrays = _as_arrays(kernels)
    return WeightStatistics(
        n_weights=int(sum(a.size for a in arrays)),
        norm=weight_norm(kernels),
        near_zero=near_zero_fraction(kernels, threshold),
        threshold=threshold,
        max_abs=float(max(np.max(np.abs(a)) for a in arrays)),
        max_column_norm=float(
            max(
                kernel_column_norms(k, axis=tuple(range(np.ndim(k) - 1))).max()
                for k in kernels.values()
                if np.ndim(k) >= 2
            )
        ),
        penalty=regularization_penalty(model),
    )
