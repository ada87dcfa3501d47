"""matplotlib as the figures use it, the same on every machine: only the fonts matplotlib ships
(STIX, DejaVu, Computer Modern), and matplotlib's own defaults under `STYLE`, whatever fonts the
machine has and whatever matplotlibrc lies in the user's config or the folder a build runs from.

matplotlib's first import on a machine builds a list of every font it can find and keeps it in
its cache folder: about 1.1 s here, most of it parsing the Type 1 metrics (.afm) of the fonts
TeX Live puts in /usr/share/fonts, none of which a figure uses.  The figures' matplotlib keeps
its config and cache in the user cache instead (`MPLCONFIGDIR` = $XDG_CACHE_HOME/hw1-solver/
matplotlib, so nothing of the user's own matplotlib set-up is read or written), where an empty
font list stands in for that search; the fonts matplotlib ships are then added to it in memory
(`FontManager.addfont`, about 20 ms), every time, from the files themselves.  Nothing is read
from that folder but the list's format version.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from solver.engine import store

# matplotlib.font_manager.FontManager.__version__ of the pinned matplotlib (3.11.x): the name of
# its font list.  Only a hint for the very first import: with another matplotlib the first import
# searches the machine once, and `_bundled_only` then writes the empty list under the right name.
FONT_LIST_VERSION = "3.11.0"


def config_dir() -> Path:
    return store.user_dir() / "matplotlib"


def empty_font_list(version: str) -> dict[str, Any]:
    """A font list (matplotlib's JSON form of a FontManager) with no fonts: what a machine
    without fonts would give, so that matplotlib searches nothing."""
    return {"__class__": "FontManager", "_version": version, "_FontManager__default_weight": "normal",
            "default_size": None, "defaultFamily": {"ttf": "DejaVu Sans", "afm": "Helvetica"},
            "afmlist": [], "ttflist": []}


def _write_empty_list(directory: Path, version: str) -> None:
    """Best effort, atomic, never through a planted link."""
    try:
        store.write_atomic(directory / f"fontlist-v{version}.json", json.dumps(empty_font_list(version)).encode())
    except OSError:
        pass


def _own_config_dir() -> Path | None:
    """Before matplotlib is first imported: point it at the user cache's folder, with an empty
    font list there.  When that folder cannot be made (an unusable XDG_CACHE_HOME), a private
    temporary folder instead, returned so that `ready` removes it once matplotlib is imported:
    nothing is ever read from or written to the user's own ~/.config/matplotlib."""
    directory = config_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not directory.is_dir() or directory.is_symlink() or not os.access(directory, os.W_OK | os.X_OK):
            raise OSError(f"{directory}: not a folder of ours")
        for name in (f"fontlist-v{FONT_LIST_VERSION}.json", "matplotlibrc"):   # what matplotlib reads there
            planted = directory / name
            if planted.is_symlink() or (planted.exists() and not planted.is_file()):   # a FIFO would hang it
                shutil.rmtree(planted) if planted.is_dir() and not planted.is_symlink() else planted.unlink()
        if not (directory / f"fontlist-v{FONT_LIST_VERSION}.json").exists():
            _write_empty_list(directory, FONT_LIST_VERSION)
        temporary = None
    except OSError:
        directory = temporary = Path(tempfile.mkdtemp(prefix="hw1-solver-mpl-"))
        _write_empty_list(directory, FONT_LIST_VERSION)
    os.environ["MPLCONFIGDIR"] = str(directory)
    return temporary


def bundled_fonts() -> list[str]:
    """The TrueType fonts matplotlib ships, in a fixed order."""
    import matplotlib

    return sorted(str(path) for path in Path(matplotlib.get_data_path(), "fonts", "ttf").glob("*.ttf"))


def ready() -> None:
    """Import matplotlib's font manager holding exactly the fonts matplotlib ships (in this
    process, whoever imported matplotlib first).  Idempotent; call before drawing."""
    ours, temporary = False, None
    if "matplotlib" not in sys.modules:
        temporary = _own_config_dir()
        ours = True
    try:
        from matplotlib import font_manager

        _bundled_only(font_manager, ours)
    finally:
        if temporary is not None:   # matplotlib reads its folder only while it is imported
            shutil.rmtree(temporary, ignore_errors=True)


def _bundled_only(font_manager: Any, ours: bool) -> None:
    manager = font_manager.fontManager
    wanted = bundled_fonts()
    if getattr(manager, "_hw1_fonts", None) == wanted:
        return
    searched = ours and bool(manager.ttflist or manager.afmlist)
    manager.afmlist = []
    manager.ttflist = []
    manager.defaultFamily = dict(empty_font_list("")["defaultFamily"])
    if searched:
        # matplotlib searched the machine after all (its font list has another name than
        # FONT_LIST_VERSION): the empty list under its name for the next import, written by
        # matplotlib itself (json_dump), so that it holds whatever that version's list holds.
        name = f"fontlist-v{font_manager.FontManager.__version__}.json"
        font_manager.json_dump(manager, Path(os.environ["MPLCONFIGDIR"], name))
    for path in wanted:
        manager.addfont(path)
    font_manager.FontManager._findfont_cached.cache_clear()
    manager._hw1_fonts = wanted


def prepare() -> None:
    """Import what drawing needs: matplotlib with only the fonts it ships (`ready`)."""
    ready()
    import matplotlib.backends.backend_pdf  # noqa: F401
    import matplotlib.figure  # noqa: F401
    from matplotlib.mathtext import MathTextParser

    # matplotlib builds its mathtext grammar at the first formula a process typesets (about 0.05 s):
    # built here, once, it is shared by every drawing worker forked from this process.
    MathTextParser("path").parse("$x$")
