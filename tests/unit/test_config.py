"""The config loader: what it accepts, how it says no, and that it never says anything else."""
from __future__ import annotations

import dataclasses
import datetime
import math
import os
import re
import shutil
import subprocess
import tempfile
import tomllib
import warnings
from pathlib import Path

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solver import cli, config, schema
from solver.config import ConfigError
from conftest import unprivileged

DEFAULTS = config._flatten(tomllib.loads(config._defaults_text()))
KEYS = sorted(DEFAULTS)
SECTIONS = sorted({k.split(".")[0] for k in KEYS})
IN_CI = os.environ.get("CI") == "true"


def problems_of(*assignments: str, file_text: str | None = None, tmp_path: Path | None = None) -> list[str]:
    path = None
    if file_text is not None:
        assert tmp_path is not None
        path = tmp_path / "cfg.toml"
        path.write_text(file_text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        config.load(path, list(assignments))
    return caught.value.problems


# ---------------------------------------------------------------- accepted input


def test_defaults_load() -> None:
    cfg = config.load()
    assert cfg.q3.X.shape == (4, 3) and cfg.q3.learning_rate == 0.01 and cfg.report.decimals == 4


def test_byte_order_mark_is_tolerated(tmp_path: Path) -> None:
    path = tmp_path / "cfg.toml"
    path.write_bytes("\ufeff[q3]\niterations = 3\n".encode("utf-8"))
    assert config.load(path).q3.iterations == 3


def test_string_keys_take_raw_text_literally() -> None:
    cfg = config.load(None, ["student.name=O'Brien & Sons_{1} 100%", "student.id=#42 ~ ^ \\"])
    assert cfg.student.name == "O'Brien & Sons_{1} 100%"
    assert cfg.student.id == "#42 ~ ^ \\"


def test_quoted_toml_string_is_unquoted() -> None:
    assert config.load(None, ['student.name="Ann Lee"']).student.name == "Ann Lee"


def test_decomposed_accents_are_composed() -> None:
    cfg = config.load(None, ["student.name=Zoe\u0308 A\u030angstro\u0308m"])
    assert cfg.student.name == "Zoë Ångström"
    assert cfg.resolved["student"]["name"] == "Zoë Ångström"


def test_whole_float_is_a_whole_number() -> None:
    cfg = config.load(None, ["q3.iterations=3.0", "report.decimals=2.0"])
    assert (cfg.q3.iterations, cfg.report.decimals) == (3, 2)
    assert isinstance(cfg.resolved["q3"]["iterations"], int)


def test_bounds_are_inclusive() -> None:
    cfg = config.load(None, ["q3.learning_rate=1e6", "q3.iterations=100", "report.decimals=0",
                             "student.name=" + "x" * config.MAX_TEXT])
    assert cfg.q3.learning_rate == 1e6 and cfg.q3.iterations == 100
    assert config.load(None, ["q3.mode=batch", "q3.iterations=25"]).q3.iterations == 25  # 25 × 4 samples


def test_later_set_wins_over_file_and_earlier_set(tmp_path: Path) -> None:
    path = tmp_path / "cfg.toml"
    path.write_text("[q3]\nlearning_rate = 0.5\n")
    cfg = config.load(path, ["q3.learning_rate=0.2", "q3.learning_rate=0.3"])
    assert cfg.q3.learning_rate == 0.3


# ---------------------------------------------------------------- messages


@pytest.mark.parametrize("typo, meant", [
    ("q3.learning_rte", "q3.learning_rate"),
    ("q3.lr", "q3.learning_rate"),
    ("q3.iteration", "q3.iterations"),
    ("q3.x", "q3.X"),
    ("q3.w1", "q3.W1"),
    ("q2.zhat", "q2.z_hat"),
    ("studnet.name", "student.name"),
    ("decimals", "report.decimals"),
    ("report.decimal", "report.decimals"),
])
def test_unknown_key_suggests_the_likely_one(typo: str, meant: str) -> None:
    [problem] = problems_of(f"{typo}=1")
    assert problem.startswith(f"{typo}: unknown key")
    assert problem.endswith(f"did you mean {meant}?")


def test_unknown_key_without_a_near_one_points_to_the_reference() -> None:
    [problem] = problems_of("zzzz=1")
    assert "see the configuration reference in README.md" in problem


def test_syntax_error_names_file_line_and_column(tmp_path: Path) -> None:
    [problem] = problems_of(file_text="[q3]\nlearning_rate = 0.1\nmode = batch\n", tmp_path=tmp_path)
    assert problem == f"{tmp_path / 'cfg.toml'}, line 3, column 8: TOML syntax error: Invalid value"


def test_each_problem_is_one_line_naming_key_given_and_expected(tmp_path: Path) -> None:
    problems = problems_of("q3.learning_rate=0", "q3.iterations=1e9", 'q3.mode="adam"', "q2.delta=-2",
                           "report.decimals=true", "student.name=\u00e9\U0001f393")
    assert problems == [
        "student.name: got \"é🎓\", expected Latin letters, digits and punctuation, or Chinese characters; "
        "the PDF fonts cannot typeset '🎓'",
        "report.decimals: got true, expected a whole number from 0 to 12",
        "q2.delta: got -2, expected a number > 0 and at most 1e+06",
        "q3.learning_rate: got 0, expected a number > 0 and at most 1e+06",
        "q3.iterations: got 1000000000.0, expected a whole number from 1 to 100",
        'q3.mode: got "adam", expected one of "sgd", "batch"',
    ]


def test_long_values_are_shortened_in_messages() -> None:
    problems = problems_of("q3.b1=[" + "1, " * 500 + '"x"]', "student.name=" + "é" * 5000)
    assert problems[0].startswith("student.name: got \"éééé") and "(this has 5000)" in problems[0]
    assert problems[1].startswith("q3.b1: got [1, 1, 1")
    assert all(len(p) < 200 for p in problems)


@pytest.mark.parametrize("value, shown", [
    (math.inf, "inf"), (-math.inf, "-inf"), (math.nan, "nan"), (1e400, "inf"), (0.1, "0.1"), (1e-7, "1e-07"),
    (True, "true"), (10**30, "1000000000000000000000000000000"),
    ([[1, 2], [3.5, 4]], "[[1, 2], [3.5, 4]]"), ([], "[]"), ([[]], "[[]]"),
    ({"value": 0.1}, "{value = 0.1}"), ({"a b": [1, {}]}, '{"a b" = [1, {}]}'), ({}, "{}"),
    ('say "hi"\nbye', '"say \\"hi\\"\\nbye"'), ("back\\slash", '"back\\\\slash"'), ("王", '"王"'),
    ("a\tb", '"a\\tb"'), ("a\u2028b\x85", '"a\\u2028b\\u0085"'), ("abc\u202edef", '"abc\\u202edef"'),
    ("\U000e0001", '"\\U000e0001"'),
    (datetime.date(1979, 5, 27), "1979-05-27"), (datetime.time(7, 32), "07:32:00"),
    (datetime.datetime(1979, 5, 27, 7, 32), "1979-05-27 07:32:00"),
])
def test_values_are_shown_as_one_line_of_toml(value: object, shown: str) -> None:
    assert config._show(value) == shown


def test_line_and_paragraph_separators_do_not_split_a_message(capsys: pytest.CaptureFixture[str]) -> None:
    status = cli.main(["answers", "--set", "student.name=a\u2028b\x85c", "--set", "student.id=\u202e1"])
    err = capsys.readouterr().err
    assert status == 2 and len(err.splitlines()) == 2, err
    assert err.startswith('error: student.name: got "a\\u2028b\\u0085c", expected Latin letters')


def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "cfg.toml"
    path.write_text("[q3]\n")
    path.chmod(0)
    with unprivileged(), pytest.raises(ConfigError, match="cannot read the config file: Permission denied"):
        config.load(path)


def test_every_allowed_letter_is_one_latex_declares_for_t1() -> None:
    """The allow-list must not promise letters pdflatex stops on (U+0126 Ħ, U+0149 ŉ, ...)."""
    if shutil.which("kpsewhich") is None and not IN_CI:
        pytest.skip("kpsewhich (TeX) not installed")
    declared: set[int] = set()
    for name in ("t1enc.dfu", "ts1enc.dfu"):
        path = subprocess.run(["kpsewhich", name], capture_output=True, text=True).stdout.strip()
        table = Path(path).read_text()
        declared |= {int(h, 16) for h in re.findall(r"DeclareUnicodeCharacter\{([0-9A-F]{4})\}", table)}
    allowed = [c for c in map(chr, range(0x80, 0x3000)) if config._typesettable(c)]
    assert len(allowed) > 150
    assert [c for c in allowed if ord(c) not in declared] == []
    assert not config._typesettable("Ħ") and config._typesettable("ő") and config._typesettable("ß")


# ---------------------------------------------------------------- properties


def toml_values() -> st.SearchStrategy[object]:
    """Anything tomllib can hand back: every scalar type, arrays, tables, nested."""
    scalars = st.one_of(
        st.integers(), st.integers(min_value=-(10**400), max_value=10**400), st.floats(), st.booleans(),
        st.text(max_size=20), st.datetimes(), st.dates(), st.times(),
    )
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(min_size=1, max_size=6), inner, max_size=3),
        max_leaves=25,
    )


