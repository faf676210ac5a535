"""The index panel: add articles from the page, see what the index holds, remove one (after
a confirmation). Each handler calls one library function and formats its report."""

from __future__ import annotations

import hashlib
import logging
import shutil
from pathlib import Path

import gradio as gr

from qa import ARTICLE_SUFFIXES as SUFFIXES
from qa import FetchPolicy, Index, QAError, ingest, is_url
from qa import remove as remove_articles
from ui.cards import text
from ui.handlers import as_gradio
from ui.http import user_error

log = logging.getLogger(__name__)

UPLOAD_TYPES = sorted(SUFFIXES)
TITLE_CHARS = 80  # of a title in the remove menu


class IndexPanel:
    def __init__(self, index: Index):
        self.index = index
        self.uploads = index.path / "uploads"

    @staticmethod
    def check_files(files: list[str] | None) -> None:
        """Raise (a toast, nothing marked) unless ``files`` are article files."""
        if not files:
            raise user_error(ValueError("choose one or more files first (.txt, .md, .html, .pdf, .jsonl)"))
        wrong = [Path(f).name for f in files if Path(f).suffix.lower() not in SUFFIXES]
        if wrong:
            raise user_error(ValueError(f"not an article file: {', '.join(wrong)}; upload {', '.join(UPLOAD_TYPES)} "
                                        "files"))

    @staticmethod
    def check_urls(urls: str | None) -> list[str]:
        """The web addresses of ``urls`` (one per line); raises (a toast) when there is none or a bad one."""
        lines = [line.strip() for line in (urls or "").splitlines() if line.strip()]
        if not lines:
            raise user_error(ValueError("paste one or more web addresses first (https://..., one per line)"))
        wanted, wrong = [], []
        for number, line in enumerate(lines, start=1):
            parts = line.split()  # a line may hold several addresses, but text is quoted whole
            if all(is_url(u) for u in parts):
                wanted += parts
            else:
                wrong.append(f"line {number}: “{line if len(line) <= 60 else line[:59] + '…'}”")
        if wrong:
            raise user_error(ValueError(f"not a web address: {'; '.join(wrong[:3])}"
                                        f"{f' and {len(wrong) - 3} more' if len(wrong) > 3 else ''}; "
                                        "give http:// or https:// urls, one per line"))
        return wanted

    def upload(self, files: list[str] | None, progress=gr.Progress(track_tqdm=True)):  # noqa: B008 (gradio injects it)
        """Ingest uploaded files; a summary (the panel is refreshed by the event that follows, so
        an error marks the summary only, never the panel's other parts)."""
        self.check_files(files)
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
            report = ingest(kept, settings=self.index.settings, progress=True)
        except QAError as exc:
            raise as_gradio(exc) from None
        return _summary(report, name=lambda source: Path(source).name)

    def add_urls(self, urls: str | None, progress=gr.Progress(track_tqdm=True)):  # noqa: B008 (gradio injects it)
        """Fetch and ingest the pages of ``urls`` (one per line); a summary (as :meth:`upload`).
        Loopback, private and link-local addresses are refused unless QA_ALLOW_PRIVATE_URLS=1."""
        wanted = self.check_urls(urls)
        settings = self.index.settings
        policy = FetchPolicy.for_settings(settings, allow_private=settings.allow_private_urls)
        progress(0, desc="fetching and embedding")
        try:
            report = ingest(wanted, settings=settings, fetch=policy, progress=True)
        except QAError as exc:
            raise as_gradio(exc) from None
        return _summary(report, name=lambda source: source)

    def ask_to_remove(self, article_id: str | None):
        """(the question, the confirm row shown) for the chosen article."""
        if not article_id:
            return "Choose an article to remove first.", gr.Row(visible=False)
        found = self._article(article_id)
        if found is None:
            return f"No article {text(article_id)} in the index.", gr.Row(visible=False)
        return f"Remove **{text(found.title)}** ({text(_cited(found))}) from the index?", gr.Row(visible=True)

    def remove(self, article_id: str | None):
        """Remove the chosen article; what was removed, the hidden confirm row, then the refreshed panel."""
        found = self._article(article_id) if article_id else None
        if found is None:
            return ("Nothing removed: choose an article first.", gr.Row(visible=False), *self.panel())
        try:
            report = remove_articles([found.id], settings=self.index.settings)
        except QAError as exc:
            raise as_gradio(exc) from None
        message = (f"Removed **{text(found.title)}** ({text(_cited(found))}), {found.chunks} passages."
                   if report.removed else f"Nothing removed: {text(found.title)} was no longer in the index.")
        return (message, gr.Row(visible=False), *self.panel())

    @staticmethod
    def cancel():
        return "Nothing removed.", gr.Row(visible=False)

    def panel(self):
        """(facts, article rows, remove choices, source choices) for the index panel."""
        info = self.index.info()
        dates = f"{info.earliest} to {info.latest}" if info.earliest else "no dates"
        facts = f"**{info.articles} articles**, {info.chunks} passages, {dates}"
        articles = self.index.articles()
        rows = [[a.title, a.published or "", a.source or "", a.chunks] for a in articles]  # the title first
        choices = [(f"{_clip(a.title)} · {a.published or 'undated'}", a.id) for a in articles]
        return (facts, rows, gr.Dropdown(choices=choices, value=None), gr.Dropdown(choices=self.index.sources()))

    def _article(self, article_id: str):
        return next((a for a in self.index.articles() if a.id == article_id), None)


def _cited(article) -> str:
    return " · ".join(x for x in (article.source, article.published) if x) or article.id


def _clip(title: str) -> str:
    return title if len(title) <= TITLE_CHARS else title[: TITLE_CHARS - 1].rstrip() + "…"


def _summary(report, name) -> str:
    """An ingest report as HTML, every string escaped (a url is text, never a link Markdown
    would make of it, entities and all); ``name`` shortens a source (an upload's folder left out)."""
    items = [f"skipped {text(i)}: {text(reason)}" for i, reason in report.skipped]
    for error in report.failed:
        where = name(str(getattr(error, "source", ""))) + (f":{error.line}" if getattr(error, "line", None) else "")
        items.append(f"failed: {text(where)}: {text(getattr(error, 'reason', error))}")
    items += [f"note: {text(name(w.source))}: {text(w.reason)}" for w in report.warnings]
    listed = "<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>" if items else ""
    return f'<div class="qa-summary"><p><strong>{text(report.summary())}</strong></p>{listed}</div>'

