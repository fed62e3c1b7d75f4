"""Tests for course_utils.grading: the messages a learner reads when an exercise check fails."""

from __future__ import annotations

import html
import math
import re
import textwrap

import numpy as np
import pytest

from course_utils.grading import (
    CheckResult,
    Notebook,
    call_student,
    expect_all,
    expect_allclose,
    expect_answered,
    expect_array,
    expect_at_least,
    expect_choice,
    expect_choices,
    expect_close,
    expect_each,
    expect_keys,
    expect_number,
    expect_values_at,
    layer_kinds,
    not_answered,
)

CHOICES = ["underfitting", "overfitting", "good fit"]


# ---------------------------------------------------------------------------------------------
# call_student
# ---------------------------------------------------------------------------------------------


def test_call_student_returns_the_result():
    assert call_student(lambda a, b: a - b, "gap", 1.0, b=0.75) == pytest.approx(0.25)


@pytest.mark.parametrize("not_a_function", [None, 42, "gap_at_end"])
def test_call_student_rejects_undefined_functions(not_a_function):
    with pytest.raises(AssertionError) as info:
        call_student(not_a_function, "gap_at_end", 1.0)
    message = str(info.value)
    assert "`gap_at_end`" in message
    assert "def gap_at_end(" in message  # says how to define it
    assert "Define" in message
    assert repr(not_a_function) in message  # says what it is now


def test_call_student_on_a_placeholder_says_not_answered_yet():
    with pytest.raises(AssertionError) as info:
        call_student(..., "gap_at_end", 1.0)
    message = str(info.value)
    assert message.startswith(
        "`gap_at_end` is not answered yet, so it is not a function yet: "
        "replace the `...` with `def gap_at_end(...):`"
    )
    assert "def gap_at_end(" in message and "Ellipsis" not in message


def test_call_student_reports_the_exception():
    def broken(a, b):
        return a / b

    with pytest.raises(AssertionError) as info:
        call_student(broken, "ratio", 1.0, b=0)
    message = str(info.value)
    assert "ZeroDivisionError" in message
    try:
        broken(1.0, 0)
    except ZeroDivisionError as exc:
        expected_text = str(exc)
    assert expected_text in message  # the exception's args
    assert "ratio(1.0, b=0)" in message  # the call that failed


def test_call_student_shortens_long_arguments():
    def fail(x):
        raise ValueError("bad")

    with pytest.raises(AssertionError) as info:
        call_student(fail, "f", list(range(1000)))
    assert len(str(info.value)) < 400
    assert "..." in str(info.value)


def test_call_student_does_not_swallow_keyboard_interrupt():
    def interrupted():
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        call_student(interrupted, "f")


# ---------------------------------------------------------------------------------------------
# expect_number
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0.25, 3, np.float32(0.5), np.int64(-2)])
def test_expect_number_accepts_numbers(value):
    out = expect_number("gap", value)
    assert type(out) is float
    assert out == pytest.approx(float(value))


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (None, "return"),
        (Ellipsis, "`...`"),
        ("abc", "not the text"),
        ([0.1, 0.2], "single number"),
        (float("nan"), "finite"),
        (math.inf, "finite"),
        (True, "boolean"),
    ],
)
def test_expect_number_rejects(value, fragment):
    with pytest.raises(AssertionError) as info:
        expect_number("the gap", value)
    message = str(info.value)
    assert message.startswith("the gap ")
    assert fragment in message


def test_expect_number_rejects_numeric_strings():
    with pytest.raises(AssertionError):
        expect_number("gap", "0.25")


# ---------------------------------------------------------------------------------------------
# expect_close
# ---------------------------------------------------------------------------------------------


def test_expect_close_passes_within_tolerance():
    assert expect_close("gap", 0.2500001, 0.25, tol=1e-4) is None
    assert expect_close("gap", np.float32(0.25), 0.25) is None


def test_expect_close_message_shows_both_values_and_difference():
    got, expected = 0.75, 0.5
    with pytest.raises(AssertionError) as info:
        expect_close("gap", got, expected, hint="Use the last epoch.")
    message = str(info.value)
    assert message.startswith("gap ")
    assert str(got) in message and str(expected) in message
    assert f"{got - expected:+}" in message  # "+0.25"
    assert message.endswith("Use the last epoch.")


