"""Every figure a build includes: reused while its question's inputs are unchanged, else drawn
by the build's worker pool (solver/engine/workers.py) while the build goes on, LaTeX included
(solver/engine/pdflatex.py holds it at each figure still being drawn).

A question's figures are its `figure_parts`, each drawn by `<figures module>.<part>(result,
directory)` into `<id>_<part>.pdf`, so their paths are known before any is drawn; a submission
build draws only those its edition includes (`Question.figure_parts_of`).  Per question,
OUT/.work/figures/<id>.figures.json records the files drawn for its key with their sha256; the
user cache keeps the same record and the files by content (another output directory reuses them).
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import re
from concurrent.futures import FIRST_COMPLETED, Future, wait
from importlib import import_module
from pathlib import Path
from typing import Any, Iterator, Sequence

from solver.engine import publish, store
from solver.engine.workers import Pool
from solver.figures import styled
from solver.question import Question


def paths_of(questions: Sequence[Question], directory: Path, study: bool = True) -> dict[str, Path]:
    """Every figure's name and path, drawn or not (of one edition: `study` False leaves the study's own out)."""
    return {name: directory / f"{name}.pdf" for q in questions for name in q.figure_names_of(study)}


def tex_paths(questions: Sequence[Question]) -> dict[str, str]:
    """Every figure's path as the document includes it (`fig` in the templates), from OUT/.work."""
    return {name: f"figures/{path.name}" for name, path in paths_of(questions, Path("figures")).items()}


def to_draw(directory: Path, keys: dict[str, str], questions: Sequence[Question], study: bool = True) -> list[Question]:
    """The questions with figures to draw for the edition, held neither by `directory` nor by the user cache
    (reads only)."""
    return [q for q in questions if q.figure_names_of(study) and not _kept(q, directory, keys[q.id], study)
            and _user_record(q, keys[q.id], study) is None]


class Drawing:
    """The figures of one build, some perhaps still being drawn by `pool`'s workers: `start` (under
    OUT's lock) puts every figure in place or in hand, kept from the last build, copied from the user
    cache, or being drawn; LaTeX then runs while the `pending` ones are drawn."""

    def __init__(self, pool: Pool, questions: Sequence[Question], directory: Path, keys: dict[str, str],
                 study: bool = True) -> None:
        self.pool, self.questions, self.keys, self.study = pool, tuple(questions), keys, study
        self.directory = directory
        self.paths = paths_of(questions, directory, study)
        self.pending: set[str] = set()
        self._futures: dict[Future[Path], str] = {}
        self._missing: list[Question] = []
        self._sizes: dict[str, tuple[float, float]] = {}

    def start(self, solutions: Any) -> Drawing:
        """Every figure in place, or being drawn (`pending`): reused while its key is unchanged since
        the last build into `directory` or found in the user cache, else drawn."""
        self.directory.mkdir(parents=True, exist_ok=True)
        for q in self.questions:
            if not q.figure_names_of(self.study) or _kept(q, self.directory, self.keys[q.id], self.study):
                continue
            drawn = _from_user_cache(q, self.directory, self.keys[q.id], self.study)
            if drawn is None:
                self._missing.append(q)
            else:
                store.store(self.directory / f"{q.id}.figures.json", self.keys[q.id], _record(drawn))
        for q in self._missing:
            for part in q.figure_parts_of(self.study):
                name = f"{q.id}_{part}"
                self.pending.add(name)
                self._sizes[name] = q.figure_size(part)
                with contextlib.suppress(OSError):   # drawn for other inputs: never read again
                    self.paths[name].unlink()
                self._futures[self.pool.submit(draw_part, q, part, solutions[q.id], self.directory)] = name
        return self

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
                future.result()
                self.pending.discard(name)
                yield name

    def finish(self) -> dict[str, Path]:
        """Waits for every figure, records what was drawn (here and in the user cache) and
        returns name -> path."""
        for _ in self.completed():
            pass
        for q in self._missing:
            drawn = {name: self.paths[name] for name in q.figure_names_of(self.study)}
            record = _record(drawn)
            store.store(self.directory / f"{q.id}.figures.json", self.keys[q.id], record)
            _to_user_cache(q, drawn, record, self.keys[q.id])
        self._missing = []
        return self.paths

    def abort(self) -> None:
        """Stops the workers now and removes what they were writing."""
        self.pool.kill([self.directory])
        self._futures = {}


