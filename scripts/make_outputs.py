"""The Makefile's helper for `make pdf` and `make clean`: what the user typed in OUT,
CONFIG and SET is data, never code.

The Makefile hands the raw text over in the environment (HW_OUT, HW_CONFIG, HW_SET, from
`$(value ...)`, so make never expands it); this script passes it to the solver as argv
elements (`--out=...`, `--config=...`, `--sets=...`), so no shell ever parses it.

    make_outputs.py pdf --python .venv/bin/python [--after FILE]... [--dry-run] [--quiet]
        Build OUT/solutions.pdf with `python -m solver build` if it is stale: missing, older
        than a source file (solver/ or templates/) or an --after file, or built with a
        different CONFIG path, CONFIG contents, SET or SOURCE_DATE_EPOCH than now, or (without
        SOURCE_DATE_EPOCH) on another day (recorded in OUT/.args).  --dry-run (`make -n`) prints the command instead of running it.

    make_outputs.py clean [--dry-run] [--quiet]
        Remove the files the solver writes into OUT (solutions.pdf, problems.pdf, solutions.tex,
        answers.json, config.toml, figures/, .work/, .args, .lock, leftover .*.tmp* files),
        nothing else; refuse an empty OUT, /, $HOME, a directory that is not below the
        project, and one without the solver's marks (.lock, .args or .work/).

Only the standard library: it runs as `python -I -S` before anything is installed.
"""
from __future__ import annotations

import signal

# Ctrl-C is held back (blocked, so not lost) from here on: it reaches the solver `pdf` runs, which takes it
# as its first act (solver/__init__.py), or arrives when this script has done its part (the end of this file).
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})

import argparse  # noqa: E402
import datetime  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shlex  # noqa: E402
import shutil  # noqa: E402
import stat  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SOURCES = (("solver", (".py", ".toml", ".j2", ".tex")), ("templates", (".j2",)))
OUTPUTS = ("solutions.pdf", "solutions.tex", "answers.json", "config.toml")
MADE = (*OUTPUTS, "problems.pdf", "figures", ".work", ".args", ".lock")  # everything `make clean` may remove
MARKS = (".lock", ".args", ".work")  # a directory with none of these was not made by the solver


def fail(message: str, status: int = 2) -> int:
    print(f"error: {message}", file=sys.stderr)
    return status


def shown(path: str) -> str:
    return shlex.quote(path) if path else "''"


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return -1


def _newest_source() -> int:
    newest = -1
    for folder, suffixes in SOURCES:
        for directory, subdirs, files in os.walk(ROOT / folder):
            subdirs[:] = [d for d in subdirs if d != "__pycache__"]
            for name in files:
                if name.endswith(suffixes):
                    newest = max(newest, _mtime(Path(directory, name)))
    return newest


def _config_digest(config: str) -> str | None:
    """sha256 of the config file's bytes; None (always stale) when it is not a regular file."""
    if not config:
        return ""
    try:
        if not Path(config).is_file():
            return None
        return hashlib.sha256(Path(config).read_bytes()).hexdigest()
    except OSError:
        return None


