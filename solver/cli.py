"""Command line: build the PDF, print the answers, list the configuration, check the TeX toolchain.

Exit status: 0 success; 1 the build failed (LaTeX error, TeX missing, output
directory not writable); 2 bad input (config, --set, arguments, or values whose
computation overflows to inf/NaN), reported before the output directory is
touched; 130 interrupted.  Every problem is one `error: ...` line on stderr.
"""
from __future__ import annotations

import argparse
import os
import shlex
import sys
import warnings
from pathlib import Path

from solver import config, staff


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m solver", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    def with_config(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--config", metavar="FILE", help="TOML file overriding any subset of solver/defaults.toml")
        p.add_argument("--set", metavar="KEY=VALUE", action="append", default=[], dest="assignments",
                       help="override one key; VALUE is TOML (0.1, [1,2], \"text\"); repeatable")
        p.add_argument("--sets", metavar="'K=V K=V'", default="",
                       help="several KEY=VALUE in one shell-quoted string (what `make pdf SET=...` passes)")
        return p

    build = with_config(commands.add_parser("build", help="write OUT/solutions.pdf and its companions"))
    build.add_argument("--out", metavar="DIR", type=Path, default=Path("build"), help="output directory (build/)")
    with_config(commands.add_parser("answers", help="print the answers as JSON (no LaTeX, no figures)"))
    listing = with_config(commands.add_parser("config", help="print every key with its value and where it came from"))
    listing.add_argument("--markdown", action="store_true",
                         help="print the README's configuration table (key, default, meaning) instead")
    staff.add_commands(commands, with_config)
    tex = commands.add_parser("tex", help="check for latexmk and pdflatex")
    tex.add_argument("--install", action="store_true", help="install them with apt-get where allowed")
    return parser


def _assignments(args: argparse.Namespace) -> list[str]:
    try:
        words = shlex.split(args.sets)
    except ValueError as error:
        raise config.ConfigError([f"SET {args.sets!r}: {error}; quote values that contain spaces"]) from None
    return [*args.assignments, *words]


def _load(args: argparse.Namespace) -> config.Config:
    return config.load(args.config, _assignments(args))


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    with warnings.catch_warnings():
        warnings.showwarning = _one_line
        try:
            return _run(args)
        except config.ConfigError as error:
            for problem in error.problems:
                print(f"error: {problem}", file=sys.stderr)
            return 2
        except KeyboardInterrupt as stop:
            if getattr(stop, "published", False):
                print("interrupted after the new outputs were published; they are complete", file=sys.stderr)
            else:
                print("interrupted: the previous outputs are unchanged", file=sys.stderr)
            return 128 + getattr(stop, "signum", 2)
        except BrokenPipeError:  # `... answers | head` closed our stdout: not worth a traceback
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 1


def _run(args: argparse.Namespace) -> int:
    if args.command == "tex":
        from solver import toolchain

        return toolchain.ensure(install=args.install)
    if args.command == "config":
        return _list_config(args)
    if args.command in staff.COMMANDS:
        return staff.run(args, _load)
    problems = _check_out(args.out) if args.command == "build" else []
    if args.command == "build":
        from solver.build import source_date_epoch

        try:
            source_date_epoch()
        except config.ConfigError as error:
            problems += error.problems
    try:
        cfg = _load(args)
    except config.ConfigError as error:
        problems += error.problems
    if problems:
        raise config.ConfigError(problems)
    if args.command == "answers":
        from solver.questions import solve_all
        from solver.build import answers_json

        sys.stdout.write(answers_json(solve_all(cfg)))
        return 0
    return _build(cfg, args.out)


def _list_config(args: argparse.Namespace) -> int:
    if not args.markdown:
        sys.stdout.write(config.listing(args.config, _assignments(args)))
    elif args.config or args.assignments or args.sets:
        raise config.ConfigError(["--markdown prints the table of solver/defaults.toml; it takes no --config or --set"])
    else:
        sys.stdout.write(config.reference_table())
    return 0


def _check_out(out: Path) -> list[str]:
    try:
        if out.exists() and not out.is_dir():
            return [f"--out {out}: exists and is not a directory; give a directory for the outputs"]
    except OSError as error:  # e.g. a name too long
        return [f"--out {str(out)[:60]}...: {error.strerror or error}"]
    return []


def _one_line(message: Warning | str, category: type[Warning], *_: object, **__: object) -> None:
    print(f"warning: {message}", file=sys.stderr)


def _build(cfg: config.Config, out: Path) -> int:
    from solver import build, compile, toolchain

    try:
        pdf = build.build(cfg, out, say=lambda line: print(line, flush=True))
    except (compile.LatexError, toolchain.ToolchainMissing) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        where = f" ({error.filename})" if error.filename else ""
        print(f"error: cannot write to {out}: {error.strerror or error}{where}", file=sys.stderr)
        return 1
    print(f"wrote {pdf}")
    return 0
