"""Hostile inputs to every command, table-driven: special files (FIFOs, devices, folders), links,
sizes, bad encodings, empty and invalid paths, escape sequences and spreadsheet formulas.  Each
case must end at once with one `error:` line on stderr (nothing a terminal would act on), the
documented exit status, no traceback, and the output folder and the working folder unchanged.

Every run has a generous time limit: a FIFO that is waited on, or /dev/zero read to its end,
fails the case by running into it, however fast the machine."""
from __future__ import annotations

import contextlib
import hashlib
import io
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import HAVE_TEX

REPO = Path(__file__).resolve().parents[2]
LIMIT_SECONDS = 240   # a refusal takes about a second; only a hang comes near this
BIG = 6_000_000       # above every kind's size limit (solver/engine/files.py)


@dataclass(frozen=True)
class Case:
    id: str
    args: list[str]
    status: int
    expected: str          # a substring of the one stderr line


# Where a user names a file: (command line with {F} for the file, what the message begins with).
FILE_SLOTS = {
    "build-config": (["build", "--out", "{out}/b", "--config", "{F}"], ""),
    "answers-config": (["answers", "--config", "{F}"], ""),
    "config-config": (["config", "--config", "{F}"], ""),
    "problems-config": (["problems", "--out", "{out}/p", "--config", "{F}"], ""),
    "worksheet-config": (["worksheet", "--out", "{out}/w.toml", "--config", "{F}"], ""),
    "check-config": (["check", "{good}", "--config", "{F}"], ""),
    "check-file": (["check", "{F}"], ""),
    "check-file-json": (["check", "{F}", "--json"], ""),
    "check-file-pdf": (["check", "{F}", "--pdf", "{out}/f.pdf"], ""),
    "grade-config": (["grade", "{subs}", "--out", "{out}/g.csv", "--config", "{F}"], ""),
    "grade-roster": (["grade", "{subs}", "--out", "{out}/g.csv", "--roster", "{F}"], "--roster "),
    "grade-rubric": (["grade", "{subs}", "--out", "{out}/g.csv", "--rubric", "{F}"], "--rubric "),
    "variants-config": (["variants", "--n", "1", "--seed", "1", "--out", "{out}/v", "--config", "{F}"], ""),
    "variants-roster": (["variants", "--roster", "{F}", "--seed", "1", "--out", "{out}/v"], "--roster "),
}
# What is given there: (the file, a substring of the message).
FILE_KINDS = {
    "fifo": ("{fifo}", "not a regular file"),
    "dev-zero": ("/dev/zero", "/dev/zero: not a regular file"),
    "dev-null": ("/dev/null", "/dev/null: not a regular file"),
    "directory": ("{dir}", "is a directory"),
    "missing": ("{dir}/nope.toml", "no such"),
    "too-large": ("{big}", "larger than"),
    "link-to-fifo": ("{link_fifo}", "not a regular file"),
    "link-to-dev-zero": ("{link_zero}", "not a regular file"),
    "not-utf8": ("{latin1}", "UTF-8"),
    "escape-in-name": ("{dir}/\x1b]0;owned\x07\x1b[2J.toml", "\\u001b]0;owned\\u0007\\u001b[2J.toml"),
    "newline-in-name": ("{dir}/a\nerror: fake.toml", "a\\u000aerror: fake.toml"),
}


def _file_cases() -> list[Case]:
    cases = []
    for slot, (args, prefix) in FILE_SLOTS.items():
        for kind, (given, words) in FILE_KINDS.items():
            cases.append(Case(f"{slot}:{kind}", [given if a == "{F}" else a for a in args], 2, words))
    return cases


