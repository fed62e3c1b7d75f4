"""Reference custom optimizers (Keras 3 API) and small helpers for lesson 07.

A Keras 3 optimizer is a subclass of :class:`keras.optimizers.Optimizer` with three methods:

* ``build(var_list)`` creates the optimizer's state ("slots": one velocity, first or second
  moment per model variable) with ``self.add_variable_from_reference(variable, name)``;
* ``update_step(gradient, variable, learning_rate)`` computes the new value of *one* variable
  with ``keras.ops`` and writes it with ``self.assign``/``self.assign_add``/``self.assign_sub``;
  everything common to all optimizers (gradient clipping, decoupled weight decay, learning-rate
  schedules, the ``iterations`` counter) is done by the base class around it;
* ``get_config()`` returns ``super().get_config()`` plus the optimizer's own hyperparameters, so
  that ``from_config`` and ``.keras`` files can rebuild it.

The classes here are registered with ``keras.saving.register_keras_serializable`` under the
package ``"course_utils"``: a model compiled with one of them can be saved to a ``.keras`` file
and loaded again once ``course_utils`` is imported.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from numbers import Real
from typing import Any, TypeGuard

import keras
import numpy as np
from keras import ops

__all__: list[str] = [
    "PlainSGD",
    "MomentumSGD",
    "AdaBelief",
    "max_abs_weight_difference",
    "global_norm",
    "optimizer_trajectory",
]


# --------------------------------------------------------------------------------------------
# Argument checks (ValueError naming the bad value)
# --------------------------------------------------------------------------------------------
def _is_number(value: object) -> TypeGuard[Real]:
    return isinstance(value, Real) and not isinstance(value, bool)


def _check_learning_rate(value: Any) -> Any:
    """A positive number, or a schedule / callable that Keras evaluates at every step."""
    if isinstance(value, keras.optimizers.schedules.LearningRateSchedule) or callable(value):
        return value
    if not _is_number(value) or not np.isfinite(float(value)) or float(value) <= 0.0:
        raise ValueError(
            "`learning_rate` must be a positive number (or a LearningRateSchedule). "
            f"Received: learning_rate={value!r}"
        )
    return float(value)


def _check_unit_interval(name: str, value: object) -> float:
    """A decay factor in [0, 1): 1 would never forget the past (and divides by 0 in Adam)."""
    if not _is_number(value) or not 0.0 <= float(value) < 1.0:
        raise ValueError(f"`{name}` must be a number in [0, 1). Received: {name}={value!r}")
    return float(value)


def _check_epsilon(value: object) -> float:
    if not _is_number(value) or not float(value) > 0.0 or not np.isfinite(float(value)):
        raise ValueError(f"`epsilon` must be a positive number. Received: epsilon={value!r}")
    return float(value)


# --------------------------------------------------------------------------------------------
# Optimizers
# --------------------------------------------------------------------------------------------
@keras.saving.register_keras_serializable(package="course_utils")
class PlainSGD(keras.optimizers.Optimizer):
    """Plain gradient descent: ``w <- w - learning_rate * g``.

    The smallest possible Keras 3 optimizer: no state, so ``build`` only calls the base class.
    It produces the same weights as ``keras.optimizers.SGD(learning_rate)`` (momentum 0).

    Args:
        learning_rate: A positive float, or a
            ``keras.optimizers.schedules.LearningRateSchedule``. Defaults to ``0.01``.
        **kwargs: The base optimizer's keyword arguments (``name``, ``weight_decay``,
            ``clipnorm``, ``clipvalue``, ``global_clipnorm``, ...).

    Raises:
        ValueError: If ``learning_rate`` is not a positive number or a schedule.

    Example:
        >>> import keras, course_utils as cu
        >>> w = keras.Variable([1.0, 2.0])
        >>> opt = cu.PlainSGD(learning_rate=0.5)
        >>> opt.apply([keras.ops.convert_to_tensor([1.0, -1.0])], [w])
        >>> [round(float(x), 3) for x in w.numpy()]
        [0.5, 2.5]
    """

    def __init__(self, learning_rate: Any = 0.01, name: str = "plain_sgd", **kwargs: Any) -> None:
        super().__init__(learning_rate=_check_learning_rate(learning_rate), name=name, **kwargs)

    def build(self, var_list: Sequence[keras.Variable]) -> None:
        """Creates the optimizer's state for ``var_list`` (plain SGD has none)."""
        if self.built:
            return
        super().build(var_list)

    def update_step(self, gradient: Any, variable: keras.Variable, learning_rate: Any) -> None:
        """Applies ``w <- w - learning_rate * g`` to one variable."""
        learning_rate = ops.cast(learning_rate, variable.dtype)
        gradient = ops.cast(gradient, variable.dtype)
        self.assign_sub(variable, ops.multiply(learning_rate, gradient))

    def get_config(self) -> dict[str, Any]:
        """Returns the config (plain SGD has no hyperparameters of its own)."""
        return super().get_config()