def check_outcome(flat: dict[str, object]) -> None:
    try:
        cfg = config.validate(flat)
    except ConfigError as error:
        assert error.problems
        for problem in error.problems:
            assert "\n" not in problem and len(problem) < 400
            assert problem.split(":")[0].split(".")[0] in SECTIONS, problem
    else:
        assert isinstance(cfg, config.Config)
        assert tomllib.loads(config.dumps(cfg.resolved)) == cfg.resolved  # what config.toml will hold
        for row in schema.ROWS:  # every field holds its kind's type, never a placeholder
            value = getattr(getattr(cfg, row.section), row.name)
            kind = {schema.Whole: int, schema.Positive: float, schema.Array: np.ndarray}.get(type(row), str)
            assert type(value) is kind, (row.key, value)


@settings(max_examples=300, deadline=None)
@given(key=st.sampled_from(KEYS), value=toml_values())
def test_any_toml_value_at_any_key_gives_config_or_config_error(key: str, value: object) -> None:
    check_outcome({**DEFAULTS, key: value})


@settings(max_examples=100, deadline=None)
@given(changes=st.dictionaries(st.sampled_from(KEYS), toml_values(), min_size=2, max_size=6))
def test_many_bad_values_at_once(changes: dict[str, object]) -> None:
    check_outcome({**DEFAULTS, **changes})