def pdf(args: argparse.Namespace) -> int:
    out, config, sets = (os.environ.get(name, "") for name in ("HW_OUT", "HW_CONFIG", "HW_SET"))
    if not out:
        return fail("OUT is empty; give the output directory, e.g. OUT=build")
    command = [args.python, "-m", "solver", "build", f"--out={out}"]
    if config:
        command.append(f"--config={config}")
    command.append(f"--sets={sets}")

    digest = _config_digest(config)
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    record = json.dumps({
        "config": config, "config_sha256": digest, "set": sets, "SOURCE_DATE_EPOCH": epoch,
        # without SOURCE_DATE_EPOCH the PDF is dated the day it is built: a new day rebuilds it
        "today": "" if epoch else datetime.date.today().isoformat(),
    }, indent=1) + "\n"
    stamp = Path(out, ".args")
    recorded = _read_stamp(stamp)
    built = min(_mtime(Path(out, name)) for name in OUTPUTS)
    prerequisites = max([_mtime(stamp), _newest_source(), *(_mtime(Path(p)) for p in args.after)])
    if recorded == record and digest is not None and built >= prerequisites:
        if not args.quiet:
            print(f"{out}/solutions.pdf is up to date")
        return 0

    if not args.quiet or args.dry_run:
        print(shlex.join(command), flush=True)
    if args.dry_run:
        return 0
    if recorded != record:
        # Written before the build and only when it changes, as make would: the PDF ends up
        # newer than it only if this build succeeds, so a failed one is retried next time.
        try:
            stamp.parent.mkdir(parents=True, exist_ok=True)
            temporary = stamp.with_name(f".args.tmp{os.getpid()}")
            temporary.unlink(missing_ok=True)
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(record)
            os.replace(temporary, stamp)
        except OSError:
            pass  # OUT is not a directory or not writable: the solver says so
    try:
        # SIGINT still blocked across the exec, not ignored: a Ctrl-C while Python starts (before the
        # solver can handle one) waits, and the solver takes it as its first act (solver/__init__.py).
        os.execv(args.python, command)
    except OSError as error:
        return fail(f"cannot run {args.python}: {error.strerror or error}", 1)


STAMP_LIMIT = 1 << 16   # bytes: a record is a few hundred


def _read_stamp(stamp: Path) -> str | None:
    """The last build's record, None unless OUT/.args is a small regular file: a FIFO, a device or a link
    planted there is never waited on, read without end or followed (the build then simply runs)."""
    try:
        fd = os.open(stamp, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > STAMP_LIMIT:
            return None
        return os.read(fd, STAMP_LIMIT + 1).decode("utf-8")
    except (OSError, ValueError):
        return None
    finally:
        os.close(fd)


def _refusal(out: str) -> str | None:
    if not out:
        return "OUT is empty"
    real = Path(os.path.realpath(out))
    if real == Path("/"):
        return "OUT is the root directory"
    home = os.environ.get("HOME")
    if home and real == Path(os.path.realpath(home)):
        return "OUT is your home directory"
    root = Path(os.path.realpath(ROOT))
    if real == root or root not in real.parents:
        return f"OUT={shown(out)} is not below the project ({root})"
    return None


def clean(args: argparse.Namespace) -> int:
    out = os.environ.get("HW_OUT", "")
    refusal = _refusal(out)
    if refusal:
        return fail(f"{refusal}; `make clean` removes only the solver's outputs in a directory below "
                    "the project, e.g. OUT=build; remove anything else yourself")
    real = Path(os.path.realpath(out))
    if not real.exists():
        if not args.quiet:
            print(f"OUT={shown(out)}: nothing to remove")
        return 0
    if not real.is_dir():
        return fail(f"OUT={shown(out)} is not a directory")
    found = [real / name for name in MADE if os.path.lexists(real / name)]
    found += sorted(p for p in real.glob(".*.tmp*") if p not in found)
    if not found:
        if not args.quiet:
            print(f"OUT={shown(out)}: nothing to remove")
        return 0
    if not any(os.path.lexists(real / mark) for mark in MARKS):
        return fail(f"OUT={shown(out)} was not made by the solver (no .lock, .args or .work in it); "
                    "not removing anything")
    if not args.quiet or args.dry_run:
        print("rm -rf -- " + " ".join(shlex.quote(os.path.join(out, p.name)) for p in found))
    if args.dry_run:
        return 0
    for path in found:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(prog="scripts/make_outputs.py", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("pdf")
    build.add_argument("--python", required=True)
    build.add_argument("--after", action="append", default=[], metavar="FILE")
    remove = commands.add_parser("clean")
    for command in (build, remove):
        command.add_argument("--dry-run", action="store_true", help="print what would be run or removed; change nothing")
        command.add_argument("--quiet", action="store_true", help="do not print it either (make -s)")
    args = parser.parse_args()
    return pdf(args) if args.command == "pdf" else clean(args)


if __name__ == "__main__":
    try:
        status = main()
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})   # one held back meanwhile arrives here
    except KeyboardInterrupt:
        print("interrupted: this script had done its part (nothing was built)", file=sys.stderr)
        status = 130
    sys.exit(status)
