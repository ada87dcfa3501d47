"""Bad input, table-driven: each case exits 2 with a one-line message that names the key,
what was given and what was expected, and leaves the output directory as it was."""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from solver import cli

REPO = Path(__file__).resolve().parents[2]

DIVERGING = """\
[q3]
X = [[-3905.0], [16273.0], [-11755.0]]
Y = [[1, 0, 0], [0, 1, 0], [0, 1, 0]]
W1 = [[-21378.0], [-15.67]]
b1 = [8995.7, -2366.6]
W2 = [[-6293.5, 2315.1], [7001.5, 6636.6], [19724.7, 2091.7]]
b2 = [-5924.1, -1259.8, -725.0]
learning_rate = 1e6
iterations = 30
mode = "batch"
"""


@dataclass(frozen=True)
class Case:
    id: str
    args: list[str]
    expected: list[str]                                     # substrings of stderr
    file: str | bytes | None = None                         # written to {cfg}
    lines: int = 1                                          # how many "error:" lines
    extra: dict[str, str] = field(default_factory=dict)     # more files beside {cfg}


def cfg_case(id: str, text: str | bytes, *expected: str, lines: int = 1) -> Case:
    return Case(id, ["--config", "{cfg}"], list(expected), file=text, lines=lines)


def set_case(id: str, assignment: str, *expected: str, lines: int = 1) -> Case:
    return Case(id, ["--set", assignment], list(expected), lines=lines)


HUGE = "1" + "0" * 400
DIGITS = "7" * 5000  # beyond Python's 4300-digit limit on reading an integer


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth

