"""The figures' matplotlib is the same on every machine (solver/engine/mpl.py): it holds exactly
the fonts matplotlib ships, looks for no others (no fc-list, no font file outside matplotlib's
own folder is opened), and draws under matplotlib's defaults and STYLE whatever matplotlibrc the
current folder, $MATPLOTLIBRC or the user's own MPLCONFIGDIR holds; it neither reads nor writes
the user's own matplotlib folders."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import REPO

# Run in a fresh interpreter: records what matplotlib's first import opens and runs.
PROBE = r"""
import json, os, sys
opened, ran = [], []
def audit(event, args):
    if event == "open" and isinstance(args[0], (str, bytes)):
        name = os.fsdecode(args[0])
        if name.lower().endswith((".ttf", ".otf", ".afm", ".pfb", ".ttc")):
            opened.append(name)
    elif event == "subprocess.Popen":
        ran.append(os.fsdecode(args[0]))
sys.addaudithook(audit)
from solver.questions.q3_mlp import QUESTION as Q3
from solver.engine.mpl import prepare
prepare()
import matplotlib, matplotlib.font_manager as fm
print(json.dumps({
    "data": matplotlib.get_data_path(), "cachedir": matplotlib.get_cachedir(),
    "configdir": matplotlib.get_configdir(),
    "ttf": [e.fname for e in fm.fontManager.ttflist], "afm": len(fm.fontManager.afmlist),
    "families": sorted({e.name for e in fm.fontManager.ttflist}),
    "serif": fm.findfont(fm.FontProperties(family="STIXGeneral"), fallback_to_default=False),
    "opened": opened, "ran": ran,
}))
"""


def probe(env: dict[str, str], cwd: Path = REPO) -> dict:
    run = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, cwd=cwd, timeout=300,
                         env={**os.environ, "PYTHONPATH": str(REPO), **env})
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def bundled(data: str) -> set[str]:
    return {str(path) for path in Path(data, "fonts", "ttf").glob("*.ttf")}


def test_a_first_import_searches_no_font_and_holds_exactly_matplotlibs_own(tmp_path: Path) -> None:
    xdg = tmp_path / "xdg"
    seen = probe({"XDG_CACHE_HOME": str(xdg)})
    assert seen["ran"] == []                                    # no fc-list
    data = os.path.realpath(seen["data"])   # the same folder when the venv is reached through a link
    outside = [name for name in seen["opened"] if not os.path.realpath(name).startswith(data)]
    assert outside == []                                        # no system font opened
    assert {Path(name).suffix for name in seen["opened"]} <= {".ttf"}   # no .afm parsed
    assert set(seen["ttf"]) == bundled(seen["data"]) and seen["afm"] == 0
    assert {"STIXGeneral", "DejaVu Sans", "cmr10"} <= set(seen["families"])
    assert Path(seen["serif"]).name == "STIXGeneral.ttf"
    own = xdg / "hw1-solver" / "matplotlib"
    assert Path(seen["cachedir"]) == own and Path(seen["configdir"]) == own
    assert not (xdg / "matplotlib").exists()                    # the user's own matplotlib cache untouched
    # What is kept there is the empty list (matplotlib writes its search's results there when it searches).
    [kept] = own.glob("fontlist-v*.json")
    assert json.loads(kept.read_text())["ttflist"] == []


def test_the_second_import_reads_the_same(tmp_path: Path) -> None:
    env = {"XDG_CACHE_HOME": str(tmp_path / "xdg")}
    first, second = probe(env), probe(env)
    assert second["ran"] == [] and second["ttf"] == first["ttf"] and second["serif"] == first["serif"]


def test_a_font_list_under_another_name_costs_one_search_then_none(tmp_path: Path) -> None:
    """With another matplotlib the hint FONT_LIST_VERSION is wrong: its first import searches the
    machine (as matplotlib always does), the fonts are still exactly matplotlib's own, and the
    empty list is then kept under the right name, so the next import searches nothing."""
    from solver.engine import mpl

    own = tmp_path / "xdg" / "hw1-solver" / "matplotlib"
    own.mkdir(parents=True)
    env = {"XDG_CACHE_HOME": str(tmp_path / "xdg"), "HOME": str(tmp_path / "home")}
    # The hint's file exists but the real name is missing: as if FONT_LIST_VERSION named another version.
    import matplotlib.font_manager as fm

    (own / f"fontlist-v{mpl.FONT_LIST_VERSION}.json").write_text("{}")
    real = own / f"fontlist-v{fm.FontManager.__version__}.json"
    if real.name == f"fontlist-v{mpl.FONT_LIST_VERSION}.json":
        real.write_text(json.dumps({"not": "a font list"}))   # unreadable: matplotlib searches
    searched = probe(env)
    assert set(searched["ttf"]) == bundled(searched["data"]) and searched["afm"] == 0
    assert json.loads(real.read_text())["ttflist"] == []
    again = probe(env)
    assert again["ran"] == [] and set(again["ttf"]) == bundled(again["data"])


def test_the_empty_list_is_one_matplotlib_reads_as_its_own() -> None:
    import matplotlib.font_manager as fm

    from solver.engine import mpl

    assert mpl.FONT_LIST_VERSION == fm.FontManager.__version__   # else every first build searches the machine
    assert set(mpl.empty_font_list("x")) - {"__class__"} == set(vars(fm.fontManager)) - {"_hw1_fonts"}


def test_an_unwritable_user_cache_still_gives_matplotlibs_own_fonts(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    seen = probe({"XDG_CACHE_HOME": str(blocked), "HOME": str(tmp_path / "home"),
                  "MPLCONFIGDIR": str(tmp_path / "mplconfig")})
    assert set(seen["ttf"]) == bundled(seen["data"]) and seen["afm"] == 0
    assert Path(seen["serif"]).name == "STIXGeneral.ttf"


DRAW = r"""
import sys
from pathlib import Path
from solver import config
from solver.figures import styled
from solver.questions.q3_mlp import figures as q3
from solver.questions.q3_mlp import QUESTION as Q3
with styled(Q3.figure_size("loss")):
    q3.loss(Q3.solve(config.load()), Path(sys.argv[1]))
