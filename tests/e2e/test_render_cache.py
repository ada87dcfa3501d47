"""The render cache decides correctly: a question's fragment of solutions.tex is rendered again
exactly when something it reads changed (its numbers, the decimals, a template, a figure path),
never for a name change, and a damaged or planted entry is ignored.  Every document is compared
with the reference: solutions.tex.j2 rendered in one go, each question's template included, no
cache involved (what the build did before the cache)."""
from __future__ import annotations

import json
import os
import pickle
import shutil
from pathlib import Path
from typing import Callable

import pytest

from conftest import requires_tex
from solver import pipeline as build, cli, config, latex, render, summary
from solver.engine import store as cache
from solver.questions import QUESTIONS

FIG = {name: f"figures/{name}.pdf" for name in ("q1_saturation", "q1_landscape", "q1_training", "q2_huber", "q3_loss")}
SESSION_XDG = os.environ["XDG_CACHE_HOME"]   # the session's user cache (conftest)
TEMPLATES = [q.template for q in QUESTIONS]
SUMMARY = "summary.tex.j2"   # the answer summary, rendered alone and kept as the fragments are


_RESULTS: dict[tuple[str, str], object] = {}


def _solved(cfg: config.Config) -> dict:
    """Each question solved once per set of its inputs in this module, outside the caches: the session's
    user cache stays as the other tests expect it (only the derivations' memo is read from it)."""
    keys = build.keys_of(cfg)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", SESSION_XDG)
        for q in QUESTIONS:
            if (q.id, keys[q.id]) not in _RESULTS:
                _RESULTS[q.id, keys[q.id]] = q.solve(cfg)
    return {q.id: _RESULTS[q.id, keys[q.id]] for q in QUESTIONS}


def _reference(cfg: config.Config, fig: dict[str, str] = FIG, search: list[Path] | None = None) -> str:
    solutions = _solved(cfg)
    env = latex.make_environment(cfg.report.decimals, search or [])
    return env.get_template("solutions.tex.j2").render(
        cfg=cfg, questions=QUESTIONS, s=solutions, fig=fig, about=build.about(cfg), study=cfg.report.study,
        summary=summary.entries(solutions, QUESTIONS, cfg.report.study, cfg.report.decimals))


def _document(directory: Path, cfg: config.Config, fig: dict[str, str] = FIG, search: list[Path] | None = None) -> str:
    return render.solutions(cfg, directory, build.keys_of(cfg), _solved(cfg), fig, build.about(cfg), QUESTIONS,
                            search or [])


