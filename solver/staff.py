"""For teaching staff: many variants of the homework at once, a problem sheet, answer keys.

    python -m solver variants (--n N | --roster FILE) --seed S [--config F] [--set ...] [--out DIR] [--jobs J]
    python -m solver problems [--config F] [--set ...] [--out DIR]

`variants` draws each variant's configuration (solver/variants.py) in this process, then
builds them in parallel worker processes, each into its own directory with its own lock,
through the ordinary pipeline (solver.build.build for solutions.pdf, answers.json and
config.toml; solver.problems for problems.pdf).  A variant that fails is reported in one
line and does not stop the others; the exit status is 1 if any failed.  The answer key
(answer-key.csv, answer-key.json) is read back from the variants' answers.json files.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import csv
import ctypes
import io
import json
import multiprocessing
import os
import re
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from solver import cells, config, summary, variants
from solver.engine import signals, store

COMMANDS = ("variants", "problems")
KEY_CSV, KEY_JSON = "answer-key.csv", "answer-key.json"
SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")   # a directory and file name on any system
ROSTER_COLUMNS = ("id", "name")
MAX_VARIANTS = 10_000


@dataclass(frozen=True)
class Job:
    """One variant to build: where, from which seed, with which configuration."""
    label: str                       # "3" for the third numbered variant, or the student's ID
    directory: str                   # below the output directory
    seed: int                        # its own seed (variants.seed_of)
    resolved: dict[str, dict[str, Any]] = field(repr=False)
    student: tuple[str, str] | None = None   # (id, name) for a roster's variant
    upload_names: bool = False       # also <id>_solutions.pdf and <id>_problems.pdf


# ---------------------------------------------------------------- planning (no I/O but the roster)

def numbered(base: Mapping[str, Any], seed: int, n: int) -> list[Job]:
    """Variants 1..n; variant k depends on (seed, k) only."""
    return [Job(str(k), f"variant-{k}", variants.seed_of(seed, k), variants.variant(base, seed, k))
            for k in range(1, n + 1)]


def for_roster(base: Mapping[str, Any], seed: int, students: Sequence[tuple[str, str]],
               upload_names: bool = False) -> list[Job]:
    """One variant per student, seeded by (seed, ID): independent of the roster's order and size."""
    return [Job(sid, sid, variants.seed_of(seed, sid),
                variants.with_student(variants.variant(base, seed, sid), name, sid), (sid, name), upload_names)
            for sid, name in students]


def read_roster(path: Path, base: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(id, name) per row of a CSV file with columns `id` and `name` (any order, others ignored);
    every problem found is reported at once (ConfigError)."""
    from solver.engine import files

    try:
        text = files.text(path, "roster")
    except files.Refused as refused:
        more = "; give a CSV file with columns id and name" if refused.missing else ""
        raise config.ConfigError([f"--roster {refused.message}{more}"]) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in ROSTER_COLUMNS if c not in header]
    if missing:
        found = ", ".join(header) if header else "no header line"
        raise config.ConfigError([f"--roster {path}: no column {' or '.join(missing)} (found: {found}); "
                                  "the first line must name the columns id and name, in any order"])
    reader.fieldnames = header
    problems: list[str] = []
    students: list[tuple[str, str]] = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        sid, name = (row.get("id") or "").strip(), (row.get("name") or "").strip()
        where = f"--roster {path}, line {line}"
        if not sid:
            problems.append(f"{where}: empty id")
        elif not SAFE_ID.fullmatch(sid):
            problems.append(f"{where}: id {sid!r} is not safe as a directory name; use letters, digits, '.', "
                            "'_' and '-' (at most 64, not starting with '.', '_' or '-')")
        elif sid in seen:
            problems.append(f"{where}: duplicate id {sid!r} (also on line {seen[sid]})")
        else:
            seen[sid] = line
            try:
                config.validate(variants.flat(variants.with_student(base, name, sid)))
            except config.ConfigError as error:
                problems += [f"{where}: {p}" for p in error.problems]
            students.append((sid, name))
    if not students and not problems:
        problems.append(f"--roster {path}: no students (only a header line)")
    if problems:
        raise config.ConfigError(problems)
    return students


# ---------------------------------------------------------------- building (in worker processes)

def build_variant(job: Job, root: Path) -> None:
    """solutions.pdf, answers.json, config.toml and problems.pdf of one variant, in root/job.directory."""
    from solver import pipeline

    cfg = config.validate(variants.flat(job.resolved))
    out = root / job.directory
    for document in pipeline.DOCUMENTS:
        pipeline.build(cfg, out, document, say=lambda _: None)
    if job.upload_names and job.student is not None:
        for name in ("solutions.pdf", "problems.pdf"):
            store.write_atomic(out / f"{job.student[0]}_{name}", (out / name).read_bytes())


def _attempt(job: Job, root: Path, shown: Path | None = None) -> str | None:
    """None on success, else the failure in one line; runs in a worker process.  `shown`: where the
    variant's folder is kept for reading when it fails (root itself by default).  SIGTERM (from the
    parent, or its death) stops the build as Ctrl-C would, LaTeX included, and ends the worker."""
    signal.signal(signal.SIGTERM, signals._raise_terminated)
    try:
        build_variant(job, root)
    except KeyboardInterrupt:   # the parent is stopping every worker: this one's LaTeX is stopped
        os._exit(143)
    except Exception as error:  # one variant's failure must not stop the others
        lines = str(error).strip().splitlines() or [type(error).__name__]
        more = f" (see {(shown or root) / job.directory / '.work'})" if len(lines) > 1 else ""
        return f"{type(error).__name__}: {config.one_line(lines[0])}{more}"
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    return None


def _worker_start() -> None:
    """A variant worker: Ctrl-C is the parent's to act on; it dies with its parent (SIGTERM, so that
    a build under way stops its LaTeX first)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)
    with contextlib.suppress(Exception):
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)   # PR_SET_PDEATHSIG (Linux)
    if os.getppid() == 1:   # the parent died before the line above
        os._exit(143)


