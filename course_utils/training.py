"""Training helpers: a fast input pipeline, a fast ``fit`` (:func:`train`), quiet progress output,
and history summaries."""

from __future__ import annotations

import json
import math
import os
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Union

import keras
import numpy as np

from ._validation import check_non_negative, check_positive_int

if TYPE_CHECKING:  # pragma: no cover
    from .data import Dataset

__all__ = [
    "CompactProgress",
    "HistoryLike",
    "HistorySummary",
    "as_history_dict",
    "as_tf_dataset",
    "diagnose_fit",
    "make_learning_curves",
    "make_mystery_runs",
    "summarize_history",
    "train",
]

#: A ``keras.callbacks.History`` or its ``.history`` dict (metric name -> list per epoch).
HistoryLike = Union["keras.callbacks.History", Mapping[str, Sequence[float]]]


class CompactProgress(keras.callbacks.Callback):
    """Prints a few evenly spaced progress lines per ``fit`` instead of a progress bar per epoch.

    Keras's default progress bar writes hundreds of lines (or carriage-return updates) into a
    notebook or a papermill log. This callback prints at most ``max_lines`` epoch lines plus one
    closing line with the wall time, e.g.::

        [big] epoch  20/60  loss 0.0123  accuracy 1.000  val_loss 0.3411  val_accuracy 0.917
        [big] done: 60 epochs in 3.2 s

    Args:
        max_lines: Maximum number of epoch lines to print (at least 1).
        label: Optional prefix that names the run.

    Example:

    >>> from course_utils import CompactProgress
    >>> cb = CompactProgress(max_lines=3, label="baseline")
    >>> # model.fit(x, y, epochs=30, verbose=0, callbacks=[cb])
    """

    def __init__(self, max_lines: int = 4, label: str | None = None) -> None:
        super().__init__()
        self.max_lines = check_positive_int("max_lines", max_lines)
        self.label = label
        self.seconds = 0.0
        self._start = 0.0
        self._epochs_seen = 0
        self._report_at: set[int] = set()

    def _prefix(self) -> str:
        return f"[{self.label}] " if self.label else ""

    def on_train_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        epochs = int((self.params or {}).get("epochs") or 1)
        step = max(1, math.ceil(epochs / self.max_lines))
        self._report_at = {e for e in range(step, epochs + 1, step)} | {epochs}
        while len(self._report_at) > self.max_lines:
            self._report_at.remove(min(self._report_at))
        self._epochs_seen = 0
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        self._epochs_seen = epoch + 1
        if epoch + 1 not in self._report_at:
            return
        epochs = int((self.params or {}).get("epochs") or 0)
        width = len(str(epochs))
        parts = [
            f"{k} {v:.4f}" if "loss" in k else f"{k} {v:.3f}"
            for k, v in (logs or {}).items()
            if isinstance(v, (int, float, np.floating))
        ]
        print(f"{self._prefix()}epoch {epoch + 1:>{width}}/{epochs}  " + "  ".join(parts), flush=True)

    def on_train_end(self, logs: Mapping[str, Any] | None = None) -> None:
        self.seconds = time.perf_counter() - self._start
        print(f"{self._prefix()}done: {self._epochs_seen} epochs in {self.seconds:.1f} s", flush=True)


def as_tf_dataset(
    x: np.ndarray,
    y: np.ndarray,
    *,
    batch_size: int = 32,
    shuffle: bool = False,
    seed: int = 0,
) -> Any:
    """Wraps in-memory arrays in a cached, batched ``tf.data.Dataset``.

    For the course's small datasets this is about three times faster per epoch than passing NumPy
    arrays to ``fit``, because Keras then rebuilds a heavier input pipeline every epoch.

    Args:
        x: Inputs, first axis = examples.
        y: Labels, same length as ``x``.
        batch_size: Examples per batch (positive).
        shuffle: Reshuffle every epoch (use for training data).
        seed: Shuffle seed.

    Returns:
        A ``tf.data.Dataset`` of ``(x_batch, y_batch)``.

    Raises:
        ValueError: If ``x`` and ``y`` differ in length or ``batch_size`` is not positive.

    Example:

    >>> import numpy as np
    >>> from course_utils import as_tf_dataset
    >>> ds = as_tf_dataset(np.zeros((10, 4), "float32"), np.zeros(10, "int64"), batch_size=4)
    >>> [int(xb.shape[0]) for xb, _ in ds]
    [4, 4, 2]
    """
    return _input_pipeline(x, y, batch_size=batch_size, shuffle=shuffle, seed=seed, prefetch=True)


def _input_pipeline(
    x: np.ndarray, y: np.ndarray, *, batch_size: int, shuffle: bool, seed: int, prefetch: bool
) -> Any:
    """:func:`as_tf_dataset`; ``prefetch=False`` leaves out its last stage, and then, without
    shuffling, caches the batches instead of the examples. Either way the batches, and their
    order, are the same: prefetching only overlaps producing them with using them, and an
    unshuffled pass always makes the same batches (reading them back from the cache saves
    re-assembling them from single examples every epoch)."""
    import tensorflow as tf

    batch_size = check_positive_int("batch_size", batch_size)
    if len(x) != len(y):
        raise ValueError(f"`x` and `y` must have the same length. Received: {len(x)} and {len(y)}")
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    if not (prefetch or shuffle):
        return ds.batch(batch_size).cache()
    ds = ds.cache()
    if shuffle:
        ds = ds.shuffle(len(x), seed=int(seed), reshuffle_each_iteration=True)
    ds = ds.batch(batch_size)
    return ds.prefetch(2) if prefetch else ds


# ---------------------------------------------------------------------------------------------
# train's fast path: Keras's fit loop, driven here, with one compiled call per epoch
# ---------------------------------------------------------------------------------------------

#: Callback hooks that ``fit`` calls once per batch (``on_train_batch_*`` default to ``on_batch_*``).
_BATCH_HOOKS = (
    "on_batch_begin",
    "on_batch_end",
    "on_train_batch_begin",
    "on_train_batch_end",
    "on_test_batch_begin",
    "on_test_batch_end",
)

#: ``COURSE_FAST_TRAIN=0`` makes :func:`train` always call ``model.fit`` (to compare, or debug).
FAST_TRAIN_ENV = "COURSE_FAST_TRAIN"


def _overridden_hooks(callback: Any, hooks: Sequence[str] = _BATCH_HOOKS) -> list[str]:
    """The hooks among ``hooks`` that ``callback`` replaces (in its class or on the instance)
    instead of inheriting ``keras.callbacks.Callback``'s no-op."""
    base = keras.callbacks.Callback
    return [
        h for h in hooks if h in vars(callback) or getattr(type(callback), h, None) is not getattr(base, h)
    ]


def _batch_hook_is_harmless(callback: Any, overridden: list[str]) -> bool:
    """True for the two course callbacks whose batch hooks the fast path reproduces exactly:
    ``ModelCheckpoint(save_freq="epoch")`` (its ``on_train_batch_end`` then does nothing) and
    :class:`course_utils.LearningRateLogger` (its ``on_train_batch_begin`` only reads the
    optimizer's rate, which the fast path records inside the compiled loop)."""
    from .schedules import LearningRateLogger

    if (
        isinstance(callback, keras.callbacks.ModelCheckpoint)
        and callback.save_freq == "epoch"
        and overridden == ["on_train_batch_end"]
        and "on_train_batch_end" not in vars(callback)
        and type(callback).on_train_batch_end is keras.callbacks.ModelCheckpoint.on_train_batch_end
    ):
        return True
    return (
        isinstance(callback, LearningRateLogger)
        and callback.every in ("epoch", "batch")
        and overridden == ["on_train_batch_begin"]
        and "on_train_batch_begin" not in vars(callback)
        and type(callback).on_train_batch_begin is LearningRateLogger.on_train_batch_begin
    )


