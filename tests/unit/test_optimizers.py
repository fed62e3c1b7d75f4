"""Unit tests of course_utils.optimizers: the reference custom optimizers match Keras's built-in
ones or a NumPy transcription of their update rule, validate their arguments, and survive
get_config/from_config and a .keras round trip."""

from __future__ import annotations

import doctest

import keras
import numpy as np
import pytest

import course_utils as cu
import course_utils.optimizers as optimizers_module
from course_utils.optimizers import AdaBelief, MomentumSGD, PlainSGD


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------
def _gradients(steps: int, shape: tuple[int, ...] = (3, 2), seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.normal(size=shape).astype(np.float32) for _ in range(steps)]


def _run(optimizer: keras.optimizers.Optimizer, grads: list[np.ndarray], start: np.ndarray) -> np.ndarray:
    """Applies the given gradient sequence to one variable; returns the final value."""
    variable = keras.Variable(start.copy())
    for g in grads:
        optimizer.apply([keras.ops.convert_to_tensor(g)], [variable])
    return np.asarray(variable.numpy())


def _small_model(seed: int = 0) -> keras.Model:
    keras.utils.set_random_seed(seed)
    return keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(5, activation="relu"),
            keras.layers.Dense(3),
        ]
    )


def _data(n: int = 32, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 4)).astype(np.float32), rng.integers(0, 3, size=n)


START = np.linspace(-1.0, 1.0, 6, dtype=np.float32).reshape(3, 2)


# --------------------------------------------------------------------------------------------
# Update rules
# --------------------------------------------------------------------------------------------
def test_plain_sgd_matches_keras_sgd_and_the_formula():
    grads = _gradients(7)
    ours = _run(PlainSGD(learning_rate=0.1), grads, START)
    keras_sgd = _run(keras.optimizers.SGD(learning_rate=0.1), grads, START)
    formula = START - 0.1 * np.sum(grads, axis=0)
    np.testing.assert_allclose(ours, keras_sgd, atol=1e-6)
    np.testing.assert_allclose(ours, formula, atol=1e-5)


@pytest.mark.parametrize("nesterov", [False, True])
@pytest.mark.parametrize("momentum", [0.0, 0.5, 0.9])
def test_momentum_sgd_matches_keras_sgd(momentum, nesterov):
    grads = _gradients(10, seed=1)
    ours = _run(MomentumSGD(0.05, momentum=momentum, nesterov=nesterov), grads, START)
    theirs = _run(keras.optimizers.SGD(0.05, momentum=momentum, nesterov=nesterov), grads, START)
    np.testing.assert_allclose(ours, theirs, atol=1e-6)


def test_momentum_sgd_is_not_plain_sgd():
    grads = _gradients(5, seed=2)
    assert not np.allclose(
        _run(MomentumSGD(0.05, 0.9), grads, START), _run(PlainSGD(0.05), grads, START), atol=1e-3
    )
    assert not np.allclose(
        _run(MomentumSGD(0.05, 0.9, nesterov=True), grads, START),
        _run(MomentumSGD(0.05, 0.9), grads, START),
        atol=1e-3,
    )


def _adabelief_numpy(grads, start, lr=1e-3, b1=0.9, b2=0.999, eps=1e-16):
    w = start.astype(np.float64).copy()
    m = np.zeros_like(w)
    s = np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        s = b2 * s + (1 - b2) * (g - m) ** 2 + eps
        m_hat = m / (1 - b1**t)
        s_hat = s / (1 - b2**t)
        w = w - lr * m_hat / (np.sqrt(s_hat) + eps)
    return w


@pytest.mark.parametrize(
    "kwargs", [{}, {"learning_rate": 0.01, "beta_1": 0.5, "beta_2": 0.9, "epsilon": 1e-8}]
)
def test_adabelief_matches_the_paper_algorithm(kwargs):
    grads = _gradients(12, seed=3)
    ours = _run(AdaBelief(**kwargs), grads, START)
    ref = _adabelief_numpy(
        grads,
        START,
        **{
            {"learning_rate": "lr", "beta_1": "b1", "beta_2": "b2", "epsilon": "eps"}[k]: v
            for k, v in kwargs.items()
        },
    )
    np.testing.assert_allclose(ours, ref, rtol=1e-4, atol=1e-6)


def test_adabelief_differs_from_adam():
    grads = _gradients(12, seed=4)
    assert not np.allclose(
        _run(AdaBelief(0.01), grads, START), _run(keras.optimizers.Adam(0.01), grads, START), atol=1e-4
    )


