"""Small model builders used across the lessons."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._validation import check_positive_int, check_rate

__all__ = ["build_mlp"]


def build_mlp(
    input_shape: Sequence[int],
    num_classes: int,
    hidden_units: Sequence[int] = (512, 512),
    *,
    activation: str = "relu",
    dropout: float = 0.0,
    batch_norm: bool = False,
    kernel_regularizer: Any = None,
    name: str = "mlp",
    seed: int | None = None,
) -> Any:
    """Builds an (uncompiled) multilayer perceptron classifier.

    The model is ``Input -> Flatten -> [Dense -> (BatchNorm) -> activation -> (Dropout)] x k ->
    Dense(num_classes, softmax)``. It is returned uncompiled so that the lesson shows its own
    ``model.compile(...)``.

    Args:
        input_shape: Shape of one example, e.g. ``data.input_shape``.
        num_classes: Number of output classes (at least 2).
        hidden_units: Width of each hidden layer; ``()`` gives multinomial logistic regression.
        activation: Activation of the hidden layers.
        dropout: Dropout rate after each hidden layer, in ``[0, 1)``; 0 disables dropout.
        batch_norm: Insert ``BatchNormalization`` between each hidden ``Dense`` and its activation.
        kernel_regularizer: A Keras regularizer applied to every hidden ``Dense`` kernel.
        name: Model name (shown in summaries and plot legends).
        seed: Seed for the weight initializers; ``None`` uses Keras's global seed
            (see :func:`course_utils.set_seed`).

    Returns:
        A ``keras.Sequential`` model.

    Raises:
        ValueError: If a size is not a positive integer or ``dropout`` is outside ``[0, 1)``.

    Example:

    >>> from course_utils import build_mlp
    >>> model = build_mlp((8, 8, 1), 10, hidden_units=(64,), seed=0)
    >>> model.count_params()
    4810
    """
    import keras

    if isinstance(input_shape, (int, str)) or not isinstance(input_shape, Sequence):
        raise ValueError(
            "`input_shape` must be the shape of one example as a tuple, e.g. data.input_shape or "
            f"(8, 8, 1). Received: input_shape={input_shape!r}"
        )
    shape = tuple(check_positive_int("input_shape entry", d) for d in input_shape)
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(f"`num_classes` must be an integer >= 2. Received: num_classes={num_classes!r}")
    if isinstance(hidden_units, (int, str)):
        raise ValueError(
            "`hidden_units` must be a sequence of layer widths such as (512, 512). "
            f"Received: hidden_units={hidden_units!r}"
        )
    widths = [check_positive_int("hidden_units entry", u) for u in hidden_units]
    rate = check_rate("dropout", dropout)

    def init(i: int) -> Any:
        return keras.initializers.GlorotUniform(seed=None if seed is None else seed + i)

    layers: list[Any] = [keras.Input(shape=shape), keras.layers.Flatten()]
    for i, width in enumerate(widths):
        layers.append(
            keras.layers.Dense(
                width,
                use_bias=not batch_norm,
                kernel_initializer=init(i),
                kernel_regularizer=kernel_regularizer,
                name=f"dense_{i + 1}",
            )
        )
        if batch_norm:
            layers.append(keras.layers.BatchNormalization(name=f"batch_norm_{i + 1}"))
        layers.append(keras.layers.Activation(activation, name=f"{activation}_{i + 1}"))
        if rate > 0:
            layers.append(keras.layers.Dropout(rate, seed=None if seed is None else seed + 100 + i,
                                               name=f"dropout_{i + 1}"))
    layers.append(
        keras.layers.Dense(num_classes, activation="softmax", kernel_initializer=init(len(widths)),
                           name="output")
    )
    return keras.Sequential(layers, name=name)