def _fast_path_blocker(model: Any, callbacks: Sequence[Any]) -> str | None:
    """Why :func:`train` must use plain ``model.fit`` for this model and these callbacks, or
    ``None`` if its fast path reproduces ``fit`` exactly."""
    if os.environ.get(FAST_TRAIN_ENV, "1").strip().lower() in ("0", "false", "no", "off"):
        return f"{FAST_TRAIN_ENV}={os.environ[FAST_TRAIN_ENV]}"
    if keras.backend.backend() != "tensorflow":
        return f"the {keras.backend.backend()} backend"
    import tensorflow as tf
    from keras.src.backend import config as backend_config
    from keras.src.backend.tensorflow.trainer import TensorFlowTrainer

    if not isinstance(model, TensorFlowTrainer):
        return "the model is not a Keras TensorFlow trainer"
    for step in (
        "train_step",
        "test_step",
        "compute_metrics",
        "get_metrics_result",
        "make_train_function",
        "make_test_function",
        "fit",
        "evaluate",
        "reset_metrics",
    ):
        if step in vars(model) or getattr(type(model), step) is not getattr(keras.Model, step):
            return f"the model overrides {step}"
    if not all(layer.built for layer in model._flatten_layers()):
        return "the model is not built yet (its first fit call would draw its initial weights)"
    if tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("TPU"):
        return "an accelerator is visible (the fast path is only verified on CPU)"
    if model.run_eagerly:
        return "the model runs eagerly (compile(run_eagerly=True))"
    if model.steps_per_execution != 1:
        return f"steps_per_execution={model.steps_per_execution}"
    if model._distribute_strategy is not None or tf.distribute.has_strategy():
        return "a tf.distribute strategy"
    if backend_config.max_epochs() or backend_config.max_steps_per_epoch():
        return "keras.config.max_epochs / max_steps_per_epoch is set"
    for cb in callbacks:
        if not isinstance(cb, keras.callbacks.Callback) or isinstance(cb, keras.callbacks.CallbackList):
            return f"callback {cb!r} is not a keras.callbacks.Callback"
        overridden = _overridden_hooks(cb)
        if overridden and not _batch_hook_is_harmless(cb, overridden):
            return f"callback {type(cb).__name__} overrides {', '.join(overridden)}"
    return None


class _FastFunctions:
    """The compiled loops of :func:`_fast_functions`, valid until the model is compiled again
    (``compile`` resets ``train_function``). A plain object on purpose: Keras's saving walks a
    model's attributes, and this one holds nothing that it would save."""

    def __init__(self, model: Any) -> None:
        self._train_function = model.train_function
        self._test_function = model.test_function
        self._optimizer_id = id(model.optimizer)
        self._jit_compile = model.jit_compile
        self.functions: dict[Any, Any] = {}

    def valid_for(self, model: Any) -> bool:
        return (
            self._train_function is model.train_function
            and self._test_function is model.test_function
            and self._optimizer_id == id(model.optimizer)
            and self._jit_compile == model.jit_compile
        )


#: Compiled epochs shared between models of one architecture (see :func:`_architecture_key`):
#: (architecture, function key) -> the ``functions`` dict of the model that traced them.
_SHARED_FUNCTIONS: OrderedDict[Any, dict[str, Any]] = OrderedDict()
_SHARED_LIMIT = 16  # architectures kept (least recently used dropped); each keeps its model alive
#: Layers whose ``seed`` only sets their SeedGenerator's first state (a variable, passed to the
#: compiled call like every other): two such layers with different seeds trace the same graph.
_SEED_ONLY_SETS_STATE = {
    "Dropout",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "SpatialDropout3D",
    "GaussianNoise",
    "GaussianDropout",
    "AlphaDropout",
}


def _state_variables(model: Any) -> list[Any] | None:
    """Every ``tf.Variable`` a compiled epoch reads or writes: the model's (weights, moving
    statistics, dropout seed states), the optimizer's and the metrics', in a fixed order; ``None``
    when one of them is not a plain TensorFlow variable."""
    import tensorflow as tf

    seen: set[int] = set()
    out: list[Any] = []
    for v in [*model.variables, *model.optimizer.variables, *model.metrics_variables]:
        value = getattr(v, "_value", v)
        if not isinstance(value, tf.Variable):
            return None
        if id(value) not in seen:
            seen.add(id(value))
            out.append(value)
    return out


def _keras_own(obj: Any) -> bool:
    module = type(obj).__module__
    return module.startswith("keras.") or module.startswith("course_utils.")


def _architecture_key(model: Any) -> str | None:
    """A string that two models share only if their compiled epochs are the same graph.

    A compiled epoch reads every variable through the ``state`` argument (see
    :func:`_fast_functions`), so a model can run the epoch another model traced when the Python
    code that was traced is the same: the same classes (Keras's own or this package's, a
    ``Sequential`` or functional model that overrides nothing) with the same configurations,
    compile configuration and optimizer (up to names, Keras's initializers, the seeds of
    dropout-like layers and a constant learning rate, which are variables or used only when
    building).
    ``None`` (never shared) for anything else, including XLA-compiled models."""
    from keras.src.models.functional import Functional

    if os.environ.get("COURSE_SHARE_TRACES", "1") == "0":
        return None
    if type(model) not in (keras.Sequential, Functional) or model.jit_compile:
        return None
    layers = list(model._flatten_layers(include_self=False, recursive=True))
    if not all(type(layer).__module__.startswith("keras.") for layer in layers):
        return None  # a layer written elsewhere may compute what its configuration does not say
    optimizer = model.optimizer
    if not _keras_own(optimizer) or any(not _keras_own(m) for m in model.metrics):
        return None
    loss = getattr(model, "loss", None)
    if loss is not None and not isinstance(loss, str) and not _keras_own(loss):
        return None

    def scrub(value: Any, seeds_are_state: bool = False) -> Any:
        if isinstance(value, dict) and value.get("module") == "keras.initializers":
            return "initializer"  # Keras's initializers only draw the first values, in build
        if isinstance(value, dict):
            cls = value.get("class_name")
            state_seed = (
                seeds_are_state
                or cls in _SEED_ONLY_SETS_STATE
                or (value.get("module") == "keras.initializers")
            )
            return {
                k: scrub(v, state_seed)
                for k, v in value.items()
                if k != "name" and not (k == "seed" and seeds_are_state)
            }
        if isinstance(value, list | tuple):
            return [scrub(v, seeds_are_state) for v in value]
        return value

    try:
        compile_config = model.get_compile_config()
        optimizer_config = dict(optimizer.get_config())
        if isinstance(optimizer_config.get("learning_rate"), float):
            optimizer_config.pop("learning_rate")  # a variable, passed like the weights
        key = {
            "model": [type(model).__name__, scrub(model.get_config())],
            "layers": [type(layer).__module__ + "." + type(layer).__qualname__ for layer in layers],
            "optimizer": [
                type(optimizer).__module__ + "." + type(optimizer).__qualname__,
                scrub(optimizer_config),
            ],
            "compile": scrub({k: v for k, v in (compile_config or {}).items() if k != "optimizer"}),
        }
        return json.dumps(key, sort_keys=True, default=repr)
    except Exception:  # anything that does not serialize is not shared
        return None