def test_adabelief_first_step_is_learning_rate_times_sign():
    # Bias correction: after one step m_hat = g and, since g - m_1 = beta_1 * g,
    # s_hat = (beta_1 * g)**2 (+ eps): the step is lr * sign(g) / beta_1 at any gradient scale.
    g = np.array([[3.0, -0.001], [50.0, -2.0], [1e-3, 7.0]], dtype=np.float32)
    after = _run(AdaBelief(0.1), [g], START)
    np.testing.assert_allclose(START - after, 0.1 * np.sign(g) / 0.9, rtol=1e-4)


def test_slots_are_created_with_add_variable_from_reference():
    variable = keras.Variable(START.copy())
    for opt, n_slots in [(PlainSGD(), 0), (MomentumSGD(), 1), (AdaBelief(), 2)]:
        opt.build([variable])
        slot_shapes = [tuple(v.shape) for v in opt.variables if tuple(v.shape) == START.shape]
        assert len(slot_shapes) == n_slots, type(opt).__name__


def test_schedules_and_clipping_go_through_the_base_class():
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)
    grads = [np.ones((3, 2), np.float32)] * 3
    after = _run(PlainSGD(learning_rate=schedule), grads, START)
    np.testing.assert_allclose(START - after, np.full((3, 2), 0.1 + 0.05 + 0.025), rtol=1e-5)
    big = [np.full((3, 2), 100.0, np.float32)]
    step = START - _run(PlainSGD(learning_rate=1.0, global_clipnorm=1.0), big, START)
    assert np.linalg.norm(step) == pytest.approx(1.0, rel=1e-5)


def test_optimizers_train_a_model():
    x, y = _data(64)
    for opt in (PlainSGD(0.1), MomentumSGD(0.05, 0.9, nesterov=True), AdaBelief(0.01)):
        model = _small_model()
        model.compile(optimizer=opt, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        history = model.fit(x, y, epochs=15, batch_size=16, verbose=0, shuffle=False)
        losses = history.history["loss"]
        assert losses[-1] < 0.9 * losses[0], (type(opt).__name__, losses)


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "factory, bad",
    [
        (lambda: PlainSGD(learning_rate=-0.1), "learning_rate=-0.1"),
        (lambda: PlainSGD(learning_rate=0.0), "learning_rate=0.0"),
        (lambda: PlainSGD(learning_rate="fast"), "learning_rate='fast'"),
        (lambda: MomentumSGD(learning_rate=-1), "learning_rate=-1"),
        (lambda: MomentumSGD(momentum=1.0), "momentum=1.0"),
        (lambda: MomentumSGD(momentum=-0.1), "momentum=-0.1"),
        (lambda: MomentumSGD(momentum=True), "momentum=True"),
        (lambda: MomentumSGD(nesterov="yes"), "nesterov='yes'"),
        (lambda: AdaBelief(beta_1=1.0), "beta_1=1.0"),
        (lambda: AdaBelief(beta_2=1.5), "beta_2=1.5"),
        (lambda: AdaBelief(epsilon=0.0), "epsilon=0.0"),
        (lambda: AdaBelief(epsilon=-1e-8), "epsilon=-1e-08"),
        (lambda: AdaBelief(learning_rate=float("nan")), "learning_rate=nan"),
    ],
)
def test_bad_hyperparameters_are_refused_by_name(factory, bad):
    with pytest.raises(ValueError, match=bad.replace("(", r"\(").replace(".", r"\.")):
        factory()


def test_integer_learning_rate_is_accepted():
    assert float(PlainSGD(learning_rate=1).learning_rate) == 1.0


# --------------------------------------------------------------------------------------------
# Serialization
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "opt",
    [
        PlainSGD(0.02, clipnorm=1.0),
        MomentumSGD(0.03, momentum=0.8, nesterov=True),
        AdaBelief(0.004, beta_1=0.8, beta_2=0.99, epsilon=1e-12, weight_decay=0.01),
    ],
    ids=["plain", "momentum", "adabelief"],
)
def test_config_round_trip(opt):
    config = opt.get_config()
    clone = type(opt).from_config(config)
    assert clone.get_config() == config
    restored = keras.optimizers.deserialize(keras.optimizers.serialize(opt))
    assert type(restored) is type(opt)
    assert restored.get_config() == config
    assert keras.optimizers.serialize(opt)["registered_name"].startswith("course_utils>")


def test_keras_file_round_trip_continues_training_identically(tmp_path):
    x, y = _data(48, seed=5)
    model = _small_model(seed=5)
    model.compile(
        optimizer=AdaBelief(0.01, beta_1=0.85),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    model.fit(x, y, epochs=2, batch_size=16, verbose=0, shuffle=False)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded.optimizer) is AdaBelief
    assert loaded.optimizer.beta_1 == 0.85
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
    model.fit(x, y, epochs=1, batch_size=16, verbose=0, shuffle=False)
    loaded.fit(x, y, epochs=1, batch_size=16, verbose=0, shuffle=False)
    assert cu.max_abs_weight_difference(model.get_weights(), loaded.get_weights()) < 1e-5


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------
def test_max_abs_weight_difference():
    a = [np.zeros((2, 2)), np.ones(3)]
    b = [np.full((2, 2), 0.25), np.array([1.0, 3.0, 1.0])]
    assert cu.max_abs_weight_difference(a, b) == 2.0
    assert cu.max_abs_weight_difference(a, a) == 0.0
    with pytest.raises(ValueError, match="length"):
        cu.max_abs_weight_difference(a, b[:1])
    with pytest.raises(ValueError, match="shape"):
        cu.max_abs_weight_difference([np.zeros(2)], [np.zeros(3)])