@keras.saving.register_keras_serializable(package="course_utils")
class MomentumSGD(keras.optimizers.Optimizer):
    """Gradient descent with (optionally Nesterov) momentum, written as Keras writes it.

    With velocity ``v`` (one slot per variable, initially 0), learning rate ``lr`` and
    momentum ``mu``::

        v <- mu * v - lr * g
        w <- w + v                      # classical (heavy-ball) momentum
        w <- w + mu * v - lr * g        # nesterov=True: look one step further along v

    This is exactly the formulation of ``keras.optimizers.SGD(momentum=mu, nesterov=...)``,
    so both produce the same weights (up to float rounding).

    Args:
        learning_rate: A positive float or a learning-rate schedule. Defaults to ``0.01``.
        momentum: The fraction of the previous velocity kept at each step, in ``[0, 1)``.
            Defaults to ``0.9``.
        nesterov: Whether to use Nesterov's look-ahead form. Defaults to ``False``.
        **kwargs: The base optimizer's keyword arguments (``name``, ``clipnorm``, ...).

    Raises:
        ValueError: If ``learning_rate`` is not positive, ``momentum`` is outside ``[0, 1)``
            or ``nesterov`` is not a bool.

    Example:
        >>> import keras, course_utils as cu
        >>> w = keras.Variable([1.0])
        >>> opt = cu.MomentumSGD(learning_rate=0.1, momentum=0.5)
        >>> for _ in range(2):
        ...     opt.apply([keras.ops.convert_to_tensor([1.0])], [w])
        >>> round(float(w.numpy()[0]), 3)  # steps of 0.1, then 0.1 + 0.5 * 0.1
        0.75
    """

    def __init__(
        self,
        learning_rate: Any = 0.01,
        momentum: float = 0.9,
        nesterov: bool = False,
        name: str = "momentum_sgd",
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=_check_learning_rate(learning_rate), name=name, **kwargs)
        self.momentum = _check_unit_interval("momentum", momentum)
        if not isinstance(nesterov, bool):
            raise ValueError(f"`nesterov` must be True or False. Received: nesterov={nesterov!r}")
        self.nesterov = nesterov

    def build(self, var_list: Sequence[keras.Variable]) -> None:
        """Creates one velocity slot (zeros, same shape and dtype) per model variable."""
        if self.built:
            return
        super().build(var_list)
        self.velocities = [
            self.add_variable_from_reference(variable, name="velocity") for variable in var_list
        ]

    def update_step(self, gradient: Any, variable: keras.Variable, learning_rate: Any) -> None:
        """Updates the velocity of ``variable``, then the variable itself."""
        learning_rate = ops.cast(learning_rate, variable.dtype)
        gradient = ops.cast(gradient, variable.dtype)
        momentum = ops.cast(self.momentum, variable.dtype)
        velocity = self.velocities[self._get_variable_index(variable)]
        step = ops.multiply(learning_rate, gradient)
        self.assign(velocity, ops.subtract(ops.multiply(momentum, velocity), step))
        if self.nesterov:
            self.assign_add(variable, ops.subtract(ops.multiply(momentum, velocity), step))
        else:
            self.assign_add(variable, velocity)

    def get_config(self) -> dict[str, Any]:
        """Returns the base config plus ``momentum`` and ``nesterov``."""
        config = super().get_config()
        config.update({"momentum": self.momentum, "nesterov": self.nesterov})
        return config


