"""A precompiled preamble: the part of a document above `\\csname endofdump\\endcsname` dumped
once into a pdflatex format file, so that every pass starts from it instead of loading the
packages again (about half of a pass here).

The format is named by a key over the preamble's text, the TeX installation (the pdflatex binary
and its own format file) and the solver's code.  It is dumped in the document's folder, where
pdflatex finds it with `-fmt=NAME`, and kept in the user cache (`formats/`), from which another
folder takes it by a hard link (or a copy).  Dumped with it is a `\\documentclass` that skips
the document's own copy of the preamble, up to the marker; compiled without the format, the
marker is a `\\relax` and the document loads its packages as usual.  Each format has its sha256
beside it: a damaged or foreign file is built again, never an error, and a pass that fails with
the format is run again without it (solver/engine/pdflatex.py).
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import re
import shutil
import subprocess
import zlib
from pathlib import Path
from typing import Callable

from solver.engine import store

MARKER = "\\csname endofdump\\endcsname"
# What the format adds to the preamble: a \documentclass that skips the document's own preamble.
DUMP = "\\long\\def\\documentclass#1" + MARKER + "{}\n\\dump\n"


def preamble(tex_text: str) -> str | None:
    """The text above the marker, or None for a document without one."""
    head, found, _ = tex_text.partition(MARKER)
    return head if found else None


@functools.lru_cache(maxsize=1)
def installation() -> str:
    """The TeX installation: the pdflatex binary (its real path, size and time) and the format
    file of pdflatex itself (size and time), which a TeX update rebuilds.  Where that file is,
    kpsewhich says once per user cache for the same binary."""
    binary = shutil.which("pdflatex") or "pdflatex"
    try:
        info = os.stat(binary)
        stamp = f"{os.path.realpath(binary)} {info.st_size} {info.st_mtime_ns}"
    except OSError:
        return binary
    path = store.user_dir() / "formats" / "installation.json"
    wanted = store.key("tex installation", stamp)
    system_fmt = store.load(path, wanted)
    if not isinstance(system_fmt, str):
        try:
            system_fmt = subprocess.run(["kpsewhich", "-engine=pdftex", "pdflatex.fmt"], capture_output=True,
                                        text=True, timeout=30).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return stamp
        store.store(path, wanted, system_fmt)
    try:
        fmt = os.stat(system_fmt)
        return f"{stamp}\0{system_fmt} {fmt.st_size} {fmt.st_mtime_ns}"
    except OSError:
        return f"{stamp}\0no pdflatex.fmt"


def name(head: str) -> str:
    """The format's name (its file is NAME.fmt) for the preamble `head`."""
    return "preamble-" + store.key("pdflatex format", head, installation())[:20]


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(store.read_regular(path)).hexdigest()
    except OSError:
        return None


def identity(path: Path) -> list[int] | None:
    try:
        info = os.stat(path, follow_symlinks=False)
    except OSError:
        return None
    return [info.st_ino, info.st_size, info.st_mtime_ns]


def intact(fmt: Path) -> bool:
    """Whether `fmt` has the digest recorded beside it: checked in full (15 ms) unless the file is
    the very one the digest was taken of (the same inode, size and time)."""
    recorded = store.load(fmt.with_suffix(".json"), fmt.stem)
    if not isinstance(recorded, dict):
        return False
    here = identity(fmt)
    if here is not None and recorded.get("stat") == here:
        return True
    return recorded.get("sha256") == _digest(fmt)


def _keep_inflated(fmt: Path) -> bool:
    """The format pdflatex just dumped, kept inflated, and its digest recorded beside it; False when
    there is none.  pdflatex writes it gzipped; inflated (18 MB instead of 6.8 MB) it loads in
    0.02-0.03 s instead of 0.08-0.09 s at every pass, and pdflatex reads either.  One that cannot
    be inflated is kept as dumped."""
    try:
        data = store.read_regular(fmt)
    except OSError:
        return False
    if data[:2] == b"\x1f\x8b":
        with contextlib.suppress(OSError, zlib.error):
            inflated = zlib.decompress(data, wbits=31)   # the gzip wrapper
            store.write_atomic(fmt, inflated)
            data = inflated
    _record(fmt, hashlib.sha256(data).hexdigest())
    return True


def _record(fmt: Path, digest: str) -> None:
    """Beside `fmt`: the sha256 of its bytes, and its identity (`intact`)."""
    store.store(fmt.with_suffix(".json"), fmt.stem, {"sha256": digest, "stat": identity(fmt)})


def _place(source: Path, target: Path) -> None:
    """`source` at `target` (and its digest beside it), by a hard link where they share a file system."""
    for suffix in (".json", ".fmt"):
        tmp = target.with_name(f".{target.stem}{suffix}.tmp{os.getpid()}")
        tmp.unlink(missing_ok=True)
        try:
            os.link(source.with_suffix(suffix), tmp)
        except OSError:
            shutil.copyfile(source.with_suffix(suffix), tmp)
        os.replace(tmp, target.with_suffix(suffix))


def ready(folder: Path, head: str, build: Callable[[Path, str, Path], None], rebuild: bool = False) -> str | None:
    """The name of an intact format of `head` in `folder`: there already, else from the user
    cache, else built there by `build(folder, name, source)` (a pdflatex -ini run, in the same
    sandbox as the passes) and kept in the user cache too; None when LaTeX cannot dump it."""
    fmt_name = name(head)
    local = folder / f"{fmt_name}.fmt"
    cached = store.user_dir() / "formats" / f"{fmt_name}.fmt"
    if not rebuild:
        if intact(local):
            return fmt_name
        with contextlib.suppress(OSError):
            if intact(cached):
                _place(cached, local)
                return fmt_name
    forget(folder, fmt_name, cache=rebuild)
    source = folder / f"{fmt_name}.tex"
    source.write_text(head + DUMP, encoding="utf-8")
    try:
        build(folder, fmt_name, source)
    except RuntimeError:   # LaTeX refused the preamble or ran out of time: the passes load it themselves
        return None
    finally:
        for suffix in (".tex", ".fls"):
            source.with_suffix(suffix).unlink(missing_ok=True)
    if not _keep_inflated(local):
        return None
    with contextlib.suppress(OSError):   # an unwritable user cache costs the next directory a dump
        cached.parent.mkdir(parents=True, exist_ok=True)
        _place(local, cached)
    return fmt_name if intact(local) else None


PRELOADED = re.compile(rb"\(preloaded format=(preamble-[0-9a-f]{20})[ )]")


def last_used(tex: Path) -> str | None:
    """The name of the format the last pass over `tex` started from, as the first line of its log
    says; None without a log or a format of ours named there.  Only a guess at the next pass's:
    pdflatex.Ahead is fed only if the compile picks the same one."""
    try:
        found = PRELOADED.search(store.read_regular(tex.with_suffix(".log"))[:400])
    except OSError:
        return None
    return found.group(1).decode("ascii") if found else None


def forget(folder: Path, fmt_name: str, cache: bool = True) -> None:
    """Drop the format `fmt_name` here, and in the user cache too unless `cache` is False."""
    for directory in (folder, store.user_dir() / "formats") if cache else (folder,):
        for suffix in (".fmt", ".json"):
            (directory / f"{fmt_name}{suffix}").unlink(missing_ok=True)
