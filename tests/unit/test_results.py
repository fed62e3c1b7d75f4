"""Tests for course_utils.results: LessonRecorder and load_results."""

from __future__ import annotations

import json
import os
import platform

import numpy as np
import pytest

import course_utils.results as results_mod
from course_utils import LessonRecorder, load_results
from course_utils.results import RESULTS_DIR_ENV


def _strict_json(path):
    """Parses a file as standard JSON (NaN / Infinity are not JSON)."""

    def _reject(token):
        raise ValueError(f"non-standard JSON constant {token}")

    return json.loads(path.read_text(), parse_constant=_reject)


def test_record_writes_the_file_each_time(tmp_path):
    rec = LessonRecorder("01_overfitting", parameters={"EPOCHS": 30, "DATASET": "digits"}, out_dir=tmp_path)
    path = tmp_path / "01_overfitting.results.json"
    assert rec.path == path
    assert not path.exists()  # nothing until the first record
    assert rec.record("gap", 0.25) == 0.25
    first = _strict_json(path)
    assert first["lesson"] == "01_overfitting"
    assert first["parameters"] == {"EPOCHS": 30, "DATASET": "digits"}
    assert first["values"] == {"gap": 0.25}
    env = first["environment"]
    assert env["python"] == platform.python_version()
    import keras
    import tensorflow as tf

    assert env["tensorflow"] == tf.__version__ and env["keras"] == keras.__version__
    assert env["numpy"] == np.__version__
    rec.record("best_epoch", 7)
    second = _strict_json(path)
    assert second["values"] == {"gap": 0.25, "best_epoch": 7}
    assert rec["best_epoch"] == 7
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no temp files left


def test_save_is_atomic_replace_in_same_folder(tmp_path, monkeypatch):
    moves = []
    real_replace = os.replace

    def recording_replace(src, dst):
        moves.append((os.fspath(src), os.fspath(dst)))
        # The temporary file is complete, valid JSON before it takes the final name.
        assert json.loads(open(src).read())["lesson"] == "L"
        return real_replace(src, dst)

    monkeypatch.setattr(results_mod.os, "replace", recording_replace)
    rec = LessonRecorder("L", out_dir=tmp_path / "nested" / "dir")
    rec.record("a", 1)
    assert len(moves) == 1
    src, dst = moves[0]
    assert dst == os.fspath(tmp_path / "nested" / "dir" / "L.results.json")
    assert os.path.dirname(src) == os.path.dirname(dst) and src != dst
    assert not os.path.exists(src)


def test_numpy_values_are_converted(tmp_path):
    rec = LessonRecorder("np", parameters={"lr": np.float32(0.5)}, out_dir=tmp_path)
    rec.record("f", np.float64(0.125))
    rec.record("i", np.int64(3))
    rec.record("b", np.bool_(True))
    arr = np.array([[1, 2], [3, 4]], dtype=np.int32)
    assert rec.record("arr", arr) is arr  # returned unchanged
    rec.record("nested", {"x": (np.float32(1.5), [np.int8(2)]), 4: "four"})
    rec.record("nan", float("nan"))
    data = _strict_json(rec.path)
    values = data["values"]
    assert values["f"] == 0.125 and values["i"] == 3 and values["b"] is True
    assert values["arr"] == arr.tolist()
    assert values["nested"] == {"x": [1.5, [2]], "4": "four"}
    assert values["nan"] == "nan"  # not a bare NaN, which is not valid JSON
    assert data["parameters"] == {"lr": 0.5}
    assert type(rec["i"]) is int and type(rec["f"]) is float


def test_zero_dimensional_array_is_recorded_as_a_number(tmp_path):
    rec = LessonRecorder("zero_d", out_dir=tmp_path)
    rec.record("test_accuracy", np.array(0.5))
    assert _strict_json(rec.path)["values"] == {"test_accuracy": 0.5}


@pytest.mark.parametrize("bad", [object(), {1, 2}, b"bytes", [1, object()], {"k": complex(1, 2)}])
def test_non_json_values_raise_type_error(tmp_path, bad):
    rec = LessonRecorder("t", out_dir=tmp_path)
    rec.record("ok", 1)
    before = rec.path.read_text()
    with pytest.raises(TypeError, match=r"Cannot record a value of type"):
        rec.record("bad", bad)
    assert "bad" not in rec.values
    assert rec.path.read_text() == before  # the file on disk is untouched