CASES = [
    # --- config files: reading and syntax
    cfg_case("syntax-error-line-column", "[q3]\nlearning_rate = 0.1.2\n",
             "cfg.toml, line 2, column", "TOML syntax error"),
    cfg_case("syntax-error-at-end", "[q3]\nb1 = [1, 2\n", "cfg.toml, line 3, column 1", "Unclosed array"),
    cfg_case("bare-word-in-file", '[q3]\nmode = batch\n', "cfg.toml, line 2, column 8", "Invalid value"),
    cfg_case("duplicate-key", "[q3]\niterations = 2\niterations = 3\n", "cfg.toml, line", "TOML syntax error"),
    cfg_case("latin1-file", b'[student]\nname = "Zo\xeb"\n', "cfg.toml, line 2, column 11", "not UTF-8", "byte 0xeb"),
    cfg_case("utf16-file", "[q3]\niterations = 3\n".encode("utf-16"), "not UTF-8"),
    cfg_case("too-large", "# padding\n" * 120_000, "larger than 1000000 bytes"),
    cfg_case("nested-too-deep", "[q3]\nb1 = " + "[" * 600 + "]" * 600 + "\n", "nested too deeply"),
    Case("config-is-directory", ["--config", "{dir}"], ["is a directory"]),
    Case("config-missing", ["--config", "{dir}/nope.toml"], ["nope.toml: no such config file"]),
    Case("config-name-too-long", ["--config", "x" * 5000], ["xxx...: cannot read the config file: File name too long"]),
    # --- config files: structure
    cfg_case("unknown-key-in-file", "[q3]\nlearning_rte = 0.1\n",
             "q3.learning_rte: unknown key", "cfg.toml", "did you mean q3.learning_rate?"),
    cfg_case("unknown-table", "[studnet]\nname = \"Ann\"\n", "[studnet]: unknown table", "did you mean [student]?"),
    cfg_case("section-is-a-string", 'student = "Bob"\n',
             'student: got "Bob", expected a table [student] holding student.name, student.id'),
    cfg_case("top-level-key", "decimals = 3\n", "decimals: unknown key", "did you mean report.decimals?"),
    cfg_case("table-for-number", "[q3]\nlearning_rate = {value = 0.1}\n",
             "q3.learning_rate: got {value = 0.1}, expected a number > 0"),
    cfg_case("subtable-for-number", "[q3.learning_rate]\nvalue = 0.1\n", "q3.learning_rate: got {value = 0.1}"),
    cfg_case("date-for-number", "[q3]\nlearning_rate = 1979-05-27\n",
             "q3.learning_rate: got 1979-05-27, expected a number > 0"),
    cfg_case("vector-for-matrix", "[q3]\nX = [1, 2, 3]\n", "q3.X: got [1, 2, 3]", "equal-length rows of numbers"),
    cfg_case("matrix-for-vector", "[q3]\nb1 = [[1, 2, 3]]\n", "q3.b1", "element [0] is [1, 2, 3]"),
    cfg_case("all-problems-together",
             '[q3]\nlearning_rate = -1\niterations = 0\nmode = "adam"\n[report]\ndecimals = 2.5\n',
             "q3.learning_rate: got -1", "q3.iterations: got 0", 'q3.mode: got "adam"',
             "report.decimals: got 2.5", lines=4),
    cfg_case("name-not-a-string", "[student]\nname = 42\n", "student.name: got 42, expected a string"),
    cfg_case("tab-in-name", '[student]\nname = "a\\tb"\n', "student.name", "cannot typeset '\\t'"),
    cfg_case("newline-in-id", '[student]\nid = "1\\n2"\n', "student.id", "cannot typeset '\\n'"),
    cfg_case("rtl-override-in-name", '[student]\nname = "abc\\u202edef"\n', "student.name", "'\\u202e'"),
    # --- --set
    set_case("set-without-equals", "q3.learning_rate", "expected KEY=VALUE"),
    set_case("set-without-key", "=0.1", "expected KEY=VALUE"),
    set_case("set-without-value", "q3.learning_rate=", "no value after '='", "--set q3.learning_rate=0.01"),
    set_case("set-unparsable", "q3.W1=[[1, 2], [3, 4]", "cannot read", "as a TOML value"),
    set_case("set-smuggles-a-second-key", "q3.learning_rate=0.1\nq3.iterations = 5", "cannot read"),
    set_case("set-unknown-key", "q3.learning_rte=0.1", "q3.learning_rte: unknown key",
             "did you mean q3.learning_rate?"),
    set_case("set-abbreviated-key", "q3.lr=0.1", "q3.lr: unknown key", "did you mean q3.learning_rate?"),
    set_case("set-section-only", "q3=1", "q3: unknown key"),
    set_case("string-for-number", "q3.learning_rate=fast", 'q3.learning_rate: got "fast", expected a number > 0'),
    set_case("bool-for-integer", "q3.iterations=true", "q3.iterations: got true, expected a whole number from 1"),
    set_case("negative-rate", "q3.learning_rate=-0.1", "q3.learning_rate: got -0.1, expected a number > 0"),
    set_case("zero-rate", "q3.learning_rate=0", "q3.learning_rate: got 0"),
    set_case("inf-rate", "q3.learning_rate=inf", "q3.learning_rate: got inf"),
    set_case("nan-rate", "q3.learning_rate=nan", "q3.learning_rate: got nan"),
    set_case("overflowing-float", "q3.learning_rate=1e400", "q3.learning_rate: got inf"),
    set_case("rate-too-large", "q3.learning_rate=1e7", "at most 1e+06"),
    set_case("huge-int-rate", f"q3.learning_rate={HUGE}", "q3.learning_rate: got 1000", "at most 1e+06"),
    set_case("huge-int-iterations", f"q3.iterations={HUGE}", "q3.iterations", "whole number from 1 to 100"),
    set_case("zero-iterations", "q3.iterations=0", "q3.iterations: got 0, expected a whole number from 1 to 100"),
    set_case("fractional-iterations", "q3.iterations=2.5", "q3.iterations: got 2.5"),
    set_case("too-many-iterations", "q3.iterations=101", "q3.iterations: got 101"),
    Case("too-many-batch-passes", ["--set", "q3.mode=batch", "--set", "q3.iterations=26"],
         ["q3.iterations: got 26 batch iterations over 4 samples = 104 forward/backward passes", "at most 100"]),
    set_case("zero-curve-iterations", "q3.curve_iterations=0", "q3.curve_iterations: got 0"),
    set_case("decimals-13", "report.decimals=13", "report.decimals: got 13, expected a whole number from 0 to 12"),
    set_case("decimals-negative", "report.decimals=-1", "report.decimals: got -1"),
    set_case("decimals-quoted", 'report.decimals="4"', 'report.decimals: got "4"'),
    set_case("delta-zero", "q2.delta=0", "q2.delta: got 0, expected a number > 0"),
    set_case("z-empty", "q2.z=[]", "q2.z: got [], expected a non-empty array of numbers"),
    set_case("z-and-z-hat-lengths", "q2.z=[1, 2, 3]", "q2.z_hat: got shape 4, expected 3"),
    set_case("nan-in-vector", "q2.z_hat=[1, nan, 2, 3]", "q2.z_hat", "element [1] is nan"),
    set_case("huge-int-in-vector", f"q3.b1=[{HUGE}, 0, 0]", "q3.b1", "element [0] is 1000"),
    set_case("bool-in-vector", "q3.b2=[true, 0, 0]", "q3.b2", "element [0] is true"),
    set_case("string-in-matrix", 'q3.W2=[[1, 2, 3], [4, "x", 6], [7, 8, 9]]', "q3.W2", 'element [1][1] is "x"'),
    set_case("ragged-matrix", "q3.W1=[[1, 2, 3], [4, 5]]", "q3.W1", "row lengths differ: [3, 2]"),
    set_case("mode-case", "q3.mode=Batch", 'q3.mode: got "Batch", expected one of "sgd", "batch"'),
    set_case("layout-case", "q3.layout=wx", 'q3.layout: got "wx", expected one of "Wx", "xW"'),
    set_case("not-one-hot", "q3.Y=[[1, 1, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]]",
             "q3.Y: row 1 is [1.0, 1.0, 0.0], expected one-hot rows"),
    set_case("W1-3x4-for-3x3", "q3.W1=[[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]",
             "q3.W1: got shape 3×4, expected 3×3"),
    Case("layout-xW-transposed", ["--set", "q3.layout=xW", "--set", "q3.b1=[0, 0]",
                                  "--set", "q3.W1=[[1, 2, 3], [4, 5, 6]]", "--set", "q3.W2=[[1, 2, 3]]"],
         ["q3.W1: got shape 2×3, expected 3×2", "q3.W2: got shape 1×3, expected 2×3"], lines=2),
    set_case("b2-wrong-length", "q3.b2=[1, 2]", "q3.b2: got shape 2, expected 3"),
    set_case("too-many-inputs", "q3.X=[" + ", ".join(["[" + ", ".join(["1"] * 21) + "]"] * 4) + "]",
             "q3.X: got 21 inputs (columns), expected at most 20", lines=2),
    set_case("too-many-samples", "q3.X=[" + ", ".join(["[1, 2, 3]"] * 21) + "]",
             "q3.X: got 21 samples (rows), expected at most 20", lines=2),
    # --- text fields
    set_case("name-too-long", "student.name=" + "x" * 121, "student.name", "at most 120 characters (this has 121)"),
    set_case("name-cjk-in-no-font", "student.name=王𠮷", 'student.name: got "王𠮷"', "cannot typeset '𠮷'"),
    set_case("name-emoji", "student.name=Ann 🎓", "student.name", "cannot typeset '🎓'"),
    set_case("name-letter-missing-from-T1", "student.name=Ħasan", "student.name", "cannot typeset 'Ħ'"),
    set_case("id-zero-width-space", "student.id=12\u200b34", "student.id", "'\\u200b'"),
    # --- arguments
    Case("sets-unbalanced-quote", ["--sets", "student.name='O Brien"], ["SET", "quote values"]),
    Case("out-is-a-file", ["--out", "{dir}/afile"], ["--out", "afile: exists and is not a directory"]),
    Case("syntax-error-unknown-key-and-bad-value-together",
         ["--config", "{cfg}", "--set", "q3.lrate=1", "--set", "report.decimals=13"],
         ["cfg.toml, line 2, column 8: TOML syntax error", "q3.lrate: unknown key", "report.decimals: got 13"],
         file="[q3]\nmode = batch\n", lines=3),
    Case("out-name-too-long", ["--out", "{dir}/" + "o" * 5000], ["error: --out ", "...: File name too long"]),
    # --- beyond Python's own limits: still one line, never a traceback
    set_case("int-5000-digits", f"q3.iterations={DIGITS}", "--set q3.iterations=...: an integer of more than 4300"),
    set_case("negative-int-5000-digits", f"q3.learning_rate=-{DIGITS}", "an integer of more than 4300 digits"),
    set_case("int-5000-digits-in-array", f"q3.b1=[{DIGITS}, 0, 0]", "--set q3.b1=...: an integer of more than 4300"),
    cfg_case("int-5000-digits-in-file", f"[q3]\niterations = {DIGITS}\n", "cfg.toml: an integer of more than 4300"),
    cfg_case("int-5000-digits-in-file-array", f"[q2]\nz = [1, {DIGITS}]\n", "cfg.toml: an integer of more than 4300"),
    set_case("int-4300-digits", "q3.iterations=" + "7" * 4300, "q3.iterations: got 7777", "a whole number from 1"),
    set_case("int-5000-digits-as-name", f"student.name={DIGITS}", "student.name", "at most 120 characters (this has 5000)"),
    set_case("float-5000-digits", f"q3.learning_rate={DIGITS}.5", "q3.learning_rate: got inf"),
    set_case("nested-400-set", f"q3.W1={nested(400)}", "q3.W1: got [[[[", "expected a non-empty array"),
    set_case("nested-490-set", f"q3.b2={nested(490)}", "q3.b2"),  # shown, or too deep to read: one line
    cfg_case("nested-420-file", f"[q3]\nb1 = {nested(420)}\n", "q3.b1: got [[[[", "expected a non-empty array"),
    cfg_case("nested-450-file", f"[q3]\nX = {nested(450)}\n", "q3.X: got [[[[", "equal-length rows"),
    cfg_case("nested-490-file-name", f"[student]\nname = {nested(490)}\n", "cfg.toml"),  # too deep for tomllib here
    cfg_case("nested-tables-450", "[q3]\nb1 = " + "{a = " * 450 + "1" + "}" * 450 + "\n", "cfg.toml"),
    # --- what cannot be read at once: refused without opening it
    Case("config-is-a-fifo", ["--config", "{fifo}"], ["fifo: not a regular file (a pipe, device or socket)"]),
    Case("config-is-a-device", ["--config", "/dev/null"], ["/dev/null: not a regular file"]),
    Case("out-empty", ["--out", ""], ['--out "": empty; give a directory']),
    Case("out-only-spaces", ["--out", "   "], ['--out "   ": empty']),
    # --- control characters in paths, keys and values: escaped, the message stays one line
    Case("config-path-with-newline-missing", ["--config", "{dir}/a\nb.toml"], ["a\\u000ab.toml: no such config file"]),
    Case("config-path-with-newline-syntax-error", ["--config", "{dir}/bad\nname.toml"],
         ["bad\\u000aname.toml, line 2, column 8: TOML syntax error"], extra={"bad\nname.toml": "[q3]\nmode = batch\n"}),
    Case("config-path-with-escape-sequence", ["--config", "{dir}/\x1b[2Jclear.toml"], ["\\u001b[2Jclear.toml: no such"]),
    Case("out-with-newline-is-a-file", ["--out", "{dir}/a\nfile"], ["a\\u000afile: exists and is not a directory"],
         extra={"a\nfile": "not a directory"}),
    cfg_case("key-with-newline-in-file", '[q3]\n"learning\\nrate" = 1\n', "q3.learning\\u000arate: unknown key"),
    cfg_case("table-with-newline-in-file", '["q\\n3"]\nx = 1\n', "[q\\u000a3]: unknown table"),
    set_case("set-key-with-newline", "q3.learning\nrate=1", "q3.learning\\u000arate: unknown key"),
    set_case("set-value-with-line-separator", "q3.mode=sg\u2028d", 'q3.mode: got "sg\\u2028d", expected one of'),
    # --- text that would print nothing
    cfg_case("name-only-spaces-in-file", '[student]\nname = "   "\n',
             'student.name: got "   ", expected text with at least one visible character'),
    set_case("name-only-spaces-set", "student.name=   ", 'student.name: got "   "', "at least one visible character"),
    set_case("id-only-spaces-set", "student.id=  ", 'student.id: got "  "', "at least one visible character"),
    set_case("id-no-break-space", "student.id=\u00a0", "student.id", "at least one visible character"),
    Case("out-is-a-file-and-bad-key", ["--out", "{dir}/afile", "--set", "q3.lrate=1"],
         ["not a directory", "q3.lrate: unknown key"], lines=2),
]