# Paths given empty or invalid, folders where files belong, and the reverse.
OUT_CASES = [
    Case("build-out-empty", ["build", "--out", ""], 2, "--out \"\": empty"),
    Case("build-out-blank", ["build", "--out", "   "], 2, "empty"),
    Case("problems-out-empty", ["problems", "--out", ""], 2, "--out \"\": empty"),
    Case("variants-out-empty", ["variants", "--n", "1", "--seed", "1", "--out", ""], 2, "--out \"\": empty"),
    Case("worksheet-out-empty", ["worksheet", "--out", ""], 2, "--out \"\": empty"),
    Case("rubric-out-empty", ["rubric", "--out", ""], 2, "--out \"\": empty"),
    Case("grade-out-empty", ["grade", "{subs}", "--out", ""], 2, "--out \"\": empty"),
    Case("grade-center-empty", ["grade", "{subs}", "--out", "{out}/g.csv", "--grade-center", ""], 2,
         "--grade-center \"\": empty"),
    Case("check-pdf-empty", ["check", "{good}", "--pdf", ""], 2, "--pdf \"\": empty"),
    Case("grade-dir-empty", ["grade", "", "--out", "{out}/g.csv"], 2, "DIR \"\": empty"),
    Case("grade-variants-empty", ["grade", "{subs}", "--variants", "", "--out", "{out}/g.csv"], 2, "empty"),
    Case("grade-roster-empty", ["grade", "{subs}", "--roster", "", "--out", "{out}/g.csv"], 2, "--roster \"\": empty"),
    Case("grade-rubric-empty", ["grade", "{subs}", "--rubric", "", "--out", "{out}/g.csv"], 2, "--rubric \"\": empty"),
    Case("variants-roster-empty", ["variants", "--roster", "", "--seed", "1", "--out", "{out}/v"], 2, "empty"),
    Case("build-out-is-file", ["build", "--out", "{out}/keep.txt"], 2, "not a directory"),
    Case("problems-out-is-file", ["problems", "--out", "{out}/keep.txt"], 2, "not a directory"),
    Case("variants-out-is-file", ["variants", "--n", "1", "--seed", "1", "--out", "{out}/keep.txt"], 2,
         "not a directory"),
    Case("build-out-is-fifo", ["build", "--out", "{fifo}"], 2, "not a directory"),
    Case("variants-out-is-fifo", ["variants", "--n", "1", "--seed", "1", "--out", "{fifo}"], 2, "not a directory"),
    Case("worksheet-out-exists", ["worksheet", "--out", "{out}/keep.txt"], 2, "exists and was left as it is"),
    Case("rubric-out-exists", ["rubric", "--out", "{out}/keep.txt"], 2, "exists and was left as it is"),
    Case("worksheet-out-fifo", ["worksheet", "--out", "{fifo}"], 2, "exists and was left as it is"),
    Case("rubric-out-link", ["rubric", "--out", "{link_zero}"], 2, "exists and was left as it is"),
    Case("grade-dir-missing", ["grade", "{dir}/none", "--out", "{out}/g.csv"], 2, "is not a directory"),
    Case("grade-dir-is-file", ["grade", "{good}", "--out", "{out}/g.csv"], 2, "is not a directory"),
    Case("grade-dir-is-fifo", ["grade", "{fifo}", "--out", "{out}/g.csv"], 2, "is not a directory"),
    Case("grade-variants-missing", ["grade", "{subs}", "--variants", "{dir}/none", "--out", "{out}/g.csv"], 2,
         "not a directory"),
    Case("grade-variants-and-config", ["grade", "{subs}", "--variants", "{subs}", "--config", "{good}",
                                       "--out", "{out}/g.csv"], 2, "not both"),
    Case("grade-escape-dir", ["grade", "{dir}/\x1b[31mred", "--out", "{out}/g.csv"], 2, "\\u001b[31mred"),
    Case("check-missing-escape", ["check", "\x1b[2J\x1b[H"], 2, "\\u001b[2J\\u001b[H"),
    Case("watch-out-empty", ["watch", "--out", ""], 2, "--out \"\": empty"),
    Case("watch-watch-empty", ["watch", "--watch", ""], 2, "--watch \"\": empty"),
    Case("watch-config-fifo", ["watch", "--config", "{fifo}", "--out", "{out}/w"], 2, "not a regular file"),
    Case("watch-config-dev-zero", ["watch", "--config", "/dev/zero", "--out", "{out}/w"], 2, "not a regular file"),
    Case("watch-config-folder", ["watch", "--config", "{dir}", "--out", "{out}/w"], 2, "not a regular file"),
    Case("watch-watch-link-to-fifo", ["watch", "--watch", "{link_fifo}", "--out", "{out}/w"], 2, "not a regular file"),
]