def test_expect_close_negative_difference_and_type_errors():
    with pytest.raises(AssertionError) as info:
        expect_close("loss", 0.1, 0.4)
    assert f"{0.1 - 0.4:+.3g}" in str(info.value)
    with pytest.raises(AssertionError, match="return"):
        expect_close("loss", None, 0.4)


# ---------------------------------------------------------------------------------------------
# expect_choice
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("answer", [" Overfitting", "OVERFITTING", "overfitting\n", "\toverFitting "])
def test_expect_choice_normalizes_case_and_spaces(answer):
    assert expect_choice("diagnosis", answer, CHOICES) == "overfitting"


def test_expect_choice_returns_canonical_spelling():
    assert expect_choice("diagnosis", "GOOD FIT", ["Good fit", "Overfitting"]) == "Good fit"
    assert expect_choice("diagnosis", "good fit", iter(CHOICES)) == "good fit"  # any iterable


@pytest.mark.parametrize("answer", ["overfit", "good  fit", "", 3, None, ["overfitting"]])
def test_expect_choice_rejects_others(answer):
    with pytest.raises(AssertionError) as info:
        expect_choice("diagnosis", answer, CHOICES)
    message = str(info.value)
    assert message.startswith("diagnosis ")
    assert str(CHOICES) in message


# ---------------------------------------------------------------------------------------------
# expect_array / expect_allclose: shapes and the first wrong entry
# ---------------------------------------------------------------------------------------------


def test_expect_array_returns_float_array():
    out = expect_array("w", [[1, 2]], shape=(1, 2))
    assert out.dtype == np.float64 and out.shape == (1, 2)


@pytest.mark.parametrize(
    ("value", "shape", "fragment"),
    [
        (None, None, "return"),
        (Ellipsis, None, "`...`"),
        (np.zeros(3), (2, 3), "wrong shape: (3,) instead of (2, 3)"),
        ([1.0, float("nan")], None, "NaN"),
        ({"a": 1}, None, "numeric array"),
    ],
)
def test_expect_array_rejects(value, shape, fragment):
    with pytest.raises(AssertionError) as info:
        expect_array("new_w", value, shape=shape)
    assert str(info.value).startswith("new_w ")
    assert fragment in str(info.value)


def test_expect_allclose_names_the_first_wrong_entry():
    with pytest.raises(AssertionError) as info:
        expect_allclose("new_w", [[1.0, 2.0], [3.0, 5.0]], [[1.0, 2.0], [3.0, 4.0]], hint="Check the sign.")
    message = str(info.value)
    assert message.startswith("new_w[1, 1] is 5 but should be 4")
    assert "1 of 4 entries" in message and message.endswith("Check the sign.")
    expect_allclose("new_w", [1.0, 2.0 + 1e-9], [1.0, 2.0])  # within tolerance


def test_expect_allclose_checks_the_shape_first():
    with pytest.raises(AssertionError, match=r"wrong shape: \(2,\) instead of \(3,\)"):
        expect_allclose("new_m", [1.0, 2.0], [1.0, 2.0, 3.0])


# ---------------------------------------------------------------------------------------------
# expect_values_at: "wrong value at step k"
# ---------------------------------------------------------------------------------------------


def test_expect_values_at_reports_the_first_wrong_step_with_phase_and_hint():
    phase = lambda s: "warm-up" if s < 2 else "decay"  # noqa: E731
    with pytest.raises(AssertionError) as info:
        expect_values_at(
            "lr(step)",
            [0.0, 0.5, 0.9, 0.7],
            [0.0, 0.5, 1.0, 0.7],
            steps=[0, 1, 2, 3],
            phase=phase,
            hints={"decay": "Start the decay at the peak.", "warm-up": "no"},
        )
    message = str(info.value)
    assert message.startswith("Wrong value at step 2: lr(2) is 0.9 but should be 1")
    assert "(decay phase)" in message and message.endswith("Start the decay at the peak.")


