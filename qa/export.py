"""Answers that leave the app: a citation to copy, and Markdown with numbered citations.

The numbers are the chat's: within one answer, one number per article, in the order of the
cards ([1] is the first card). One citation is ``[1] "Title." Outlet, 2024-12-02.
https://... — “the quoted sentence”``. A conversation exports as Markdown: for each
question, the short answer and the sentence that holds it with its number (and other
articles' different answers with theirs), then the sources it cited, numbered as in the
chat (cards it did not cite are left out). The nearest passages of an unanswered question
are listed as such, not quoted. Used by the web chat (copy, export) and ``qa ask --format md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from qa.grouping import by_article, card_of
from qa.search import Answer, Passage


def citation_text(p: Passage, number: int | None = None, quote: str | None = None) -> str:
    """Its number, title, outlet, date, url and the quoted sentence (``quote``, else the
    passage's answering sentence), on one line."""
    parts = [f"[{number}]"] if number is not None else []
    parts.append(f"\u201c{_clean(p.title)}.\u201d")
    where = ", ".join(x for x in (_clean(p.source or ""), p.published or "") if x)
    if where:
        parts.append(where + ".")
    if p.url:
        parts.append(p.url)
    quoted = _clean(p.answer if quote is None else quote)
    return " ".join(parts) + (f" \u2014 \u201c{quoted}\u201d" if quoted else "")


def conversation_markdown(turns: Sequence[Answer], title: str = "article-qa conversation") -> str:
    """The questions and answers of ``turns`` as Markdown, each with its numbered sources."""
    lines = [f"# {_md(title)}", ""]
    for turn in turns:
        lines += [f"## {_md(turn.question)}", ""] + turn_markdown(turn)
    return "\n".join(lines)


def turn_markdown(turn: Answer) -> list[str]:
    hits = by_article(turn.passages)
    if not hits:
        return ["No passages found.", ""]
    lines: list[str] = []
    if not turn.answered:
        lines += ["*Not in your articles: no direct answer. The nearest articles (not answers):*", ""]
    else:
        cited = turn.passage or turn.passages[0]
        number = card_of(hits, cited.rank)
        if turn.text:
            when = f"{_md(turn.when)}; " if turn.when else ""
            lines += [f"{turn.label}: **{_md(turn.said)}** [{number}] ({when}probability {turn.probability:.2f})", ""]
        lines += [f"> {_md(cited.answer)} [{number}]", ""]
        for other in turn.others:
            where = _md(other.where)
            lines += [f"Also — {where + ': ' if where else ''}**{_md(other.short_answer)}** "
                      f"[{card_of(hits, other.rank)}]", ""]
        used = {card_of(hits, p.rank) for p in (cited, *turn.others)}
        return lines + ["Sources:", ""] + [f"{hit.rank}. {citation_markdown(hit.best)}" for hit in hits
                                          if hit.rank in used] + [""]
    return lines + ["Nearest articles:", ""] + [f"{hit.rank}. {citation_markdown(hit.best)}" for hit in hits] + [""]


def citation_markdown(p: Passage) -> str:
    link = safe_url(p.url)
    title = f"[{_md(p.title)}]({_url(link)})" if link else f"*{_md(p.title)}*"
    where = ", ".join(_md(x) for x in (p.source, p.published, p.byline) if x)
    return title + (f" \u2014 {where}" if where else "")


def _clean(text: str) -> str:
    return " ".join(str(text).split())


def _md(text: str | None) -> str:
    """One line of text with Markdown's active characters escaped."""
    out = _clean(text or "")
    for ch in "\\`*_[]<>#|":
        out = out.replace(ch, "\\" + ch)
    return out


def safe_url(url: str | None) -> str | None:
    """The url when it is a plain http(s) link, else None: a javascript: or data: url never
    becomes a link (in the export, or the chat's cards)."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme in ("http", "https") and parts.netloc else None


def _url(url: str) -> str:
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")