# Values that are numbers too large, deep or odd, and text that would drive a terminal or a spreadsheet.
VALUE_CASES = [
    Case("set-5000-digits", ["answers", "--set", "q3.learning_rate=" + "9" * 5000], 2, "q3.learning_rate"),
    Case("set-deep-array", ["answers", "--set", "q3.b1=" + "[" * 500 + "]" * 500], 2, "q3.b1"),
    Case("set-3d-array", ["answers", "--set", "q3.W1=[[[1.0]]]"], 2, "q3.W1"),
    Case("set-escape-value", ["answers", "--set", "student.name=\x1b]0;x\x07"], 2, "student.name"),
    Case("set-escape-key", ["answers", "--set", "\x1b[2Jq3.lr=1"], 2, "\\u001b[2J"),
    Case("set-formula-name", ["build", "--out", "{out}/b", "--set", "student.name==HYPERLINK(1)",
                              "--set", "q3.learning_rate=-1"], 2, "q3.learning_rate"),
    Case("variants-n-huge", ["variants", "--n", "9" * 30, "--seed", "1", "--out", "{out}/v"], 2, "--n"),
    Case("variants-n-zero", ["variants", "--n", "0", "--seed", "1", "--out", "{out}/v"], 2, "--n"),
    Case("variants-seed-negative", ["variants", "--n", "1", "--seed", "-1", "--out", "{out}/v"], 2, "--seed"),
    Case("variants-jobs-zero", ["variants", "--n", "1", "--seed", "1", "--jobs", "0", "--out", "{out}/v"], 2,
         "--jobs"),
    Case("variants-upload-without-roster", ["variants", "--n", "1", "--seed", "1", "--upload-names",
                                            "--out", "{out}/v"], 2, "--upload-names"),
    Case("variants-roster-unsafe-id", ["variants", "--roster", "{roster_bad}", "--seed", "1", "--out", "{out}/v"], 2,
         "not safe as a directory name"),
    Case("variants-roster-no-header", ["variants", "--roster", "{good}", "--seed", "1", "--out", "{out}/v"], 2,
         "no column"),
    Case("grade-roster-no-id", ["grade", "{subs}", "--roster", "{good}", "--out", "{out}/g.csv"], 2, "no column id"),
    Case("grade-rubric-deep", ["grade", "{subs}", "--rubric", "{deep}", "--out", "{out}/g.csv"], 2, "--rubric"),
    Case("grade-rubric-bad-points", ["grade", "{subs}", "--rubric", "{rubric_bad}", "--out", "{out}/g.csv"], 2,
         "expected a number of points"),
    Case("check-submission-deep", ["check", "{deep}"], 2, "nested too deeply"),
    Case("check-submission-not-table", ["check", "{list_json}"], 2, "expected a table"),
    Case("check-submission-bad-json", ["check", "{bad_json}"], 2, "JSON syntax error"),
    Case("check-submission-bad-toml", ["check", "{bad_toml}"], 2, "TOML syntax error"),
    Case("check-escape-in-toml-error", ["check", "{esc_toml}"], 2, "TOML syntax error"),
    Case("config-5000-digits", ["config", "--config", "{digits}"], 2, "digits"),
]

