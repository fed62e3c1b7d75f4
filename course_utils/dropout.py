"""Helpers for the lesson on dropout: Monte Carlo dropout predictions, their uncertainty
measures, and synthetic out-of-distribution images.

The dropout mechanism itself (the Bernoulli mask and the ``1 / (1 - rate)`` scaling) is written
out in the lesson notebook, in NumPy; this module holds only the plumbing around it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._validation import check_positive_int

__all__ = [
    "OOD_KINDS",
    "count_dropout_layers",
    "make_ood_images",
    "mc_dropout_predict",
    "mutual_information",
    "predictive_entropy",
    "predictive_spread",
]

#: The kinds of synthetic out-of-distribution images :func:`make_ood_images` can make.
OOD_KINDS: tuple[str, ...] = ("noise", "shuffled", "inverted")


def _walk_layers(model: Any) -> list[Any]:
    found = []
    for layer in getattr(model, "layers", []):
        found.append(layer)
        found.extend(_walk_layers(layer))
    return found


def count_dropout_layers(model: Any) -> int:
    """Counts the dropout layers of a Keras model (nested models included).

    Every Keras layer whose class name contains ``"Dropout"`` counts: ``Dropout``,
    ``SpatialDropout1D/2D/3D``, ``GaussianDropout``, ``AlphaDropout``.

    Args:
        model: A Keras model (or layer with sub-layers).

    Returns:
        The number of dropout layers.

    Example:

    >>> from course_utils import build_mlp, count_dropout_layers
    >>> count_dropout_layers(build_mlp((8, 8, 1), 10, (32, 32), dropout=0.5, seed=0))
    2
    """
    return sum("Dropout" in type(layer).__name__ for layer in _walk_layers(model))


def mc_dropout_predict(
    model: Any,
    x: np.ndarray,
    *,
    n_samples: int = 50,
    batch_size: int = 8192,
) -> np.ndarray:
    """Monte Carlo dropout: ``n_samples`` stochastic forward passes with dropout left on.

    Each pass calls ``model(x, training=True)``, so every dropout layer draws a fresh mask and
    the passes differ. Their spread is the model's uncertainty about ``x`` (Gal & Ghahramani,
    2016). Beware: ``training=True`` also switches *other* layers to training behaviour; with
    ``BatchNormalization`` in the model, use a model without it or freeze it.

    Args:
        model: A Keras classifier whose output is class probabilities (softmax), with at least
            one dropout layer.
        x: Inputs, first axis = examples.
        n_samples: Number of stochastic passes ``T`` (positive).
        batch_size: Rows per forward call (positive); the ``n_samples * len(x)`` rows of all
            passes are sent in chunks of this size. Lower it for large images.

    Returns:
        A float32 array of shape ``(n_samples, len(x), num_classes)``: the probabilities of
        each pass.

    Raises:
        ValueError: If ``n_samples`` or ``batch_size`` is not a positive integer, ``x`` is empty,
            or the model has no dropout layer (every pass would be identical).

    Example:

    >>> import numpy as np
    >>> from course_utils import build_mlp, mc_dropout_predict
    >>> model = build_mlp((8, 8, 1), 10, (32,), dropout=0.5, seed=0)
    >>> probs = mc_dropout_predict(model, np.zeros((4, 8, 8, 1), "float32"), n_samples=3)
    >>> probs.shape
    (3, 4, 10)
    """
    n_samples = check_positive_int("n_samples", n_samples)
    batch_size = check_positive_int("batch_size", batch_size)
    x = np.asarray(x, dtype="float32")
    if x.ndim == 0 or len(x) == 0:
        raise ValueError(f"`x` must hold at least one example. Received: x with shape {x.shape}")
    if count_dropout_layers(model) == 0:
        raise ValueError(
            f"Model {getattr(model, 'name', model)!r} has no dropout layer, so every pass with "
            "training=True would give the same output. Build it with dropout > 0."
        )
    # All passes in few large calls: the examples are repeated n_samples times, and since every
    # row draws its own dropout mask, row k of repeat t is pass t on example k.
    n = len(x)
    total = n_samples * n
    out = []
    for start in range(0, total, batch_size):
        rows = np.arange(start, min(start + batch_size, total)) % n
        out.append(np.asarray(model(x[rows], training=True)))
    probs = np.concatenate(out, axis=0)
    return probs.reshape((n_samples, n) + probs.shape[1:]).astype("float32")


def _check_probs(probs: Any) -> np.ndarray:
    p = np.asarray(probs, dtype="float64")
    if p.ndim != 3:
        raise ValueError(
            "`probs` must have shape (n_samples, n_examples, num_classes), as returned by "
            f"mc_dropout_predict. Received: probs with shape {p.shape}"
        )
    if p.shape[0] < 1 or p.shape[1] < 1 or p.shape[2] < 2:
        raise ValueError(
            "`probs` needs at least one pass, one example and two classes. "
            f"Received: probs with shape {p.shape}"
        )
    if not np.all(np.isfinite(p)) or p.min() < 0.0 or not np.allclose(p.sum(axis=-1), 1.0, atol=1e-3):
        raise ValueError(
            "`probs` must hold probabilities (non-negative, each row summing to 1): did the model "
            f"end with a softmax? Received: values in [{np.nanmin(p):.3g}, {np.nanmax(p):.3g}], "
            f"row sums in [{np.nanmin(p.sum(-1)):.3g}, {np.nanmax(p.sum(-1)):.3g}]"
        )
    return p


def _entropy(p: np.ndarray) -> np.ndarray:
    return -np.sum(np.where(p > 0, p * np.log(np.clip(p, 1e-12, 1.0)), 0.0), axis=-1)


def predictive_spread(probs: Any) -> np.ndarray:
    """How much the passes disagree: the standard deviation, over passes, of the probability
    given to the predicted class (the class with the highest mean probability).

    Args:
        probs: Array of shape ``(n_samples, n_examples, num_classes)`` (see
            :func:`mc_dropout_predict`).

    Returns:
        One value per example, shape ``(n_examples,)``, in ``[0, 0.5]``; 0 when every pass agrees.

    Raises:
        ValueError: If ``probs`` does not have that shape or does not hold probabilities.

    Example:

    >>> import numpy as np
    >>> from course_utils import predictive_spread
    >>> probs = np.array([[[0.9, 0.1]], [[0.5, 0.5]]])  # 2 passes, 1 example, 2 classes
    >>> predictive_spread(probs).round(3)
    array([0.2])
    """
    p = _check_probs(probs)
    predicted = p.mean(axis=0).argmax(axis=-1)
    chosen = np.take_along_axis(p, predicted[None, :, None], axis=-1)[..., 0]
    return chosen.std(axis=0)


def predictive_entropy(probs: Any) -> np.ndarray:
    """Entropy (in nats) of the mean prediction over the passes: the total uncertainty.

    ``H[mean_t p_t] = -sum_c pbar_c log pbar_c``; it is 0 for a certain prediction and
    ``log(num_classes)`` for a uniform one.

    Args:
        probs: Array of shape ``(n_samples, n_examples, num_classes)``.

    Returns:
        One value per example, shape ``(n_examples,)``.

    Raises:
        ValueError: If ``probs`` does not have that shape or does not hold probabilities.

    Example:

    >>> import numpy as np
    >>> from course_utils import predictive_entropy
    >>> predictive_entropy(np.array([[[0.5, 0.5]]])).round(4)  # log 2
    array([0.6931])
    """
    return _entropy(_check_probs(probs).mean(axis=0))


def mutual_information(probs: Any) -> np.ndarray:
    """The part of the predictive entropy due to disagreement between the passes (in nats).

    ``MI = H[mean_t p_t] - mean_t H[p_t]`` (the "BALD" score): 0 when every pass gives the
    same distribution, however uncertain that distribution is. It measures the model's
    uncertainty about its own weights (epistemic uncertainty), which is what MC dropout
    approximates.

    Args:
        probs: Array of shape ``(n_samples, n_examples, num_classes)``.

    Returns:
        One non-negative value per example, shape ``(n_examples,)``.

    Raises:
        ValueError: If ``probs`` does not have that shape or does not hold probabilities.

    Example:

    >>> import numpy as np
    >>> from course_utils import mutual_information
    >>> agree = np.array([[[0.5, 0.5]], [[0.5, 0.5]]])
    >>> disagree = np.array([[[1.0, 0.0]], [[0.0, 1.0]]])
    >>> mutual_information(agree).round(4), mutual_information(disagree).round(4)
    (array([0.]), array([0.6931]))
    """
    p = _check_probs(probs)
    return np.maximum(_entropy(p.mean(axis=0)) - _entropy(p).mean(axis=0), 0.0)


def make_ood_images(x_reference: Any, kind: str = "noise", *, seed: int = 0) -> np.ndarray:
    """Makes out-of-distribution images with the same shape and value range as real ones.

    Kinds:

    * ``"noise"``: every pixel uniform in the reference images' value range;
    * ``"shuffled"``: each reference image with its pixels randomly permuted: the same
      brightness histogram as a real image, no shape;
    * ``"inverted"``: ``max + min - x``, a photographic negative (dark strokes on a bright
      background).

    Args:
        x_reference: Real images, first axis = examples; one OOD image is made per image.
        kind: One of :data:`OOD_KINDS`.
        seed: Seed of the random pixels or permutations (a non-negative integer).

    Returns:
        A float32 array with the shape of ``x_reference``.

    Raises:
        ValueError: If ``kind`` is unknown, ``seed`` is negative, or ``x_reference`` is empty.

    Example:

    >>> import numpy as np
    >>> from course_utils import make_ood_images
    >>> x = np.random.default_rng(0).random((5, 8, 8, 1)).astype("float32")
    >>> noise = make_ood_images(x, "noise", seed=1)
    >>> noise.shape, bool(noise.min() >= x.min() and noise.max() <= x.max())
    ((5, 8, 8, 1), True)
    """
    if kind not in OOD_KINDS:
        raise ValueError(f"`kind` must be one of {OOD_KINDS}. Received: kind={kind!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"`seed` must be a non-negative integer. Received: seed={seed!r}")
    x = np.asarray(x_reference, dtype="float32")
    if x.ndim < 2 or len(x) == 0:
        raise ValueError(
            "`x_reference` must be a batch of images with at least one image. "
            f"Received: x_reference with shape {x.shape}"
        )
    lo, hi = float(x.min()), float(x.max())
    rng = np.random.default_rng(int(seed))
    if kind == "noise":
        return rng.uniform(lo, hi, size=x.shape).astype("float32")
    if kind == "inverted":
        return (hi + lo - x).astype("float32")
    flat = x.reshape(len(x), -1)
    order = np.argsort(rng.random(flat.shape), axis=1)
    return np.take_along_axis(flat, order, axis=1).reshape(x.shape).astype("float32")
