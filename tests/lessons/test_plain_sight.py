"""The technique in plain sight: where a technique first appears, its Keras code is in the lesson.

CURRICULUM.md: "The first time a technique appears, its Keras code is in the notebook."
``course_utils`` keeps plumbing and re-used measurement helpers; a lesson that replaced its own
model stack, callback or update rule by one opaque helper call would fail here. Static: reads the
masters' code cells (the learner versions are generated from them and checked in sync by
test_hygiene.py).
"""

from __future__ import annotations

import re

import nbformat
import pytest
from conftest import SOLUTIONS

#: lesson prefix -> (what the learner must see written out, a regex over the lesson's code)
WRITTEN_OUT: dict[str, list[tuple[str, str]]] = {
    "01": [("the model stack", r"keras\.Sequential\(\s*\[\s*keras\.Input")],
    "02": [
        ("an L2 penalty on a Dense layer", r"kernel_regularizer=keras\.regularizers\.L2\("),
        ("a max-norm constraint", r"kernel_constraint=keras\.constraints\.MaxNorm\("),
    ],
    "03": [
        ("inverted dropout in NumPy", r"/\s*\(1(\.0)?\s*-\s*rate\)"),
        ("the dropout model stack", r"keras\.layers\.Dropout\(rate, seed=[^)]*\)"),
        ("the MC-dropout loop", r"model\(x, training=True\)\)? for _ in range\("),
        ("the spatial-dropout CNN stack", r"keras\.layers\.SpatialDropout2D\(rate, seed="),
    ],
    "04": [
        ("Dense without bias, then batch norm, then the ReLU", r"use_bias=batch_norm != \"before\""),
        ("the batch-norm layer in the stack", r"layers\.append\(keras\.layers\.BatchNormalization\("),
    ],
    "06": [
        ("the range-test callback", r"class RangeTest\(keras\.callbacks\.Callback\)"),
        ("the learning-rate log", r"class RateLogger\(keras\.callbacks\.Callback\)"),
        ("a LearningRateScheduler", r"keras\.callbacks\.LearningRateScheduler\("),
    ],
    "07": [
        ("a hand-written optimizer's update_step", r"class MyPlainSGD\(keras\.optimizers\.Optimizer\)"),
        ("AdaBelief's build and update_step", r"class AdaBelief\(keras\.optimizers\.Optimizer\)"),
        ("the GradientTape loop", r"with tf\.GradientTape\(\) as tape"),
    ],
}

#: lesson prefix -> helper calls that would hide the technique the lesson teaches
HIDDEN_BY: dict[str, list[str]] = {
    "03": ["cu.mc_dropout_predict(", "cu.build_cnn("],
    "06": ["cu.lr_range_test(", "cu.LRFinder("],
    "07": ["cu.AdaBelief(learning_rate=ADAPTIVE_LEARNING_RATE))"],
}


def _code(prefix: str) -> str:
    (path,) = sorted(SOLUTIONS.glob(f"{prefix}_*.ipynb"))
    nb = nbformat.read(path, as_version=4)
    return "\n".join(c.source for c in nb.cells if c.cell_type == "code")


@pytest.mark.parametrize(
    "prefix, what, pattern", [(p, w, r) for p, items in WRITTEN_OUT.items() for w, r in items]
)
def test_the_technique_is_written_out(prefix: str, what: str, pattern: str):
    assert re.search(pattern, _code(prefix)), (
        f"lesson {prefix}: {what} should be written in plain Keras in the notebook "
        f"(pattern {pattern!r} not found in its code cells)"
    )


@pytest.mark.parametrize("prefix, call", [(p, c) for p, calls in HIDDEN_BY.items() for c in calls])
def test_no_opaque_helper_replaces_it(prefix: str, call: str):
    assert call not in _code(prefix), (
        f"lesson {prefix} calls {call}...: write the technique out in the notebook (course_utils "
        "keeps plumbing and re-used helpers, not the lesson's subject)"
    )