CASES = _file_cases() + OUT_CASES + VALUE_CASES


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The files the cases name, made once."""
    root = tmp_path_factory.mktemp("hostile")
    d = root / "files"
    d.mkdir()
    os.mkfifo(d / "fifo")
    (d / "big").touch()
    os.truncate(d / "big", BIG)
    os.symlink(d / "fifo", d / "link_fifo")
    os.symlink("/dev/zero", d / "link_zero")
    (d / "latin1").write_bytes("id,name\n1,Andr\xe9\n[q1]\n".encode("latin-1"))
    (d / "good.toml").write_text("[q1]\ngradient = \"\"\n")
    (d / "subs").mkdir()
    (d / "roster_bad.csv").write_text("id,name\n../x,Eve\n")
    (d / "deep.toml").write_text("a = " + "[" * 5000 + "]" * 5000 + "\n")
    (d / "rubric_bad.toml").write_text("[q1.q1a]\npoints = 1e400\n")
    (d / "list.json").write_text("[1, 2]")
    (d / "bad.json").write_text("{\"q1\": ")
    (d / "bad.toml").write_text("[q1\n")
    (d / "esc.toml").write_text("[q1]\ngradient = \x1b[31m\n")
    (d / "digits.toml").write_text("[q3]\nlearning_rate = " + "9" * 5000 + "\n")
    return {"dir": str(d), "fifo": str(d / "fifo"), "big": str(d / "big"), "link_fifo": str(d / "link_fifo"),
            "link_zero": str(d / "link_zero"), "latin1": str(d / "latin1"), "good": str(d / "good.toml"),
            "subs": str(d / "subs"), "roster_bad": str(d / "roster_bad.csv"), "deep": str(d / "deep.toml"),
            "rubric_bad": str(d / "rubric_bad.toml"), "list_json": str(d / "list.json"),
            "bad_json": str(d / "bad.json"), "bad_toml": str(d / "bad.toml"), "esc_toml": str(d / "esc.toml"),
            "digits": str(d / "digits.toml")}


def fill(arg: str, places: dict[str, str]) -> str:
    for name, value in places.items():
        arg = arg.replace("{" + name + "}", value)
    return arg


def snapshot(folder: Path) -> dict[str, str]:
    """Every entry below `folder` (links and special files by kind), with each file's digest."""
    found = {}
    for path in sorted(folder.rglob("*")):
        name = str(path.relative_to(folder))
        if path.is_symlink():
            found[name] = "link " + os.readlink(path)
        elif path.is_file():
            found[name] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            found[name] = "dir" if path.is_dir() else "special"
    return found


def test_the_table_is_large_enough() -> None:
    assert len(CASES) >= 150 and len({c.id for c in CASES}) == len(CASES)


def in_process(args: list[str]) -> tuple[int | None, str]:
    """`python -m solver ARGS` run in this process (the command line's own `main`), in a thread given
    LIMIT_SECONDS: its exit status (None when it hung) and what it wrote on stderr.  No interpreter
    start or import per case: the table's 200 cases cost seconds, not minutes."""
    from solver import cli

    result: dict[str, object] = {}
    err = io.StringIO()

    def run() -> None:
        try:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
                result["status"] = cli.main(args)
        except SystemExit as leaving:   # argparse's own exit
            result["status"] = leaving.code
        except BaseException as error:   # noqa: BLE001 - reported as the traceback the command would print
            result["status"], result["error"] = 1, error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(LIMIT_SECONDS)
    if "error" in result:
        raise result["error"]   # type: ignore[misc]
    return (None if thread.is_alive() else result.get("status")), err.getvalue()  # type: ignore[return-value]


