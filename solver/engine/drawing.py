"""Every figure a build includes: reused while its question's inputs are unchanged, else drawn
in worker processes while the build goes on (LaTeX included: solver/engine/pdflatex.py holds it at
each figure still being drawn).

A question's figures are its `figure_parts`, each drawn by `<figures module>.<part>(result,
directory)` into `<id>_<part>.pdf`, so their paths are known before any is drawn.  Per question,
OUT/.work/figures/<id>.figures.json records the files drawn for its key with their sha256; the
user cache keeps the same record and the files by content (another output directory reuses them).
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import multiprocessing
import os
import shutil
import tempfile
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from importlib import import_module
from pathlib import Path
from typing import Any, Iterator, Sequence

from solver.engine import publish, store
from solver.engine.workers import _CALLS, _call, _kill, _worker_init, cpus
from solver.engine.mpl import prepare
from solver.figures import styled
from solver.questions import QUESTIONS, Question, Solutions


def paths_of(questions: Sequence[Question], directory: Path) -> dict[str, Path]:
    """Every figure's name and path, drawn or not."""
    return {name: directory / f"{name}.pdf" for q in questions for name in q.figure_names}


def tex_paths(questions: Sequence[Question]) -> dict[str, str]:
    """Every figure's path as the document includes it (`fig` in the templates), from OUT/.work."""
    return {name: f"figures/{path.name}" for name, path in paths_of(questions, Path("figures")).items()}


def to_draw(directory: Path, keys: dict[str, str], questions: Sequence[Question]) -> list[Question]:
    """The questions whose figures neither `directory` nor the user cache holds (reads only)."""
    return [q for q in questions if not _kept(q, directory, keys[q.id])
            and not isinstance(store.load(store.entry("figures", q.id, keys[q.id]), keys[q.id]), dict)]


def _forkable() -> bool:
    return cpus() >= 2 and "fork" in multiprocessing.get_all_start_methods()


def start(solutions: Solutions, directory: Path, keys: dict[str, str],
          questions: Sequence[Question] = QUESTIONS, warm: Warm | None = None) -> Drawing:
    """The figures of `questions`: those whose key is unchanged since the last build into
    `directory`, or in the user cache, are in place when this returns; the others are being
    drawn (`Drawing.pending`), in worker processes: `warm`'s if given, else forked now."""
    directory.mkdir(parents=True, exist_ok=True)
    missing = []
    for q in questions:
        if _kept(q, directory, keys[q.id]):
            continue
        drawn = _from_user_cache(q, directory, keys[q.id])
        if drawn is None:
            missing.append(q)
        else:
            store.store(directory / f"{q.id}.figures.json", keys[q.id], _record(drawn))
    return Drawing(solutions, directory, keys, questions, missing, warm)


_WARM_QUESTIONS: list[Question] = []   # the questions a warm pool's workers were forked with


class Warm:
    """Drawing workers forked before the figures are due, so that they have matplotlib when the
    build wants them: on a rebuild, forked before solving, they import it (about 0.6 s) while the
    build solves and renders; on a first build, forked (`start`) once the build has imported it, they
    draw each question's figures as soon as it is solved (`draw`), while the others still are.  A
    job names its question, part and cache key, and the worker reads the solved result from the
    user cache (SymPy expressions left encoded: drawing needs only numbers)."""

    def __init__(self, questions: Sequence[Question], workers: int, drawable: Sequence[Question] = (),
                 start: bool = True) -> None:
        self.questions = tuple(questions)
        self.workers = workers
        self.drawable = {q.id for q in drawable}   # the questions whose figures the build will draw
        self.pool: ProcessPoolExecutor | None = None
        self.early: dict[str, tuple[str, Future[Path]]] = {}   # figure name -> (key, its drawing)
        self.scratch: Path | None = None
        if start:
            self.start()

    def start(self) -> None:
        """Fork the workers now (they start with this process's imports)."""
        if self.pool is None:
            _WARM_QUESTIONS[:] = self.questions
            self.pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("fork"),
                                            initializer=_warm_worker_init)
            self.pool.submit(int)   # forks the workers now

    def draw(self, q: Question, key: str) -> None:
        """Start drawing `q`'s figures now, from its result under `key` in the user cache, into a
        folder of this build's own (it does not hold OUT's lock yet): `Drawing` moves each into
        place as it lands.  Nothing for a question whose figures the build will not draw."""
        if q.id not in self.drawable or q not in self.questions:
            return
        if self.scratch is None:
            try:
                self.scratch = Path(tempfile.mkdtemp(prefix="hw1-solver-figures-"))
            except OSError:
                return   # no temporary folder: drawn later, in place, as on a rebuild
        self.start()
        assert self.pool is not None
        index = self.questions.index(q)
        for part in q.figure_parts:
            self.early[f"{q.id}_{part}"] = (key, self.pool.submit(_draw_from_user_cache, index, part, key,
                                                                   self.scratch))

    def close(self) -> None:
        """Stop the workers (if still running) and remove what they drew that was not taken."""
        if self.pool is not None:
            _kill(self.pool, [])
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)