@keras.saving.register_keras_serializable(package="course_utils")
class AdaBelief(keras.optimizers.Optimizer):
    """AdaBelief (Zhuang et al., NeurIPS 2020): Adam that scales steps by the *belief* in g.

    Adam divides the step by the root of a running mean of ``g**2``; AdaBelief divides it by
    the root of a running mean of ``(g - m)**2``, the squared deviation of the gradient from
    its own running mean ``m`` (the "prediction"). When gradients agree with the prediction
    the denominator is small and the step large; when they scatter it is large and the step
    small. With step count ``t`` (1, 2, ...)::

        m <- beta_1 * m + (1 - beta_1) * g
        s <- beta_2 * s + (1 - beta_2) * (g - m)**2 + epsilon
        m_hat = m / (1 - beta_1**t)          # bias correction: m and s start at 0
        s_hat = s / (1 - beta_2**t)
        w <- w - lr * m_hat / (sqrt(s_hat) + epsilon)

    This is Algorithm 2 of the paper (``epsilon`` is added inside ``s`` as well); the default
    ``epsilon=1e-16`` is the authors' recommended value (their PyTorch release, v0.1+).
    Keras does not ship AdaBelief.

    Args:
        learning_rate: A positive float or a learning-rate schedule. Defaults to ``1e-3``.
        beta_1: Decay of the first-moment estimate ``m``, in ``[0, 1)``. Defaults to ``0.9``.
        beta_2: Decay of the "belief" estimate ``s``, in ``[0, 1)``. Defaults to ``0.999``.
        epsilon: Small positive constant for numerical stability. Defaults to ``1e-16``.
        **kwargs: The base optimizer's keyword arguments (``name``, ``weight_decay`` for
            decoupled decay as in AdamW, ``clipnorm``, ...).

    Raises:
        ValueError: If a hyperparameter is out of range (e.g. ``beta_2=1.0``, a negative
            ``learning_rate`` or ``epsilon``).

    Example:
        >>> import keras, course_utils as cu
        >>> w = keras.Variable([1.0, -1.0])
        >>> opt = cu.AdaBelief(learning_rate=0.1)
        >>> opt.apply([keras.ops.convert_to_tensor([3.0, -0.001])], [w])
        >>> # first step: lr * sign(g) / beta_1, whatever the gradient's scale
        >>> [round(float(x), 3) for x in w.numpy()]
        [0.889, -0.889]
    """

    def __init__(
        self,
        learning_rate: Any = 1e-3,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-16,
        name: str = "adabelief",
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=_check_learning_rate(learning_rate), name=name, **kwargs)
        self.beta_1 = _check_unit_interval("beta_1", beta_1)
        self.beta_2 = _check_unit_interval("beta_2", beta_2)
        self.epsilon = _check_epsilon(epsilon)

    def build(self, var_list: Sequence[keras.Variable]) -> None:
        """Creates two slots per model variable: the mean ``m`` and the belief ``s``."""
        if self.built:
            return
        super().build(var_list)
        self.momentums = [self.add_variable_from_reference(v, name="m") for v in var_list]
        self.beliefs = [self.add_variable_from_reference(v, name="s") for v in var_list]

    def update_step(self, gradient: Any, variable: keras.Variable, learning_rate: Any) -> None:
        """Updates ``m`` and ``s`` of ``variable``, then takes the bias-corrected step."""
        dtype = variable.dtype
        learning_rate = ops.cast(learning_rate, dtype)
        gradient = ops.cast(gradient, dtype)
        beta_1 = ops.cast(self.beta_1, dtype)
        beta_2 = ops.cast(self.beta_2, dtype)
        epsilon = ops.cast(self.epsilon, dtype)
        t = ops.cast(self.iterations + 1, dtype)  # `iterations` counts completed steps
        index = self._get_variable_index(variable)
        m, s = self.momentums[index], self.beliefs[index]

        self.assign(m, ops.add(ops.multiply(beta_1, m), ops.multiply(1.0 - beta_1, gradient)))
        deviation = ops.square(ops.subtract(gradient, m))
        self.assign(
            s,
            ops.add(ops.add(ops.multiply(beta_2, s), ops.multiply(1.0 - beta_2, deviation)), epsilon),
        )
        m_hat = ops.divide(m, 1.0 - ops.power(beta_1, t))
        s_hat = ops.divide(s, 1.0 - ops.power(beta_2, t))
        step = ops.divide(ops.multiply(learning_rate, m_hat), ops.add(ops.sqrt(s_hat), epsilon))
        self.assign_sub(variable, step)

    def get_config(self) -> dict[str, Any]:
        """Returns the base config plus ``beta_1``, ``beta_2`` and ``epsilon``."""
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config


