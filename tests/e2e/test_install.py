"""The installed tool: the console command, usage errors, a broken installation, Chinese
names, `watch`.  (The lock file: test_lock.py; the wheel in a fresh venv: .ci/run.)"""
from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import jinja2
import pytest

import solver
from conftest import DEFAULT_BUILD_ARGS, EPOCH, ID, REPO, requires_tex
from solver import cli, config, latex
from solver.engine import toolchain


def test_version(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from solver.__main__ import run  # what [project.scripts] hw1-solver calls

    monkeypatch.setattr(sys, "argv", ["hw1-solver", "--version"])
    with pytest.raises(SystemExit) as stop:
        run()
    assert stop.value.code == 0 and capsys.readouterr().out == f"hw1-solver {solver.__version__}\n"


def test_installed_versions_are_importlib_metadatas() -> None:
    """solver.installed_version reads the .dist-info folders' names, as importlib.metadata finds them."""
    from importlib import metadata

    for name in ("hw1-solver", "numpy", "sympy", "matplotlib", "Jinja2", "PyLaTeX"):
        assert solver.installed_version(name) == metadata.version(name), name
    assert solver.installed_version("no-such-distribution-here") is None
    assert solver.__version__ == metadata.version("hw1-solver")


def test_console_command_is_declared() -> None:
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["scripts"] == {"hw1-solver": "solver.__main__:run"}
    assert project["license"] == "MIT" and (REPO / "LICENSE").read_text().startswith("MIT License")


@pytest.mark.parametrize("command", ["build", "answers", "watch"])
def test_usage_error_shows_the_subcommands_usage(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        cli.main([command, "--bogus"], prog="hw1-solver")
    err = capsys.readouterr().err
    assert stop.value.code == 2
    assert err.startswith(f"usage: hw1-solver {command} ") and f"hw1-solver {command}: error: unrecognized " \
        "arguments: --bogus" in err, err


def test_tex_says_what_it_found(capsys: pytest.CaptureFixture[str]) -> None:
    if toolchain.missing_tools():
        pytest.skip("TeX not installed")
    assert cli.main(["tex"]) == 0 and capsys.readouterr().out.startswith("TeX: ")
    assert cli.main(["tex", "-q"]) == 0 and capsys.readouterr().out == ""


def test_missing_template_is_a_broken_installation(copy_of_default_build: Path, fixed_date: str,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(latex, "_package_loader", lambda: jinja2.DictLoader({}))
    status = cli.main(["build", "--out", str(copy_of_default_build)])
    err = capsys.readouterr().err
    assert status == 1 and err.startswith("error: broken installation: the template solutions.tex.j2 is missing")
    assert len(err.splitlines()) == 1 and "cannot write" not in err


def test_missing_defaults_is_a_broken_installation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    config._defaults_text.cache_clear()
    monkeypatch.setattr(config.importlib.resources, "files", lambda _package: tmp_path)
    try:
        status = cli.main(["answers"])
    finally:
        monkeypatch.undo()
        config._defaults_text.cache_clear()
    err = capsys.readouterr().err
    assert status == 1 and err.startswith("error: broken installation: defaults.toml is missing") and \
        len(err.splitlines()) == 1


# ---------------------------------------------------------------- Chinese names

def test_cjk_is_loaded_only_for_chinese_text() -> None:
    assert not config.load(None, ["student.name=Zoë Ångström"]).student.needs_cjk
    assert config.load(None, ["student.id=學號 1155"]).student.needs_cjk
    assert latex.fmt_text("王小明 & 陳") == r"\begin{CJK}{UTF8}{gbsn}王小明\end{CJK} \& \begin{CJK}{UTF8}{bsmi}陳\end{CJK}"
    with pytest.raises(config.ConfigError, match="cannot typeset '🎓'"):
        config.load(None, ["student.name=王 🎓"])


@requires_tex
def test_chinese_name_in_the_pdf_and_its_metadata(copy_of_default_build: Path, fixed_date: str,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from pypdf import PdfReader

    out = copy_of_default_build
    status = cli.main(["build", "-v", "--out", str(out), "--set", "student.name=王小明", "--set", f"student.id={ID}"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert [line.split()[0] for line in captured.out.splitlines()[:4]] == list(cli.STAGES)
    assert [line.split()[0] for line in captured.err.splitlines()] == list(cli.STAGES)  # -v: when each starts
    text = subprocess.run(["pdftotext", str(out / "solutions.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout if _have("pdftotext") else "".join(
        p.extract_text() for p in PdfReader(out / "solutions.pdf").pages)
    assert text.count("王小明") >= 2 and ID in text  # title block and page headers
    assert PdfReader(out / "solutions.pdf").metadata.author == "王小明"


def _have(tool: str) -> bool:
    import shutil

    return shutil.which(tool) is not None


# ---------------------------------------------------------------- watch

def _lines(stream) -> queue.Queue[str]:
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in stream], daemon=True).start()
    return lines


def _wait_for(lines: queue.Queue[str], needle: str, seconds: float = 60) -> list[str]:
    seen: list[str] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            break
        seen.append(line)
        if needle in line:
            return seen
    raise AssertionError(f"no {needle!r} within {seconds} s; saw {seen}")


def _after(lines: queue.Queue[str], needle: str, change, seconds: float = 300) -> list[str]:  # noqa: ANN001
    """`change()`, then the lines until one holds `needle`; the change is made again every 15 s
    without it (a change made before the watcher listened is not seen), up to `seconds` in all."""
    seen: list[str] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        change()
        try:
            return seen + _wait_for(lines, needle, min(15.0, max(0.0, deadline - time.monotonic())))
        except AssertionError:
            continue
    raise AssertionError(f"no {needle!r} within {seconds} s")


@requires_tex
def test_watch_rebuilds_after_a_config_change(copy_of_default_build: Path, tmp_path: Path) -> None:
    out, cfg = copy_of_default_build, tmp_path / "v2.toml"
    cfg.write_text(f'[student]\nname = "Ada Lovelace-Byron"\nid = "{ID}"\n')
    assert DEFAULT_BUILD_ARGS  # the copy is the default build: the first build takes it from the cache
    # PYTHONFAULTHANDLER: a watcher that does not stop is sent SIGABRT below, and prints where each thread was.
    # SIG_DFL: a suite run as a background job (`make test &`) has SIGINT ignored, and the watcher would inherit that.
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "PYTHONPATH": str(REPO), "PYTHONFAULTHANDLER": "1"}
    watcher = subprocess.Popen([sys.executable, "-m", "solver", "watch", "--config", str(cfg), "--out", str(out)],
                               cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        lines = _lines(watcher.stdout)
        _wait_for(lines, "watching", 300)   # a busy machine may take minutes over the first build
        # a bad config: its error, and watching goes on
        _after(lines, "TOML syntax error", lambda: cfg.write_text("[student]\nname = \n"))
        before = (out / "solutions.pdf").stat().st_mtime_ns
        _after(lines, "wrote", lambda: cfg.write_text(f'[student]\nname = "Grace Hopper"\nid = "{ID}"\n'))
        assert (out / "solutions.pdf").stat().st_mtime_ns != before
        assert 'name = "Grace Hopper"' in (out / "config.toml").read_text()
        watcher.send_signal(signal.SIGINT)
        try:
            status = watcher.wait(timeout=120)
        except subprocess.TimeoutExpired:
            watcher.send_signal(signal.SIGABRT)
            status = None
        rest = []
        while True:
            try:
                rest.append(lines.get(timeout=2))
            except queue.Empty:
                break
    finally:
        if watcher.poll() is None:
            watcher.kill()
    if status not in (0, 130) or "Traceback" in "".join(rest):
        pytest.fail(f"status {status}:\n" + "".join(rest), pytrace=False)


@pytest.mark.parametrize("argv, held", [
    (["python", "-m", "solver", "build"], True),
    (["/venv/bin/python", "/venv/bin/hw1-solver", "answers"], True),
    (["python", "-m", "solver.cli"], False),
    (["python", "-m", "solvers"], False),
    (["python", "-c", "pass"], False),
    (["python", "/home/me/hw1-solver.py"], False),
    (["python"], False),
])
def test_the_start_line_holds_ctrl_c_for_the_solvers_commands_only(argv: list[str], held: bool) -> None:
    """scripts/_hw1_solver_start.pth, which Python runs while it starts (the wheel and make's install put it
    in site-packages): SIGINT blocked for `python -m solver` and `hw1-solver`, which unblock it once their
    handler is in place; any other program in the environment starts as it would without it."""
    line = (REPO / "scripts" / "_hw1_solver_start.pth").read_text().strip()
    assert line.startswith("import ") and "\n" not in line   # site.py runs a .pth line only as one such line
    probe = (f"import sys; sys.orig_argv = {argv!r}; exec({line!r}); "
             "print(int(open('/proc/self/status').read().split('SigBlk:')[1].split()[0], 16))")
    mask = int(subprocess.run([sys.executable, "-S", "-c", probe], capture_output=True, text=True, check=True).stdout)
    assert bool(mask & (1 << (signal.SIGINT - 1))) == held


def test_the_command_releases_a_held_ctrl_c(tmp_path: Path) -> None:
    """Started with SIGINT blocked (by the start line, or by make through GNU env), the command unblocks it
    once its handler is in place: a Ctrl-C during a long command still stops it with one line."""
    script = ("import signal, subprocess, sys; signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT}); "
              "sys.exit(subprocess.call([sys.executable, '-m', 'solver', 'watch', '--out', sys.argv[1]]))")
    watcher = subprocess.Popen([sys.executable, "-c", script, str(tmp_path / "out")], cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                               env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "PYTHONPATH": str(REPO)},
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 300
    while not (tmp_path / "out" / "solutions.pdf").exists() and watcher.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    os.killpg(watcher.pid, signal.SIGINT)
    _, err = watcher.communicate(timeout=120)
    assert watcher.returncode == 130 and "Traceback" not in err, err
