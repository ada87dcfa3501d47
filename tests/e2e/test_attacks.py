"""Links and special files planted in OUT: a build writes nothing outside OUT, never blocks,
and either refuses with one clear line (exit 1, outputs unchanged) or succeeds without
touching what the plant points at.  (Planted cache *contents* are in test_cache.py.)"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Callable

import pytest

from conftest import DEFAULT_BUILD_ARGS, requires_tex
from solver import cli

pytestmark = requires_tex

PUBLISHED = ("solutions.pdf", "solutions.tex", "answers.json", "config.toml")
SECRET = b"outside OUT: must stay exactly as it is\n"


def snapshot(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*"))
            if p.is_file() and not p.is_symlink()}


def published(out: Path) -> dict[str, bytes]:
    files = {name: (out / name).read_bytes() for name in PUBLISHED}
    files.update({f"figures/{p.name}": p.read_bytes() for p in (out / "figures").glob("*.pdf")})
    return files


def link(at: Path, to: Path) -> None:
    if at.is_dir() and not at.is_symlink():
        shutil.rmtree(at)
    else:
        at.unlink(missing_ok=True)
    at.symlink_to(to)


# (id, what to plant given (OUT, a directory outside it), refused?, text of the one error line)
Plant = Callable[[Path, Path], None]
CASES: list[tuple[str, Plant, bool, str]] = [
    ("lock-to-outside-file", lambda out, x: link(out / ".lock", x / "file"), True, ".lock is a symbolic link; remove it"),
    ("lock-to-outside-dir", lambda out, x: link(out / ".lock", x), True, ".lock is a symbolic link"),
    ("lock-is-a-fifo", lambda out, x: (out / ".lock").unlink() or os.mkfifo(out / ".lock"), True,
     ".lock is not a regular file; remove it"),
    ("lock-is-a-directory", lambda out, x: (out / ".lock").unlink() or (out / ".lock").mkdir(), True,
     ".lock is not a regular file"),
    ("work-to-outside-dir", lambda out, x: link(out / ".work", x), True, ".work is a symbolic link; remove it"),
    ("figures-to-outside-dir", lambda out, x: link(out / "figures", x), True, "figures is a symbolic link"),
    ("work-figures-to-outside-dir", lambda out, x: link(out / ".work" / "figures", x), True,
     "figures is a symbolic link"),
    ("work-cache-to-outside-dir", lambda out, x: link(out / ".work" / "cache", x), True, "cache is a symbolic link"),
    ("work-pdf-to-outside-file", lambda out, x: link(out / ".work" / "solutions.pdf", x / "file"), False, ""),
    ("work-tex-to-outside-file", lambda out, x: link(out / ".work" / "solutions.tex", x / "file"), False, ""),
    ("work-log-to-outside-file", lambda out, x: link(out / ".work" / "solutions.log", x / "file"), False, ""),
    ("work-aux-to-outside-file", lambda out, x: link(out / ".work" / "solutions.aux", x / "file"), False, ""),
    # LaTeX would wait for good at a FIFO it reads or writes, and so would a pass started ahead
    ("work-log-is-a-fifo", lambda out, x: (out / ".work" / "solutions.log").unlink() or
     os.mkfifo(out / ".work" / "solutions.log"), False, ""),
    ("work-aux-is-a-fifo", lambda out, x: (out / ".work" / "solutions.aux").unlink() or
     os.mkfifo(out / ".work" / "solutions.aux"), False, ""),
    ("work-pdf-is-a-fifo", lambda out, x: (out / ".work" / "solutions.pdf").unlink() or
     os.mkfifo(out / ".work" / "solutions.pdf"), False, ""),
    ("work-feed-is-a-directory", lambda out, x: (out / ".work" / "solutions.tex.feed").mkdir(), False, ""),
    ("work-feed-to-outside-file", lambda out, x: link(out / ".work" / "solutions.tex.feed", x / "file"), False, ""),
    ("cache-entry-to-outside-file", lambda out, x: link(out / ".work" / "cache" / "q1.results.json", x / "file"), False, ""),
    ("cache-entry-to-dev-zero", lambda out, x: link(out / ".work" / "cache" / "q2.results.json", Path("/dev/zero")), False, ""),
    ("cache-entry-to-a-fifo", lambda out, x: os.mkfifo(x / "fifo") or link(out / ".work" / "cache" / "q3.results.json",
                                                                           x / "fifo"), False, ""),
    ("figure-record-to-outside-file",
     lambda out, x: link(out / ".work" / "figures" / "q1.figures.json", x / "file"), False, ""),
    ("drawn-figure-to-outside-file",
     lambda out, x: link(out / ".work" / "figures" / "q1_saturation.pdf", x / "file"), False, ""),
    ("published-figure-to-outside-file", lambda out, x: link(out / "figures" / "q1_saturation.pdf", x / "file"), False, ""),
    ("answers-to-outside-file", lambda out, x: link(out / "answers.json", x / "file"), False, ""),
    ("pdf-to-outside-file", lambda out, x: link(out / "solutions.pdf", x / "file"), False, ""),
    ("journal-to-outside-file", lambda out, x: link(out / ".publish.json", x / "file"), False, ""),
    ("journal-is-a-fifo", lambda out, x: os.mkfifo(out / ".publish.json"), False, ""),
    ("journal-names-outside-files", lambda out, x: (out / ".publish.json").write_text(json.dumps(
        [[f"../{x.name}/file", "answers.json"], [".answers.json.tmp1", f"../{x.name}/file"],
         [str(x / "file"), "config.toml"]])), False, ""),
    ("staged-leftover-to-outside-file", lambda out, x: link(out / ".answers.json.tmp99999", x / "file"), False, ""),
]


@pytest.mark.parametrize(("plant", "refused", "line"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_planted_link_writes_nothing_outside_out(
    plant: Plant, refused: bool, line: str, copy_of_default_build: Path, tmp_path: Path, fixed_date: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = copy_of_default_build
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "file").write_bytes(SECRET)
    (outside / "q1.json").write_bytes(SECRET)
    plant(out, outside)
    before_outside, before_out = snapshot(outside), published(out) if (out / "figures").is_dir() else None

    status = cli.main(["build", "--out", str(out), *DEFAULT_BUILD_ARGS, "--set", "student.name=Mallory Attacker"])
    err = capsys.readouterr().err

    assert snapshot(outside) == before_outside, "a file outside OUT was written"
    assert "Traceback" not in err
    if refused:
        assert status == 1
        assert len(err.splitlines()) == 1 and err.startswith("error: ") and line in err, err
        if before_out is not None and not (out / "figures").is_symlink():
            assert published(out) == before_out
    else:
        assert status == 0, err
        assert b"Mallory Attacker" in (out / "solutions.tex").read_bytes()
        assert not [p for p in out.rglob("*") if ".tmp" in p.name]
        assert not (out / ".publish.json").exists()


def test_there_are_the_listed_attacks() -> None:
    assert len(CASES) >= 20 and len({c[0] for c in CASES}) == len(CASES)
