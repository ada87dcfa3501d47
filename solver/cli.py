"""Command line: build the PDF, print the answers, list the configuration, check the TeX toolchain, rebuild on changes.

Exit status: 0 success; 1 the build failed (LaTeX error, TeX missing, output
directory not writable); 2 bad input (config, --set, arguments, or values whose
computation overflows to inf/NaN), reported before the output directory is
touched; 130 interrupted.  Every problem is one `error: ...` line on stderr.
"""
from __future__ import annotations

import argparse
import os
import shlex
import signal
import sys
import warnings
from pathlib import Path
from typing import Callable

from solver import BrokenInstallation, __version__, config, staff
from solver.engine import signals

STAGES = ("solve", "figures", "render", "compile")  # the order build.build reports them in

EXAMPLES = {
    "build": "build --out build",
    "answers": "answers --set q3.learning_rate=0.1",
    "config": "config --config mine.toml",
    "tex": "tex --install",
    "watch": "watch --config mine.toml",
    "worksheet": "worksheet --out mywork.toml",
    "check": "check mywork.toml --pdf feedback.pdf",
    "rubric": "rubric --out rubric.toml",
    "grade": "grade submissions/ --roster students.csv --rubric rubric.toml --out grades.csv",
    "variants": "variants --roster students.csv --seed 1",
    "problems": "problems --out build",
}
EXIT_STATUS = ("exit status: 0 success (check: nothing wrong and nothing asked left blank); 1 the build failed, or "
               "check found something wrong or blank; 2 bad input; 130 interrupted")


def _first_steps(prog: str) -> str:
    return f"""Typeset worked, verified solutions of ELEG 5491 Homework 1; check and grade students' work.

First: {prog} tex (is TeX there?), then {prog} build: build/solutions.pdf.

One example per task:
  build         {prog} build --out build
  regenerate    {prog} build --set q3.learning_rate=0.1 --set q2.delta=1
  check work    {prog} worksheet --out mywork.toml; fill it in; {prog} check mywork.toml
  variants      {prog} variants --roster students.csv --seed 1
  grade         {prog} rubric --out rubric.toml; {prog} grade submissions/ --roster students.csv --rubric rubric.toml
  upload        grade writes grade-center.csv beside grades.csv: in Blackboard, Grade Center > Work Offline >
                Upload, delimiter Comma

Each command's help has an example: {prog} COMMAND --help."""