def warm(directory: Path, keys: dict[str, str], questions: Sequence[Question], start: bool = True) -> Warm | None:
    """A pool for the figures this build will draw, or None (nothing to draw, one CPU, no fork);
    its workers forked now, or only at `Warm.start` (start=False)."""
    drawable = to_draw(directory, keys, questions)
    jobs = sum(len(q.figure_parts) for q in drawable)
    if not jobs or not _forkable():
        return None
    return Warm(questions, min(jobs, cpus()), drawable, start)


def _warm_worker_init() -> None:
    _worker_init()
    prepare()


def _draw_from_user_cache(index: int, part: str, key: str, directory: Path) -> Path:
    q = _WARM_QUESTIONS[index]
    result = store.load(store.entry("results", q.id, key), key, lazy=True)
    if result is None:
        raise RuntimeError(f"{q.id}: its result is not in the user cache under {key[:12]}")
    return _run_job(q, part, result, directory)


def draw_all(solutions: Solutions, directory: Path, keys: dict[str, str],
             questions: Sequence[Question] = QUESTIONS) -> dict[str, Path]:
    """Every figure, drawn or reused, in place when this returns: name -> path."""
    drawing = start(solutions, directory, keys, questions)
    try:
        return drawing.finish()
    except BaseException:
        drawing.abort()
        raise


class Drawing:
    """The figures of one build, some perhaps still being drawn."""

    def __init__(self, solutions: Solutions, directory: Path, keys: dict[str, str],
                 questions: Sequence[Question], missing: Sequence[Question], warm: Warm | None = None) -> None:
        self.paths = paths_of(questions, directory)
        self.pending = {name for q in missing for name in q.figure_names}
        self._sizes = {f"{q.id}_{part}": q.figure_size(part) for q in missing for part in q.figure_parts}
        self._directory, self._keys, self._missing = directory, keys, list(missing)
        for name in self.pending:   # drawn for other inputs: never read again (a stub may stand in, `stub`)
            with contextlib.suppress(OSError):
                self.paths[name].unlink()
        self._futures: dict[Future[Path], str] = {}
        self._pool: ProcessPoolExecutor | None = None
        jobs = [functools.partial(_run_job, q, part, solutions[q.id], directory)
                for q in missing for part in q.figure_parts]
        if warm is not None and warm.pool is not None:
            if jobs and all(q in warm.questions and _exists(store.entry("results", q.id, keys[q.id])) for q in missing):
                self._pool = warm.pool
                for q in missing:
                    for part in q.figure_parts:
                        name = f"{q.id}_{part}"
                        key, future = warm.early.get(name, (None, None))
                        if key == keys[q.id]:   # drawn early: taken (moved into place as it lands)
                            del warm.early[name]
                        else:                   # drawn now, in place
                            future = warm.pool.submit(_draw_from_user_cache, warm.questions.index(q), part,
                                                      keys[q.id], directory)
                        self._futures[future] = name
                for _, unwanted in warm.early.values():   # for other inputs, or figures kept: not drawn
                    unwanted.cancel()
                return
            warm.close()   # nothing to draw after all, or a result the workers cannot read: as without it
        if not jobs:
            return
        # Even one job goes to a worker: matplotlib's import (about 0.4 s, when this process
        # has not made it) and the drawing then overlap this process's rendering and LaTeX.
        if not _forkable():
            for job in jobs:   # one CPU, or no fork: here, now
                job()
            self.pending.clear()
            return
        _CALLS[:] = jobs   # the workers are forked at the first submit, with these
        self._pool = ProcessPoolExecutor(min(len(jobs), cpus()), mp_context=multiprocessing.get_context("fork"),
                                         initializer=_worker_init)
        try:
            self._futures = {self._pool.submit(_call, i): f"{job.args[0].id}_{job.args[1]}"
                             for i, job in enumerate(jobs)}
        except BaseException:
            self.abort()
            raise

    def stub(self) -> bool:
        """A blank page of its declared size (`Question.figure_size`) in place of each figure still being
        drawn, so that LaTeX's first pass of a new directory, which needs only the figures' sizes,
        lays the pages out without waiting (solver/engine/pdflatex.py); the figure replaces its stub when it
        lands, and a figure that has landed is never replaced by one.  True when every figure still
        pending has a file of its declared size in place."""
        for name in self.pending:
            try:
                _stub(self.paths[name], self._sizes[name])
            except FileExistsError:
                continue   # landed meanwhile (or its stub is there already)
            except (KeyError, OSError):
                return False
        return True

    def completed(self) -> Iterator[str]:
        """The name of each figure still pending, as its file lands; a failed drawing raises."""
        while self._futures:
            done, _ = wait(self._futures, return_when=FIRST_COMPLETED)
            for future in done:
                name = self._futures.pop(future)
                path = future.result()
                if path.parent != self._directory:   # drawn early, in the first build's own folder
                    _move_into(path, self._directory)
                self.pending.discard(name)
                yield name

    def finish(self) -> dict[str, Path]:
        """Waits for every figure, records what was drawn (here and in the user cache) and
        returns name -> path."""
        for _ in self.completed():
            pass
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
            _CALLS.clear()
            _WARM_QUESTIONS.clear()
        for q in self._missing:
            drawn = {name: self.paths[name] for name in q.figure_names}
            record = _record(drawn)
            store.store(self._directory / f"{q.id}.figures.json", self._keys[q.id], record)
            _to_user_cache(q, drawn, record, self._keys[q.id])
        self._missing = []
        return self.paths

    def abort(self) -> None:
        """Stops the workers now and removes what they were writing."""
        if self._pool is not None:
            _kill(self._pool, [self._directory])
            self._pool = None
            _CALLS.clear()
            _WARM_QUESTIONS.clear()
        self._futures = {}


