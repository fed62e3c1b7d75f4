"""Small model builders used across the lessons."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._validation import check_positive_int, check_rate

__all__ = ["build_cnn", "build_mlp"]

_BN_PLACEMENTS = ("before", "after")


def build_mlp(
    input_shape: Sequence[int],
    num_classes: int,
    hidden_units: Sequence[int] = (512, 512),
    *,
    activation: str = "relu",
    dropout: float = 0.0,
    batch_norm: bool | str = False,
    kernel_regularizer: Any = None,
    kernel_constraint: Any = None,
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
        batch_norm: ``False`` for none; ``True`` or ``"before"`` inserts ``BatchNormalization``
            between each hidden ``Dense`` and its activation (the ``Dense`` then has no bias:
            batch norm's shift replaces it); ``"after"`` inserts it after the activation.
        kernel_regularizer: A Keras regularizer applied to every hidden ``Dense`` kernel.
        kernel_constraint: A Keras constraint (e.g. ``keras.constraints.MaxNorm(3)``) applied to
            every hidden ``Dense`` kernel.
        name: Model name (shown in summaries and plot legends).
        seed: Seed for the weight initializers; ``None`` uses Keras's global seed
            (see :func:`course_utils.set_seed`).

    Returns:
        A ``keras.Sequential`` model.

    Raises:
        ValueError: If a size is not a positive integer, ``dropout`` is outside ``[0, 1)`` or
            ``batch_norm`` is not one of ``False``, ``True``, ``"before"``, ``"after"``.

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
    placement = _check_batch_norm(batch_norm)

    def init(i: int) -> Any:
        return keras.initializers.GlorotUniform(seed=None if seed is None else seed + i)

    layers: list[Any] = [keras.Input(shape=shape), keras.layers.Flatten()]
    for i, width in enumerate(widths):
        layers.append(
            keras.layers.Dense(
                width,
                use_bias=placement != "before",
                kernel_initializer=init(i),
                kernel_regularizer=kernel_regularizer,
                kernel_constraint=kernel_constraint,
                name=f"dense_{i + 1}",
            )
        )
        if placement == "before":
            layers.append(keras.layers.BatchNormalization(name=f"batch_norm_{i + 1}"))
        layers.append(keras.layers.Activation(activation, name=f"{activation}_{i + 1}"))
        if placement == "after":
            layers.append(keras.layers.BatchNormalization(name=f"batch_norm_{i + 1}"))
        if rate > 0:
            layers.append(
                keras.layers.Dropout(
                    rate, seed=None if seed is None else seed + 100 + i, name=f"dropout_{i + 1}"
                )
            )
    layers.append(
        keras.layers.Dense(
            num_classes, activation="softmax", kernel_initializer=init(len(widths)), name="output"
        )
    )
    return keras.Sequential(layers, name=name)


def _check_batch_norm(batch_norm: object) -> str | None:
    if batch_norm is False or batch_norm is None:
        return None
    if batch_norm is True:
        return "before"
    if isinstance(batch_norm, str) and batch_norm in _BN_PLACEMENTS:
        return batch_norm
    raise ValueError(
        "`batch_norm` must be False, True (= 'before'), 'before' (between Dense and activation) "
        f"or 'after' (after the activation). Received: batch_norm={batch_norm!r}"
    )


def build_cnn(
    input_shape: Sequence[int],
    num_classes: int,
    filters: Sequence[int] = (16, 32),
    *,
    dense_units: int = 64,
    spatial_dropout: float = 0.0,
    dropout: float = 0.0,
    batch_norm: bool = False,
    augmentation: Sequence[Any] = (),
    kernel_regularizer: Any = None,
    name: str = "cnn",
    seed: int | None = None,
) -> Any:
    """Builds an (uncompiled) small convolutional classifier.

    The model is ``Input -> [augmentation layers] -> [Conv2D 3x3 (same) -> (BatchNorm) -> ReLU ->
    (SpatialDropout2D)] x k -> GlobalAveragePooling2D -> Dense(dense_units, relu) -> (Dropout) ->
    Dense(num_classes, softmax)``. A 2x2 max-pooling follows every convolution block except the
    last while the feature map is at least 4 pixels wide, so the same builder works on 8x8
    digits and on 28x28 or 32x32 images.

    Augmentation layers (e.g. ``keras.layers.RandomTranslation``) are active only when the model
    is called with ``training=True`` (that is, inside ``fit``); at inference they pass the input
    through unchanged.

    Args:
        input_shape: Shape of one image, ``(height, width, channels)``, e.g. ``data.input_shape``.
        num_classes: Number of output classes (at least 2).
        filters: Number of filters of each convolution block.
        dense_units: Width of the dense layer before the classifier (positive).
        spatial_dropout: ``SpatialDropout2D`` rate after each convolution block, in ``[0, 1)``:
            it drops whole feature maps instead of single pixels.
        dropout: ``Dropout`` rate after the dense layer, in ``[0, 1)``.
        batch_norm: Insert ``BatchNormalization`` between each convolution and its ReLU.
        augmentation: Keras preprocessing layers applied first (training only).
        kernel_regularizer: A Keras regularizer for every convolution and dense kernel.
        name: Model name.
        seed: Seed for the initializers and dropout layers; ``None`` uses Keras's global seed.

    Returns:
        A ``keras.Sequential`` model.

    Raises:
        ValueError: If ``input_shape`` is not ``(height, width, channels)``, a size is not a
            positive integer, or a rate is outside ``[0, 1)``.

    Example:

    >>> from course_utils import build_cnn
    >>> model = build_cnn((8, 8, 1), 10, filters=(8, 16), dense_units=32, seed=0)
    >>> model.output_shape
    (None, 10)
    """
    import keras

    if isinstance(input_shape, (int, str)) or not isinstance(input_shape, Sequence) or len(input_shape) != 3:
        raise ValueError(
            "`input_shape` must be the shape of one image as (height, width, channels), e.g. "
            f"data.input_shape or (8, 8, 1). Received: input_shape={input_shape!r}"
        )
    shape = tuple(check_positive_int("input_shape entry", d) for d in input_shape)
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(f"`num_classes` must be an integer >= 2. Received: num_classes={num_classes!r}")
    if isinstance(filters, (int, str)) or not isinstance(filters, Sequence) or not filters:
        raise ValueError(
            f"`filters` must be a non-empty sequence such as (16, 32). Received: filters={filters!r}"
        )
    widths = [check_positive_int("filters entry", f) for f in filters]
    dense_units = check_positive_int("dense_units", dense_units)
    spatial_rate = check_rate("spatial_dropout", spatial_dropout)
    rate = check_rate("dropout", dropout)

    def init(i: int) -> Any:
        return keras.initializers.GlorotUniform(seed=None if seed is None else seed + i)

    def layer_seed(i: int) -> int | None:
        return None if seed is None else seed + 100 + i

    layers: list[Any] = [keras.Input(shape=shape), *augmentation]
    size = min(shape[0], shape[1])
    for i, width in enumerate(widths):
        layers.append(
            keras.layers.Conv2D(
                width,
                3,
                padding="same",
                use_bias=not batch_norm,
                kernel_initializer=init(i),
                kernel_regularizer=kernel_regularizer,
                name=f"conv_{i + 1}",
            )
        )
        if batch_norm:
            layers.append(keras.layers.BatchNormalization(name=f"batch_norm_{i + 1}"))
        layers.append(keras.layers.Activation("relu", name=f"relu_{i + 1}"))
        if spatial_rate > 0:
            layers.append(
                keras.layers.SpatialDropout2D(
                    spatial_rate, seed=layer_seed(i), name=f"spatial_dropout_{i + 1}"
                )
            )
        if i < len(widths) - 1 and size >= 4:
            layers.append(keras.layers.MaxPooling2D(2, name=f"pool_{i + 1}"))
            size //= 2
    layers.append(keras.layers.GlobalAveragePooling2D(name="global_pool"))
    layers.append(
        keras.layers.Dense(
            dense_units,
            activation="relu",
            kernel_initializer=init(len(widths)),
            kernel_regularizer=kernel_regularizer,
            name="dense",
        )
    )
    if rate > 0:
        layers.append(keras.layers.Dropout(rate, seed=layer_seed(len(widths)), name="dropout"))
    layers.append(
        keras.layers.Dense(
            num_classes, activation="softmax", kernel_initializer=init(len(widths) + 1), name="output"
        )
    )
    return keras.Sequential(layers, name=name)