def _parser(prog: str = "python -m solver") -> argparse.ArgumentParser:
    # -q/-v are accepted before or after the subcommand; SUPPRESS keeps a subcommand's
    # parser from resetting what was given before it.
    loudness = argparse.ArgumentParser(add_help=False)
    loudness.add_argument("-q", "--quiet", action="store_const", const=-1, dest="verbosity", default=argparse.SUPPRESS,
                          help="print only errors and warnings")
    loudness.add_argument("-v", "--verbose", action="store_const", const=1, dest="verbosity",
                          default=argparse.SUPPRESS, help="also say when each stage starts (on stderr)")
    parser = argparse.ArgumentParser(prog=prog, description=_first_steps(prog), parents=[loudness],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EXIT_STATUS)
    parser.add_argument("--version", action="version", version=f"hw1-solver {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="{build,answers,config,tex,watch,worksheet,"
                                     "check,rubric,grade,variants,problems}")
    parser.set_defaults(subparsers=commands.choices)
    add_parser = commands.add_parser

    def add(name: str, **k: object) -> argparse.ArgumentParser:
        # every subcommand: its one-line description and an example under its options
        return add_parser(name, parents=[loudness], description=str(k.get("help", "")),
                          epilog=f"example:\n  {prog} {EXAMPLES[name]}",
                          formatter_class=argparse.RawDescriptionHelpFormatter, **k)
    commands.add_parser = add  # type: ignore[method-assign]

    def with_config(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--config", metavar="FILE", help="TOML file overriding any subset of solver/defaults.toml")
        p.add_argument("--set", metavar="KEY=VALUE", action="append", default=[], dest="assignments",
                       help="override one key; VALUE is TOML (0.1, [1,2], \"text\"); repeatable")
        p.add_argument("--sets", metavar="'K=V K=V'", default="",
                       help="several KEY=VALUE in one shell-quoted string (what `make pdf SET=...` passes)")
        return p

    build = with_config(commands.add_parser("build", help="write OUT/solutions.pdf and its companions"))
    build.add_argument("--out", metavar="DIR", default="build", help="output directory (build/)")
    with_config(commands.add_parser("answers", help="print the answers as JSON (no LaTeX, no figures)"))
    listing = with_config(commands.add_parser("config", help="print every key with its value and where it came from"))
    listing.add_argument("--markdown", action="store_true",
                         help="print the README's configuration table (key, default, meaning) instead")
    _check_parsers(commands, with_config)
    staff.add_commands(commands, with_config)
    tex = commands.add_parser("tex", help="check for pdflatex")
    tex.add_argument("--install", action="store_true", help="install them with apt-get where allowed")
    watch = with_config(commands.add_parser(
        "watch", help="build, then rebuild whenever the config file or the package's sources change"))
    watch.add_argument("--out", metavar="DIR", type=path_arg, default=Path("build"), help="output directory (build/)")
    watch.add_argument("--watch", metavar="FILE", type=path_arg, action="append", default=[], dest="watched",
                       help="also rebuild when FILE changes; repeatable")
    return parser


def path_arg(text: str) -> Path | str:
    """A path argument; an empty one stays "" (Path("") would be the current directory), and `_paths`
    refuses it."""
    return Path(text) if text.strip() and "\0" not in text else text


PATH_OPTIONS = {"out": "--out", "pdf": "--pdf", "grade_center": "--grade-center", "directory": "DIR",
                "variants": "--variants", "roster": "--roster", "rubric": "--rubric"}


def _paths(args: argparse.Namespace) -> list[str]:
    """Every path given empty (or with a NUL byte) refused, one line each."""
    problems = [f"{option} {config._show(value)}: " + ("empty; give a file or directory name" if not value.strip()
                                                      else "not a valid file name")
                for name, option in PATH_OPTIONS.items() if isinstance(value := getattr(args, name, None), str)
                and not (name == "out" and args.command in ("build", "problems"))]
    problems += [f"--watch {config._show(value)}: empty; give a file name"
                 for value in getattr(args, "watched", []) if isinstance(value, str)]
    return problems


def _parse(argv: list[str] | None, prog: str) -> argparse.Namespace:
    """The arguments; a usage error names the subcommand's usage, not the top-level one."""
    parser = _parser(prog)
    args, extra = parser.parse_known_args(argv)
    if extra:
        args.subparsers[args.command].error(f"unrecognized arguments: {' '.join(extra)}")
    args.verbosity = getattr(args, "verbosity", 0)
    return args


def _assignments(args: argparse.Namespace) -> list[str]:
    try:
        words = shlex.split(args.sets)
    except ValueError as error:
        raise config.ConfigError([f"SET {args.sets!r}: {error}; quote values that contain spaces"]) from None
    split = _split_values(words)
    if split:
        raise config.ConfigError([split])
    return [*args.assignments, *words]


def _split_values(words: list[str]) -> str | None:
    """SET='student.name=Ada Lovelace' reaches us as two words, the second without '=': the value was split
    at its space.  The message shows SET with each such value quoted inside it, which is what works."""
    groups: list[list[str]] = []
    stray = []
    for word in words:
        if "=" in word or not groups:
            groups.append([word])
        else:
            groups[-1].append(word)
            stray.append(word)
    if not stray or "=" not in groups[0][0]:
        return None
    parts = []
    for group in groups:
        key, _, value = " ".join(group).partition("=")
        parts.append(f"{key}={shlex.quote(value)}" if len(group) > 1 else group[0])
    quoted = " ".join(parts)
    fixed = f'SET="{quoted}"' if not set(quoted) & set('"$`\\') else f"SET={shlex.quote(quoted)}"
    return (f"SET: {config._show(stray[0])} is not KEY=VALUE: a value with spaces must be quoted inside SET, "
            f"e.g. {fixed}")


def _load(args: argparse.Namespace) -> config.Config:
    return config.load(args.config, _assignments(args))


def main(argv: list[str] | None = None, prog: str = "python -m solver") -> int:
    args = _parse(argv, prog)
    with warnings.catch_warnings():
        warnings.showwarning = _one_line
        try:
            status = _run(args)
            lost = signals.unreported()
            if lost is not None:   # its exception was dropped where Python ignores them: the command ran on
                signals.reported()
                print(f"interrupted ({signal.Signals(lost).name}) as the command finished; its outputs are complete",
                      file=sys.stderr)
                return 128 + lost
            return status
        except config.ConfigError as error:
            for problem in error.problems:  # one line each, whatever a path or value held
                print(f"error: {config.one_line(problem)}", file=sys.stderr)
            return 2
        except KeyboardInterrupt as stop:
            signals.reported()
            if getattr(stop, "published", False):
                print("interrupted after the new outputs were published; they are complete", file=sys.stderr)
            else:
                print("interrupted: the previous outputs are unchanged", file=sys.stderr)
            return 128 + getattr(stop, "signum", 2)
        except BrokenInstallation as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        except OSError as error:  # `... answers | head` closed our stdout, or it is full: not worth a traceback
            print(f"error: {_os_error(error)}", file=sys.stderr)
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 1


def _os_error(error: OSError) -> str:
    """An OSError on one line: its file (standard output when it names none) and its reason."""
    where = config.one_line(str(error.filename)) if error.filename else "standard output"
    return f"cannot write to {where}: {config.one_line(str(error.strerror or error))}"


def _run(args: argparse.Namespace) -> int:
    if _paths(args):
        raise config.ConfigError(_paths(args))
    if args.command == "tex":
        from solver.engine import toolchain

        return toolchain.ensure(install=args.install, quiet=args.verbosity < 0)
    if args.command == "watch":
        from solver import watch

        return watch.run(args)
    if args.command == "config":
        return _list_config(args)
    if args.command in CHECK_COMMANDS:
        return _checking(args)
    if args.command == "variants":
        return staff.run(args, _load)
    building = args.command in ("build", "problems")
    problems = _check_out(str(args.out)) if building else []
    if building:
        from solver.pipeline import source_date_epoch

        try:
            source_date_epoch()
        except config.ConfigError as error:
            problems += error.problems
        if not problems:   # the configuration is read by the build, once a rebuild's LaTeX has started
            return _build(lambda: _load(args), Path(args.out), "solutions" if args.command == "build" else "problems",
                          args.verbosity)
    try:
        cfg = _load(args)
    except config.ConfigError as error:
        problems += error.problems
    if problems:
        raise config.ConfigError(problems)
    from solver.pipeline import answers_json, solve_cached

    sys.stdout.write(answers_json(solve_cached(cfg)))  # `answers`: from the user cache when it holds them
    return 0


def _list_config(args: argparse.Namespace) -> int:
    if not args.markdown:
        sys.stdout.write(config.listing(args.config, _assignments(args)))
    elif args.config or args.assignments or args.sets:
        raise config.ConfigError(["--markdown prints the table of solver/defaults.toml; it takes no --config or --set"])
    else:
        sys.stdout.write(config.reference_table())
    return 0


def _check_out(text: str) -> list[str]:
    if not text.strip():  # Path("") is the current directory: never the intent
        return [f"--out {config._show(text)}: empty; give a directory for the outputs, e.g. --out build"]
    if "\0" in text:
        return [f"--out {config.shown_path(text)}: not a valid directory name"]
    out = Path(text)
    try:
        if out.exists() and not out.is_dir():
            return [f"--out {config.shown_path(out)}: exists and is not a directory; give a directory for the outputs"]
    except OSError as error:  # e.g. a name too long
        return [f"--out {config.shown_path(str(out)[:60])}...: {error.strerror or error}"]
    return []


def _one_line(message: Warning | str, category: type[Warning], *_: object, **__: object) -> None:
    print(f"warning: {message}", file=sys.stderr)


def _progress(verbosity: int) -> Callable[[str], None]:
    """What build.build's `say` does: each stage's time on stdout (the tested contract), and
    when the next stage starts on stderr, where a person watches (a terminal, or -v)."""
    if verbosity < 0:
        return lambda line: None
    starts = verbosity > 0 or sys.stderr.isatty()
    upcoming = list(STAGES)

    def start() -> None:
        if starts and upcoming:
            print(f"{upcoming[0]:<8} ...", file=sys.stderr, flush=True)

    def say(line: str) -> None:
        print(line, flush=True)
        if upcoming and line.split()[:1] == [upcoming[0]]:
            upcoming.pop(0)
            start()

    start()
    return say


def _build(load: Callable[[], config.Config], out: Path, document: str, verbosity: int = 0) -> int:
    """`build` and `problems`: the pipeline, its failures each one line (exit status 1); `load` reads
    the configuration (its problems exit with status 2)."""
    from solver import pipeline
    from solver.engine import pdflatex, toolchain

    def loaded() -> config.Config:
        cfg = load()
        if cfg.student.needs_cjk and not toolchain.missing_tools() and toolchain.missing_cjk():
            cjk = toolchain.missing_cjk()
            raise toolchain.ToolchainMissing(f"the name or ID is Chinese, and TeX lacks {cjk[0]}; "
                                             + toolchain.install_instructions(cjk).split("\n", 1)[1].lstrip())
        return cfg

    try:
        pdf = pipeline.build(loaded, out, document, say=_progress(verbosity))
    except (pdflatex.LatexError, toolchain.ToolchainMissing) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        where = f" ({config.one_line(str(error.filename))})" if error.filename else ""
        print(f"error: cannot write to {config.one_line(str(out))}: {config.one_line(str(error.strerror or error))}{where}",
              file=sys.stderr)
        return 1
    if verbosity >= 0:
        print(f"wrote {config.one_line(str(pdf))}")
    return 0


# ---------------------------------------------------------------- checking a student's work


CHECK_COMMANDS = ("worksheet", "check", "grade", "rubric")


def _check_parsers(commands: argparse._SubParsersAction, with_config) -> None:  # type: ignore[type-arg]
    sheet = with_config(commands.add_parser("worksheet", help="write a fill-in TOML worksheet for `check`"))
    sheet.add_argument("--out", metavar="FILE", type=path_arg, help="where to write it (default: stdout)")
    sheet.add_argument("--force", action="store_true", help="replace FILE if it exists (it may hold your work)")
    check = with_config(commands.add_parser("check", help="check a student's worked answers step by step"))
    check.add_argument("file", metavar="FILE", help="TOML or JSON with answers.json's structure (any subset)")
    check.add_argument("--json", action="store_true", help="print the verdicts as JSON")
    check.add_argument("--pdf", metavar="OUT.pdf", type=path_arg, help="also write a feedback PDF")
    rubric = commands.add_parser("rubric", help="write the rubric (each part's points over its steps) as TOML to edit")
    rubric.add_argument("--out", metavar="FILE", type=path_arg, help="where to write it (default: stdout)")
    rubric.add_argument("--force", action="store_true", help="replace FILE if it exists")
    grade = with_config(commands.add_parser(
        "grade", help="mark a folder of submissions: grades.csv with reasons and a Blackboard Grade Center file"))
    grade.add_argument("directory", metavar="DIR", type=path_arg, help="one <id>.toml or <id>.json per student")
    grade.add_argument("--variants", metavar="VDIR", type=path_arg,
                       help="grade each student against VDIR/<id>/config.toml (instead of --config)")
    grade.add_argument("--roster", metavar="CSV", type=path_arg,
                       help="a CSV with columns id (the Blackboard username) and name: one row per student, "
                            "those without a submission marked")
    grade.add_argument("--rubric", metavar="FILE", type=path_arg, help="the rubric to mark by (default: `rubric`'s)")
    grade.add_argument("--out", metavar="FILE", type=path_arg, default=Path("grades.csv"), help="grades.csv")
    grade.add_argument("--grade-center", metavar="FILE", type=path_arg,
                       help="the Blackboard upload file (default: grade-center.csv beside --out)")


def _checking(args: argparse.Namespace) -> int:
    from solver.check import compare, grade, output, rubric, worksheet

    try:
        if args.command == "grade":
            return _grade(args, grade)
        if args.command == "rubric":
            return _write_new(args.out, rubric.toml_text(rubric.defaults()), args.force)
        cfg = _load(args)
        if args.command == "worksheet":
            return _write_new(args.out, worksheet.worksheet(cfg), args.force)
        report = compare.check(cfg, output.read_work(args.file))
    except compare.BadWork as error:
        print(f"error: {config.one_line(str(error))}", file=sys.stderr)
        return 2
    except OSError as error:
        if not error.filename:   # standard output: main reports it
            raise
        print(f"error: {config.one_line(str(error.filename))}: {config.one_line(str(error.strerror or error))}",
              file=sys.stderr)
        return 2
    blank = output.blank_parts(report)
    sys.stdout.write(output.as_json(report, blank) if args.json else output.table(report, config.one_line(args.file), blank))
    if args.pdf:
        from solver.check import feedback
        from solver.engine import pdflatex, toolchain

        try:
            print(f"wrote {config.one_line(str(feedback.pdf(report, args.pdf, args.file, blank)))}", file=sys.stderr if args.json else sys.stdout)
        except (pdflatex.LatexError, toolchain.ToolchainMissing, OSError) as error:
            print(f"error: {config.one_line(str(error))}", file=sys.stderr)
            return 2
    return 1 if report.any_wrong or blank else 0


def _write_new(out: Path | None, text: str, force: bool) -> int:
    """`text` to stdout, or to `out` unless that exists (it may hold someone's work) and force is not given."""
    if out is None:
        sys.stdout.write(text)
        return 0
    if not force and (out.exists() or out.is_symlink()):
        print(f"error: {config.one_line(str(out))} exists and was left as it is (it may hold your work); "
              "give another --out, or add --force to replace it (make: FORCE=1)", file=sys.stderr)
        return 2
    from solver.engine import store

    store.write_atomic(out, text.encode("utf-8"))
    print(f"wrote {config.one_line(str(out))}")
    return 0


def _grade(args: argparse.Namespace, grade) -> int:  # noqa: ANN001
    if args.variants is not None and (args.config or args.assignments or args.sets):
        raise config.ConfigError(["grade: give --variants or --config/--set, not both"])
    if not args.directory.is_dir():
        raise config.ConfigError([f"grade: {args.directory} is not a directory of submissions"])
    if args.variants is not None:
        if not args.variants.is_dir():
            raise config.ConfigError([f"grade --variants {args.variants}: not a directory"])
        cache: dict[str, config.Config] = {}

        def config_for(student: str) -> config.Config:
            if not staff.SAFE_ID.fullmatch(student):   # e.g. `...json`: never VDIR/../config.toml
                raise grade.BadWork(f"{config.one_line(student)!r} is not a student ID (letters, digits, '.', '_', "
                                    "'-', not starting with '.'); no variant is looked up for it")
            path = args.variants / student / "config.toml"
            if not path.is_file():
                raise grade.BadWork(f"no variant {path} for this student")
            if student not in cache:
                from solver.engine import files

                try:
                    files.read(path, "config", within=args.variants)   # never a link out of VDIR
                except files.Refused as refused:
                    raise grade.BadWork(refused.message) from None
                try:
                    cache[student] = config.load(path, [])
                except config.ConfigError as error:
                    raise grade.BadWork(f"{path}: {error.problems[0]}") from None
            return cache[student]
    else:
        cfg = _load(args)
        config_for = lambda student: cfg  # noqa: E731
    from solver.check import rubric as rubrics
    from solver.engine import store

    try:
        marking = rubrics.load(args.rubric)
    except rubrics.RubricError as error:
        raise config.ConfigError(error.problems) from None
    roster = grade.read_roster(args.roster) if args.roster is not None else None
    results = grade.grade(args.directory, config_for, marking, roster)
    center = args.grade_center or args.out.with_name("grade-center.csv")
    from solver.engine import signals

    texts = {args.out: grade.csv_text(results, marking), center: grade.grade_center_text(results, marking)}
    with signals.held():   # both files or neither: an interrupt waits for the second
        for path, text in texts.items():
            store.write_atomic(path, text.encode("utf-8"))
    sys.stdout.write(grade.summary(results, marking))
    print(f"wrote {config.one_line(str(args.out))} ({len(results)} students) and {config.one_line(str(center))} "
          "(Blackboard Grade Center upload)")
    return 0