"""


def draw_q3(out: Path, cwd: Path, env: dict[str, str]) -> bytes:
    out.mkdir()
    run = subprocess.run([sys.executable, "-c", DRAW, str(out)], capture_output=True, text=True, cwd=cwd,
                         timeout=300, env={**os.environ, "PYTHONPATH": str(REPO), **env})
    assert run.returncode == 0, run.stderr
    return (out / "q3_loss.pdf").read_bytes()


def test_no_matplotlibrc_changes_a_figure(tmp_path: Path) -> None:
    """A matplotlibrc in the folder the build runs from, named by $MATPLOTLIBRC or in the user's
    MPLCONFIGDIR would otherwise restyle the figures (and the user cache would keep them as
    drawn for their inputs alone)."""
    rc = "axes.facecolor: red\nlines.linewidth: 7\nfont.size: 20\naxes.prop_cycle: cycler('color', ['m', 'y'])\n"
    plain = tmp_path / "plain"
    plain.mkdir()
    styled = tmp_path / "styled"
    (styled / "config").mkdir(parents=True)
    (styled / "matplotlibrc").write_text(rc)
    (styled / "config" / "matplotlibrc").write_text(rc)
    (styled / "named.rc").write_text(rc)
    clean = draw_q3(tmp_path / "a", plain, {"XDG_CACHE_HOME": str(tmp_path / "x")})
    for name, env in (("cwd", {}), ("env", {"MATPLOTLIBRC": str(styled / "named.rc")}),
                      ("config", {"MPLCONFIGDIR": str(styled / "config")})):
        drawn = draw_q3(tmp_path / name, styled if name == "cwd" else plain,
                        {"XDG_CACHE_HOME": str(tmp_path / "x"), **env})
        assert drawn == clean, name
    assert sorted(path.name for path in (styled / "config").iterdir()) == ["matplotlibrc"]   # nothing written there