def _captures_variables(concrete: Any) -> bool:
    """Whether a traced function reads a variable that it was not passed (then it is not shared)."""
    import tensorflow as tf

    return any(
        isinstance(t, tf.Variable) or getattr(t, "dtype", None) == tf.resource
        for t in concrete.captured_inputs
    )


def _share(functions: dict[str, Any], concretes: Sequence[Any]) -> None:
    """Offers a model's freshly traced epoch to later models of the same architecture."""
    key = functions.pop("share_as", None)
    if key is None or any(_captures_variables(c) for c in concretes):
        return
    _SHARED_FUNCTIONS[key] = functions
    while len(_SHARED_FUNCTIONS) > _SHARED_LIMIT:
        _SHARED_FUNCTIONS.popitem(last=False)


def _fast_functions(
    model: Any, *, record_rates: bool, fused: bool, reset_first: bool, share: bool = True
) -> Any:
    """The compiled epoch of the fast path (cached on the model until it is compiled again).

    Each batch runs ``model.train_step`` (or ``test_step``) without autograph, as in Keras's
    ``make_train_function``; with ``model.jit_compile``, through a ``tf.function(jit_compile=True,
    reduce_retracing=True)`` as there (XLA). One outer ``tf.function`` takes the training arrays (as
    tensors), the epoch's order of the examples (from :class:`_ShuffledOrder`) and the batch size,
    runs ``num_steps`` steps in a ``tf.while_loop`` (step ``i`` on the examples at positions ``i *
    batch_size`` to ``(i + 1) * batch_size`` of that order: the batches
    ``Dataset.shuffle(...).batch(...)`` makes), and returns ``model.get_metrics_result()`` (what the
    default ``train_step`` returns after the last batch, and what fit then logs); with
    ``record_rates``, also the optimizer's learning rate and iterations read before every step (what
    ``LearningRateLogger`` reads in ``on_train_batch_begin``). With ``fused``, the same call then
    resets the metrics and runs the validation batches with ``test_step`` (``evaluate``'s loop),
    returning their metrics too (contiguous batches of the validation arrays, as an unshuffled
    ``Dataset.batch``). Without it, ``train`` and ``test`` are two separate functions; with it,
    ``epochs`` also runs a whole block of epochs (one order per epoch, stacked) in one call,
    returning each epoch's training and validation logs as rows (``metric_names`` lists their keys).
    With ``reset_first``, the epoch's call begins with fit's ``reset_metrics()`` (else the caller
    does it).
    """
    import tensorflow as tf

    cache = model.__dict__.get("_course_fast_functions")
    if cache is None or not cache.valid_for(model):
        cache = _FastFunctions(model)
        object.__setattr__(model, "_course_fast_functions", cache)  # not tracked by Keras
    key = (record_rates, fused, reset_first)
    if key in cache.functions and (share or cache.functions[key]["owner"] == id(model)):
        return cache.functions[key]
    architecture = _architecture_key(model) if share and _state_variables(model) is not None else None
    if architecture is not None and (architecture, key) in _SHARED_FUNCTIONS:
        _SHARED_FUNCTIONS.move_to_end((architecture, key))
        cache.functions[key] = _SHARED_FUNCTIONS[(architecture, key)]
        return cache.functions[key]

    def compiled_step(step_function: Any) -> Any:
        @tf.autograph.experimental.do_not_convert
        def one_step_on_data(data: Any) -> Any:
            return step_function(data)

        if not model.jit_compile:
            return one_step_on_data  # traced straight into the loop's body (fit's own inner
            # tf.function is inlined by TensorFlow's graph optimizer anyway)
        return tf.function(one_step_on_data, reduce_retracing=True, jit_compile=True)

    train_one = compiled_step(model.train_step)
    test_one = compiled_step(model.test_step)
    optimizer = model.optimizer

    def run_steps(
        one_step: Any, x: Any, y: Any, order: Any, batch_size: Any, num_steps: Any, rates: bool
    ) -> tuple[Any, ...]:
        size = num_steps if rates else 0
        rate_log = tf.TensorArray(tf.float32, size=size, element_shape=())
        step_log = tf.TensorArray(tf.int64, size=size, element_shape=())
        n = tf.shape(x, out_type=tf.int64)[0]

        def body(i: Any, rate_log: Any, step_log: Any) -> tuple[Any, ...]:
            if rates:
                rate_log = rate_log.write(i, tf.cast(optimizer.learning_rate, tf.float32))
                step_log = step_log.write(i, tf.cast(optimizer.iterations, tf.int64))
            start = tf.cast(i, tf.int64) * batch_size
            stop = tf.minimum(start + batch_size, n)
            if order is None:  # an unshuffled pass: contiguous batches, as Dataset.batch makes
                batch = (x[start:stop], y[start:stop])
            else:  # the examples at this batch's positions of the epoch's shuffled order
                rows = order[start:stop]
                batch = (tf.gather(x, rows), tf.gather(y, rows))
            one_step(batch)
            return i + 1, rate_log, step_log

        _, rate_log, step_log = tf.while_loop(
            lambda i, *_: i < num_steps, body, (tf.constant(0), rate_log, step_log)
        )
        # The default train_step/test_step return exactly this after their last batch (fit and
        # evaluate then read the same values again through _get_metrics_result_or_logs).
        return model.get_metrics_result(), rate_log.stack(), step_log.stack()

    def reset_metrics() -> None:  # Trainer.reset_metrics, inside the graph
        for metric in model.metrics:
            metric.reset_state()

    @tf.autograph.experimental.do_not_convert
    def train_epoch(
        state: Any, x: Any, y: Any, order: Any, batch_size: Any, num_steps: Any
    ) -> tuple[Any, ...]:
        if reset_first:
            reset_metrics()
        return run_steps(train_one, x, y, order, batch_size, num_steps, record_rates)

    @tf.autograph.experimental.do_not_convert
    def test_epoch(state: Any, x: Any, y: Any, batch_size: Any, num_steps: Any) -> tuple[Any]:
        return run_steps(test_one, x, y, None, batch_size, num_steps, False)[:1]

    @tf.autograph.experimental.do_not_convert
    def fused_epoch(
        state: Any,
        x: Any,
        y: Any,
        order: Any,
        batch_size: Any,
        num_steps: Any,
        x_val: Any,
        y_val: Any,
        val_batch_size: Any,
        val_steps: Any,
    ) -> tuple[Any, ...]:
        out = train_epoch(state, x, y, order, batch_size, num_steps)
        with tf.control_dependencies(keras.tree.flatten(out)):
            reset_metrics()  # evaluate's, after the training metrics were read
            return out + test_epoch(state, x_val, y_val, val_batch_size, val_steps)

    metric_names: list[str] = []  # the logs' keys, in their order (known once traced)

    def as_row(logs: Mapping[str, Any]) -> Any:
        metric_names[:] = list(logs)
        return tf.stack([tf.reshape(tf.cast(v, tf.float64), ()) for v in logs.values()])

    @tf.autograph.experimental.do_not_convert
    def epoch_block(
        state: Any,
        x: Any,
        y: Any,
        orders: Any,
        batch_size: Any,
        num_steps: Any,
        x_val: Any,
        y_val: Any,
        val_batch_size: Any,
        val_steps: Any,
    ) -> tuple[Any, Any]:
        def body(k: Any, train_rows: Any, val_rows: Any) -> tuple[Any, ...]:
            reset_metrics()  # fit's, at the start of every epoch
            train_row = as_row(run_steps(train_one, x, y, orders[k], batch_size, num_steps, False)[0])
            with tf.control_dependencies([train_row]):
                reset_metrics()  # evaluate's, after the training metrics were read
                val_row = as_row(run_steps(test_one, x_val, y_val, None, val_batch_size, val_steps, False)[0])
            return k + 1, train_rows.write(k, train_row), val_rows.write(k, val_row)

        n_epochs = tf.shape(orders)[0]
        rows = (tf.TensorArray(tf.float64, size=n_epochs), tf.TensorArray(tf.float64, size=n_epochs))
        _, train_rows, val_rows = tf.while_loop(lambda k, *_: k < n_epochs, body, (tf.constant(0),) + rows)
        return train_rows.stack(), val_rows.stack()

    if fused:
        functions = {
            "epoch": tf.function(fused_epoch, reduce_retracing=True),
            "epochs": tf.function(epoch_block, reduce_retracing=True),
            "metric_names": metric_names,
        }
    else:
        functions = {
            "train": tf.function(train_epoch, reduce_retracing=True),
            "test": tf.function(test_epoch, reduce_retracing=True),
        }
    # The model's variables reach the traced code through `state` (the first argument: every
    # variable of _state_variables, which the code reads through the model's own attributes):
    # TensorFlow then binds those reads to the argument, so another model of the same
    # architecture can run this trace with its own variables (see _share).
    functions["share_as"] = (architecture, key) if architecture is not None else None
    functions["owner"] = id(model)
    cache.functions[key] = functions
    return functions


