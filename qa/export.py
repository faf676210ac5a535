"""Answers that leave the app: a citation to copy, and Markdown with numbered citations.

One citation is ``"Title." Outlet, 2024-12-02. https://... — “the answering sentence”``;
a conversation exports as Markdown: each question, the answering sentence of each passage
with its number, and the numbered sources at the end (a source cited twice keeps its
number). Used by the web chat (copy, export) and ``qa ask --format md``.
"""

from __future__ import annotations

from collections.abc import Sequence

from qa.passage import Answer, Passage


def citation_text(p: Passage) -> str:
    """Title, outlet, date, url and the quoted answering sentence, on one line."""
    parts = [f"\u201c{_clean(p.title)}.\u201d"]
    where = ", ".join(x for x in (_clean(p.source or ""), p.published or "") if x)
    if where:
        parts.append(where + ".")
    if p.url:
        parts.append(p.url)
    quote = _clean(p.answer)
    return " ".join(parts) + (f" \u2014 \u201c{quote}\u201d" if quote else "")


def conversation_markdown(turns: Sequence[Answer], title: str = "article-qa conversation") -> str:
    """The questions and answers of ``turns`` as Markdown, with numbered citations."""
    numbers: dict[tuple[str, str], int] = {}
    sources: list[str] = []
    lines = [f"# {_md(title)}", ""]
    for turn in turns:
        lines += [f"## {_md(turn.question)}", ""]
        if not turn.passages:
            lines += ["No passages found.", ""]
            continue
        if not turn.answered:
            lines += ["*Not in your articles: the closest passages follow.*", ""]
        for p in turn.passages:
            key = (p.article_id, p.answer)
            if key not in numbers:
                numbers[key] = len(numbers) + 1
                sources.append(citation_markdown(p))
            lines.append(f"> {_md(p.answer or p.text)} [{numbers[key]}]")
            lines.append("")
    if sources:
        lines += ["## Sources", ""] + [f"{n}. {s}" for n, s in enumerate(sources, start=1)] + [""]
    return "\n".join(lines)


def citation_markdown(p: Passage) -> str:
    title = f"[{_md(p.title)}]({_url(p.url)})" if p.url else f"*{_md(p.title)}*"
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


def _url(url: str) -> str:
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")
