"""LaTeX safety and failure behaviour, with real builds: hostile text prints literally and
reads no file; TeX's sandbox holds even for unescaped input; a failed, interrupted or
concurrent build never costs the last good PDF and answers.json."""
from __future__ import annotations

import errno
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

import pytest

from conftest import EPOCH, IN_CI, pdf_text, requires_tex, unprivileged
from solver import cli, latex
from solver.engine import pdflatex as compile, publish

REPO = Path(__file__).resolve().parents[2]
PUBLISHED = ("solutions.pdf", "solutions.tex", "answers.json", "config.toml")

pytestmark = requires_tex


def text_of(pdf: Path) -> str:
    """The PDF's text as a reader would copy it, whitespace collapsed; the T1 glyphs for
    ^ and ' come out as the modifier circumflex and the typographic apostrophe."""
    if shutil.which("pdftotext"):
        raw = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"],
                             capture_output=True, text=True, check=True).stdout
        text = " ".join(raw.split())
    else:
        text = pdf_text(pdf)
    return text.replace("\u02c6", "^").replace("\u2019", "'")


def published(out: Path) -> dict[str, bytes]:
    files = {name: (out / name).read_bytes() for name in PUBLISHED}
    files.update({f"figures/{p.name}": p.read_bytes() for p in (out / "figures").glob("*")})
    return files


def temporary_files(out: Path) -> list[Path]:
    return [p for p in out.rglob("*") if ".tmp" in p.name]


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = cli.main(argv)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture
def good_build(default_build: Path) -> Path:
    return default_build