def build_all(jobs: Sequence[Job], root: Path, workers: int, progress: bool = True,
              shown: Path | None = None) -> dict[str, str]:
    """Every job, `workers` at a time in processes kept for the whole class (each imports, warms its
    caches and takes the preamble's format once); the failures by directory.  The bar shows students
    (or variants) per second and the time left.  Interrupted, every worker is stopped (its LaTeX
    with it) and waited for before the interrupt goes on."""
    from tqdm import tqdm

    unit = "student" if jobs and jobs[0].student is not None else "variant"

    failures: dict[str, str] = {}
    fork = multiprocessing.get_context("fork")  # the workers inherit the parent's imports (and tests' stand-ins)
    pool = concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=fork, initializer=_worker_start)
    try:
        with tqdm(total=len(jobs), unit=unit, file=sys.stderr, disable=not progress, dynamic_ncols=True,
                  bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} [{rate_fmt}, {remaining} left]") as bar:
            futures = {pool.submit(_attempt, job, root, shown): job for job in jobs}
            _collect(futures, failures, bar)
    except BaseException:
        with signals.held():
            _stop(pool)
        raise
    pool.shutdown(wait=True)
    return failures


def _stop(pool: concurrent.futures.ProcessPoolExecutor) -> None:
    """SIGTERM to every worker, each waited for (its LaTeX is stopped by then), then the pool shut."""
    from solver.engine.workers import stop

    stop(pool, grace=60)


def _collect(futures: dict[concurrent.futures.Future[str | None], Job], failures: dict[str, str], bar: Any) -> None:
    from tqdm import tqdm

    for done in concurrent.futures.as_completed(futures):
        job = futures[done]
        try:
            failure = done.result()
        except Exception as error:  # the worker itself died (killed, out of memory)
            failure = f"{type(error).__name__}: {error}"
        if failure is not None:
            failures[job.directory] = failure
            tqdm.write(f"error: {job.directory}: {failure}", file=sys.stderr)
        bar.update()


# ---------------------------------------------------------------- the answer key

def answer_key(jobs: Sequence[Job], root: Path, seed: int) -> tuple[str, str]:
    """answer-key.csv and answer-key.json's text, from each job's answers.json in root."""
    rows: list[dict[str, Any]] = []
    for job in jobs:
        given = json.loads((root / job.directory / "answers.json").read_text(encoding="utf-8"))
        head: dict[str, Any] = {"variant": job.label, "directory": job.directory}
        if job.student is not None:
            head.update(id=job.student[0], name=job.student[1])
        rows.append({**head, "seed": job.seed, "answers": summary.columns(given)})
    named = [c for c in ("variant", "id", "name") if rows and c in rows[0]]
    if "id" in named:
        named.remove("variant")  # a roster's variant is the student's ID
    answers = list(rows[0]["answers"]) if rows else []
    # each value printed as the shortest decimal of it at 12 significant digits (0.05, not
    # 0.04999999999999993); every cell safe from a spreadsheet's formulas (cells.safe)
    text = cells.table([*named, "seed", *answers],
                       ([*(row[c] for c in named), row["seed"], *(cells.decimal(row["answers"][a]) for a in answers)]
                        for row in rows))
    document = {"seed": seed, "columns": answers, "variants": rows}
    return text, json.dumps(document, indent=1) + "\n"


def _write(path: Path, text: str) -> None:
    store.write_atomic(path, text.encode("utf-8"))


# ---------------------------------------------------------------- the command line

def path_arg(text: str) -> Path | str:
    from solver.cli import path_arg as given

    return given(text)