def draw_all(solutions: Any, directory: Path, keys: dict[str, str], questions: Sequence[Question]) -> dict[str, Path]:
    """Every figure, drawn or reused, in place when this returns: name -> path."""
    with Pool() as pool:
        drawing = Drawing(pool, questions, directory, keys).start(solutions)
        try:
            return drawing.finish()
        except BaseException:
            drawing.abort()
            raise


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


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:
        return False


def draw_part(q: Question, part: str, result: Any, directory: Path) -> Path:
    """Figure `part` of `q`, drawn from its result into directory/<id>_<part>.pdf (a worker's job)."""
    with styled(q.figure_size(part)):
        path = getattr(import_module(q.figures), part)(result, directory)
    if path != directory / f"{q.id}_{part}.pdf":
        raise RuntimeError(f"{q.figures}.{part} wrote {path}, not {directory / f'{q.id}_{part}.pdf'}")
    return path


def _kept(q: Question, directory: Path, wanted: str, study: bool) -> bool:
    """Whether `directory` holds the question's figures of the edition as drawn for key `wanted`: its
    record (name -> [file, sha256]) is there and names them, and each of their files is intact."""
    return _intact(store.load(directory / f"{q.id}.figures.json", wanted), directory, q.figure_names_of(study))


def _intact(recorded: Any, directory: Path, names: Sequence[str]) -> bool:
    return isinstance(recorded, dict) and all(
        isinstance(v := recorded.get(name), list) and len(v) == 2 and v[0] == f"{name}.pdf"
        and _digest(directory / v[0]) == v[1] for name in names)


def _record(drawn: dict[str, Path]) -> dict[str, list[str | None]]:
    return {name: [path.name, _digest(path)] for name, path in drawn.items()}


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(store.read_regular(path)).hexdigest()  # never through a planted link
    except OSError:
        return None


def _user_file(digest: str) -> Path:
    return store.user_dir() / "figures" / f"{digest}.pdf"   # content-addressed: a name can only hold its bytes


def _user_record(q: Question, wanted: str, study: bool) -> dict[str, Any] | None:
    """The user cache's record of the question's figures drawn for key `wanted`, if it names every figure
    of the edition (a study build's record serves a submission build too)."""
    recorded = store.load(store.entry("figures", q.id, wanted), wanted)
    return recorded if isinstance(recorded, dict) and set(q.figure_names_of(study)) <= set(recorded) else None


def _from_user_cache(q: Question, directory: Path, wanted: str, study: bool) -> dict[str, Path] | None:
    """The question's figures of the edition as another output directory drew them for the same inputs
    and code, copied into `directory`; None unless every file is there with its recorded hash."""
    recorded = _user_record(q, wanted, study)
    if recorded is None:
        return None
    names = q.figure_names_of(study)
    try:
        data = {}
        for name, (file, digest) in ((name, recorded[name]) for name in names):
            if not (file == f"{name}.pdf" and isinstance(digest, str) and re.fullmatch(r"[0-9a-f]{64}", digest)):
                return None
            data[name] = (file, store.read_regular(_user_file(digest)))   # never a FIFO or link planted there
            if hashlib.sha256(data[name][1]).hexdigest() != digest:
                return None
        drawn = {}
        for name, (file, payload) in data.items():
            store.write_atomic(directory / file, payload)
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
                store.write_atomic(target, path.read_bytes())
    except OSError:
        return
    store.store(store.entry("figures", q.id, wanted), wanted, record)