class _ShuffledOrder:
    """The order in which ``Dataset.from_tensor_slices(...).shuffle(n, seed=seed,
    reshuffle_each_iteration=True)`` (the training input of :func:`as_tf_dataset`) hands out
    its ``n`` examples in each of ``fit``'s epochs, one epoch at a time.

    A shuffle's order depends on its seeds and its buffer, not on the elements: the same shuffle
    of ``Dataset.range(n)`` yields the indices of the examples in that order. Every new iterator
    of a reshuffling dataset draws its next seeds; ``fit`` opens one per epoch and, after a full
    pass, one more that it never reads (Keras's ``EpochIterator``), so epoch ``k`` sees the
    ``2k``-th order. ``repeat()`` opens a new iterator of the shuffle for every repetition too:
    one pass over ``range(n).shuffle(...).batch(n).repeat()``, keeping every other element, gives
    all those orders from one iterator, with no per-epoch ``tf.data`` set-up (the compiled epoch
    then gathers its batches from the arrays)."""

    def __init__(self, n: int, seed: int) -> None:
        import tensorflow as tf

        orders = (
            tf.data.Dataset.range(n)
            .shuffle(n, seed=int(seed), reshuffle_each_iteration=True)
            .batch(n)
            .repeat()
            .shard(2, 0)
        )
        self._iterator = iter(orders)

    def next_epoch(self) -> Any:
        """The next epoch's order: an int64 tensor of the ``n`` example indices."""
        return next(self._iterator)

    def next_epochs(self, count: int) -> Any:
        """The next ``count`` epochs' orders, stacked: shape ``(count, n)``."""
        import tensorflow as tf

        return tf.stack([next(self._iterator) for _ in range(count)])


#: The callbacks that only read the logs ``on_epoch_end`` hands them (and time the whole fit):
#: when every callback is one of these, the fast path may run several epochs per compiled call
#: and then make the callbacks' calls epoch by epoch, with the same logs.
_OBSERVERS = (keras.callbacks.History, CompactProgress)

#: At most this many example indices (epochs x examples) per compiled call of several epochs.
_MAX_BLOCK_INDICES = 2_000_000