def stub_pdf(size: tuple[float, float]) -> bytes:
    """A one-page PDF with nothing on it, `size` inches large: its MediaBox is written as
    matplotlib writes a figure's (72 points an inch), so LaTeX reads the same size from both."""
    box = " ".join(_pdf_number(x * 72) for x in size)
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {box}] /Resources << >> >>".encode()]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _pdf_number(x: float) -> str:
    """As matplotlib's PDF backend writes a real number (backend_pdf.pdfRepr): ten decimals at most."""
    return f"{x:.10f}".rstrip("0").rstrip(".")


def _stub(path: Path, size: tuple[float, float]) -> None:
    """`stub_pdf(size)` at `path` unless a file is there (FileExistsError): written beside it and
    linked into place, which never replaces a figure that landed meanwhile."""
    tmp = path.with_name(f".{path.name}.stub.tmp{os.getpid()}")   # swept as any .*.tmp* if this process dies
    try:
        publish.write_new(tmp, stub_pdf(size))
        os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _move_into(path: Path, directory: Path) -> None:
    """`path` as directory/<its name>, atomically and never through a link planted there."""
    tmp = directory / f".{path.name}.tmp{os.getpid()}"
    try:
        publish.write_new(tmp, path.read_bytes())
        os.replace(tmp, directory / path.name)
    finally:
        tmp.unlink(missing_ok=True)
    path.unlink(missing_ok=True)


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:
        return False


def _run_job(q: Question, part: str, result: Any, directory: Path) -> Path:
    with styled(q.figure_size(part)):
        path = getattr(import_module(q.figures), part)(result, directory)
    if path != directory / f"{q.id}_{part}.pdf":
        raise RuntimeError(f"{q.figures}.{part} wrote {path}, not {directory / f'{q.id}_{part}.pdf'}")
    return path


def _kept(q: Question, directory: Path, wanted: str) -> bool:
    """Whether `directory` holds the question's figures as drawn for key `wanted`: its record
    (name -> [file, sha256]) is there and every file is intact."""
    return _intact(store.load(directory / f"{q.id}.figures.json", wanted), directory, q)


def _intact(recorded: Any, directory: Path, q: Question) -> bool:
    return (isinstance(recorded, dict) and set(recorded) == set(q.figure_names) and all(
        isinstance(v, list) and len(v) == 2 and v[0] == f"{name}.pdf" and _digest(directory / v[0]) == v[1]
        for name, v in recorded.items()))


def _record(drawn: dict[str, Path]) -> dict[str, list[str | None]]:
    return {name: [path.name, _digest(path)] for name, path in drawn.items()}


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(store.read_regular(path)).hexdigest()  # never through a planted link
    except OSError:
        return None


def _user_file(digest: str) -> Path:
    return store.user_dir() / "figures" / f"{digest}.pdf"   # content-addressed: a name can only hold its bytes


def _from_user_cache(q: Question, directory: Path, wanted: str) -> dict[str, Path] | None:
    """The question's figures as another output directory drew them for the same inputs and
    code, copied into `directory`; None unless every file is there with its recorded hash."""
    recorded = store.load(store.entry("figures", q.id, wanted), wanted)
    if not isinstance(recorded, dict) or set(recorded) != set(q.figure_names):
        return None
    try:
        data = {}
        for name, (file, digest) in recorded.items():
            if not (file == f"{name}.pdf" and isinstance(digest, str)):
                return None
            data[name] = (file, _user_file(digest).read_bytes())
            if hashlib.sha256(data[name][1]).hexdigest() != digest:
                return None
        drawn = {}
        for name, (file, payload) in data.items():
            tmp = directory / f".{file}.tmp{os.getpid()}"
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
                with os.fdopen(fd, "wb") as handle:
                    handle.write(payload)
                os.replace(tmp, directory / file)
            finally:
                tmp.unlink(missing_ok=True)
            drawn[name] = directory / file
        return drawn
    except (OSError, ValueError, TypeError):
        return None


def _to_user_cache(q: Question, drawn: dict[str, Path], record: dict[str, list], wanted: str) -> None:
    """Best effort: an unwritable user cache only costs time."""
    try:
        for name, path in drawn.items():
            target = _user_file(record[name][1])
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                tmp = target.with_name(f".{target.name}.tmp{os.getpid()}")
                try:
                    tmp.write_bytes(path.read_bytes())
                    os.replace(tmp, target)
                finally:
                    tmp.unlink(missing_ok=True)
    except OSError:
        return
    store.store(store.entry("figures", q.id, wanted), wanted, record)
