"""What the chat's buttons do. Each handler calls one library function and formats it.

Library errors become ``gr.Error`` (a message in the page), never an empty result.
"""

from __future__ import annotations

import hashlib
import html
import logging
import shutil
from pathlib import Path

import gradio as gr

from index.loaders import SUFFIXES
from qa import api
from qa.errors import QAError
from qa.retriever import Index
from ui.cards import answer_html, text
from ui.http import user_error

log = logging.getLogger(__name__)

ORDER_CHOICES = {"best first": "relevance", "newest first": "newest", "oldest first": "oldest"}
UPLOAD_TYPES = sorted(SUFFIXES)


class Handlers:
    def __init__(self, index: Index):
        self.index = index
        self.uploads = index.path / "uploads"

    # -- chat ----------------------------------------------------------------------------

    def ask(self, message: str, history: list[dict] | None, searched: list[str] | None, k: float = 5,
            since: str = "", until: str = "", sources: list[str] | None = None, order: str = "best first"):
        """One chat turn: (chat history, searched questions, cleared textbox)."""
        history, searched = list(history or []), list(searched or [])
        try:
            answer = self.index.ask(message, _whole(k), history=searched, since=since or None, until=until or None,
                                    sources=sources or None, order_by=ORDER_CHOICES.get(order, "relevance"))
        except QAError as exc:
            raise as_gradio(exc) from None
        history.append({"role": "user", "content": f'<span class="qa-q">{text(answer.question)}</span>'})
        history.append({"role": "assistant", "content": answer_html(answer)})
        return history, searched + [answer.searched], ""

    @staticmethod
    def new_chat():
        return [], [], ""

    def search(self, question: str, k: int = 5, since: str = "", until: str = "",
               sources: list[str] | None = None, order: str = "relevance") -> dict:
        """The passages that best answer a question, as structured data (the HTTP API).

        Returns {question, searched, answered, threshold, passages: [{text, answer, score,
        similarity, rank, title, url, published, source, byline, span, answer_span, also_in}]}.
        """
        try:
            return self.index.ask(question, _whole(k), since=since or None, until=until or None,
                                  sources=sources or None, order_by=order).to_dict()
        except QAError as exc:
            raise as_gradio(exc) from None

    # -- the index -----------------------------------------------------------------------

    def upload(self, files: list[str] | None, progress=gr.Progress(track_tqdm=True)):  # noqa: B008 (gradio injects it)
        """Ingest uploaded files; a summary, then the refreshed index panel."""
        if not files:
            raise user_error(ValueError("choose one or more files first (.txt, .md, .html, .jsonl)"))
        wrong = [Path(f).name for f in files if Path(f).suffix.lower() not in SUFFIXES]
        if wrong:
            raise user_error(ValueError(f"not an article file: {', '.join(wrong)}; upload {', '.join(UPLOAD_TYPES)} "
                                        "files"))
        self.uploads.mkdir(parents=True, exist_ok=True)
        kept = []
        for f in files:
            # a folder per content: two uploads named alike are two articles, the same file twice is one
            digest = hashlib.sha256(Path(f).read_bytes()).hexdigest()[:16]
            target = self.uploads / digest / Path(f).name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f, target)
            kept.append(target)
        progress(0, desc="reading and embedding")
        try:
            report = api.ingest(kept, settings=self.index.settings, progress=True)
        except QAError as exc:
            raise as_gradio(exc) from None
        lines = [f"**{len(report.added)} added, {len(report.updated)} updated, {len(report.unchanged)} unchanged, "
                 f"{len(report.skipped)} skipped, {len(report.failed)} failed** ({report.seconds:.1f} s)"]
        lines += [f"- skipped {text(i)}: {text(reason)}" for i, reason in report.skipped]
        lines += [f"- failed: {text(_short(error))}" for error in report.failed]
        lines += [f"- note: {text(Path(w.source).name)}: {text(w.reason)}" for w in report.warnings]
        return ("\n".join(lines), *self.panel())

    def remove(self, article_id: str | None):
        if not article_id:
            raise user_error(ValueError("choose an article to remove"))
        try:
            report = api.remove([article_id], settings=self.index.settings)
        except QAError as exc:
            raise as_gradio(exc) from None
        message = f"removed {text(article_id)}" if report.removed else f"no article {text(article_id)}"
        return (message, *self.panel())

    def panel(self):
        """(facts, article rows, remove choices, source choices) for the index panel."""
        info = self.index.info()
        dates = f"{info.earliest} to {info.latest}" if info.earliest else "no dates"
        facts = (f"**{info.articles} articles**, {info.chunks} passages ({dates}) · model `{info.model}` · "
                 f"{info.chunk_tokens}-token chunks")
        articles = self.index.articles()
        rows = [[a.published or "", a.source or "", a.title, a.chunks, a.id] for a in articles]
        choices = [(f"{a.title[:70]} ({a.id})", a.id) for a in articles]
        return (facts, rows, gr.update(choices=choices, value=None), gr.update(choices=self.index.sources()))


def as_gradio(exc: QAError) -> gr.Error:
    """A library error as a message in the page (and, for the API, HTTP 400 for bad input)."""
    if isinstance(exc, ValueError):  # the question, a filter or a setting: the user's to fix
        return user_error(exc)
    log.error("%s", " ".join(str(exc).split()))
    return gr.Error(html.escape(" ".join(str(exc).split()), quote=False), title="Index problem",
                    print_exception=False)


def _whole(k: object) -> object:
    """k as sent over HTTP or by a slider (5, 5.0, "5") as an int; anything else as given, for
    :func:`qa.checks.check_k` to refuse with its message."""
    if isinstance(k, float) and k.is_integer():
        return int(k)
    if isinstance(k, str) and k.strip().isdigit():
        return int(k.strip())
    return k


def _short(error) -> str:
    """An ingest error with the upload folder left out of its path."""
    source = Path(str(getattr(error, "source", "")))
    where = source.name + (f":{error.line}" if getattr(error, "line", None) else "")
    return f"{where}: {getattr(error, 'reason', error)}"