def test_global_norm():
    assert cu.global_norm([np.array([3.0]), np.array([[4.0]])]) == 5.0
    with pytest.raises(ValueError, match="arrays"):
        cu.global_norm([])


def test_optimizer_trajectory():
    def bowl(p):
        return keras.ops.sum(keras.ops.convert_to_tensor([1.0, 10.0]) * p**2)

    path = cu.optimizer_trajectory(keras.optimizers.SGD(0.01), bowl, (1.0, 1.0), steps=5)
    assert path.shape == (6, 2)
    expected = np.array([[(1 - 0.02) ** k, (1 - 0.2) ** k] for k in range(6)])
    np.testing.assert_allclose(path, expected, rtol=1e-5)
    with pytest.raises(ValueError, match="start"):
        cu.optimizer_trajectory(keras.optimizers.SGD(0.01), bowl, (1.0,), steps=5)
    with pytest.raises(ValueError, match="steps=0"):
        cu.optimizer_trajectory(keras.optimizers.SGD(0.01), bowl, (1.0, 1.0), steps=0)


def test_docstring_examples_run():
    failures, tried = doctest.testmod(optimizers_module, optionflags=doctest.ELLIPSIS)
    assert tried >= 6
    assert failures == 0


# --------------------------------------------------------------------------------------------
# Figures (course_utils.plotting.optimizers)
# --------------------------------------------------------------------------------------------
_RUNS = {
    "SGD": {"loss": [2.0, 1.0, 0.8], "val_accuracy": [0.3, 0.6, 0.7]},
    "Adam": {"loss": [2.0, 0.5, 0.1], "val_accuracy": [0.4, 0.8, 0.9]},
}


def test_plot_optimizer_comparison_one_panel_per_metric_one_line_per_run():
    import matplotlib.pyplot as plt

    fig = cu.plot_optimizer_comparison(_RUNS, title="t")
    assert [ax.get_ylabel() for ax in fig.axes] == ["loss", "val_accuracy"]
    assert fig.axes[0].get_yscale() == "log" and fig.axes[1].get_yscale() == "linear"
    assert [line.get_label() for line in fig.axes[1].get_lines()] == ["SGD", "Adam"]
    np.testing.assert_allclose(fig.axes[0].get_lines()[1].get_ydata(), [2.0, 0.5, 0.1])
    _, axes = plt.subplots(1, 1)
    fig2 = cu.plot_optimizer_comparison(_RUNS, metrics=("loss",), axes=[axes], log_loss=False)
    assert fig2 is axes.figure and axes.get_yscale() == "linear"


def test_plot_optimizer_comparison_validation():
    with pytest.raises(ValueError, match="non-empty"):
        cu.plot_optimizer_comparison({})
    with pytest.raises(ValueError, match="'accuracy'"):
        cu.plot_optimizer_comparison(_RUNS, metrics=("accuracy",))
    with pytest.raises(ValueError, match="one Axes per metric"):
        import matplotlib.pyplot as plt

        _, ax = plt.subplots()
        cu.plot_optimizer_comparison(_RUNS, axes=[ax])


def test_plot_optimizer_paths_draws_each_path_and_the_minimum():
    path = np.array([[2.0, 1.0], [1.0, 0.5], [0.5, 0.25]])
    ax = cu.plot_optimizer_paths({"a": path, "b": path * 0.5}, lambda x, y: x**2 + 4 * y**2, title="valley")
    labels = [line.get_label() for line in ax.get_lines()]
    assert "a" in labels and "b" in labels and "minimum" in labels and "start" in labels
    np.testing.assert_allclose(ax.get_lines()[0].get_xdata(), path[:, 0])
    assert ax.get_title() == "valley"


@pytest.mark.parametrize(
    "paths, kwargs, match",
    [
        ({}, {}, "non-empty"),
        ({"a": np.zeros((3, 3))}, {}, "shape"),
        ({"a": np.zeros((3, 2))}, {"levels": 1}, "levels=1"),
    ],
)
def test_plot_optimizer_paths_validation(paths, kwargs, match):
    with pytest.raises(ValueError, match=match):
        cu.plot_optimizer_paths(paths, lambda x, y: x**2 + y**2, **kwargs)