def test_expect_values_at_passes_and_checks_lengths_and_types():
    expect_values_at("f", [1.0, 2.0], [1.0, 2.0 + 1e-9])
    with pytest.raises(AssertionError, match="expected 3 values, got 2"):
        expect_values_at("f", [1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(AssertionError, match="return"):
        expect_values_at("f(step)", [None], [1.0])
    with pytest.raises(AssertionError, match="at step 5"):
        expect_values_at("f", [1.0], [2.0], steps=[5])


# ---------------------------------------------------------------------------------------------
# expect_at_least: "missed by"
# ---------------------------------------------------------------------------------------------


def test_expect_at_least_says_by_how_much():
    assert expect_at_least("accuracy", 0.9, 0.85) == pytest.approx(0.9)
    assert expect_at_least("accuracy", 0.85, 0.85) == pytest.approx(0.85)  # the threshold itself passes
    with pytest.raises(AssertionError) as info:
        expect_at_least("accuracy", 0.8, 0.85, hint="Regularize.")
    message = str(info.value)
    assert message.startswith("accuracy is 0.800, below the threshold 0.850: missed by 0.050.")
    assert message.endswith("Regularize.")
    with pytest.raises(AssertionError, match="return"):
        expect_at_least("accuracy", None, 0.85)


# ---------------------------------------------------------------------------------------------
# expect_keys
# ---------------------------------------------------------------------------------------------


def test_expect_keys_names_missing_and_unexpected():
    assert expect_keys("sweep", {0.0: 1, 0.5: 2}, [0.5, 0.0]) == {0.0: 1, 0.5: 2}
    with pytest.raises(AssertionError) as info:
        expect_keys("sweep", {0.0: 1, 0.3: 2}, [0.0, 0.5])
    assert "missing [0.5]" in str(info.value) and "unexpected [0.3]" in str(info.value)
    with pytest.raises(AssertionError, match="should be a dict"):
        expect_keys("sweep", [0.0, 0.5], [0.0, 0.5])
    with pytest.raises(AssertionError, match=r"sweep is not answered yet: replace the `\.\.\.` with a dict"):
        expect_keys("sweep", ..., [0.0])
    with pytest.raises(
        AssertionError, match=r"sweep is still empty: fill it in \(it needs the keys \[0.0, 0.5\]\)"
    ):
        expect_keys("sweep", {}, [0.0, 0.5])


# ---------------------------------------------------------------------------------------------
# layer_kinds
# ---------------------------------------------------------------------------------------------


def test_layer_kinds_describes_batch_norm_placement_and_dropout():
    from course_utils import build_mlp

    before = build_mlp((8, 8, 1), 10, (4,), batch_norm="before", dropout=0.25, seed=0)
    after = build_mlp((8, 8, 1), 10, (4,), batch_norm="after", seed=0)
    assert layer_kinds(before) == [
        "dense(no bias)",
        "batch_norm",
        "relu",
        "dropout(0.25)",
        "dense",
        "softmax",
    ]
    assert layer_kinds(after) == ["dense", "relu", "batch_norm", "dense", "softmax"]


def _kinds_of_every_way(hidden_block, output=None):
    """The same model written as Sequential and functional, its hidden block built by hidden_block()."""
    import keras

    layers = keras.layers
    output = output or (lambda: [layers.Dense(10, activation="softmax")])
    sequential = keras.Sequential([keras.Input((8, 8, 1)), layers.Flatten(), *hidden_block(), *output()])
    inputs = keras.Input((8, 8, 1))
    x = layers.Flatten()(inputs)
    for layer in [*hidden_block(), *output()]:
        x = layer(x)
    return layer_kinds(sequential), layer_kinds(keras.Model(inputs, x))


@pytest.mark.parametrize(
    "relu",
    [
        lambda: [],  # activation="relu" on the Dense
        lambda: ["Activation('relu')"],
        lambda: ["ReLU()"],
        lambda: ["Activation(keras.activations.relu)"],
    ],
    ids=["dense-argument", "Activation", "ReLU-layer", "Activation-function"],
)
def test_layer_kinds_names_relu_the_same_however_it_is_written(relu):
    import keras

    layers = keras.layers
    make = {
        "Activation('relu')": lambda: layers.Activation("relu"),
        "ReLU()": layers.ReLU,
        "Activation(keras.activations.relu)": lambda: layers.Activation(keras.activations.relu),
    }
    as_argument = not relu()

    def block():
        dense = layers.Dense(4, activation="relu") if as_argument else layers.Dense(4)
        return [dense, *[make[name]() for name in relu()], layers.Dropout(0.25)]

    for kinds in _kinds_of_every_way(block):
        assert kinds == ["dense", "relu", "dropout(0.25)", "dense", "softmax"]


def test_layer_kinds_matches_build_mlp_for_hand_written_batch_norm_stacks():
    import keras

    from course_utils import build_mlp

    layers = keras.layers
    for placement, block in (
        ("before", lambda: [layers.Dense(4, use_bias=False), layers.BatchNormalization(), layers.ReLU()]),
        ("after", lambda: [layers.Dense(4), layers.ReLU(), layers.BatchNormalization()]),
    ):
        expected = layer_kinds(build_mlp((8, 8, 1), 10, (4,), batch_norm=placement, seed=0))
        softmax_layer = lambda: [layers.Dense(10), layers.Softmax()]  # noqa: E731
        assert list(_kinds_of_every_way(block)) == [expected, expected]
        assert list(_kinds_of_every_way(block, softmax_layer)) == [expected, expected]


def test_layer_kinds_keeps_what_differs():
    import keras

    layers = keras.layers
    model = keras.Sequential(
        [
            keras.Input((4,)),
            layers.Dense(3, activation="tanh"),
            layers.ReLU(max_value=6.0),
            layers.ReLU(negative_slope=0.1),
            layers.LeakyReLU(),
            layers.Dropout(0.0),
            layers.LayerNormalization(),
            layers.Dense(2, use_bias=False),
        ]
    )
    assert layer_kinds(model) == [
        "dense",
        "tanh",
        "relu(max_value=6)",
        "relu(negative_slope=0.1)",
        "leaky_relu",
        "dropout(0)",
        "LayerNormalization",
        "dense(no bias)",
    ]


def test_layer_kinds_describes_a_nested_model_by_its_layers():
    import keras

    layers = keras.layers
    block = keras.Sequential([keras.Input((4,)), layers.Dense(4), layers.ReLU(), layers.Dropout(0.5)])
    model = keras.Sequential([keras.Input((4,)), block, layers.Dense(2, activation="softmax")])
    assert layer_kinds(model) == ["dense", "relu", "dropout(0.5)", "dense", "softmax"]


def test_layer_kinds_rejects_non_models():
    with pytest.raises(AssertionError, match=r"the model is not answered yet: replace the `\.\.\.`"):
        layer_kinds(...)
    with pytest.raises(AssertionError, match="Expected a Keras model; got int 3"):
        layer_kinds(3)
    with pytest.raises(AssertionError, match=r"it is None: does your function `return` the model\?"):
        layer_kinds(None)


# ---------------------------------------------------------------------------------------------
# "not answered yet": the same sentence from every helper, never "Ellipsis" or "got ..."
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("check", "start"),
    [
        (lambda: expect_number("gap", ...), "gap is not answered yet: replace the `...` with your answer."),
        (
            lambda: expect_close("gap", ..., 0.25),
            "gap is not answered yet: replace the `...` with your answer.",
        ),
        (lambda: expect_at_least("accuracy", ..., 0.85), "accuracy is not answered yet: replace the `...`"),
        (
            lambda: expect_array("new_w", ...),
            "new_w is not answered yet: replace the `...` with your answer.",
        ),
        (lambda: expect_allclose("new_w", ..., [1.0]), "new_w is not answered yet: replace the `...`"),
        (lambda: expect_values_at("lr(step)", [...], [0.1]), "lr(0) is not answered yet: replace the `...`"),
        (
            lambda: expect_choice("diagnosis['A']", ..., CHOICES),
            "diagnosis['A'] is not answered yet: replace the `...` with your answer; "
            f"it should be one of {CHOICES}.",
        ),
        (
            lambda: expect_keys("sweep", ..., [0.0]),
            "sweep is not answered yet: replace the `...` with a dict",
        ),
        (
            lambda: expect_answered("best_rate", ...),
            "best_rate is not answered yet: replace the `...` with your answer.",
        ),
        (
            lambda: call_student(..., "gap"),
            "`gap` is not answered yet, so it is not a function yet: replace the `...`",
        ),
        (lambda: layer_kinds(...), "the model is not answered yet: replace the `...` with a Keras model."),
        (
            lambda: expect_choices("answers", ..., ["a", "b"], keys=["c1"]),
            "answers is not answered yet: replace",
        ),
    ],
)
def test_every_helper_says_not_answered_yet_for_a_placeholder(check, start):
    with pytest.raises(AssertionError) as info:
        check()
    message = str(info.value)
    assert message.startswith(start), message
    assert "Ellipsis" not in message and "ellipsis" not in message
    assert "got" not in message


def test_not_answered_and_expect_answered():
    assert not_answered("x", "a number") == "x is not answered yet: replace the `...` with a number."
    assert expect_answered("x", 0) == 0
    assert expect_answered("x", None) is None  # None is a different problem (a missing `return`)


def test_messages_never_print_ellipsis_for_a_nested_placeholder():
    with pytest.raises(AssertionError) as info:
        expect_array("w", [1.0, ...])
    assert "Ellipsis" not in str(info.value) and "[1.0, ...]" in str(info.value)


# ---------------------------------------------------------------------------------------------
# multi-part answers: every invalid part named in one message
# ---------------------------------------------------------------------------------------------

KEYS = ["c1", "c2", "c3", "c4", "c5"]


def test_expect_choices_names_every_invalid_answer():
    answers = {"c1": "d", "c2": ..., "c3": "C ", "c4": 3, "c5": "a"}
    with pytest.raises(AssertionError) as info:
        expect_choices("answers", answers, ["a", "b", "c"], keys=KEYS)
    message = str(info.value)
    assert "\n" not in message  # one line: otter's text and tools/grade.py's feedback keep all of it
    items = message.split(" \u2022 ")
    assert items[0] == "answers has 3 problems to fix:"
    assert items[1] == "answers['c1'] is 'd', which is not one of ['a', 'b', 'c']."
    assert items[2] == (
        "answers['c2'] is not answered yet: replace the `...` with your answer; "
        "it should be one of ['a', 'b', 'c']."
    )
    assert items[3].startswith("answers['c4'] should be one of ['a', 'b', 'c']")
    assert "c3" not in message and "c5" not in message  # the valid ones are not named
    assert "Ellipsis" not in message


def test_expect_choices_returns_canonical_answers_and_reports_one_problem_as_is():
    got = expect_choices("answers", {"c1": " B", "c2": "a"}, ["a", "b", "c"], keys=["c1", "c2"])
    assert got == {"c1": "b", "c2": "a"}
    with pytest.raises(AssertionError) as info:
        expect_choices("answers", {"c1": "b", "c2": "x"}, ["a", "b", "c"], keys=["c1", "c2"])
    assert str(info.value) == "answers['c2'] is 'x', which is not one of ['a', 'b', 'c']."


def test_expect_choices_all_placeholders_is_one_sentence():
    with pytest.raises(AssertionError) as info:
        expect_choices("answers", dict.fromkeys(KEYS, ...), ["a", "b", "c"], keys=KEYS)
    assert str(info.value) == (
        "answers is not answered yet: replace each `...` "
        "('c1', 'c2', 'c3', 'c4', 'c5') "
        "with your answer; it should be one of ['a', 'b', 'c']."
    )


def test_expect_choices_with_options_per_key_and_missing_keys():
    options = {"by": ["validation accuracy", "training accuracy"], "test set": ["once", "never"]}
    assert expect_choices(
        "checklist", {"by": "Validation accuracy", "test set": "once", "x": 1}, options, exact=False
    ) == {"by": "validation accuracy", "test set": "once"}
    with pytest.raises(AssertionError) as info:
        expect_choices("checklist", {"by": "test accuracy"}, options, exact=False)
    message = str(info.value)
    assert message.startswith("checklist has 2 problems to fix:")
    assert " \u2022 checklist lacks the keys ['test set']." in message
    assert (
        " \u2022 checklist['by'] is 'test accuracy', which is not one of "
        "['validation accuracy', 'training accuracy']."
    ) in message
    with pytest.raises(TypeError):
        expect_choices("answers", {}, ["a"])  # one list of choices needs the keys


def test_expect_choices_exact_keys_merges_key_and_value_problems():
    with pytest.raises(AssertionError) as info:
        expect_choices("diagnosis", {"A": "overfit", "Z": "good fit"}, CHOICES, keys=["A", "B"])
    message = str(info.value)
    assert "diagnosis should have exactly the keys ['A', 'B']: missing ['B']; unexpected ['Z']." in message
    assert "diagnosis['A'] is 'overfit'" in message
    with pytest.raises(AssertionError, match="should be a dict with the keys"):
        expect_choices("diagnosis", ["overfitting"], CHOICES, keys=["A"])
    with pytest.raises(AssertionError, match="still empty"):
        expect_choices("diagnosis", {}, CHOICES, keys=["A"])


def test_expect_each_runs_a_custom_check_on_every_entry():
    def accuracy(label, value):
        number = expect_number(label, value)
        assert 0 <= number <= 1, f"{label} is {number:g}, not an accuracy."
        return number

    checked = expect_each("sweep", {0.0: 0.5, 0.5: np.float32(0.75)}, [0.0, 0.5], accuracy)
    assert checked == {0.0: 0.5, 0.5: 0.75}
    with pytest.raises(AssertionError) as info:
        expect_each("sweep", {0.0: 1.5, 0.5: "0.8", 0.7: ...}, [0.0, 0.5, 0.7], accuracy)
    message = str(info.value)
    assert message.startswith("sweep has 3 problems to fix: \u2022 sweep[0.0] is 1.5")
    assert "sweep[0.0] is 1.5, not an accuracy." in message
    assert "sweep[0.5] should be a number, not the text '0.8'" in message
    assert "sweep[0.7] is not answered yet" in message


def test_expect_all_reports_every_failed_check():
    assert expect_all(lambda: 1, lambda: expect_number("b", 2)) == [1, 2.0]
    with pytest.raises(AssertionError) as info:
        expect_all(
            lambda: expect_answered("best_rate", ...),
            lambda: expect_choices("answers", {"c1": "x", "c2": "y"}, ["a"], keys=["c1", "c2"]),
            lambda: expect_number("ok", 1),
        )
    items = str(info.value).split(" \u2022 ")
    assert items[0] == "3 problems to fix:"  # the nested list's items are merged in
    assert items[1] == "best_rate is not answered yet: replace the `...` with your answer."
    assert items[2].startswith("answers['c1'] is 'x'") and items[3].startswith("answers['c2'] is 'y'")
    with pytest.raises(AssertionError) as info:
        expect_all(lambda: expect_number("b", None))
    assert str(info.value) == "b is None: does your function `return` its result?"


# ---------------------------------------------------------------------------------------------
# grader.check(...): what a learner reads (verdict, then only the messages; wrapped at words)
# ---------------------------------------------------------------------------------------------

TEST_FILE = textwrap.dedent("""
    from otter.test_files import test_case

    OK_FORMAT = False

    name = "q1_gap"
    points = 3

    @test_case(points=None, hidden=False)
    def test_gap_on_a_small_dict(gap):
        from course_utils.grading import call_student, expect_close
        secret_expected = 0.99 - 0.85
        expect_close("gap(h)", call_student(gap, "gap", {"a": [0.99], "v": [0.85]}), secret_expected,
                     hint="Use the values of the LAST epoch: training minus validation accuracy, "
                          "which is a rather long hint that needs wrapping at some point.")

    @test_case(points=None, hidden=False)
    def test_gap_of_equal_curves_is_zero(gap):
        from course_utils.grading import call_student, expect_close
        expect_close("gap(equal)", call_student(gap, "gap", {"a": [0.5], "v": [0.5]}), 0.0)

    @test_case(points=None, hidden=False)
    def test_gap_called_directly(gap):
        value = gap({"a": [0.5], "v": [0.5]})
        assert value + 0.0 == 0.0, "gap of equal curves is not 0 <&> here."
""")


@pytest.fixture()
def grader(tmp_path, monkeypatch):
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "q1_gap.py").write_text(TEST_FILE)
    monkeypatch.chdir(tmp_path)  # otter writes its log (.OTTER_LOG) into the working directory
    return Notebook(tests_dir=str(tests))