@pytest.fixture
def previous(good_build: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    out = tmp_path / "out"
    shutil.copytree(good_build, out)
    return out


# ---------------------------------------------------------------- hostile text

HOSTILE_NAME = r"O'Brien & Sons_{1} Zoë Ångström 100% $x$ #2 ~a ^b \def\x{y} ^^5c \\ -- <<x>> ,,y"


def test_hostile_name_prints_literally_and_reads_no_outside_file(
    previous: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = Path(tempfile.mkdtemp(prefix="s"))  # short: the id is at most 120 characters
    try:
        (outside / "s.tex").write_text("SENTINEL-7f3a\n")
        hostile_id = rf"\input{{{outside}/s.tex}}\write18{{touch {outside}/p}}"
        out = previous
        status, _, err = run(["build", "--out", str(out), "--set", f"student.name={HOSTILE_NAME}",
                              "--set", f"student.id={hostile_id}"], capsys)
        assert status == 0, err

        text = text_of(out / "solutions.pdf")
        assert HOSTILE_NAME in text
        assert hostile_id in text
        assert "SENTINEL" not in text
        assert not (outside / "p").exists(), "\\write18 ran a shell command"
        assert json.loads((out / "answers.json").read_text())  # the build is otherwise whole
        assert tomllib.loads((out / "config.toml").read_text())["student"]["name"] == HOSTILE_NAME

        recorded = (out / ".work" / "solutions.fls").read_text().splitlines()
        inputs = {line[len("INPUT "):] for line in recorded if line.startswith("INPUT ")}
        outside_build = {p for p in inputs if os.path.isabs(p) and not Path(p).resolve().is_relative_to(out.resolve())}
        assert not {p for p in outside_build if p.startswith(str(outside))}
        assert all("tex" in p for p in outside_build), "only the TeX installation is read outside OUT"
    finally:
        shutil.rmtree(outside)


# ---------------------------------------------------------------- the sandbox, even without escaping


def compile_raw(body: str, directory: Path) -> tuple[bool, str]:
    tex = directory / "raw.tex"
    tex.write_text("\\documentclass{article}\n\\begin{document}\n" + body + "\nok\n\\end{document}\n")
    try:
        compile.pdf(tex)
    except compile.LatexError as error:
        return False, str(error)
    return True, ""


def test_sandbox_refuses_to_read_an_absolute_path(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.tex").write_text("SENTINEL-9c1e\n")
    work = tmp_path / "work"
    work.mkdir()
    ok, message = compile_raw(rf"\input{{{outside}/secret.tex}}", work)
    assert not ok and "secret.tex" in message
    log = (work / "raw.log").read_text(errors="replace")
    assert "SENTINEL-9c1e" not in log
    assert "not found" in log  # openin_any=p: absolute names are refused


def processes_in(directory: Path) -> list[int]:
    """Live processes whose working directory is `directory` (Linux /proc)."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if Path(os.readlink(proc / "cwd")) == directory.resolve():
                found.append(int(proc.name))
        except OSError:
            continue  # gone, a zombie, or not ours to read
    return found


@pytest.mark.skipif(not Path("/proc/self/cwd").exists(), reason="needs Linux /proc")
def test_endless_tex_is_stopped_with_everything_it_started(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compile, "TIMEOUT_SECONDS", 1)
    ok, message = compile_raw(r"\loop\iftrue\repeat", tmp_path)
    assert not ok and message.startswith("LaTeX did not finish within 1 s")
    assert processes_in(tmp_path) == [], "pdflatex left running"


def test_sandbox_runs_no_shell_and_writes_nowhere_else(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    compile_raw(rf"\immediate\write18{{touch {outside}/shell}}", work)
    compile_raw(rf"\newwrite\f\immediate\openout\f={outside}/written.txt \immediate\write\f{{x}}", work)
    compile_raw(r"\newwrite\f\immediate\openout\f=../up.txt \immediate\write\f{x}", work)
    assert list(outside.iterdir()) == []
    assert not (tmp_path / "up.txt").exists()


# ---------------------------------------------------------------- failures keep the last good build


def broken_render(original: object) -> object:
    def render(*args: object, **kwargs: object) -> str:
        return original(*args, **kwargs).replace("\\begin{document}", "\\begin{document}\n\\undefinedmacro", 1)

    return render


def test_latex_error_keeps_previous_outputs_and_leaves_no_temporary_files(
    previous: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = published(previous)
    monkeypatch.setattr(latex, "render", broken_render(latex.render))
    status, _, err = run(["build", "--out", str(previous), "--set", "student.name=Bea"], capsys)
    assert status == 1
    assert err.startswith("error: LaTeX error in ./solutions.tex line ")
    assert "Undefined control sequence" in err and "\\undefinedmacro" in err
    assert "Traceback" not in err
    assert published(previous) == before
    assert temporary_files(previous) == []


def test_interrupted_compile_keeps_previous_outputs(
    previous: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = published(previous)

    def interrupted(tex: Path, *_: object, **__: object) -> Path:
        (tex.parent / "solutions.pdf").write_bytes(b"%PDF half")  # as pdflatex leaves it
        raise KeyboardInterrupt

    monkeypatch.setattr(compile, "pdf", interrupted)
    status, _, err = run(["build", "--out", str(previous), "--set", "student.name=Bea"], capsys)
    assert status == 130 and err.startswith("interrupted")
    assert published(previous) == before
    assert temporary_files(previous) == []


def test_ctrl_c_during_compile_keeps_previous_outputs_and_stops_latex(previous: Path, tmp_path: Path) -> None:
    """A real SIGINT while "LaTeX" runs. A stand-in pdflatex that only sleeps makes the
    moment certain, however loaded the machine: the interrupt lands mid-compile."""
    before = published(previous)
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "pdflatex").write_text("#!/bin/sh\nsleep 60 &\nwait\n")  # with a child, which must be stopped too
    (fake / "pdflatex").chmod(0o755)
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "PATH": f"{fake}{os.pathsep}{os.environ['PATH']}"}
    # A shell's background job (`pytest ... &`) ignores SIGINT, and its children inherit
    # that: give the build the default, as a terminal's foreground job has.
    build_ = subprocess.Popen([sys.executable, "-m", "solver", "build", "--out", str(previous),
                               "--set", "student.name=Bea"], cwd=REPO, env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    while not processes_in(previous / ".work") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert processes_in(previous / ".work"), "the stand-in pdflatex never started"
    build_.send_signal(signal.SIGINT)
    _, err = build_.communicate(timeout=60)
    assert build_.returncode == 130, err
    assert err.startswith("interrupted") and "Traceback" not in err
    assert published(previous) == before
    assert temporary_files(previous) == []
    assert processes_in(previous / ".work") == []


def test_full_disk_while_publishing_changes_no_output(
    previous: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The PDF is the last file staged: if the disk fills there, answers.json must not be new."""
    before = published(previous)
    real_write = publish.write_new

    def write_new(path: Path, data: bytes) -> None:
        if path.name.startswith(".solutions.pdf.tmp"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        real_write(path, data)

    monkeypatch.setattr(publish, "write_new", write_new)
    status, _, err = run(["build", "--out", str(previous), "--set", "q3.learning_rate=0.5"], capsys)
    assert status == 1
    assert err.startswith(f"error: cannot write to {previous}: No space left on device")
    assert published(previous) == before
    assert temporary_files(previous) == []


def test_read_only_output_directory_for_real(previous: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = published(previous)
    (previous / ".lock").unlink()
    previous.chmod(0o555)
    try:
        with unprivileged(reach=previous):
            status, _, err = run(["build", "--out", str(previous)], capsys)
    finally:
        previous.chmod(0o755)
    assert status == 1 and err == f"error: cannot write to {previous}: Permission denied ({previous / '.lock'})\n", err
    assert published(previous) == before


def _chattr(flag: str, path: Path) -> None:
    if os.geteuid() != 0 or shutil.which("chattr") is None:
        if IN_CI:
            pytest.fail("CI runs as root with chattr (e2fsprogs): this case must run there")
        pytest.skip("needs root and chattr to make a file immutable")
    subprocess.run(["chattr", flag, str(path)], check=True)


@pytest.mark.parametrize("frozen", ["answers.json", "figures"])
def test_an_output_that_cannot_be_replaced_is_found_before_any_is(
        previous: Path, capsys: pytest.CaptureFixture[str], frozen: str) -> None:
    """An immutable output, or the folder one goes in (chattr +i): the build fails before its first rename,
    with one line naming it, and every output is as it was."""
    before = published(previous)
    _chattr("+i", previous / frozen)
    try:
        status, _, err = run(["build", "--out", str(previous), "--set", "q3.learning_rate=0.5"], capsys)
    finally:
        _chattr("-i", previous / frozen)
    assert status == 1 and err.count("\n") == 1 and f"{previous / frozen} is immutable" in err, err
    assert published(previous) == before
    assert temporary_files(previous) == []


def test_a_set_whose_target_cannot_be_replaced_is_refused_before_any_rename(tmp_path: Path) -> None:
    out, staging = tmp_path / "out", tmp_path / "out" / ".staging-1"
    for folder in ("a", "b"):
        (out / folder).mkdir(parents=True)
        (staging / folder).mkdir(parents=True)
    _chattr("+i", out / "b")
    try:
        with pytest.raises(publish.OutputError, match="is immutable"):
            publish.publish_set(out, staging, ["a", "b"])
    finally:
        _chattr("-i", out / "b")
    assert (staging / "a").is_dir() and not (out / publish.SET_JOURNAL).exists()


# ---------------------------------------------------------------- concurrency


def test_concurrent_builds_give_whole_pdfs(good_build: Path, tmp_path: Path) -> None:
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH}
    shared, other = tmp_path / "shared", tmp_path / "other"
    for out in (shared, other):  # warm starts: figures and LaTeX's aux files reused, as in daily use
        shutil.copytree(good_build, out)
    jobs = [(shared, "Alpha Lovelace"), (shared, "Beta Hopper"), (other, "Gamma Noether")]
    procs = [subprocess.Popen([sys.executable, "-m", "solver", "build", "--out", str(out),
                               "--set", f"student.name={name}"],
                              cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for out, name in jobs]
    for proc in procs:
        _, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err

    assert "Gamma Noether" in text_of(other / "solutions.pdf")
    winner = tomllib.loads((shared / "config.toml").read_text())["student"]["name"]
    assert winner in ("Alpha Lovelace", "Beta Hopper")
    text = text_of(shared / "solutions.pdf")
    assert winner in text and ({"Alpha Lovelace", "Beta Hopper"} - {winner}).pop() not in text
    assert (shared / "solutions.pdf").read_bytes().rstrip().endswith(b"%%EOF")
    assert temporary_files(shared) == [] and temporary_files(other) == []


# ---------------------------------------------------------------- extreme but valid numbers


def test_growing_loss_and_extreme_numbers_typeset_without_nan(
    previous: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The issue's example (learning rate 1e6, here for 10 iterations) stays finite: it is built, with
    a warning, and its numbers print in scientific notation, never as nan or inf."""
    status, _, err = run(["build", "--out", str(previous), "--set", "q3.learning_rate=1e6",
                          "--set", "q3.iterations=10", "--set", "q2.delta=1e-300",
                          "--set", "q2.z=[1e6, -1e6, 0.5, 1e-300]"], capsys)
    assert status == 0, err
    assert err.startswith("warning: q3: the loss grows from 1.893 at iteration 1 to 3.254e+12 at iteration 3")
    text = text_of(previous / "solutions.pdf")
    assert not re.search(r"\b(nan|inf|NaN|Infinity)\b", text)
    assert "3.2542×1012" in text.replace(" ", "")  # L at iteration 3, 3.2542 \times 10^{12}
    answers = json.loads((previous / "answers.json").read_text())
    assert answers["q3"]["iterations"][2]["loss"] == pytest.approx(3.2542e12, rel=1e-4)


# ---------------------------------------------------------------- quotes print as typed

QUOTED_NAME = "O'Brien ''Q'' ``B`` a`b !`x"


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs pdftotext (poppler-utils)")
def test_straight_quotes_and_backticks_print_as_typed(previous: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """'' and `` would be T1's ” and “, ' and ` its ’ and ‘: the page and the PDF's
    metadata show the ASCII characters that were typed."""
    status, _, err = run(["build", "--out", str(previous), "--set", f"student.name={QUOTED_NAME}"], capsys)
    assert status == 0, err
    page = subprocess.run(["pdftotext", "-enc", "UTF-8", "-l", "1", str(previous / "solutions.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert QUOTED_NAME in page.splitlines()
    assert not set("\u2018\u2019\u201c\u201d") & set(page.split("Student ID")[0])
    info = subprocess.run(["pdfinfo", str(previous / "solutions.pdf")], capture_output=True, text=True).stdout
    assert f"Author:          {QUOTED_NAME}" in info.splitlines()
