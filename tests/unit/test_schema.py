"""The schema drives validation, the README table and `python -m solver config`."""
from __future__ import annotations

import dataclasses
import math
import re
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from solver import cli, config, schema
from solver.config import ConfigError

REPO = Path(__file__).resolve().parents[2]


def defaults_toml() -> dict[str, Any]:
    """The defaults.toml files (the document's, then each question's in the registry's order)
    flattened here, not through the loader under test."""
    from solver.questions import ORDER

    paths = [REPO / "solver" / "defaults.toml", *(REPO / "solver" / "questions" / name / "defaults.toml" for name in ORDER)]
    tables = {}
    for path in paths:
        tables.update(tomllib.loads(path.read_text(encoding="utf-8")))
    return {f"{section}.{name}": value for section, table in tables.items() for name, value in table.items()}


DEFAULTS = defaults_toml()


def readme_table() -> list[str]:
    """The table under README's "## Configuration reference" heading, line by line."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Configuration reference\n", 1)[1].split("\n## ", 1)[0]
    return [line for line in section.splitlines() if line.startswith("|")]


def problems(**changes: Any) -> list[str]:
    flat = {**DEFAULTS, **{key.replace("__", "."): value for key, value in changes.items()}}
    with pytest.raises(ConfigError) as caught:
        config.validate(flat)
    return caught.value.problems


def field(cfg: config.Config, key: str) -> Any:
    section, name = key.split(".")
    return getattr(getattr(cfg, section), name)


# ---------------------------------------------------------------- one list of keys


def test_schema_defaults_and_readme_name_the_same_keys() -> None:
    in_readme = [re.match(r"\| `([^`]+)` \|", line)[1] for line in readme_table()[2:]]
    assert in_readme == list(DEFAULTS)
    assert [row.key for row in schema.ROWS] == list(DEFAULTS)


def test_readme_table_is_the_generated_one() -> None:
    assert readme_table() == config.reference_table().splitlines(), \
        "regenerate it: python -m solver config --markdown"


def test_readme_table_rows_have_three_cells() -> None:
    for line in readme_table():
        assert line.count("|") == 4, line  # a '|' in a help text would split its cell


def test_each_section_dataclass_has_exactly_its_rows_fields() -> None:
    sections = schema.sections()
    assert list(sections) == list(dict.fromkeys(row.section for row in schema.ROWS))
    for section, kind in sections.items():
        names = [f.name for f in dataclasses.fields(kind)]
        assert names == [row.name for row in schema.ROWS if row.section == section]


# ---------------------------------------------------------------- the rows' bounds are the ones enforced


def edges(row: schema.Row) -> list[tuple[Any, bool]]:
    """Values just inside (True) and just outside (False) the row's bounds."""
    if isinstance(row, schema.Whole):
        return [(row.low - 1, False), (row.low, True), (row.high, True), (row.high + 1, False)]
    if isinstance(row, schema.Positive):
        return [(0, False), (-row.high, False), (math.ulp(0.0), True), (row.high, True),
                (math.nextafter(row.high, math.inf), False)]
    if isinstance(row, schema.Choice):
        return [(option, True) for option in row.options] + [(option.swapcase(), False) for option in row.options]
    if isinstance(row, schema.Text):
        return [("x" * row.most, True), ("x" * (row.most + 1), False)]
    return []


EDGES = [(row.key, value, inside) for row in schema.ROWS for value, inside in edges(row)]


def test_every_scalar_row_has_edges() -> None:
    scalar = [row for row in schema.ROWS if not isinstance(row, schema.Array)]
    assert {key for key, _, _ in EDGES} == {row.key for row in scalar} and len(scalar) >= 10


@pytest.mark.parametrize("key, value, inside", EDGES, ids=[f"{k}={str(v)[:12]}" for k, v, _ in EDGES])
def test_value_at_each_bound_is_accepted_and_just_beyond_refused(key: str, value: Any, inside: bool) -> None:
    flat = {**DEFAULTS, key: value}
    if inside:
        assert field(config.validate(flat), key) == value
    else:
        [problem] = problems(**{key.replace(".", "__"): value})
        assert problem.startswith(f"{key}: got ") and ", expected " in problem


def sized(row: schema.Array, axis: int, size: int) -> list[Any]:
    """The default array of `row` with `size` entries along `axis` (its numbers repeated)."""
    array = np.asarray(DEFAULTS[row.key], dtype=float)
    shape = list(array.shape)
    shape[axis] = size
    return np.resize(array, shape).tolist()


ARRAY_LIMITS = [(row, axis, a) for row in schema.ROWS if isinstance(row, schema.Array)
                for axis, a in enumerate(row.axes) if a.most is not None]