@pytest.mark.parametrize("case", CASES, ids=[c.id.replace("\x1b", "ESC") for c in CASES])
def test_a_hostile_input_is_one_line(case: Case, world: dict[str, str], tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    out, cwd = tmp_path / "out", tmp_path / "cwd"
    out.mkdir()
    cwd.mkdir()
    (out / "keep.txt").write_text("a user's file\n")
    places = {**world, "out": str(out)}
    args = [fill(a, places) for a in case.args]
    before, before_cwd = snapshot(out), snapshot(cwd)
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    status, err = in_process(args)
    assert status is not None, f"no answer within {LIMIT_SECONDS} s"
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert status == case.status, err
    assert case.expected in lines[0], err
    assert "\x1b" not in err and "\x07" not in err and "Traceback" not in err
    assert snapshot(out) == before and snapshot(cwd) == before_cwd


def test_grade_reads_no_file_through_a_link_out_of_its_folder(world: dict[str, str], tmp_path: Path) -> None:
    """A submissions folder with planted names: a link to a readable file elsewhere, a link to a FIFO,
    `...json` (whose student would be `..`), a FIFO, a formula and an escape sequence as names.  Each is
    marked not graded (or skipped), nothing outside is read, and the CSV cells are inert."""
    secret = tmp_path / "secret.toml"
    secret.write_text("[q1]\ngradient = \"root:x:0:0 the secret\"\n")
    subs, variants = tmp_path / "subs", tmp_path / "variants"
    subs.mkdir()
    variants.mkdir()
    (tmp_path / "config.toml").write_text("[q3]\nlearning_rate = 0.5\n")   # VDIR/../config.toml
    os.symlink(secret, subs / "linked.toml")
    os.symlink(world["fifo"], subs / "piped.toml")
    os.mkfifo(subs / "fifo.toml")
    (subs / "...json").write_text("{}")
    (subs / "=HYPERLINK(1).toml").write_text("[q1]\ngradient = \"\"\n")
    (subs / "\x1b[31mred.toml").write_text("[q1]\ngradient = \"\"\n")
    env = {**os.environ, "PYTHONPATH": str(REPO), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    for extra in ([], ["--variants", str(variants)]):
        run = subprocess.run([sys.executable, "-m", "solver", "grade", str(subs), "--out", str(tmp_path / "g.csv"),
                              *extra], env=env, capture_output=True, text=True, timeout=LIMIT_SECONDS,
                             stdin=subprocess.DEVNULL)
        assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr
        table = (tmp_path / "g.csv").read_text()
        assert "the secret" not in table and "the secret" not in run.stdout
        assert "linked.toml: a symbolic link out of" in table or extra   # with VDIR: no variant for it
        assert "\x1b" not in table + run.stdout + run.stderr
        rows = {line.split(",")[0] for line in table.splitlines()[1:]}
        assert "'=HYPERLINK(1)" in rows and "=HYPERLINK(1)" not in rows
    assert "'..' is not a student ID" in table   # never graded against VDIR/../config.toml


DAMAGE = ["value-is-text", "floats-as-text", "a-list-shorter", "truncated", "a-fifo", "a-link-to-dev-zero"]


def _damaged(value: object, how: str) -> object:
    if how == "floats-as-text" and isinstance(value, dict) and set(value) == {"float"}:
        return "x"
    if how == "ints-negated" and isinstance(value, int) and not isinstance(value, bool):
        return -value - 1
    if isinstance(value, list):
        items = [_damaged(v, how) for v in value]
        return items[:-1] if how == "a-list-shorter" and items else items
    if isinstance(value, dict):
        return {k: _damaged(v, how) for k, v in value.items()}
    return value


@pytest.fixture(scope="module")
def filled_cache(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A user cache `answers` filled, and what `answers` printed."""
    root = tmp_path_factory.mktemp("cache")
    env = {**os.environ, "PYTHONPATH": str(REPO), "XDG_CACHE_HOME": str(root)}
    run = subprocess.run([sys.executable, "-m", "solver", "answers"], env=env, capture_output=True, text=True,
                         timeout=LIMIT_SECONDS)
    assert run.returncode == 0, run.stderr
    return root, run.stdout


@pytest.mark.parametrize("how", DAMAGE)
def test_a_damaged_cache_entry_is_a_miss(filled_cache: tuple[Path, str], tmp_path: Path, how: str) -> None:
    """Every entry of the user cache damaged the same way (its key intact): recomputed, same answers."""
    import json

    clean, expected = filled_cache
    cache = tmp_path / "cache"
    shutil.copytree(clean, cache, symlinks=True)
    entries = [p for p in cache.rglob("*.json") if "matplotlib" not in p.parts]
    assert entries
    for path in entries:
        if how in ("truncated", "not-json"):
            data = path.read_bytes()
            path.write_bytes(data[: len(data) // 2] if how == "truncated" else b"\xff\x00{")
        elif how in ("a-fifo", "a-folder", "a-link-to-dev-zero"):
            path.unlink()
            {"a-fifo": os.mkfifo, "a-folder": os.mkdir,
             "a-link-to-dev-zero": lambda p: os.symlink("/dev/zero", p)}[how](path)
        else:
            entry = json.loads(path.read_text())
            entry["value"] = {"value-is-1": 1, "value-is-list": [], "value-is-text": "x"}.get(
                how, _damaged(entry["value"], how))
            path.write_text(json.dumps(entry))
    env = {**os.environ, "PYTHONPATH": str(REPO), "XDG_CACHE_HOME": str(cache)}
    run = subprocess.run([sys.executable, "-m", "solver", "answers"], env=env, capture_output=True, text=True,
                         timeout=LIMIT_SECONDS, stdin=subprocess.DEVNULL)
    assert run.returncode == 0 and run.stderr == "", run.stderr
    assert run.stdout == expected


@pytest.fixture(scope="module")
def built_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A user cache a first build filled (figures too, with TeX; else what `answers` stores)."""
    root = tmp_path_factory.mktemp("built-cache")
    fill = ["build", "--out", str(root / "b0")] if HAVE_TEX else ["answers"]
    env = {**os.environ, "PYTHONPATH": str(REPO), "XDG_CACHE_HOME": str(root / "cache"), "TMPDIR": str(root)}
    first = subprocess.run([sys.executable, "-m", "solver", *fill], env=env, capture_output=True,
                           timeout=LIMIT_SECONDS)
    assert first.returncode == 0, first.stderr
    return root / "cache"


@pytest.mark.parametrize("planted", ["fifo", "link-to-dev-zero"])
def test_files_planted_in_the_user_cache_do_not_hang_a_build(built_cache: Path, tmp_path: Path, planted: str) -> None:
    """matplotlib's font list and matplotlibrc, and every figure of a filled user cache, replaced by a
    FIFO, a link to /dev/zero or a folder: the next build into a new folder finishes and succeeds."""
    cache = tmp_path / "cache"
    shutil.copytree(built_cache, cache, symlinks=True)
    env = {**os.environ, "PYTHONPATH": str(REPO), "XDG_CACHE_HOME": str(cache), "TMPDIR": str(tmp_path)}
    mpl = cache / "hw1-solver" / "matplotlib"
    mpl.mkdir(parents=True, exist_ok=True)
    targets = [mpl / "fontlist-v3.11.0.json", mpl / "matplotlibrc", *(cache / "hw1-solver").rglob("*.pdf")]
    assert len(targets) > 2 or not HAVE_TEX
    for path in targets:
        path.unlink(missing_ok=True)
        {"fifo": os.mkfifo, "folder": os.mkdir, "link-to-dev-zero": lambda p: os.symlink("/dev/zero", p)}[planted](path)
    run = subprocess.run([sys.executable, "-m", "solver", "answers"], env=env, capture_output=True, text=True,
                         timeout=LIMIT_SECONDS, stdin=subprocess.DEVNULL)
    assert run.returncode == 0 and run.stderr == "", run.stderr
    if HAVE_TEX:
        run = subprocess.run([sys.executable, "-m", "solver", "build", "--out", str(tmp_path / "b")], env=env,
                             capture_output=True, text=True, timeout=LIMIT_SECONDS, stdin=subprocess.DEVNULL)
        assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr


def test_grade_reads_no_variant_through_a_link_out_of_vdir(tmp_path: Path) -> None:
    """VDIR/<id> a link to a folder elsewhere, VDIR/<id>/config.toml a link to a file elsewhere: refused."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "config.toml").write_text("[q3]\nlearning_rate = 0.5\n")
    subs, vdir = tmp_path / "subs", tmp_path / "vdir"
    subs.mkdir()
    (vdir / "b").mkdir(parents=True)
    os.symlink(outside, vdir / "a")
    os.symlink(outside / "config.toml", vdir / "b" / "config.toml")
    for sid in ("a", "b"):
        (subs / f"{sid}.toml").write_text("[q1]\ngradient = \"\"\n")
    env = {**os.environ, "PYTHONPATH": str(REPO), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    run = subprocess.run([sys.executable, "-m", "solver", "grade", str(subs), "--variants", str(vdir), "--out",
                          str(tmp_path / "g.csv")], env=env, capture_output=True, text=True, timeout=LIMIT_SECONDS)
    assert run.returncode == 0, run.stderr
    table = (tmp_path / "g.csv").read_text()
    assert table.count("a symbolic link out of") == 2 and ",graded," not in table
