"""Reproducibility: one seed for Python, NumPy and the Keras backend."""

from __future__ import annotations

import numpy as np

__all__ = ["describe_environment", "set_seed"]


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


def describe_environment() -> str:
    """Describes the software and the compute device this notebook runs on.

    Importing ``course_utils`` has already started TensorFlow and listed its devices with the
    start-up log lines (about CUDA, oneDNN, CPU instructions) sent to a log file, so this call
    prints nothing but its line.

    Returns:
        One line such as ``"TensorFlow 2.21.0, Keras 3.15.1, Python 3.11.7: running on the CPU
        (no GPU found)"``.

    Example:

    >>> from course_utils import describe_environment
    >>> print(describe_environment())  # doctest: +SKIP
    TensorFlow 2.21.0, Keras 3.15.1, Python 3.11.7: running on the CPU (no GPU found)
    """
    import platform

    import keras
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    where = (
        (f"running on {len(gpus)} GPU(s): " + ", ".join(g.name for g in gpus))
        if gpus
        else ("running on the CPU (no GPU found)")
    )
    return (
        f"TensorFlow {tf.__version__}, Keras {keras.__version__}, Python {platform.python_version()}: {where}"
    )