@settings(max_examples=300, deadline=None)
@given(value=toml_values())
def test_a_shown_value_is_one_line_of_toml_that_reads_back(value: object) -> None:
    text = config._as_toml(value)
    assert len(text.splitlines()) == 1 and text.isprintable(), text
    again = tomllib.loads(f"v = {text}")["v"]
    assert again == value or "nan" in text


@settings(max_examples=300, deadline=None)
@given(key=st.sampled_from(KEYS), text=st.text(max_size=40))
def test_any_set_text_gives_config_or_config_error(key: str, text: str) -> None:
    try:
        config.load(None, [f"{key}={text}"])
    except ConfigError as error:
        assert all("\n" not in p for p in error.problems)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(content=st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode)))
def test_any_file_content_gives_config_or_config_error(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory, "cfg.toml")
        path.write_bytes(content)
        try:
            config.load(path)
        except ConfigError as error:
            assert all("\n" not in p for p in error.problems)


allowed_text = st.text(alphabet=st.sampled_from([c for c in map(chr, range(0x20, 0x180)) if config._typesettable(c)]),
                       max_size=config.MAX_TEXT).filter(lambda s: s == "" or s.strip())  # spaces only are refused
magnitude = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@settings(max_examples=100, deadline=None)
@given(name=allowed_text, id=allowed_text, decimals=st.integers(0, 12),
       lr=st.floats(min_value=0, max_value=1e6, exclude_min=True), z=st.lists(magnitude, min_size=1, max_size=6))
