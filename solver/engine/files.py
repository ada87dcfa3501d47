"""The one reader of a user's files (configs, rosters, worksheets, submissions, rubrics) and of
cache entries: a regular file only (a FIFO, device, socket or directory is refused at once,
never waited on), at most a size per kind, and never through a link that leaves the folder
it was found in.  Every refusal is one line (`Refused`), naming the file as messages show it."""
from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from solver.shown import shown_path

LIMITS = {                 # bytes; each kind is a few kilobytes in practice
    "config": 1_000_000,
    "roster": 5_000_000,
    "submission": 1_000_000,
    "rubric": 1_000_000,
    "cache": 256_000_000,
}
WORDS = {"config": "a config file is a few lines of TOML", "roster": "a roster is a CSV of names",
         "submission": "a submission is a few kilobytes", "rubric": "a rubric is a few lines of TOML",
         "cache": "a cache entry"}


class Refused(OSError):
    """A file that is not read: missing, not a regular file, too large, or a link out of its folder."""

    def __init__(self, message: str, missing: bool = False) -> None:
        super().__init__(message)
        self.message, self.missing = message, missing

    def __str__(self) -> str:
        return self.message


def read(path: str | Path, kind: str, within: str | Path | None = None, follow: bool = True) -> bytes:
    """The bytes of the regular file at `path`, at most LIMITS[kind] of them.  With `within` (the
    folder the file was found in, e.g. grade's submissions), a link at `path` is followed only to
    a file inside that folder; a file named by the user themself may be a link anywhere.
    follow=False: a link at `path` is never followed (the tool's own files: cache entries, journals)."""
    limit = LIMITS[kind]
    name = shown_path(path)
    try:
        target = Path(path)
        if within is not None:
            target = _inside(target, Path(within))
        fd = os.open(target, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC
                     | (os.O_NOFOLLOW if within is not None or not follow else 0))
    except Refused:
        raise
    except FileNotFoundError:
        raise Refused(f"{name}: no such file", missing=True) from None
    except IsADirectoryError:
        raise Refused(f"{name}: is a directory, not a file") from None
    except ValueError:   # a NUL byte in the name
        raise Refused(f"{name}: not a valid file name") from None
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise Refused(f"{name}: a symbolic link, not followed") from None
        raise Refused(f"{name}: cannot read it: {error.strerror or error}") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        if stat.S_ISDIR(mode):
            raise Refused(f"{name}: is a directory, not a file")
        raise Refused(f"{name}: not a regular file (a pipe, device or socket); give the path of a file")
    with os.fdopen(fd, "rb") as handle:
        try:
            data = handle.read(limit + 1)
        except OSError as error:
            raise Refused(f"{name}: cannot read it: {error.strerror or error}") from None
    if len(data) > limit:
        raise Refused(f"{name}: larger than {limit} bytes; {WORDS[kind]}")
    return data


def _inside(path: Path, folder: Path) -> Path:
    """Where `path` really is (its links and any linked folder on the way resolved), when that is
    inside `folder`; else Refused."""
    real, home = os.path.realpath(path), os.path.realpath(folder)
    if os.path.commonpath([real, home]) != home or real == home:
        raise Refused(f"{shown_path(path)}: a symbolic link out of {shown_path(folder)}; not followed")
    return Path(real)


def text(path: str | Path, kind: str, within: str | Path | None = None) -> str:
    """`read`, decoded as UTF-8 (a byte-order mark dropped)."""
    data = read(path, kind, within)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise Refused(f"{shown_path(path)}: not UTF-8 text (byte {error.start})") from None