def snapshot(directory: Path) -> dict[str, tuple[bytes, int]] | None:
    """Every file and directory under `directory` with its bytes and mtime, or None if absent."""
    if not directory.exists():
        return None
    return {
        str(p.relative_to(directory)): (p.read_bytes() if p.is_file() else b"<dir>", p.stat().st_mtime_ns)
        for p in sorted(directory.rglob("*"))
    }


@pytest.fixture
def previous(tmp_path: Path) -> Path:
    """An output directory holding an earlier build's files (stand-ins: no TeX needed)."""
    out = tmp_path / "out"
    (out / ".work").mkdir(parents=True)
    (out / "figures").mkdir()
    for name, data in {"solutions.pdf": b"%PDF-1.5 earlier", "answers.json": b'{"q3": 1}\n',
                       "config.toml": b"[q3]\n", ".work/solutions.aux": b"\\relax\n",
                       "figures/q2_huber.pdf": b"%PDF figure", ".lock": b""}.items():
        (out / name).write_bytes(data)
    return out


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        status = cli.main(argv)
    except SystemExit as exit:  # argparse's own usage errors
        status = int(exit.code)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def expand(args: list[str], tmp_path: Path) -> list[str]:
    return [a.replace("{cfg}", str(tmp_path / "cfg.toml")).replace("{dir}", str(tmp_path))
            .replace("{fifo}", str(tmp_path / "fifo")) for a in args]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_reported_and_changes_nothing(
    case: Case, tmp_path: Path, previous: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if isinstance(case.file, str):
        (tmp_path / "cfg.toml").write_text(case.file, encoding="utf-8")
    elif case.file is not None:
        (tmp_path / "cfg.toml").write_bytes(case.file)
    (tmp_path / "afile").write_text("not a directory")
    for name, text in case.extra.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    os.mkfifo(tmp_path / "fifo")  # reading it would wait for a writer forever
    before = snapshot(previous)

    status, out, err = run(["build", "--out", str(previous), *expand(case.args, tmp_path)], capsys)

    assert status == 2, err
    assert out == ""
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(errors) == case.lines, err
    assert len(err.splitlines()) == case.lines, "one line per problem, nothing else"
    for text in case.expected:
        assert text in err
    assert snapshot(previous) == before


def test_there_are_at_least_a_hundred_cases() -> None:
    assert len(CASES) >= 100
    assert len({c.id for c in CASES}) == len(CASES)


def test_bad_input_does_not_create_the_output_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "new" / "out"
    status, _, err = run(["build", "--out", str(out), "--set", "q3.iterations=0"], capsys)
    assert status == 2 and "q3.iterations: got 0" in err
    assert not (tmp_path / "new").exists()


def test_answers_reports_bad_input_the_same_way(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(["answers", "--set", "q3.learning_rate=-1", "--set", "q2.delta=x"], capsys)
    assert status == 2 and out == ""
    assert err.splitlines() == [
        'error: q2.delta: got "x", expected a number > 0 and at most 1e+06',
        "error: q3.learning_rate: got -1, expected a number > 0 and at most 1e+06",
    ]


def test_unknown_option_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(["build", "--learning-rate", "1"], capsys)
    assert status == 2 and "unrecognized arguments: --learning-rate" in err


# --- divergence: valid numbers whose training overflows


def test_diverging_training_is_refused_naming_question_and_iteration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "cfg.toml").write_text(DIVERGING)
    status, out, err = run(["answers", "--config", str(tmp_path / "cfg.toml")], capsys)
    assert status == 2 and out == ""
    assert err.startswith("error: q3: the computation diverged at iteration 17 (")
    assert "lower q3.learning_rate (now 1e+06)" in err
    assert len(err.splitlines()) == 1, "no numpy RuntimeWarnings"


def test_diverging_build_leaves_previous_outputs(
    tmp_path: Path, previous: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from solver.engine import toolchain

    monkeypatch.setattr(toolchain, "require", lambda: None)  # the refusal comes before any TeX
    (tmp_path / "cfg.toml").write_text(DIVERGING)
    fresh = tmp_path / "fresh"
    before = snapshot(previous)
    for out in (previous, fresh):
        status, _, err = run(["build", "--out", str(out), "--config", str(tmp_path / "cfg.toml")], capsys)
        assert status == 2 and "q3: the computation diverged at iteration 17" in err
    assert snapshot(previous) == before
    assert not fresh.exists()


def test_growing_but_finite_loss_is_built_with_a_warning(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    status, out, err = run(["answers", "--set", "q3.learning_rate=1e6", "--set", "q3.iterations=50"], capsys)
    assert status == 0
    losses = [it["loss"] for it in json.loads(out)["q3"]["iterations"]]
    assert max(losses) > 1e9  # what gradient descent really gives at this rate
    assert err.startswith("warning: q3: the loss grows from 1.893 at iteration 1 to ")
    assert "training diverges" in err and len(err.splitlines()) == 1


# --- a few through a real process: no traceback reaches the user


@pytest.mark.parametrize("argv", [
    ["answers", "--set", "q3.W1=[[1,2],[3,4]"],
    ["answers", "--config", "{dir}"],
    ["build", "--out", "{dir}/out", "--set", f"q3.b1=[{HUGE}]", "--set", "student.name=王"],
    ["answers", "--config", "{cfg}"],
    ["answers", "--config", "{fifo}"],
    ["build", "--out", "", "--set", f"q3.iterations={DIGITS}"],
    ["answers", "--set", f"q3.W1={nested(480)}"],
], ids=["unparsable-set", "config-is-directory", "huge-int-and-cjk", "diverging", "fifo", "empty-out-and-5000-digits",
        "nested-480"])
def test_subprocess_gives_exit_2_and_no_traceback(argv: list[str], tmp_path: Path) -> None:
    (tmp_path / "cfg.toml").write_text(DIVERGING)
    os.mkfifo(tmp_path / "fifo")
    env = {**os.environ, "PYTHONWARNINGS": "default"}
    run = subprocess.run([sys.executable, "-m", "solver", *expand(argv, tmp_path)],
                         cwd=REPO, capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr and "Warning:" not in run.stderr
    assert run.stderr.startswith("error: ")
    assert run.stdout == ""
    assert not (tmp_path / "out").exists()


def test_missing_tex_gives_the_install_message_and_changes_nothing(
    previous: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from solver.engine import toolchain

    monkeypatch.setattr(toolchain.shutil, "which", lambda tool: None)
    before = snapshot(previous)
    status, out, err = run(["build", "--out", str(previous)], capsys)
    assert status == 1 and out == ""
    assert err.startswith("error: TeX is missing (pdflatex not found on PATH)")
    assert "sudo apt-get install" in err and "Traceback" not in err
    assert snapshot(previous) == before