def add_commands(commands: argparse._SubParsersAction, with_config: Callable[[argparse.ArgumentParser],
                 argparse.ArgumentParser]) -> None:
    many = with_config(commands.add_parser(
        "variants", help="for teaching staff: N seeded variants (or one per student), each with problems.pdf, "
                         "solutions.pdf and answers.json, and an answer key"))
    which = many.add_mutually_exclusive_group(required=True)
    which.add_argument("--n", type=int, metavar="N", help="how many numbered variants: variant-1 ... variant-N")
    which.add_argument("--roster", type=path_arg, metavar="CSV",
                       help="one variant per student: a CSV file with columns id and name; written to DIR/<id>/")
    many.add_argument("--seed", type=int, required=True, metavar="S", help="the seed all variants derive from")
    many.add_argument("--out", metavar="DIR", type=path_arg, default=Path("build/variants"),
                      help="output directory (build/variants/)")
    many.add_argument("--jobs", type=int, metavar="J", default=os.cpu_count() or 1,
                      help=f"variants built at once (default: the number of cores, {os.cpu_count()})")
    many.add_argument("--upload-names", action="store_true",
                      help="with --roster: also write <id>_solutions.pdf and <id>_problems.pdf")
    sheet = with_config(commands.add_parser("problems", help="write OUT/problems.pdf: the questions with the "
                                                             "configuration's numbers, no solutions"))
    sheet.add_argument("--out", metavar="DIR", type=path_arg, default=Path("build"), help="output directory (build/)")


def run(args: argparse.Namespace, load: Callable[[argparse.Namespace], config.Config]) -> int:
    """`variants`; a ConfigError (exit 2) for bad input, before anything is written."""
    from solver import pipeline
    from solver.engine import pdflatex, toolchain

    problems: list[str] = []
    if args.out.exists() and not args.out.is_dir():
        problems.append(f"--out {args.out}: exists and is not a directory; give a directory for the outputs")
    try:
        pipeline.source_date_epoch()
    except config.ConfigError as error:
        problems += error.problems
    if args.n is not None and not 1 <= args.n <= MAX_VARIANTS:
        problems.append(f"--n: got {args.n}, expected a whole number from 1 to {MAX_VARIANTS}")
    if args.jobs < 1:
        problems.append(f"--jobs: got {args.jobs}, expected at least 1")
    if args.seed < 0:
        problems.append(f"--seed: got {args.seed}, expected a whole number >= 0")
    if args.upload_names and args.roster is None:
        problems.append("--upload-names names the files by student ID: it needs --roster")
    try:
        cfg = load(args)
    except config.ConfigError as error:
        raise config.ConfigError(problems + error.problems) from None
    if problems:
        raise config.ConfigError(problems)
    try:
        toolchain.require()
        return _variants(args, cfg)
    except (pdflatex.LatexError, toolchain.ToolchainMissing) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        where = f" ({config.one_line(str(error.filename))})" if error.filename else ""
        print(f"error: cannot write to {config.one_line(str(args.out))}: {config.one_line(str(error.strerror or error))}"
              f"{where}", file=sys.stderr)
        return 1


def _variants(args: argparse.Namespace, cfg: config.Config) -> int:
    """Every variant built into a staging folder inside OUT, then published as one set with its
    answer key (engine/publish.publish_set): interrupted, OUT holds the old set and the old key, or
    the new set and the new key, and the message says which."""
    from solver.engine import publish

    base = cfg.resolved
    try:
        if args.roster is not None:
            jobs = for_roster(base, args.seed, read_roster(args.roster, base), args.upload_names)
        else:
            jobs = numbered(base, args.seed, args.n)
    except variants.NoVariant as error:
        raise config.ConfigError([f"{error}; the configuration's shapes, mode or q2.delta make it impossible"]) from None
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    workers = min(args.jobs, len(jobs))
    with publish.locked(out):
        publish.sweep_sets(out)   # what a killed run left: its publication finished, its staging removed
        staging = publish.staging_dir(out)
        staging.mkdir()
        try:
            print(f"building {len(jobs)} variant{'s' * (len(jobs) != 1)} into {config.one_line(str(out))} with "
                  f"{workers} process{'es' * (workers != 1)}", flush=True)
            failures = build_all(jobs, staging, workers, shown=out / FAILED)
            built = [job for job in jobs if job.directory not in failures]
            table, document = answer_key(built, staging, args.seed)
            _write(staging / KEY_CSV, table)
            _write(staging / KEY_JSON, document)
            signals.checkpoint("variants:built")
            publish.publish_set(out, staging, [*(job.directory for job in built), KEY_CSV, KEY_JSON])
            _keep_failed(out, staging, failures)
        finally:
            publish._remove(staging)
    print(f"wrote {len(built)} variant{'s' * (len(built) != 1)} and {config.one_line(str(out / KEY_CSV))} "
          f"({config.one_line(str(out / KEY_JSON))})")
    if failures:
        print(f"error: {len(failures)} of {len(jobs)} variants failed: {', '.join(failures)}; "
              "the answer key lists the others", file=sys.stderr)
        return 1
    return 0


FAILED = ".failed"   # OUT/.failed/<dir>: a failed variant's folder, kept to read its LaTeX log


def _keep_failed(out: Path, staging: Path, failures: Mapping[str, str]) -> None:
    from solver.engine import publish

    publish._remove(out / FAILED)
    for directory in failures:
        if (staging / directory).is_dir() and not (staging / directory).is_symlink():
            (out / FAILED).mkdir(exist_ok=True)
            os.replace(staging / directory, out / FAILED / directory)
