"""Tests for course_utils._startup: TensorFlow's retracing warning is filtered, nothing else."""

from __future__ import annotations

import logging

import keras

import course_utils as cu
from course_utils import _startup


def _tensorflow_messages(monkeypatch) -> list[str]:
    seen: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record):
            seen.append(record.getMessage())

    handler = Collect()
    logging.getLogger("tensorflow").addHandler(handler)
    monkeypatch.setattr(handler, "level", logging.DEBUG)
    return seen


def test_models_compared_in_a_loop_do_not_warn_about_retracing(monkeypatch):
    """Each fresh model's evaluate/LearningRateLogger function shares its source code with the
    last model's, and TensorFlow counts that as retracing: eight models in a loop warned before."""
    seen = _tensorflow_messages(monkeypatch)
    data = cu.load_dataset("digits", n_train=100, seed=0)
    for _ in range(8):
        model = cu.build_mlp(data.input_shape, data.num_classes, (8,), seed=0)
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        cu.train(model, data, epochs=1, progress=False, callbacks=[cu.LearningRateLogger()])
        model.evaluate(data.x_train, data.y_train, batch_size=64, verbose=0)
    logging.getLogger("tensorflow").warning("an unrelated warning still shows")
    assert seen == ["an unrelated warning still shows"]


def test_the_filter_is_installed_once_and_only_drops_the_retracing_message():
    _startup.quiet_retracing_warning()
    _startup.quiet_retracing_warning()
    filters = [
        f for f in logging.getLogger("tensorflow").filters if isinstance(f, _startup._RetracingWarningFilter)
    ]
    assert len(filters) == 1
    make = logging.getLogger("tensorflow").makeRecord
    drop = make(
        "tensorflow",
        logging.WARNING,
        __file__,
        1,
        "5 out of the last 13 calls to <function f> triggered tf.function retracing.",
        (),
        None,
    )
    keep = make("tensorflow", logging.WARNING, __file__, 1, "Gradients do not exist for %s", ("w",), None)
    assert not filters[0].filter(drop) and filters[0].filter(keep)
    assert keras.backend.backend() == "tensorflow"