@pytest.fixture
def rendered(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fixed_date: str) -> list[str]:
    """The templates rendered (each compiled afresh) by the code under test, with a user cache of its own."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    seen: list[str] = []
    real = latex.render

    def recording(template: str, *args: object, **kwargs: object) -> str:
        seen.append(template)
        return real(template, *args, **kwargs)

    monkeypatch.setattr(latex, "render", recording)
    return seen


def test_a_changed_question_renders_exactly_its_fragment_and_a_name_change_none(
        rendered: list[str], tmp_path: Path) -> None:
    out = tmp_path / "out" / "cache"
    cfg = config.load(None, ["student.name=Ada"])
    assert _document(out, cfg) == _reference(cfg)
    assert rendered == [*TEMPLATES, SUMMARY, "solutions.tex.j2"]

    # The answer summary quotes every question's results: rendered again whenever one changes.
    for change, again in ((["student.name=Bea", "student.id=12345"], []),
                          (["student.name=Bea", "q2.delta=0.75"], ["q2/solution.tex.j2", SUMMARY]),
                          (["student.name=Bea", "q2.delta=0.75", "q3.mode=batch"], ["q3/solution.tex.j2", SUMMARY]),
                          (["student.name=Cy"], [])):          # the first numbers again: the user cache has them
        rendered.clear()
        cfg = config.load(None, change)
        assert _document(out, cfg) == _reference(cfg)
        assert rendered == [*again, "solutions.tex.j2"], change


def test_another_directory_with_the_same_numbers_takes_the_fragments_from_the_user_cache(
        rendered: list[str], tmp_path: Path) -> None:
    cfg = config.load(None, ["q3.learning_rate=0.1"])
    _document(tmp_path / "one", cfg)
    rendered.clear()
    assert _document(tmp_path / "two", cfg) == _reference(cfg)
    assert rendered == ["solutions.tex.j2"]
    assert sorted(p.name for p in (tmp_path / "two").iterdir()) == \
        sorted([*(f"{q.id}.fragments.json" for q in QUESTIONS), "summary.fragments.json"])


def _override(folder: Path, line: str) -> list[Path]:
    """A template folder searched before the package's, with Question 2's statement changed."""
    (folder / "q2").mkdir(parents=True, exist_ok=True)
    text = (latex.TEMPLATES / "q2" / "statement.tex.j2").read_text()
    (folder / "q2" / "statement.tex.j2").write_text(text + line + "\n")
    return [folder]


@pytest.mark.parametrize("change", ["decimals", "template", "template again", "figure path"])
def test_what_every_fragment_reads_invalidates_it(change: str, rendered: list[str], tmp_path: Path) -> None:
    out = tmp_path / "cache"
    cfg, fig, search = config.load(), FIG, _override(tmp_path / "templates", "% one")
    _document(out, cfg, fig, search)
    rendered.clear()
    if change == "decimals":
        cfg = config.load(None, ["report.decimals=8"])
    elif change.startswith("template"):
        search = _override(tmp_path / ("templates" if change == "template again" else "other"), "% two")
    else:
        fig = {**FIG, "q1_saturation": "figures/q1_saturation_log.pdf"}
    document = _document(out, cfg, fig, search)
    assert rendered == [*TEMPLATES, SUMMARY, "solutions.tex.j2"]   # every fragment rendered again, none from the cache
    # ... and showing the change (a fresh render is compared with the cached one once, in the test above)
    shows = {"decimals": "rounded to 8 decimal places", "figure path": "figures/q1_saturation_log.pdf"}.get(change, "% two")
    assert shows in document
    if change.startswith("template"):
        assert "% one" not in document


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _edit_text(path: Path) -> None:   # valid JSON, the right key, other text: a bit flip, or a hand edit
    path.write_bytes(path.read_bytes().replace(b"Huber", b"Hubert"))


def _planted_without_digest(path: Path) -> None:
    entry = json.loads(path.read_text())
    entry["value"] = {"dict": [["text", "\\input{/etc/passwd}"]]}
    path.write_text(json.dumps(entry))


def _pickle(path: Path) -> None:
    path.unlink()
    path.write_bytes(pickle.dumps({"text": "\\input{/etc/passwd}"}))


def _foreign(path: Path) -> None:   # another question's entry, valid in every other way
    path.unlink()
    shutil.copy(next(path.parent.glob("q3*.json")), path)


def _link(path: Path) -> None:
    path.unlink()
    path.symlink_to(next(path.parent.glob("q1*.json")))


@pytest.mark.parametrize("damage", [_truncate, _edit_text, _planted_without_digest, _pickle, _foreign, _link])
def test_a_damaged_or_planted_entry_is_ignored_and_the_document_still_right(
        damage: Callable[[Path], None], rendered: list[str], tmp_path: Path) -> None:
    out = tmp_path / "cache"
    cfg = config.load()
    _document(out, cfg)
    shared = cache.user_dir() / "fragments"
    for path in (out / "q2.fragments.json", *shared.glob("q2-*.json")):   # both places, or the other would serve
        damage(path)
    rendered.clear()
    assert _document(out, cfg) == _reference(cfg)
    assert rendered == ["q2/solution.tex.j2", "solutions.tex.j2"]
    rendered.clear()
    _document(out, cfg)                                              # and the entries are whole again
    assert rendered == ["solutions.tex.j2"]


def test_a_question_template_reading_beyond_its_inputs_fails_rather_than_being_cached(
        rendered: list[str], tmp_path: Path) -> None:
    import jinja2

    for reads in ("s.q1.derivation", "cfg.student.name", "about.date"):
        folder = tmp_path / reads
        (folder / "q2").mkdir(parents=True)
        text = (latex.TEMPLATES / "q2" / "statement.tex.j2").read_text()
        (folder / "q2" / "statement.tex.j2").write_text(text + f"\\VAR{{{reads}}}\n")
        with pytest.raises(jinja2.UndefinedError):
            _document(tmp_path / "cache", config.load(), FIG, [folder])


@requires_tex
def test_a_name_change_rebuild_renders_no_question_template_and_writes_the_reference(
        copy_of_default_build: Path, rendered: list[str]) -> None:
    out = copy_of_default_build
    assert cli.main(["build", "--out", str(out), "--set", "student.name=Bea Other", "--set", "student.id=99"]) == 0
    assert rendered == ["solutions.tex.j2"]   # the copy was built with another name: its fragments served
    fig = {p.stem: f"figures/{p.name}" for p in (out / "figures").iterdir()}
    cfg = config.load(None, ["student.name=Bea Other", "student.id=99"])
    assert (out / "solutions.tex").read_text(encoding="utf-8") == _reference(cfg, fig)


@requires_tex
def test_a_first_build_renders_the_fragments_in_its_solving_workers(rendered: list[str], tmp_path: Path) -> None:
    """A first build (no derivation in the user cache) solves in forked workers, which also
    render each question's fragment into the user cache; the build itself then renders only
    the answer summary (it quotes every question's results) and the document's own template,
    and writes the same .tex as one rendered in one go."""
    out = tmp_path / "first"
    assert cli.main(["build", "--out", str(out), "--set", "student.name=Bea Other"]) == 0
    assert rendered == [SUMMARY, "solutions.tex.j2"]
    fig = {p.stem: f"figures/{p.name}" for p in (out / "figures").iterdir()}
    cfg = config.load(None, ["student.name=Bea Other"])
    assert (out / "solutions.tex").read_text(encoding="utf-8") == _reference(cfg, fig)
