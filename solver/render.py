"""The render stage: solutions.tex, the document template around each question's fragment (the
text its template produces), a fragment rendered only when something it reads changed.

Compiling templates is most of what rendering costs, so a rebuild after changing the name
compiles and renders only the document's own templates (preamble, title block, closing note), and
one after changing a question's numbers also that question's and the answer summary, which is kept
as a fragment is, under every result's key (`summary_of`).  A fragment is
rendered with exactly what it may read: its own result (`s.<id>`), the figure paths (`fig`)
and the registry (`q`, `questions`); a template reading anything else (the configuration,
another question's result) fails loudly rather than being cached wrong.  Its key covers all
of that and the template sources.

Fragments are stored as text, with the text's sha256, in JSON entries (solver/engine/store.py): data,
never template code.  An entry that is damaged (its text no longer matches its sha256), stored
under another key, or no entry at all is ignored, and the fragment rendered again.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import jinja2
import pylatex

from solver import latex
from solver.engine import store
from solver.questions import Question, Solutions

if TYPE_CHECKING:
    from solver.config import Config


def solutions(cfg: Config, directory: Path, keys: dict[str, str], results: Solutions, fig: dict[str, str],
              about: dict[str, Any], questions: Sequence[Question], search: Sequence[Path] = ()) -> str:
    """The text of solutions.tex; `directory` (OUT/.work/cache) and the user cache hold the fragments,
    `keys` each result's cache key (solver.pipeline.keys_of), `search` folders of templates looked in first."""
    study, decimals = cfg.report.study, cfg.report.decimals
    sources = template_sources(search)
    parts = fragments(directory, keys, results, decimals, fig, questions, search, study, sources)
    summary_text = summary_of(directory, keys, results, decimals, fig, questions, search, study, sources)
    return latex.render("solutions.tex.j2", decimals, search, cfg=cfg, questions=questions, s=results,
                        fig=fig, fragments=parts, about=about, summary_text=summary_text, study=study)


def summary_of(directory: Path, keys: dict[str, str], results: Solutions, decimals: int, fig: dict[str, str],
               questions: Sequence[Question], search: Sequence[Path] = (), study: bool = True,
               sources: str | None = None) -> str:
    """The answer summary (templates/summary.tex.j2), kept as the fragments are: from `directory`, else
    the user cache, else rendered from the results (read only then).  Its key covers every result's."""
    from solver import summary

    sources = template_sources(search) if sources is None else sources
    wanted = store.key("summary", sorted(keys.items()), decimals, fig, repr(tuple(questions)), sources, study,
                       jinja2.__version__, pylatex.__version__)
    return store.Store(directory).get_or_make("fragments", "summary", wanted, lambda: _entry(latex.render(
        "summary.tex.j2", decimals, search, summary=summary.entries(results, questions, study, decimals))),
        check=_intact)["text"]


def template_sources(search: Sequence[Path] = ()) -> str:
    """sha256 over every file in the template folders, in the order they are searched (their compiled
    forms in `__pycache__` left out)."""
    digest = hashlib.sha256()
    for folder in (*search, latex.TEMPLATES):
        digest.update(b"\0folder " + str(folder).encode())
        for path in sorted(p for p in Path(folder).rglob("*")
                           if p.is_file() and "__pycache__" not in p.relative_to(folder).parts):
            name = path.relative_to(folder).as_posix().encode()
            digest.update(name + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def key(q: Question, wanted: str, decimals: int, fig: dict[str, str], questions: Sequence[Question],
        sources: str, study: bool) -> str:
    """What the fragment of `q` depends on: its result's key `wanted` (its configuration section, the
    report options, the code, filters included), the decimals, the figure paths, the registry, the
    templates and the libraries that render them."""
    return store.key("fragment", q.id, wanted, decimals, fig, repr(tuple(questions)), sources, study,
                     jinja2.__version__, pylatex.__version__)


def _intact(stored: Any) -> bool:
    """A fragment entry is its text and the text's sha256: damaged, it is rendered again."""
    return (isinstance(stored, dict) and isinstance(stored.get("text"), str)
            and stored.get("sha256") == hashlib.sha256(stored["text"].encode()).hexdigest())


def _entry(text: str) -> dict[str, str]:
    return {"text": text, "sha256": hashlib.sha256(text.encode()).hexdigest()}


def fragment(q: Question, result: Any, decimals: int, fig: dict[str, str], questions: Sequence[Question],
             search: Sequence[Path] = (), study: bool = True) -> str:
    """The fragment of `q`, rendered: what solutions.tex.j2 includes for it (`study`: in the complete edition)."""
    return latex.render(q.template, decimals, search, s={q.id: result}, fig=fig, q=q, questions=questions,
                        study=study)


def prerender(q: Question, wanted: str, result: Any, decimals: int, fig: dict[str, str], questions: Sequence[Question],
              search: Sequence[Path] = (), study: bool = True) -> None:
    """The fragment of `q` rendered into the user cache, where the render stage finds it (a
    first build's solving workers do this while the build waits for the other questions)."""
    fragment_key = key(q, wanted, decimals, fig, questions, template_sources(search), study)
    store.Store(None).get_or_make("fragments", q.id, fragment_key,
                                  lambda: _entry(fragment(q, result, decimals, fig, questions, search, study)),
                                  check=_intact)
    store.save_typeset()


def fragments(directory: Path, keys: dict[str, str], results: Solutions, decimals: int, fig: dict[str, str],
              questions: Sequence[Question], search: Sequence[Path] = (), study: bool = True,
              sources: str | None = None) -> dict[str, str]:
    """Each question's fragment, from `directory` (OUT/.work/cache), else from the per-user cache
    (another output directory with the same numbers), else rendered; stored in both."""
    sources = template_sources(search) if sources is None else sources
    fragments_store = store.Store(directory)
    return {q.id: fragments_store.get_or_make(
        "fragments", q.id, key(q, keys[q.id], decimals, fig, questions, sources, study),
        lambda q=q: _entry(fragment(q, results[q.id], decimals, fig, questions, search, study)),
        check=_intact)["text"]
        for q in questions}


def precompile() -> int:
    """Every template of the package compiled into `templates/__pycache__` (latex.COMPILED), as
    compileall does for the modules: `make` runs it when it installs the package, since with
    PYTHONDONTWRITEBYTECODE set nothing would be written there.  Returns how many."""
    from solver.check import feedback

    latex.COMPILED.write = True
    plain, own = latex.make_environment(4), feedback.environment()
    names = [name for name in plain.loader.list_templates() if name.endswith(".j2")]
    for name in names:
        (own if name == "feedback.tex.j2" else plain).get_template(name)
    return len(names)