def _learner_env(source: str) -> dict:
    env: dict = {"__name__": "__main__"}
    exec(source, env)  # noqa: S102 - the learner's cell
    return env


WRONG = "def gap(h):\n    return h['a'][0] - h['v'][0] + 0.05\n"
RIGHT = "def gap(h):\n    return h['a'][-1] - h['v'][-1]\n"


def _visible_text(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def test_check_of_a_wrong_answer_shows_the_verdict_then_only_the_messages(grader):
    result = grader.check("q1_gap", _learner_env(WRONG))
    assert isinstance(result, CheckResult)
    text = repr(result)
    lines = text.splitlines()
    assert lines[0] == "q1_gap: 3 of 3 tests failed"
    assert lines[1] == ""
    assert lines[2].startswith("gap(h) is 0.19 but should be 0.14 (off by +0.05). Use the values")
    assert "gap(equal) is 0.05 but should be 0 (off by +0.05)." in text
    assert "gap of equal curves is not 0 <&> here." in text
    for leak in (
        "Error at line",
        "secret_expected",
        "expect_close(",
        "call_student(",
        "Traceback",
        "def test_",
        "Test case failed",
        "AssertionError",
        "q1_gap - 1",
        "results:",
    ):
        assert leak not in text, leak
    assert all(len(line) <= 79 for line in lines), lines  # wrapped, and only between words
    words = " ".join(text.split())
    assert "which is a rather long hint that needs wrapping at some point." in words

    markup = result._repr_html_()
    visible = _visible_text(markup)
    assert visible.startswith("q1_gap: 3 of 3 tests failed")
    assert visible.index("3 of 3 tests failed") < visible.index("gap(h) is 0.19")
    for leak in ("Error at line", "secret_expected", "expect_close(", "Traceback", "AssertionError", "<pre"):
        assert leak not in markup, leak
    assert "white-space: pre-wrap; word-break: normal; overflow-wrap: break-word" in markup
    assert "word-break: break-all" not in markup
    assert "is not 0 &lt;&amp;&gt; here." in markup  # escaped
    assert "<&>" not in markup


def test_check_of_a_right_answer_says_all_tests_passed(grader):
    result = grader.check("q1_gap", _learner_env(RIGHT))
    assert repr(result) == "q1_gap: all tests passed (3/3)"
    assert _visible_text(result._repr_html_()) == "q1_gap: all tests passed (3/3)"
    assert "white-space: pre-wrap; word-break: normal; overflow-wrap: break-word" in result._repr_html_()
    assert result.passed_all_tests() and result.passed_all and result.grade == 1
    assert result.score == result.possible == 3


def test_check_result_keeps_otters_test_file(grader):
    from otter.test_files import TestFile

    result = grader.check("q1_gap", _learner_env(WRONG))
    assert isinstance(result.test_file, TestFile)
    assert result.name == "q1_gap" and result.possible == 3 and result.score == 0
    assert not result.passed_all_tests() and result.grade == 0
    assert len(result.test_case_results) == 3
    assert "Error at line" in result.test_case_results[0].message  # otter's own record is unchanged
    assert result.to_dict()["name"] == "q1_gap"
    with pytest.raises(AttributeError):
        result.no_such_attribute  # noqa: B018


def test_check_result_pickles_for_otters_log(grader):
    import dill

    result = grader.check("q1_gap", _learner_env(WRONG))
    again = dill.loads(dill.dumps(result))
    assert repr(again) == repr(result) and again.score == 0


def test_check_uses_the_calling_cells_globals(grader):
    env = _learner_env(RIGHT + "grader = None\n")
    env["grader"] = grader
    exec("result = grader.check('q1_gap')", env)  # noqa: S102 - as a notebook cell would
    assert repr(env["result"]) == "q1_gap: all tests passed (3/3)"


def test_check_all_still_works(grader):
    env = _learner_env(WRONG)
    env["grader"] = grader
    exec("results = grader.check_all()", env)  # noqa: S102
    summary = repr(env["results"])
    assert summary.startswith("q1_gap: 3 of 3 tests failed")
    assert "Error at line" not in summary
    assert env["results"].total == 0 and env["results"].possible == 3


def test_an_exception_in_the_learners_function_is_named_without_a_traceback(grader):
    result = grader.check("q1_gap", _learner_env("def gap(h):\n    return 1 / 0\n"))
    text = " ".join(repr(result).split())
    # through call_student: the call that failed
    assert "`gap({'a': [0.99], 'v': [0.85]})` raised ZeroDivisionError: division by zero." in text
    # called directly by the test: the exception's type, message and that it came from the learner's function
    assert "ZeroDivisionError: division by zero (raised inside your function `gap`)." in text
    assert "Traceback" not in text and "Error at line" not in text and "value = gap(" not in text


def test_an_exception_in_the_tests_own_code_is_described_as_such(grader):
    result = grader.check("q1_gap", _learner_env("def gap(h):\n    return 'text'\n"))
    failures = [message for _, message in result.failures]
    assert failures[2].startswith(
        'TypeError: can only concatenate str (not "float") to str '
        "(raised while the test was using your answer)."
    )
    assert "not the text 'text'" in failures[0]


def test_an_unanswered_function_reads_not_answered_yet(grader):
    result = grader.check("q1_gap", {"gap": ...})
    text = repr(result)
    words = " ".join(text.split())
    assert "`gap` is not answered yet, so it is not a function yet: replace the `...`" in words
    # called by the test itself
    assert "`gap` is not answered yet: replace the `...` with your answer." in words
    assert "Ellipsis" not in text and "ellipsis" not in text


def test_an_undefined_name_says_to_run_its_cell(grader):
    result = grader.check("q1_gap", {"__name__": "__main__"})
    words = " ".join(repr(result).split())
    assert "`gap` is not a function yet (it is None)." in words  # through call_student
    assert "`gap` is not defined yet: run the cell that defines it, then check again." in words
    assert "NoneType" not in words


def test_a_message_failed_by_several_tests_is_shown_once(grader):
    result = grader.check("q1_gap", {"__name__": "__main__", "gap": lambda h: None})
    text = repr(result)
    assert text.splitlines()[0] == "q1_gap: 3 of 3 tests failed"
    assert text.count("gap(h) is None") == 1 and text.count("gap(equal) is None") == 1
    many = CheckResult(result.test_file, ["Same problem."] * 3)
    assert repr(many) == "q1_gap: 3 of 3 tests failed\n\nSame problem.\n(3 tests fail with this message.)"
    assert many._repr_html_().count("Same problem.") == 1


def test_a_message_naming_several_problems_is_displayed_as_a_list(grader):
    from otter.test_files import ExceptionTestFile

    tests = ExceptionTestFile.from_string(
        textwrap.dedent("""
        from otter.test_files import test_case
        OK_FORMAT = False
        name = "q7_concepts"
        points = 1

        @test_case(points=None, hidden=False)
        def test_answers_format(answers):
            from course_utils.grading import expect_choices
            expect_choices("answers", answers, ["a", "b", "c"], keys=["c1", "c2", "c3"])
    """),
        path="q7_concepts.py",
    )
    tests.run({"answers": {"c1": "d", "c2": ..., "c3": "a"}})
    assert "Error at line" in tests.test_case_results[0].message  # otter's raw text ...
    # ... on one line
    assert "answers['c2'] is not answered yet" in tests.test_case_results[0].message.splitlines()[-1]
    result = CheckResult(tests)
    assert repr(result).splitlines() == [
        "q7_concepts: 1 of 1 test failed",
        "",
        "answers has 2 problems to fix:",
        "\u2022 answers['c1'] is 'd', which is not one of ['a', 'b', 'c'].",
        "\u2022 answers['c2'] is not answered yet: replace the `...` with your answer; it",
        "  should be one of ['a', 'b', 'c'].",
    ]
    visible = _visible_text(result._repr_html_())
    assert "answers has 2 problems to fix:\n\u2022 answers['c1'] is 'd'" in visible
    assert "\n\u2022 answers['c2'] is not answered yet: replace the ... with your answer" in visible


def test_check_result_falls_back_to_otters_message_without_its_header():
    from otter.test_files import ExceptionTestFile

    tests = ExceptionTestFile.from_string(TEST_FILE, path="q1_gap.py")
    tests.run(_learner_env(WRONG))
    result = CheckResult(tests)  # no recorded messages: parsed from otter's text
    text = repr(result)
    assert text.splitlines()[2].startswith("gap(h) is 0.19 but should be 0.14")
    assert "Error at line" not in text and "expect_close(" not in text
    assert "AssertionError" not in text