def test_resolved_config_reads_back_to_the_same_values(
    name: str, id: str, decimals: int, lr: float, z: list[float]
) -> None:
    """config.toml beside the PDF must rebuild exactly that PDF."""
    cfg = config.validate({**DEFAULTS, "student.name": name, "student.id": id, "report.decimals": decimals,
                           "q3.learning_rate": lr, "q2.z": z, "q2.z_hat": z[::-1]})
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory, "config.toml")
        path.write_text(config.dumps(cfg.resolved), encoding="utf-8")
        again = config.load(path)
    assert again.resolved == cfg.resolved
    assert again.q3.learning_rate == lr and again.q2.z.tolist() == z and again.student.name == name


# ---------------------------------------------------------------- inputs that passed before

def test_inputs_that_passed_before_are_read_when_used_and_are_the_same(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A configuration whose questions' inputs passed before (recorded in the user cache) is not read
    again up front: its inputs are made when first used, and they are the inputs a full reading gives."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    sets = ["q3.learning_rate=0.25", "q2.z=[1, 2.5, -3]", "q2.z_hat=[0, 0, 0]", "q1.seed=7"]
    first = config.load(None, sets)
    assert isinstance(first.inputs, dict)
    again = config.load(None, [*sets, "student.name=Someone Else"])
    assert isinstance(again.inputs, schema.Later) and again.student.name == "Someone Else"
    assert again.resolved == {**first.resolved, "student": {**first.resolved["student"], "name": "Someone Else"}}
    for qid, inputs in first.inputs.items():
        for field in dataclasses.fields(inputs):
            assert np.array_equal(getattr(again.inputs[qid], field.name), getattr(inputs, field.name)), (qid, field.name)


def test_inputs_that_never_passed_are_read_and_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    config.load(None, ["q3.learning_rate=0.25"])
    with pytest.raises(ConfigError, match="q3.learning_rate: got -0.25"):
        config.load(None, ["q3.learning_rate=-0.25"])
    with pytest.raises(ConfigError, match="q1.seed"):   # the string "7" is not the number 7 that passed
        config.load(None, ["q1.seed=\"7\""])
    with pytest.raises(ConfigError, match="student.name"):   # the document's own rows are always read
        config.load(None, ["q3.learning_rate=0.25", "student.name=\x07"])


@pytest.mark.parametrize("damage", ["truncate", "edit"])
def test_a_damaged_record_is_no_record(damage: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    config.load(None, ["q3.learning_rate=0.25"])
    [record] = (tmp_path / "hw1-solver" / "configs").iterdir()
    text = record.read_text()
    record.write_text(text[: len(text) // 2] if damage == "truncate" else text.replace("true", "false"))
    cfg = config.load(None, ["q3.learning_rate=0.25", "student.name=B"])
    assert isinstance(cfg.inputs, dict) and cfg.q3.learning_rate == 0.25


def test_a_record_planted_for_inputs_that_do_not_pass_is_refused_when_they_are_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from solver.engine import store

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    flat = {**config.read_defaults(), "q3.b1": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]}   # one bias too many
    wanted = config._question_inputs_key(flat)
    store.store(store.entry("configs", "inputs", wanted), wanted, True)
    cfg = config.validate(flat, remember=True)
    with pytest.raises(ConfigError, match="q3.b1"):
        cfg.q3