def test_non_json_parameters_raise_type_error(tmp_path):
    with pytest.raises(TypeError):
        LessonRecorder("t", parameters={"model": object()}, out_dir=tmp_path)


def test_nothing_written_without_out_dir_or_env(tmp_path, monkeypatch):
    monkeypatch.delenv(RESULTS_DIR_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    rec = LessonRecorder("quiet")
    assert rec.path is None
    assert rec.record("x", 1.5) == 1.5
    assert rec["x"] == 1.5
    assert rec.save() is None
    assert list(tmp_path.iterdir()) == []


def test_env_var_sets_the_output_folder(tmp_path, monkeypatch):
    target = tmp_path / "from_env"
    monkeypatch.setenv(RESULTS_DIR_ENV, str(target))
    rec = LessonRecorder("02_l2")
    rec.record("v", 2)
    assert rec.path == target / "02_l2.results.json"
    assert _strict_json(rec.path)["values"] == {"v": 2}


def test_explicit_out_dir_wins_over_env(tmp_path, monkeypatch):
    monkeypatch.setenv(RESULTS_DIR_ENV, str(tmp_path / "env"))
    rec = LessonRecorder("03", out_dir=tmp_path / "explicit")
    rec.record("v", 1)
    assert (tmp_path / "explicit" / "03.results.json").exists()
    assert not (tmp_path / "env").exists()


@pytest.mark.parametrize("bad", ["", "a/b", "a\\b", "../escape", None])
def test_bad_lesson_names(tmp_path, bad):
    with pytest.raises(ValueError, match="lesson"):
        LessonRecorder(bad, out_dir=tmp_path)


def test_load_results_round_trip(tmp_path):
    rec = LessonRecorder("04_dropout", parameters={"RATE": 0.5}, out_dir=tmp_path)
    rec.record("val_accuracy", np.float32(0.75))
    rec.record("curve", [0.5, 0.25])
    payload = load_results(rec.path)
    assert payload["lesson"] == "04_dropout"
    assert payload["parameters"] == {"RATE": 0.5}
    assert payload["values"] == {"val_accuracy": 0.75, "curve": [0.5, 0.25]}
    assert set(payload) == {"lesson", "parameters", "values", "claims", "environment"}
    assert payload["claims"] == []
    assert load_results(str(rec.path)) == payload  # str paths work too


def test_load_results_missing_file(tmp_path):
    missing = tmp_path / "nope.results.json"
    with pytest.raises(FileNotFoundError) as info:
        load_results(missing)
    message = str(info.value)
    assert str(missing) in message
    assert "make run" in message


# --- claims, tables and comparisons over seeds ---------------------------------------------------


def test_claim_is_printed_recorded_and_replaced_by_id(tmp_path, capsys):
    from course_utils.results import LessonRecorder, load_results

    rec = LessonRecorder("demo", out_dir=tmp_path)
    # returns None: a claim that ends a notebook cell shows no stray Out[...] True under its verdict
    assert rec.claim("gap", "The gap narrows.", np.float64(0.05) < 0.2, "gap 0.05 vs 0.20") is None
    rec.claim("floor", "The floor is lower.", False, "0.3 vs 0.2")
    assert rec.claims["gap"].holds is True and rec.claims["floor"].holds is False
    out = capsys.readouterr().out
    assert "claim holds: The gap narrows.\n    evidence: gap 0.05 vs 0.20" in out
    assert "claim does NOT hold on this run: The floor is lower." in out
    rec.claim("gap", "The gap narrows.", False, "gap 0.25 vs 0.20")
    claims = load_results(tmp_path / "demo.results.json")["claims"]
    assert claims == [
        {"id": "gap", "statement": "The gap narrows.", "holds": False, "evidence": "gap 0.25 vs 0.20"},
        {"id": "floor", "statement": "The floor is lower.", "holds": False, "evidence": "0.3 vs 0.2"},
    ]


@pytest.mark.parametrize("id_, statement", [("", "x"), ("x", "")])
def test_claim_needs_an_id_and_a_statement(id_, statement):
    from course_utils.results import LessonRecorder

    with pytest.raises(ValueError, match="needs an `id` and a `statement`"):
        LessonRecorder("demo", out_dir=None).claim(id_, statement, True, "e")


def test_table_prints_aligned_rows_records_and_returns_them(tmp_path, capsys):
    from course_utils.results import LessonRecorder, load_results

    rows = {
        "baseline": {"val_accuracy": 0.91234, "epochs": 60, "early": False},
        "dropout 0.5": {"val_accuracy": 0.93, "epochs": 1200, "early": True, "lr": 1e-5},
    }
    rec = LessonRecorder("demo", out_dir=tmp_path)
    assert rec.table("runs", rows, title="after training") is rows
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "after training"
    assert lines[1].split() == ["val_accuracy", "epochs", "early", "lr"]
    assert lines[2].split() == ["baseline", "0.9123", "60", "no"]
    assert lines[3].split() == ["dropout", "0.5", "0.9300", "1,200", "yes", "1e-05"]
    assert len({len(line) for line in lines[1:]}) == 1  # aligned columns
    assert load_results(tmp_path / "demo.results.json")["values"]["runs"]["dropout 0.5"]["epochs"] == 1200
    rec.table("runs", rows, columns=["epochs"])
    assert capsys.readouterr().out.splitlines()[0].split() == ["epochs"]
    with pytest.raises(ValueError, match="is empty"):
        rec.table("none", {})


def test_a_table_wider_than_the_output_column_is_shown_in_blocks_of_columns(capsys):
    from course_utils.results import TABLE_WIDTH, LessonRecorder

    columns = [f"column_number_{i}" for i in range(9)]  # 9 x 18 characters: wider than the output
    rows = {"baseline": dict.fromkeys(columns, 0.5), "a much longer name": dict.fromkeys(columns, 1.25)}
    LessonRecorder("demo", out_dir=None).table("wide", rows, title="wide")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "wide" and max(len(line) for line in lines) <= TABLE_WIDTH
    headers = [line.split() for line in lines if line.startswith(" ")]
    assert len(headers) > 1 and [c for h in headers for c in h] == columns  # every column, in order
    assert sum(line.startswith("a much longer name") for line in lines) == len(headers)  # names repeat
    narrow = {"baseline": {"val_accuracy": 0.9}}
    LessonRecorder("demo", out_dir=None).table("narrow", narrow)
    assert len(capsys.readouterr().out.splitlines()) == 2  # a table that fits stays one block


def test_a_long_printed_line_wraps_between_words_to_fit_the_output_column():
    from course_utils.results import CLAIM_WIDTH, compare_over_seeds, wrap_line

    c = compare_over_seeds([0.9185, 0.93, 0.907], [0.9111, 0.915, 0.907], names=("batch norm", "plain"))
    assert "\n" not in str(c)  # one line where it is recorded (a claim's evidence), wrapped where printed
    lines = wrap_line(f"final_val_accuracy: {c}").splitlines()
    assert len(lines) == 2 and all(len(line) <= CLAIM_WIDTH for line in lines)
    assert lines[1].startswith("    ") and " ".join(" ".join(lines).split()) == f"final_val_accuracy: {c}"


def test_compare_over_seeds_names_a_winner_only_beyond_two_standard_errors():
    from course_utils.results import compare_over_seeds

    clear = compare_over_seeds([0.91, 0.92, 0.90], [0.85, 0.86, 0.86], names=("dropout", "baseline"))
    assert clear.clear and clear.winner == "dropout" and clear.verdict() == "dropout is better"
    assert clear.difference == pytest.approx(0.0533333, rel=1e-5)
    assert clear.standard_error == pytest.approx(np.std([0.06, 0.06, 0.04], ddof=1) / np.sqrt(3))
    assert "over 3 seeds" in str(clear) and "dropout is better" in str(clear)
    noisy = compare_over_seeds([0.90, 0.85, 0.93], [0.88, 0.89, 0.88])
    assert not noisy.clear and noisy.winner is None and noisy.verdict() == "no measurable difference"
    loss = compare_over_seeds(
        [0.10, 0.11, 0.12], [0.20, 0.22, 0.21], names=("cosine", "constant"), higher_is_better=False
    )
    assert loss.winner == "cosine"
    two_seeds = compare_over_seeds([1.0, 1.0], [0.0, 0.0])  # a difference, but only two seeds
    assert not two_seeds.clear and two_seeds.as_dict()["winner"] is None


def test_a_close_call_is_a_difference_within_three_standard_errors():
    from course_utils.results import compare_over_seeds

    # differences 0.06, 0.06, 0.04: mean 0.0533, SE 0.0067 (8 SE): clear, not close
    assert not compare_over_seeds([0.91, 0.92, 0.90], [0.85, 0.86, 0.86]).close_call
    # differences 0.03, 0.01, 0.05: mean 0.03, SE 0.0115 (2.6 SE): clear, and still close
    close_but_clear = compare_over_seeds([0.93, 0.91, 0.95], [0.90, 0.90, 0.90])
    assert close_but_clear.clear and close_but_clear.close_call
    # differences 0.02, -0.04, 0.05: within 1 SE
    assert compare_over_seeds([0.90, 0.85, 0.93], [0.88, 0.89, 0.88]).close_call
    # one seed has no standard error: a non-zero difference is not "within 0 SE"
    assert not compare_over_seeds([0.9], [0.8]).close_call
    assert compare_over_seeds([0.9], [0.9]).close_call


@pytest.mark.parametrize("a, b", [([], []), ([1.0], [1.0, 2.0]), ([float("nan"), 1.0], [1.0, 1.0])])
def test_compare_over_seeds_rejects_bad_input(a, b):
    from course_utils.results import compare_over_seeds

    with pytest.raises(ValueError):
        compare_over_seeds(a, b)


def test_accuracy_standard_error_is_the_binomial_one_at_the_measured_accuracy():
    import course_utils as cu

    assert cu.accuracy_standard_error(0.5, 100) == pytest.approx(0.05)
    assert cu.accuracy_standard_error(0.93, 360) == pytest.approx((0.93 * 0.07 / 360) ** 0.5)
    assert cu.accuracy_standard_error(1.0, 50) == 0.0
    assert cu.accuracy_standard_error(0.9, 400) < cu.accuracy_standard_error(0.5, 400)


@pytest.mark.parametrize(
    "accuracy, n, message",
    [(1.2, 100, "accuracy"), (93, 100, "accuracy"), (True, 100, "accuracy"), (0.9, 0, "n"), (0.9, 2.5, "n")],
)
def test_accuracy_standard_error_names_the_bad_argument(accuracy, n, message):
    import course_utils as cu

    with pytest.raises(ValueError, match=f"`{message}`"):
        cu.accuracy_standard_error(accuracy, n)


def test_the_recorder_keeps_the_parameters_of_a_notebook_namespace():
    import numpy as np

    from course_utils import LessonRecorder

    namespace = {
        "__name__": "__main__",
        "np": np,
        "SEED": 0,
        "HIDDEN_UNITS": (8, 8),
        "RATE": 0.5,
        "DATASET": "digits",
        "NOTHING": None,
        "_PRIVATE": 1,
        "lower": 3,
        "MODEL": object(),
    }
    recorder = LessonRecorder("01_overfitting", parameters=namespace, out_dir=None)
    assert recorder.parameters == {
        "SEED": 0,
        "HIDDEN_UNITS": [8, 8],
        "RATE": 0.5,
        "DATASET": "digits",
        "NOTHING": None,
    }
    # a plain dict is kept whole
    assert LessonRecorder("x", parameters={"lower": 1}, out_dir=None).parameters == {"lower": 1}


def test_compare_on_seeds_measures_each_seed_once_and_adds_seeds_only_for_a_close_call(capsys):
    from course_utils.results import compare_on_seeds

    calls = []

    def clear_case(seed):
        calls.append(seed)
        return {"loss: A=new B=old": (0.10 + 0.01 * seed, 0.30, False)}

    c = compare_on_seeds(clear_case, seed=4, seeds=3, close_call_seeds=5)
    assert calls == [4, 5, 6] and c["loss: A=new B=old"].seeds == 3
    assert c["loss: A=new B=old"].winner == "A" and capsys.readouterr().out == ""

    calls.clear()
    wobbly = {0: 0.02, 1: -0.03, 2: 0.01, 3: 0.0, 4: 0.02}

    def close_case(seed):
        calls.append(seed)
        return {
            "val: A=x B=y": (0.9 + wobbly[seed], 0.9, True),
            "gap: A=x B=y": (0.1, 0.3 + seed / 100, False),
        }

    c = compare_on_seeds(close_case, seed=0, seeds=3, close_call_seeds=5)
    assert calls == [0, 1, 2, 3, 4]  # seeds 0-2 are not measured again
    assert {label: comp.seeds for label, comp in c.items()} == {"val: A=x B=y": 5, "gap: A=x B=y": 5}
    assert c["val: A=x B=y"].a == pytest.approx([0.9 + wobbly[s] for s in range(5)])
    out = capsys.readouterr().out
    assert "within 3 standard errors at 3 seeds: val: A=x B=y." in out and "gap" not in out.split(".")[0]
    # no more seeds when close_call_seeds is not larger
    assert compare_on_seeds(close_case, seed=0, seeds=3, close_call_seeds=3)["val: A=x B=y"].seeds == 3


def test_compare_on_seeds_rejects_labels_that_change_and_bad_counts():
    from course_utils.results import compare_on_seeds

    with pytest.raises(ValueError, match="same labels on every seed"):
        compare_on_seeds(lambda s: {f"label {s}": (1.0, 0.0, True)}, seed=0)
    with pytest.raises(ValueError, match="`seeds`"):
        compare_on_seeds(lambda s: {"a": (1.0, 0.0, True)}, seed=0, seeds=0)


def test_recorder_comparisons_shows_one_table_and_records_every_seed(capsys, tmp_path):
    from course_utils.results import compare_over_seeds

    rec = LessonRecorder("demo", out_dir=tmp_path)
    c = {
        "gap: A=l2 B=none": compare_over_seeds(
            [0.1, 0.12, 0.11], [0.2, 0.21, 0.2], names=("A", "B"), higher_is_better=False
        )
    }
    assert rec.comparisons("l2", c, title="three seeds:") is c
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "three seeds:" and lines[1].split() == [
        "mean",
        "A",
        "mean",
        "B",
        "A",
        "-",
        "B",
        "2",
        "SE",
        "verdict",
    ]
    assert lines[2].split()[-3:] == ["A", "is", "better"] and "-0.0933" in lines[2]
    saved = load_results(tmp_path / "demo.results.json")["values"]["l2"]["gap: A=l2 B=none"]
    assert saved["a"] == [0.1, 0.12, 0.11] and saved["b"] == [0.2, 0.21, 0.2] and saved["winner"] == "A"
    with pytest.raises(ValueError, match="empty"):
        rec.comparisons("none", {})


def test_compare_on_seeds_names_the_seed_and_the_fix_when_a_run_diverged():
    from course_utils.results import compare_on_seeds

    def diverges_on_seed_1(s: int) -> dict:
        return {"loss: A=adam B=sgd": (float("nan") if s == 1 else 0.1, 0.2, False)}

    with pytest.raises(
        ValueError, match=r"'loss: A=adam B=sgd' measured A=nan and B=0.2 on seed 1.*lower its learning rate"
    ):
        compare_on_seeds(diverges_on_seed_1, seed=0, seeds=3)


def test_compare_over_seeds_says_what_a_nan_usually_means():
    from course_utils.results import compare_over_seeds

    with pytest.raises(ValueError, match="finite number.*diverged: lower its learning rate"):
        compare_over_seeds([0.1, float("inf"), 0.2], [0.3, 0.3, 0.3], names=("A", "B"))


def test_table_columns_as_a_mapping_rename_the_headers_and_record_the_keys(capsys, tmp_path):
    rec = LessonRecorder("demo", out_dir=tmp_path)
    rows = {"SGD": {"max_abs_difference": 2.5e-8, "moved": 0.31, "steps": 20}}
    rec.table("pairs", rows, columns={"steps": "steps", "max_abs_difference": "max |w_a - w_b|"})
    header, line = capsys.readouterr().out.splitlines()
    assert header.split() == ["steps", "max", "|w_a", "-", "w_b|"] and "moved" not in header
    assert line.split() == ["SGD", "20", "2.5e-08"]
    assert rec.values["pairs"] == rows  # recorded under the keys, every column