# --------------------------------------------------------------------------------------------
# Measurement helpers
# --------------------------------------------------------------------------------------------
def max_abs_weight_difference(weights_a: Sequence[np.ndarray], weights_b: Sequence[np.ndarray]) -> float:
    """The largest absolute difference between two lists of weight arrays.

    Args:
        weights_a: Arrays, e.g. ``model_a.get_weights()``.
        weights_b: Arrays of the same shapes, in the same order.

    Returns:
        ``max |a - b|`` over all entries of all arrays (0.0 for identical weights).

    Raises:
        ValueError: If the lists differ in length or an array pair in shape.

    Example:
        >>> import numpy as np, course_utils as cu
        >>> cu.max_abs_weight_difference([np.zeros(3)], [np.array([0.0, -0.5, 0.25])])
        0.5
    """
    weights_a, weights_b = list(weights_a), list(weights_b)
    if len(weights_a) != len(weights_b):
        raise ValueError(
            f"The weight lists differ in length: len(weights_a)={len(weights_a)}, "
            f"len(weights_b)={len(weights_b)}"
        )
    largest = 0.0
    for i, (a, b) in enumerate(zip(weights_a, weights_b)):
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        if a.shape != b.shape:
            raise ValueError(f"Array {i} differs in shape: {a.shape} vs {b.shape}")
        if a.size:
            largest = max(largest, float(np.max(np.abs(a - b))))
    return largest


def global_norm(arrays: Sequence[np.ndarray]) -> float:
    """The Euclidean norm of several arrays seen as one long vector.

    This is the norm ``global_clipnorm`` bounds (all gradients together), whereas ``clipnorm``
    bounds the norm of each variable's gradient separately.

    Args:
        arrays: Arrays (e.g. a list of weight updates).

    Returns:
        ``sqrt(sum over arrays of sum(a**2))``.

    Raises:
        ValueError: If ``arrays`` is empty.

    Example:
        >>> import numpy as np, course_utils as cu
        >>> cu.global_norm([np.array([3.0]), np.array([[4.0]])])
        5.0
    """
    arrays = [np.asarray(a, dtype=np.float64) for a in arrays]
    if not arrays:
        raise ValueError("`arrays` must contain at least one array. Received: arrays=[]")
    return float(np.sqrt(sum(float(np.sum(np.square(a))) for a in arrays)))


def optimizer_trajectory(
    optimizer: keras.optimizers.Optimizer,
    loss_fn: Callable[[Any], Any],
    start: Sequence[float],
    steps: int = 100,
) -> np.ndarray:
    """Runs an optimizer on a function of a 2-D point and returns the visited points.

    The gradient is computed with ``tf.GradientTape`` and applied with
    ``optimizer.apply(gradients, variables)``: exactly what ``fit`` does with a model's
    weights, on a toy problem whose path can be drawn.

    Args:
        optimizer: A fresh (unbuilt) Keras optimizer; it is built on the point variable.
        loss_fn: Maps a tensor of shape ``(2,)`` to a scalar tensor, written with
            ``keras.ops`` (e.g. an elongated quadratic bowl).
        start: The starting point ``(x, y)``.
        steps: The number of optimizer steps, a positive integer. Defaults to ``100``.

    Returns:
        An array of shape ``(steps + 1, 2)``: the start and the point after each step.

    Raises:
        ValueError: If ``start`` does not have two finite coordinates or ``steps`` < 1.

    Example:
        >>> import keras, course_utils as cu
        >>> path = cu.optimizer_trajectory(
        ...     keras.optimizers.SGD(0.25), lambda p: keras.ops.sum(p ** 2), (1.0, 1.0), steps=2)
        >>> path.round(3).tolist()
        [[1.0, 1.0], [0.5, 0.5], [0.25, 0.25]]
    """
    import tensorflow as tf

    point = np.asarray(start, dtype=np.float32)
    if point.shape != (2,) or not np.all(np.isfinite(point)):
        raise ValueError(f"`start` must be two finite numbers (x, y). Received: start={start!r}")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"`steps` must be a positive integer. Received: steps={steps!r}")
    variable = keras.Variable(point, name="point")
    optimizer.build([variable])

    @tf.function
    def run_steps() -> Any:
        visited = tf.TensorArray(tf.float32, size=int(steps))
        for i in tf.range(int(steps)):
            with tf.GradientTape() as tape:
                loss = loss_fn(variable)
            optimizer.apply([tape.gradient(loss, variable)], [variable])
            visited = visited.write(i, tf.cast(variable.value, tf.float32))
        return visited.stack()

    # A new optimizer means a new graph: silence TensorFlow's "retracing" warning meant for
    # functions traced again and again by mistake.
    logger = tf.get_logger()
    level = logger.level
    logger.setLevel("ERROR")
    try:
        path = np.asarray(run_steps(), dtype=np.float64)
    finally:
        logger.setLevel(level)
    return np.concatenate([point[None, :].astype(np.float64), path])
