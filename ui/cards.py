"""HTML for answers in the chat: one card per passage, every article string escaped.

Article text and metadata come from files anyone can write, so nothing from them is
ever rendered as HTML or markdown: it is HTML-escaped, and the characters markdown
would act on are turned into entities too.
"""

from __future__ import annotations

import html
from urllib.parse import urlsplit

from qa.passage import Answer, Citation, Passage

# HTML's special characters and the ones markdown would act on, all as numeric entities.
_ENTITIES = str.maketrans({c: f"&#{ord(c)};" for c in "&<>\"'*_`[]#~|\\$!{}"})


def text(value: object) -> str:
    """Inert HTML for an untrusted string: no tag, entity or markdown survives."""
    return str(value).translate(_ENTITIES)


def prose(value: str) -> str:
    """Inert HTML for untrusted text, paragraph breaks kept."""
    return text(value).replace("\n\n", "<br><br>")


def safe_url(url: str | None) -> str | None:
    """The url when it is a plain http(s) link, else None (no javascript: links)."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme in ("http", "https") and parts.netloc else None


def passage_card(p: Passage) -> str:
    start, end = p.answer_span
    body = (prose(p.text[:start]) + '<mark class="qa-answer">' + prose(p.text[start:end]) + "</mark>"
            + prose(p.text[end:]))
    meta = [x for x in (p.source, p.published, p.byline) if x]
    also = ""
    if p.also_in:
        also = ('<div class="qa-also">also reported by: '
                + "; ".join(_citation(c) for c in p.also_in) + "</div>")
    return (
        f'<div class="qa-card" data-rank="{p.rank}">'
        f'<div class="qa-card-head"><span class="qa-rank">{p.rank}</span> <strong>{_linked(p.title, p.url)}</strong>'
        f' <span class="qa-score" title="similarity of the passage to the question">{p.similarity:.2f}</span></div>'
        f'<div class="qa-meta">{" · ".join(text(m) for m in meta)}</div>'
        f'<div class="qa-body">{body}</div>{also}'
        "</div>"
    )


def answer_html(answer: Answer) -> str:
    """The chat reply: the answering sentence quoted with its source, then the cards."""
    searched = ""
    if answer.searched != answer.question:
        searched = f'<p class="qa-searched">Searched for: <em>{text(answer.searched)}</em></p>'
    passages = answer.passages
    if not passages:
        return searched + ('<p class="qa-empty">No articles match: the index is empty, or the filters '
                           "exclude everything. Add articles, or widen the filters.</p>")
    if not answer.answered:
        return (searched + '<p class="qa-none"><strong>No passage answers this.</strong> '
                "These are the closest passages:</p>" + "".join(passage_card(p) for p in passages))
    best = passages[0]
    source = ", ".join(text(x) for x in (best.source, best.published) if x)
    lead = (f'<blockquote class="qa-lead">{prose(best.answer)}</blockquote>'
            f'<p class="qa-lead-source">— {_linked(best.title, best.url)}{", " + source if source else ""}</p>')
    return searched + lead + "".join(passage_card(p) for p in passages)


def _linked(title: str, url: str | None) -> str:
    link = safe_url(url)
    if not link:
        return text(title)
    return f'<a href="{html.escape(link, quote=True)}" target="_blank" rel="noopener noreferrer">{text(title)}</a>'


def _citation(c: Citation) -> str:
    return _linked(c.source or c.title, c.url) + (f" ({text(c.published)})" if c.published else "")


CSS = """
.qa-card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 10px 12px;
           margin: 8px 0; background: var(--background-fill-secondary); }
.qa-card-head { font-size: 1.02em; }
.qa-rank { display: inline-block; min-width: 1.4em; font-weight: 600; color: var(--body-text-color-subdued); }
.qa-score { float: right; font-variant-numeric: tabular-nums; color: var(--body-text-color-subdued); }
.qa-meta { color: var(--body-text-color-subdued); font-size: 0.9em; margin: 2px 0 6px; }
.qa-answer { background: #fde68a; color: #111; padding: 0 2px; border-radius: 2px; }
.qa-lead { border-left: 4px solid #f59e0b; margin: 0 0 4px; padding: 4px 10px; font-style: italic; }
.qa-lead-source { color: var(--body-text-color-subdued); font-size: 0.9em; margin: 0 0 8px; }
.qa-also { color: var(--body-text-color-subdued); font-size: 0.88em; margin-top: 6px; }
.qa-searched { color: var(--body-text-color-subdued); font-size: 0.9em; margin: 0 0 6px; }
.qa-none { margin: 0 0 6px; }
"""