def _epoch_blocks(first: int, epochs: int, n: int, callbacks: Sequence[Any]) -> list[range]:
    """The epochs from ``first`` to ``epochs`` in blocks that end wherever a
    :class:`CompactProgress` prints, at most ``_MAX_BLOCK_INDICES // n`` epochs each (so that its
    lines still appear as training goes)."""
    ends = {epochs}
    for cb in callbacks:
        if isinstance(cb, CompactProgress):
            ends |= {e for e in cb._report_at if first < e < epochs}
    longest = max(1, _MAX_BLOCK_INDICES // max(n, 1))
    blocks, start = [], first
    for end in sorted(ends):
        while start < end:
            blocks.append(range(start, min(end, start + longest)))
            start = blocks[-1].stop
    return blocks


def _like(values: Any, reference: Any, name: str, reference_name: str) -> Any:
    """``values`` as a tensor of ``reference``'s dtype: a float64 split beside a float32 one (NumPy's
    default beside Keras's) is cast; labels of another kind (class indices beside probabilities)
    are an error that says so."""
    import tensorflow as tf

    t = tf.convert_to_tensor(values)
    if t.dtype == reference.dtype:
        return t
    if t.dtype.is_floating == reference.dtype.is_floating and t.dtype != tf.bool:
        return tf.cast(t, reference.dtype)
    raise ValueError(
        f"`data.{name}` is {t.dtype.name} but `data.{reference_name}` is {reference.dtype.name}: give both "
        "splits the same kind of values (class indices in both, or one-hot probabilities in both)."
    )


def _fit_fast(
    model: Any,
    x: np.ndarray,
    y: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    *,
    batch_size: int,
    val_batch_size: int,
    seed: int,
    epochs: int,
    callbacks: Sequence[Any],
    fuse: bool | None = None,
) -> Any:
    """``model.fit(as_tf_dataset(x, y, batch_size=batch_size, shuffle=True, seed=seed),
    validation_data=as_tf_dataset(x_val, y_val, batch_size=val_batch_size), epochs=epochs,
    verbose=0, shuffle=False, callbacks=callbacks)`` with the same callback calls, metric
    resets, logs and batches (in the same order) as Keras 3's ``TensorFlowTrainer.fit`` and
    ``evaluate``, but with one compiled call per epoch; see :func:`train`.

    The metric resets run inside that call where nothing can tell the difference: fit resets
    the metrics before ``on_epoch_begin`` and again after ``on_test_begin``; when every metric
    is Keras's own and no callback could look at them in that hook (``fuse=None`` decides),
    the reset moves into the compiled call, right after the hook. Otherwise it stays in Python
    (and validation becomes a second compiled call, after ``on_test_begin``)."""
    import tensorflow as tf
    from keras.src.utils.python_utils import pythonify_logs

    from .schedules import LearningRateLogger

    n, n_val = len(x), len(x_val)
    steps = -(-n // batch_size)
    val_steps = -(-n_val // val_batch_size)
    loggers = [cb for cb in callbacks if isinstance(cb, LearningRateLogger)]
    batch_loggers = [cb for cb in loggers if cb.every == "batch"]
    epoch_loggers = [cb for cb in loggers if cb.every != "batch"]
    graph_resets = _metrics_reset_in_graph(model)
    reset_first = graph_resets and _callbacks_ignore_metrics_in(callbacks, "on_epoch_begin")
    if fuse is None:
        fuse = graph_resets and _callbacks_ignore_metrics_in(callbacks, "on_test_begin")

    # As in fit: CallbackList(callbacks, add_history=True, add_progbar=verbose != 0, ...).
    callback_list = keras.callbacks.CallbackList(
        list(callbacks),
        add_history=True,
        add_progbar=False,
        verbose=0,
        epochs=epochs,
        steps=steps,
        model=model,
    )
    x, y = tf.convert_to_tensor(x), tf.convert_to_tensor(y)  # one copy, shared by every epoch
    # The validation batches go through the same traced functions: the same dtypes as training's.
    x_val, y_val = _like(x_val, x, "x_val", "x_train"), _like(y_val, y, "y_val", "y_train")
    # Create the optimizer's and the metrics' variables (zeros) now, as fit does under a
    # tf.distribute strategy: no variable is then created inside the compiled loop (and a
    # tf.function that creates variables is traced twice). The model itself is built already.
    model._symbolic_build(
        data_batch=(
            tf.TensorSpec((None, *x.shape[1:]), x.dtype),
            tf.TensorSpec((None, *y.shape[1:]), y.dtype),
        )
    )
    model.stop_training = False
    model.make_train_function()  # as fit and evaluate do: they exist afterwards
    model.make_test_function()
    orders = _ShuffledOrder(n, seed)
    train_steps, all_val_steps, one_step = tf.constant(steps), tf.constant(val_steps), tf.constant(1)
    batch, val_batch = tf.constant(batch_size, tf.int64), tf.constant(val_batch_size, tf.int64)
    first = model._initial_epoch or 0
    observers_only = (
        fuse and reset_first and len(model.outputs) == 1 and all(type(cb) in _OBSERVERS for cb in callbacks)
    )
    # One trace per function, for any number of examples, epochs or steps (a tf.function that
    # meets a second shape would trace again): the concrete functions of these signatures.
    data_spec = [tf.TensorSpec((None, *t.shape[1:]), t.dtype) for t in (x, y)]
    int32, int64 = tf.TensorSpec((), tf.int32), tf.TensorSpec((), tf.int64)
    order_spec = tf.TensorSpec((None,), tf.int64)
    state = _state_variables(model) or []

    def concrete_functions(functions: dict[str, Any]) -> list[Any]:
        if observers_only:
            return [
                functions["epochs"].get_concrete_function(
                    state,
                    *data_spec,
                    tf.TensorSpec((None, None), tf.int64),
                    int64,
                    int32,
                    *data_spec,
                    int64,
                    int32,
                )
            ]
        if fuse:
            return [
                functions["epoch"].get_concrete_function(
                    state, *data_spec, order_spec, int64, int32, *data_spec, int64, int32
                )
            ]
        return [
            functions["train"].get_concrete_function(state, *data_spec, order_spec, int64, int32),
            functions["test"].get_concrete_function(state, *data_spec, int64, int32),
        ]

    options = dict(record_rates=bool(batch_loggers), fused=fuse, reset_first=reset_first)
    functions = _fast_functions(model, **options)
    calls = concrete_functions(functions)
    if functions["owner"] != id(model) and any(_captures_variables(c) for c in calls):
        # Another model's trace that would read that model's variables: trace this one's own.
        functions = _fast_functions(model, **options, share=False)
        calls = concrete_functions(functions)
    elif functions["owner"] == id(model):
        _share(functions, calls)
    if observers_only:
        (epochs_call,) = calls
    elif fuse:
        (epoch_call,) = calls
    else:
        train_call, test_call = calls
    callback_list.on_train_begin()
    if observers_only:
        # Nothing can change the training between epochs: several epochs per compiled call,
        # then each epoch's callback calls, in fit's order, with that epoch's logs.
        training_logs = None
        for block in _epoch_blocks(first, epochs, n, callbacks):
            train_rows, val_rows = epochs_call(
                state,
                x,
                y,
                orders.next_epochs(len(block)),
                batch,
                train_steps,
                x_val,
                y_val,
                val_batch,
                all_val_steps,
            )
            names = functions["metric_names"]
            for epoch, train_row, val_row in zip(
                block, train_rows.numpy().tolist(), val_rows.numpy().tolist(), strict=True
            ):
                callback_list.on_epoch_begin(epoch)
                epoch_logs = dict(zip(names, train_row, strict=True))
                callback_list.on_test_begin()
                val_logs = dict(zip(names, val_row, strict=True))
                callback_list.on_test_end(val_logs)
                epoch_logs.update({f"val_{name}": value for name, value in val_logs.items()})
                callback_list.on_epoch_end(epoch, epoch_logs)
                training_logs = epoch_logs
    else:
        training_logs = None
        for epoch in range(first, epochs):
            if not reset_first:
                model.reset_metrics()
            callback_list.on_epoch_begin(epoch)
            # fit checks `stop_training` after every batch: a callback that sets it in
            # on_train_begin or on_epoch_begin still gets one batch, then the epoch ends.
            num_steps = one_step if model.stop_training else train_steps
            for logger in epoch_loggers:  # fit's on_train_batch_begin(0); later batches are no-ops
                logger.on_train_batch_begin(0)
            if fuse:
                model.stop_evaluating = False
                metric_logs, rates, rate_steps, val_metric_logs = epoch_call(
                    state, x, y, orders.next_epoch(), batch, num_steps, x_val, y_val, val_batch, all_val_steps
                )
            else:
                metric_logs, rates, rate_steps = train_call(
                    state, x, y, orders.next_epoch(), batch, num_steps
                )
            if batch_loggers:
                rates, rate_steps = rates.numpy().tolist(), rate_steps.numpy().tolist()
                for logger in batch_loggers:
                    logger.learning_rates.extend(float(r) for r in rates)
                    logger.steps.extend(int(s) for s in rate_steps)
                    logger.epochs.extend([logger._epoch] * len(rates))
                    logger._first_batch = False
            epoch_logs = dict(metric_logs)

            # Validation, as fit's evaluate(..., callbacks=callbacks): on_test_begin, reset the
            # metrics, the batches, on_test_end with the pythonified logs (fused: all but the
            # callbacks ran above, and no callback overrides on_test_begin).
            if not fuse:
                model.stop_evaluating = False
            callback_list.on_test_begin()
            if not fuse:
                model.reset_metrics()
                (val_metric_logs,) = test_call(
                    state, x_val, y_val, val_batch, one_step if model.stop_evaluating else all_val_steps
                )
            val_logs = pythonify_logs(val_metric_logs)
            callback_list.on_test_end(val_logs)
            epoch_logs.update({f"val_{name}": value for name, value in val_logs.items()})

            callback_list.on_epoch_end(epoch, epoch_logs)
            training_logs = epoch_logs
            if model.stop_training:
                break
    if isinstance(model.optimizer, keras.optimizers.Optimizer) and epochs > 0:
        model.optimizer.finalize_variable_values(model.trainable_weights)
    callback_list.on_train_end(logs=training_logs)
    return model.history


def _metrics_reset_in_graph(model: Any) -> bool:
    """Whether every metric is one of Keras's own, whose ``reset_state`` only assigns zeros to
    its variables (so it may run inside a compiled function, as the fast path's resets do)."""
    config = getattr(model, "_compile_config", None)
    config = getattr(config, "config", None) or {}
    compiled = keras.tree.flatten([config.get("metrics"), config.get("weighted_metrics")])

    def keras_own(metric: Any) -> bool:
        return type(metric).__module__.startswith("keras.")

    for metric in compiled:
        # Names and plain functions become Keras's MeanMetricWrapper (two variables).
        if isinstance(metric, keras.metrics.Metric) and not keras_own(metric):
            return False
        if not (metric is None or isinstance(metric, str) or callable(metric)):
            return False
    return all(keras_own(m) for m in model.metrics)


def _callbacks_ignore_metrics_in(callbacks: Sequence[Any], hook: str) -> bool:
    """Whether no callback can see the model's metric variables in ``hook``: it is Keras's
    no-op, or one of the course's callbacks that only set or read the learning rate or the
    epoch number there."""
    from .schedules import LearningRateLogger

    known = (keras.callbacks.LearningRateScheduler, keras.callbacks.ModelCheckpoint, LearningRateLogger)
    for cb in callbacks:
        if not _overridden_hooks(cb, (hook,)):
            continue
        owner = next(c for c in type(cb).__mro__ if hook in c.__dict__)  # who defines the hook
        if hook in vars(cb) or owner not in known:
            return False
    return True


def train(
    model: keras.Model,
    data: Dataset,
    *,
    epochs: int,
    batch_size: int = 32,
    callbacks: Sequence[Any] | None = None,
    progress: bool = True,
    label: str | None = None,
    seed: int = 0,
) -> keras.callbacks.History:
    """Fits a compiled model on ``data``'s training split, validating on its validation split.

    This is ``model.fit(train, validation_data=val, epochs=epochs, verbose=0)`` with a fast
    input pipeline (:func:`as_tf_dataset`: shuffled with ``seed`` every epoch, validation in
    batches of ``max(batch_size, 512)``) and quiet progress (:class:`CompactProgress`). The test
    split is never touched.

    **Fast path.** On this course's small models, most of ``fit``'s time is Keras's work around
    the computation: a Python round trip per batch and a whole ``evaluate`` call per epoch. So
    ``train`` runs Keras's own ``fit`` loop itself (mirroring Keras 3.15's
    ``TensorFlowTrainer.fit``/``evaluate``): the same ``keras.callbacks.CallbackList`` (with its
    ``History``, attached to ``model.history``), ``model.stop_training``, the metric resets, the
    ``on_train_begin``/``on_epoch_begin``/``on_test_begin``/``on_test_end``/``on_epoch_end``/
    ``on_train_end`` calls with the same logs (Python floats, ``val_`` prefixes), the optimizer's
    ``finalize_variable_values``; but each epoch is one compiled ``tf.function``: a graph loop of
    ``model.train_step`` over the epoch's batches, then, in the same call, the metrics reset and
    a loop of ``model.test_step`` over the validation batches (exactly what ``evaluate`` computes,
    batch by batch). Every variable the call reads or writes (weights, moving statistics, dropout
    seed states, optimizer and metric variables) is passed to it, so a later model of the same
    architecture (Keras's own layers and optimizers with the same configuration, up to names,
    seeds, initializers and a constant learning rate) runs the same trace with its own variables instead of
    tracing again; a trace that would touch another model's variables is never used
    (``COURSE_SHARE_TRACES=0`` turns the sharing off). The batches are gathered, inside that
    call, from the arrays in the order ``fit``'s shuffling ``tf.data`` input would hand them out
    (one pass over a shuffle of the example indices gives every epoch's order), with no
    ``tf.data`` iterator per epoch. When the
    only callbacks are the ``History`` and the progress lines (nothing that could change the
    training between epochs), one compiled call runs several epochs (up to the next progress
    line), and each epoch's callback calls then follow with that epoch's logs. Batches come in
    ``fit``'s order, so the History and the weights equal
    ``fit``'s (bit for bit on CPU in the course's tests), without Keras's per-batch and
    per-``evaluate`` overhead (``tools/run_lessons.py --bench`` measures the speed-up on lesson
    01's model). Callbacks that act per
    batch are reproduced where that is exact: ``ModelCheckpoint(save_freq="epoch")`` (its batch
    hook does nothing) and :class:`course_utils.LearningRateLogger` (the compiled loop records the
    rate before every step). A callback that sets ``model.stop_training`` in ``on_epoch_begin``
    still gets one batch of that epoch, as in ``fit``.

    **Fallback.** ``train`` calls plain ``model.fit`` whenever it cannot guarantee the same
    result: a callback that overrides a per-batch hook (``on_train_batch_*``, ``on_batch_*``,
    ``on_test_batch_*``: e.g. ``TensorBoard``, ``TerminateOnNaN``, a ``LambdaCallback`` with a
    batch function, ``ModelCheckpoint`` with an integer ``save_freq``); a model that overrides
    ``train_step``/``test_step``/``compute_metrics`` (or ``fit``...), is not built yet, runs
    eagerly, uses ``steps_per_execution > 1`` or a ``tf.distribute`` strategy; a visible GPU/TPU
    (the fast path is verified on CPU only); a non-TensorFlow backend; ``keras.config``'s debug
    limits on epochs/steps; or the environment variable ``COURSE_FAST_TRAIN=0``. A callback that
    overrides ``on_test_begin``, or a metric that is not one of Keras's own classes, keeps the
    fast path but runs validation as a second compiled call, after ``on_test_begin``.

    Args:
        model: A compiled Keras model.
        data: A :class:`course_utils.Dataset`.
        epochs: Number of passes over the training data.
        batch_size: Examples per gradient step.
        callbacks: Extra Keras callbacks (early stopping, schedules, ...).
        progress: Print a few progress lines; ``False`` prints nothing.
        label: Name printed in the progress lines (defaults to the model's name).
        seed: Seed of the per-epoch shuffling.

    Returns:
        The ``keras.callbacks.History``; its ``.history`` dict has ``loss``, ``val_loss`` and
        the compiled metrics per epoch, and ``.elapsed_seconds`` the wall time of the fit.

    Raises:
        ValueError: If ``data`` is not a :class:`course_utils.Dataset`, ``epochs``/``batch_size``
            are not positive integers, or the model is not compiled.

    Example:

    >>> from course_utils import build_mlp, load_dataset, train
    >>> data = load_dataset("digits", n_train=100)
    >>> model = build_mlp(data.input_shape, data.num_classes, (32,), seed=0)
    >>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
    ...               metrics=["accuracy"])
    >>> history = train(model, data, epochs=2, progress=False)
    >>> sorted(history.history)
    ['accuracy', 'loss', 'val_accuracy', 'val_loss']
    """
    from .data import Dataset

    if not isinstance(data, Dataset):
        raise ValueError(
            "`data` must be the Dataset returned by course_utils.load_dataset(...). For your own "
            "arrays call model.fit(x, y, validation_data=(x_val, y_val)) directly. "
            f"Received: data of type {type(data).__name__}"
        )
    epochs = check_positive_int("epochs", epochs)
    batch_size = check_positive_int("batch_size", batch_size)
    if getattr(model, "optimizer", None) is None or not getattr(model, "compiled", True):
        raise ValueError(
            f"Model {getattr(model, 'name', model)!r} is not compiled. Call "
            "model.compile(optimizer=..., loss='sparse_categorical_crossentropy', "
            "metrics=['accuracy']) before training it."
        )
    all_callbacks = list(callbacks or [])
    timer = CompactProgress(label=label or model.name)
    if progress:
        all_callbacks.append(timer)
    val_batch_size = max(batch_size, 512)
    start = time.perf_counter()
    if _fast_path_blocker(model, all_callbacks) is None:
        history = _fit_fast(
            model,
            data.x_train,
            data.y_train,
            data.x_val,
            data.y_val,
            batch_size=batch_size,
            val_batch_size=val_batch_size,
            seed=seed,
            epochs=epochs,
            callbacks=all_callbacks,
        )
    else:
        train_ds = as_tf_dataset(data.x_train, data.y_train, batch_size=batch_size, shuffle=True, seed=seed)
        val_ds = as_tf_dataset(data.x_val, data.y_val, batch_size=val_batch_size)
        history = model.fit(
            train_ds, validation_data=val_ds, epochs=epochs, verbose=0, shuffle=False, callbacks=all_callbacks
        )
    history.elapsed_seconds = time.perf_counter() - start
    return history


def as_history_dict(history: HistoryLike) -> dict[str, list[float]]:
    """Returns the per-epoch metrics of a ``History`` (or of a dict of lists) as a plain dict.

    Args:
        history: A ``keras.callbacks.History`` or a mapping of metric name to per-epoch values.

    Returns:
        A new ``dict[str, list[float]]``.

    Raises:
        ValueError: If ``history`` is neither, or its lists are empty.

    Example:

    >>> from course_utils import as_history_dict
    >>> as_history_dict({"loss": [1.0, 0.5]})
    {'loss': [1.0, 0.5]}
    """
    raw = getattr(history, "history", history)
    if not isinstance(raw, Mapping) or not raw:
        raise ValueError(
            "Expected a keras History (the return value of model.fit) or a dict such as "
            f"{{'loss': [...], 'val_loss': [...]}}. Received: {type(history).__name__}"
        )
    out = {str(k): [float(v) for v in vals] for k, vals in raw.items()}
    if any(len(v) == 0 for v in out.values()):
        raise ValueError("The history has a metric with no epochs recorded.")
    return out


@dataclass(frozen=True)
class HistorySummary:
    """Key numbers of one training run (accuracies are fractions, epochs are 1-based).

    Attributes:
        epochs: Epochs trained.
        final_train_accuracy, final_val_accuracy: Accuracy after the last epoch.
        gap: ``final_train_accuracy - final_val_accuracy``: the generalization gap.
        best_epoch: Epoch with the lowest validation loss.
        min_val_loss: That lowest validation loss.
        final_val_loss: Validation loss after the last epoch.
        final_train_loss: Training loss after the last epoch.
        best_val_accuracy: Highest validation accuracy over all epochs.

    Example:

    >>> from course_utils import make_learning_curves, summarize_history
    >>> s = summarize_history(make_learning_curves("overfitting"))
    >>> s.best_epoch < s.epochs and s.gap > 0.05
    True
    """

    epochs: int
    final_train_accuracy: float
    final_val_accuracy: float
    gap: float
    best_epoch: int
    min_val_loss: float
    final_val_loss: float
    final_train_loss: float
    best_val_accuracy: float

    @property
    def val_loss_rise(self) -> float:
        """How far the validation loss climbed after its minimum (``final - min``)."""
        return self.final_val_loss - self.min_val_loss

    def as_dict(self) -> dict[str, float]:
        """The fields and ``val_loss_rise`` as a plain dict (for tables and JSON)."""
        return {**asdict(self), "val_loss_rise": self.val_loss_rise}


def summarize_history(history: HistoryLike) -> HistorySummary:
    """Summarizes a training run with validation data.

    Args:
        history: A ``History`` or dict with ``loss``, ``val_loss``, ``accuracy`` and
            ``val_accuracy``.

    Returns:
        A :class:`HistorySummary`.

    Raises:
        ValueError: If a required metric is missing (the message lists the ones present).

    Example:

    >>> from course_utils import summarize_history
    >>> s = summarize_history({"loss": [1.0, 0.2, 0.1], "val_loss": [1.1, 0.6, 0.8],
    ...                        "accuracy": [0.5, 0.9, 1.0], "val_accuracy": [0.5, 0.8, 0.8]})
    >>> s.best_epoch, round(s.gap, 2), round(s.val_loss_rise, 2)
    (2, 0.2, 0.2)
    """
    h = as_history_dict(history)
    required = ("loss", "val_loss", "accuracy", "val_accuracy")
    missing = [k for k in required if k not in h]
    if missing:
        raise ValueError(
            f"The history lacks {missing}; it has {sorted(h)}. Compile with metrics=['accuracy'] "
            "and train with validation data."
        )
    val_loss = np.asarray(h["val_loss"])
    return HistorySummary(
        epochs=len(h["loss"]),
        final_train_accuracy=h["accuracy"][-1],
        final_val_accuracy=h["val_accuracy"][-1],
        gap=h["accuracy"][-1] - h["val_accuracy"][-1],
        best_epoch=int(np.argmin(val_loss)) + 1,
        min_val_loss=float(val_loss.min()),
        final_val_loss=float(val_loss[-1]),
        final_train_loss=h["loss"][-1],
        best_val_accuracy=float(max(h["val_accuracy"])),
    )


def diagnose_fit(
    history: HistoryLike,
    *,
    min_train_accuracy: float = 0.9,
    max_gap: float = 0.05,
    max_val_loss_rise: float = 0.1,
) -> str:
    """Classifies a run as ``"underfitting"``, ``"overfitting"`` or ``"good fit"``.

    The rule is the lesson's decision guide, made explicit:

    1. training accuracy below ``min_train_accuracy`` -> the model cannot even fit the training
       data: ``"underfitting"`` (more capacity, more epochs, a better learning rate);
    2. otherwise, a train/validation accuracy gap above ``max_gap``, or a validation loss that
       rose more than ``max_val_loss_rise`` (relative) above its minimum -> ``"overfitting"``
       (more data, regularization, early stopping);
    3. otherwise ``"good fit"``.

    Args:
        history: A ``History`` or dict (see :func:`summarize_history`).
        min_train_accuracy: Training accuracy a fitted model should reach, in ``[0, 1]``.
        max_gap: Largest acceptable final train/validation accuracy gap, ``>= 0``.
        max_val_loss_rise: Largest acceptable relative rise of the validation loss after its
            minimum, ``>= 0``.

    Returns:
        One of ``"underfitting"``, ``"overfitting"``, ``"good fit"``.

    Raises:
        ValueError: If a threshold is out of range.

    Example:

    >>> from course_utils import diagnose_fit
    >>> diagnose_fit({"loss": [1.0, 0.9], "val_loss": [1.0, 0.95],
    ...               "accuracy": [0.5, 0.6], "val_accuracy": [0.5, 0.6]})
    'underfitting'
    """
    if not 0.0 <= min_train_accuracy <= 1.0:
        raise ValueError(
            f"`min_train_accuracy` must be in [0, 1]. Received: min_train_accuracy={min_train_accuracy!r}"
        )
    check_non_negative("max_gap", max_gap)
    check_non_negative("max_val_loss_rise", max_val_loss_rise)
    s = summarize_history(history)
    if s.final_train_accuracy < min_train_accuracy:
        return "underfitting"
    rel_rise = s.val_loss_rise / max(s.min_val_loss, 1e-12)
    if s.gap > max_gap or rel_rise > max_val_loss_rise:
        return "overfitting"
    return "good fit"


_CURVE_KINDS = ("overfitting", "underfitting", "good fit")


def make_learning_curves(kind: str, *, epochs: int = 50, seed: int = 0) -> dict[str, list[float]]:
    """Makes a synthetic history with the typical shape of one diagnosis (for exercises).

    * ``"overfitting"``: training loss falls towards 0 and training accuracy reaches ~1, while
      validation loss bottoms out early and climbs; validation accuracy stalls well below.
    * ``"underfitting"``: both losses stay high and close; both accuracies plateau low.
    * ``"good fit"``: both losses fall and flatten close together; accuracies are high and close.

    Args:
        kind: One of ``"overfitting"``, ``"underfitting"``, ``"good fit"``.
        epochs: Number of epochs (at least 10).
        seed: Seed of the small epoch-to-epoch noise.

    Returns:
        A history dict with ``loss``, ``val_loss``, ``accuracy`` and ``val_accuracy``.

    Raises:
        ValueError: If ``kind`` is unknown or ``epochs`` < 10.

    Example:

    >>> from course_utils import diagnose_fit, make_learning_curves
    >>> diagnose_fit(make_learning_curves("overfitting"))
    'overfitting'
    """
    if kind not in _CURVE_KINDS:
        raise ValueError(f"`kind` must be one of {_CURVE_KINDS}. Received: kind={kind!r}")
    epochs = check_positive_int("epochs", epochs)
    if epochs < 10:
        raise ValueError(f"`epochs` must be at least 10. Received: epochs={epochs}")
    rng = np.random.default_rng(seed)
    # The shapes are designed on a 50-epoch time axis and stretched to `epochs`.
    t = np.arange(1, epochs + 1, dtype=float) * (50.0 / epochs)
    jitter = lambda scale: rng.normal(0.0, scale, epochs)  # noqa: E731
    if kind == "overfitting":
        loss = 2.0 * np.exp(-t / 6) + 0.01
        val_loss = 2.0 * np.exp(-t / 6) + 0.35 + 0.012 * np.maximum(t - 12, 0)
        acc = 1.0 - 0.8 * np.exp(-t / 5)
        val_acc = 0.82 - 0.7 * np.exp(-t / 5)
    elif kind == "underfitting":
        loss = 1.6 + 0.6 * np.exp(-t / 10)
        val_loss = 1.65 + 0.6 * np.exp(-t / 10)
        acc = 0.55 - 0.35 * np.exp(-t / 10)
        val_acc = 0.53 - 0.35 * np.exp(-t / 10)
    else:
        loss = 2.0 * np.exp(-t / 8) + 0.12
        val_loss = 2.0 * np.exp(-t / 8) + 0.15
        acc = 0.96 - 0.8 * np.exp(-t / 6)
        val_acc = 0.95 - 0.8 * np.exp(-t / 6)
    clip = lambda a: np.clip(a, 0.0, 1.0)  # noqa: E731
    return {
        "loss": list(loss * (1.0 + jitter(0.01))),
        "val_loss": list(val_loss * (1.0 + jitter(0.015))),
        "accuracy": list(clip(acc + jitter(0.003))),
        "val_accuracy": list(clip(val_acc + jitter(0.005))),
    }


def make_mystery_runs(seed: int = 0, *, epochs: int = 50) -> dict[str, dict[str, list[float]]]:
    """Three synthetic runs labelled ``"A"``, ``"B"``, ``"C"``: one of each diagnosis, shuffled.

    Which label hides which diagnosis depends on ``seed``; the exercise is to find out from the
    curves and their numbers (:func:`summarize_history`).

    Args:
        seed: Seed of the shuffle and of the curves' noise.
        epochs: Length of each run (at least 10).

    Returns:
        A dict ``{"A": history, "B": history, "C": history}`` of history dicts.

    Example:

    >>> from course_utils import diagnose_fit, make_mystery_runs
    >>> runs = make_mystery_runs(seed=0)
    >>> sorted(diagnose_fit(h) for h in runs.values())
    ['good fit', 'overfitting', 'underfitting']
    """
    order = np.random.default_rng([seed, 2024]).permutation(len(_CURVE_KINDS))
    return {
        label: make_learning_curves(_CURVE_KINDS[k], epochs=epochs, seed=seed + i)
        for i, (label, k) in enumerate(zip("ABC", order))
    }


def benchmark_train_speed(
    *,
    dataset: str = "digits",
    n_train: int = 150,
    hidden_units: Sequence[int] = (512, 512),
    epochs: int = 100,
    batch_size: int = 32,
    repeats: int = 3,
    seed: int = 0,
) -> dict[str, Any]:
    """Times :func:`train` against plain ``model.fit`` with validation, on lesson 01's model.

    Each repeat builds the same model twice (``keras.utils.set_random_seed(seed)`` first, Adam
    1e-3) and trains one copy with ``model.fit(train_ds, validation_data=val_ds, verbose=0)``
    on :func:`as_tf_dataset` input, the other with ``train(...)``; the two alternate (fit first
    in even repeats, ``train`` first in odd ones) so that both see the same machine load. Each
    time covers the whole call (input pipeline, tracing, every epoch); model building is not
    timed. Used by ``tools/run_lessons.py --bench``; not part of the lessons' API.

    Args:
        dataset, n_train: Passed to :func:`course_utils.load_dataset` (lesson 01: digits, 150).
        hidden_units: The MLP's hidden layers (lesson 01: ``(512, 512)``).
        epochs, batch_size: Training length and batch size (lesson 01: 100, 32).
        repeats: Timed pairs; the best time of each is kept.
        seed: Seed of the weights, the shuffling and the data subset.

    The first ``train`` call traces the architecture's compiled epoch; the later ones run that
    trace with their own model's variables, as a lesson's second, third... model of one
    architecture does (see :func:`train`), so both are reported.

    Returns:
        A dict with ``fit_seconds`` and ``train_seconds`` (best of ``repeats``), ``ratio``
        (``fit_seconds / train_seconds``), ``train_first_seconds`` and ``ratio_first`` (the
        first ``train`` call, which traced), every time (``fit_all``, ``train_all``), the largest
        difference between the two runs' per-epoch histories (``max_history_difference``),
        ``fast_path`` (whether ``train`` took its fast path, or else why not) and the setup.
    """
    from .data import load_dataset
    from .models import build_mlp

    repeats = check_positive_int("repeats", repeats)
    data = load_dataset(dataset, n_train=n_train, seed=seed)

    def build() -> Any:
        keras.utils.set_random_seed(seed)
        model = build_mlp(data.input_shape, data.num_classes, tuple(hidden_units), seed=seed, name="bench")
        model.compile(
            optimizer=keras.optimizers.Adam(1e-3),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        return model

    def run_fit() -> tuple[float, dict[str, list[float]]]:
        model = build()
        start = time.perf_counter()
        train_ds = as_tf_dataset(data.x_train, data.y_train, batch_size=batch_size, shuffle=True, seed=seed)
        val_ds = as_tf_dataset(data.x_val, data.y_val, batch_size=max(batch_size, 512))
        history = model.fit(train_ds, validation_data=val_ds, epochs=epochs, verbose=0, shuffle=False)
        return time.perf_counter() - start, history.history

    def run_train() -> tuple[float, dict[str, list[float]]]:
        model = build()
        start = time.perf_counter()
        history = train(model, data, epochs=epochs, batch_size=batch_size, progress=False, seed=seed)
        return time.perf_counter() - start, history.history

    _SHARED_FUNCTIONS.clear()  # the first train call traces; later ones run that trace (see train)
    fit_times: list[float] = []
    train_times: list[float] = []
    difference = 0.0
    for r in range(repeats):
        order = (run_fit, run_train) if r % 2 == 0 else (run_train, run_fit)
        results = {fn: fn() for fn in order}
        (fit_s, fit_h), (train_s, train_h) = results[run_fit], results[run_train]
        fit_times.append(fit_s)
        train_times.append(train_s)
        difference = max(
            [difference] + [float(np.max(np.abs(np.subtract(fit_h[k], train_h[k])))) for k in fit_h]
        )
    blocker = _fast_path_blocker(build(), [])
    return {
        "model": f"{dataset} n_train={n_train}, MLP {'x'.join(map(str, hidden_units))}, "
        f"batch {batch_size}, {epochs} epochs, Adam",
        "fit_seconds": round(min(fit_times), 3),
        "train_seconds": round(min(train_times), 3),
        "ratio": round(min(fit_times) / min(train_times), 2),
        "train_first_seconds": round(train_times[0], 3),  # the call that traced the architecture
        "ratio_first": round(min(fit_times) / train_times[0], 2),
        "fit_all": [round(t, 3) for t in fit_times],
        "train_all": [round(t, 3) for t in train_times],
        "max_history_difference": difference,
        "fast_path": True if blocker is None else blocker,
        "repeats": repeats,
    }