@pytest.mark.parametrize("row, axis, limit", ARRAY_LIMITS, ids=[f"{r.key}[{i}]" for r, i, _ in ARRAY_LIMITS])
def test_array_length_limits(row: schema.Array, axis: int, limit: schema.Axis) -> None:
    too_long = f"{row.key}: got {limit.most + 1} {limit.noun}, expected at most {limit.most}"
    assert too_long in problems(**{row.key.replace(".", "__"): sized(row, axis, limit.most + 1)})
    try:  # at the limit other keys' shapes may disagree, but this limit holds
        config.validate({**DEFAULTS, row.key: sized(row, axis, limit.most)})
    except ConfigError as error:
        assert not any(p.startswith(f"{row.key}: got {limit.most} ") for p in error.problems)
    assert len(ARRAY_LIMITS) >= 5


def test_fixed_shape_is_enforced() -> None:
    [row] = [r for r in schema.ROWS if isinstance(r, schema.Array) and r.exact]
    [problem] = problems(**{row.key.replace(".", "__"): [0.0] * (row.exact[0] + 1)})
    assert problem.startswith(f"{row.key}: got shape {row.exact[0] + 1}, expected {row.exact[0]} (")


def test_changing_a_row_changes_validation_and_the_table(monkeypatch: pytest.MonkeyPatch) -> None:
    """No bound is typed a second time in the validator: narrowing a row narrows what is accepted."""
    rows = tuple(dataclasses.replace(r, high=3) if r.key == "report.decimals" else r for r in schema.ROWS)
    monkeypatch.setattr(schema, "ROWS", rows)
    assert config.load(None, ["report.decimals=3"]).report.decimals == 3
    with pytest.raises(ConfigError) as caught:
        config.load(None, ["report.decimals=4"])
    assert caught.value.problems == ["report.decimals: got 4, expected a whole number from 0 to 3"]
    assert "| `report.decimals` | `4` |" in config.reference_table()
    assert "a whole number from 0 to 3 |" in config.reference_table()


def test_nothing_is_built_while_a_problem_remains(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[object] = []
    monkeypatch.setattr(schema, "assemble", lambda *args: built.append(args))
    with pytest.raises(ConfigError):
        config.validate({**DEFAULTS, "q3.iterations": 0, "student.name": 3})
    assert built == []


# ---------------------------------------------------------------- python -m solver config


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = cli.main(argv)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_config_lists_every_key_with_its_source_and_value(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "v2.toml"
    path.write_text("[q3]\nlearning_rate = 0.5\n[q2]\ndelta = 1\n")
    status, out, err = run(["config", "--config", str(path), "--set", "report.decimals=2",
                            "--sets", "q2.delta=0.25 student.name='Ada Lovelace'"], capsys)
    assert status == 0 and err == ""
    columns = [re.fullmatch(r"(\S+ +)(\S+ +)(.+)", line).groups() for line in out.splitlines()]
    fields = [(key.strip(), origin.strip(), shown) for key, origin, shown in columns]
    assert [key for key, _, _ in fields] == list(DEFAULTS)
    source = {key: origin for key, origin, _ in fields}
    value = {key: shown for key, _, shown in fields}
    assert (source["q3.learning_rate"], value["q3.learning_rate"]) == (str(path), "0.5")
    assert (source["q2.delta"], value["q2.delta"]) == ("--set", "0.25")  # --set wins over the file
    assert (source["report.decimals"], value["report.decimals"]) == ("--set", "2")
    assert value["student.name"] == '"Ada Lovelace"'
    assert value["q3.Y"] == "[[0, 1, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]]"
    assert value["student.id"] == '""' and source["student.id"] == "default"
    assert sum(origin == "default" for origin in source.values()) == len(DEFAULTS) - 4
    starts = {(len(key), len(key) + len(origin)) for key, origin, _ in columns}
    assert len(starts) == 1, "the source and the value start at the same column on every line"


def test_config_with_bad_input_reports_like_build(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(["config", "--set", "q3.lr=1", "--set", "report.decimals=13"], capsys)
    assert status == 2 and out == ""
    assert err.splitlines() == [
        "error: q3.lr: unknown key (from --set \"q3.lr=1\"); did you mean q3.learning_rate?",
        "error: report.decimals: got 13, expected a whole number from 0 to 12",
    ]


def test_config_markdown_prints_the_reference_table(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(["config", "--markdown"], capsys)
    assert status == 0
    assert out.splitlines()[:2] == ["| key | default | meaning |", "| --- | --- | --- |"]
    assert "| `q3.learning_rate` | `0.01` | SGD step size η — a number > 0 and at most 1e+06 |" in out
    assert "| `q3.X` | a 4×3 array |" in out


def test_config_markdown_takes_no_overrides(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(["config", "--markdown", "--set", "q3.learning_rate=0.1"], capsys)
    assert status == 2 and out == "" and err.startswith("error: --markdown ")
