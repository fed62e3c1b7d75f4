"""Reproducibility: one seed for Python, NumPy and the Keras backend."""

from __future__ import annotations

import numpy as np

__all__ = ["set_seed"]


def set_seed(seed: int = 0, *, deterministic_ops: bool = False) -> int:
    """Seeds Python's ``random``, NumPy and the Keras backend in one call.

    This wraps :func:`keras.utils.set_random_seed`. Call it once at the top of an experiment,
    right before building a model, so that weight initialization, dropout masks and shuffling
    repeat exactly. The course's helpers never seed anything behind your back: they take a
    ``seed`` argument instead.

    Args:
        seed: A non-negative integer.
        deterministic_ops: If ``True``, also ask TensorFlow for deterministic kernels
            (``tf.config.experimental.enable_op_determinism``): bit-identical reruns at some
            speed cost, mostly useful on a GPU.

    Returns:
        The seed, so that it can be recorded.

    Raises:
        ValueError: If ``seed`` is not a non-negative integer.

    Example:

    >>> from course_utils import set_seed
    >>> set_seed(42)
    42
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"`seed` must be a non-negative integer. Received: seed={seed!r}")
    import keras

    keras.utils.set_random_seed(int(seed))
    if deterministic_ops:
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    return int(seed)
