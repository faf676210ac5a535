"""HTML for answers in the chat: one card per passage, every article string escaped.

Article text and metadata come from files anyone can write, so nothing from them is
ever rendered as HTML or markdown: it is HTML-escaped, and the characters markdown
would act on are turned into entities too.
"""

from __future__ import annotations

import dataclasses
import hashlib
import html

from qa import Answer, ArticleHit, Citation, Excerpt, by_article, card_of, citation_text, folded, safe_url

# HTML's special characters and the ones markdown would act on, all as numeric entities.
_ENTITIES = str.maketrans({c: f"&#{ord(c)};" for c in "&<>\"'*_`[]#~|\\$!{}"})


def text(value: object) -> str:
    """Inert HTML for an untrusted string: no tag, entity or markdown survives."""
    return str(value).translate(_ENTITIES)


def prose(value: str) -> str:
    """Inert HTML for untrusted text, paragraph breaks kept."""
    return text(value).replace("\n\n", "<br><br>")


def _clip_title(title: str, size: int = 60) -> str:
    return title if len(title) <= size else title[: size - 1].rstrip() + "…"


def article_card(hit: ArticleHit, anchor: str = "", quote: str | None = None, quoted_above: bool = False) -> str:
    """One card per article, numbered, collapsed: its title and citation once, the sentence
    that answers, and its passages (answering sentences marked) behind "Show passage". No
    score: the number is the order. ``anchor``: the card's id, for the lead's citation to
    point at; ``quote``: what Copy citation quotes (else the best passage's answering
    sentence); ``quoted_above``: the lead already quotes this card's sentence (not repeated)."""
    best = hit.best
    meta = [x for x in (best.source, best.published, best.byline) if x]
    also = ""
    if hit.also_in:
        also = ('<div class="qa-also">also reported by: '
                + "; ".join(_citation(c) for c in hit.also_in) + "</div>")
    excerpts = "".join(f'<div class="qa-body">{_marked(e)}</div>' for e in hit.excerpts)
    key = "" if quoted_above else f'<p class="qa-key">{_key_sentence(hit.excerpts[0])}</p>'
    more = (f'<details class="qa-more"><summary>Show passage<span class="qa-sr"> [{hit.rank}]</span></summary>'
            f"{excerpts}</details>")
    cited = citation_text(dataclasses.replace(best, url=safe_url(best.url)), hit.rank, quote)
    # the chat's sanitizer drops data- attributes: the text to copy rides in a hidden element
    copy = (f'<span class="qa-citation">{text(cited)}</span>'
            f'<button class="qa-copy" type="button" title="Copy the citation and the quoted sentence">Copy citation'
            f'<span class="qa-sr"> [{hit.rank}]: {text(_clip_title(best.title))}</span></button>')
    # the hidden words make each button's name say which card it copies (the sanitizer drops aria-label)
    return (
        f'<div class="qa-card" data-rank="{hit.rank}"{f" id={chr(34)}{anchor}{chr(34)}" if anchor else ""}>'
        f'<div class="qa-card-head"><span class="qa-rank">[{hit.rank}]</span> <strong>{_linked(best.title, best.url)}'
        f"</strong></div>"
        f'<div class="qa-meta">{" · ".join(text(m) for m in meta)}</div>'
        f"{key}{more}{also}{copy}</div>"
    )


def _key_sentence(excerpt: Excerpt, size: int = 240) -> str:
    """The card's visible line: the excerpt's first marked sentence, marked; else its opening words."""
    if excerpt.marks:
        start, end = excerpt.marks[0]
        return '<mark class="qa-answer">' + text(" ".join(excerpt.text[start:end].split())) + "</mark>"
    opening = " ".join(excerpt.text.split())
    return text(opening if len(opening) <= size else opening[: size - 1].rsplit(" ", 1)[0] + " …")


def _marked(excerpt: Excerpt) -> str:
    out, at = [], 0
    for start, end in excerpt.marks:
        out.append(prose(excerpt.text[at:start]) + '<mark class="qa-answer">' + prose(excerpt.text[start:end])
                   + "</mark>")
        at = end
    return "".join(out) + prose(excerpt.text[at:])


def answer_html(answer: Answer) -> str:
    """The chat reply: the filters and the searched text; the short answer with the number of
    its card, the sentence that holds it quoted with its source, other articles' different
    answers with their numbers and dates; then one numbered card per article. Or "Not in
    your articles" and the nearest ones."""
    head = ""
    if answer.filters:
        head += f'<p class="qa-filters">Filters: {text(answer.filters)}</p>'
    if answer.partial:
        head += f'<p class="qa-partial" role="status">Partial: {text(answer.partial)}</p>'
    if answer.searched != answer.question:  # a follow-up, rewritten: the user can take it back
        head += (f'<p class="qa-searched">Searched for: <em>{text(answer.searched)}</em> '
                 f'<span class="qa-alone-q">{text(answer.question)}</span>'
                 '<button class="qa-alone" type="button">Ask without the conversation</button></p>')
    hits = by_article(answer.passages)
    if not hits:
        return head + ('<p class="qa-empty">No articles match: the index is empty, or the filters '
                       "exclude everything. Add articles, or widen the filters.</p>")
    key = hashlib.sha1("|".join([answer.question, *(str(p.chunk_id) for p in answer.passages)]).encode()
                       ).hexdigest()[:8]
    fold = folded(hits, answer.less_related)
    if not answer.answered:
        cards = _fold([(h.rank, article_card(h, f"qa-{key}-{h.rank}")) for h in hits], fold)
        return (head + '<p class="qa-none"><strong>Not in your articles.</strong> No direct answer; '
                "these are the nearest passages, not answers:</p>" + f'<div class="qa-nearest">{cards}</div>')
    cited = answer.passage or answer.passages[0]
    number = card_of(hits, cited.rank)
    cards = _fold([(h.rank, article_card(h, f"qa-{key}-{h.rank}", cited.answer if h.rank == number else None,
                                         quoted_above=h.rank == number)) for h in hits], fold)
    source = text(cited.where)
    lead = ""
    if answer.text:
        resolved = f' <span class="qa-resolved">({text(answer.resolved)})</span>' if answer.resolved else ""
        when = f'<span class="qa-when">{text(answer.when)}</span> ' if answer.when else ""
        lead += (f'<p class="qa-short"><strong>{text(answer.text)}</strong>{resolved} '
                 f'<a class="qa-cite" href="#qa-{key}-{number}">[{number}]</a> {when}'
                 f'<span class="qa-sure qa-{answer.level or "answer"}" title="the probability that it is right">'
                 f'{text(answer.label.lower())}, probability {answer.probability:.2f}</span></p>')
    lead += (f'<blockquote class="qa-lead">{prose(cited.answer)}</blockquote>'
             f'<p class="qa-lead-source">— {_linked(cited.title, cited.url)}{", " + source if source else ""}</p>')
    for other in answer.others:  # another article's answer, said with where and when it was published
        n = card_of(hits, other.rank)
        where = text(other.where)
        lead += (f'<p class="qa-other">Also — {where + ": " if where else ""}'
                 f'<strong>{text(other.short_answer)}</strong> <a class="qa-cite" href="#qa-{key}-{n}">[{n}]</a></p>')
    return head + lead + cards


def _fold(cards: list[tuple[int, str]], fold: set[int]) -> str:
    """The cards in order, those far below card 1 (``fold``) together under "Less related (n)"."""
    shown = "".join(html_ for rank, html_ in cards if rank not in fold)
    less = [html_ for rank, html_ in cards if rank in fold]
    if not less:
        return shown
    return (shown + f'<details class="qa-less"><summary>Less related ({len(less)})</summary>{"".join(less)}'
            "</details>")


def _linked(title: str, url: str | None) -> str:
    link = safe_url(url)
    if not link:
        return text(title)
    return f'<a href="{html.escape(link, quote=True)}" target="_blank" rel="noopener noreferrer">{text(title)}</a>'


def _citation(c: Citation) -> str:
    return _linked(c.source or c.title, c.url) + (f" ({text(c.published)})" if c.published else "")


CSS = """
/* WCAG 2.2 AA text contrast (1.4.3): the theme's subdued text (#bbbbc2 on #fafafa, 1.8:1), the
   placeholder (1.9:1) and white on the orange Ask button (2.8:1) fall short; these pass (a
   browser test measures every text on the page) */
:root, .gradio-container {
  --body-text-color-subdued: #52525b; --input-placeholder-color: #6b7280;
  --button-primary-background-fill: #c2410c; --button-primary-background-fill-hover: #9a3412;
  --button-primary-text-color: #ffffff; --button-primary-text-color-hover: #ffffff;
}
/* WCAG 2.2 2.5.8: targets of at least 24 x 24 px (Gradio's icon buttons are 18, the
   accordion headers 20) */
.gradio-container .icon-button { min-width: 24px; min-height: 24px; }
.gradio-container .label-wrap, .gradio-container .show-api { min-height: 24px; }
.dark, .dark .gradio-container { --body-text-color-subdued: #a1a1aa; --input-placeholder-color: #a1a1aa; }
.qa-card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 10px 12px;
           margin: 8px 0; background: var(--background-fill-secondary); }
/* a citation's [n] brings its card into view below the chat's "Answers" label, outlined */
.qa-card { scroll-margin-top: 56px; }
.qa-card:target { outline: 3px solid #c2410c; outline-offset: 1px; }
.qa-card-head { font-size: 1.02em; }
/* bold as the page's font has it: Gradio loads Source Sans Pro at 400 and 600 only, so a 700
   ("bold") is drawn from another face; every bold text in an answer is the loaded 600 */
#qa-chat strong, #qa-chat b, .qa-rank, .qa-cite, .qa-when { font-weight: 600; }
.qa-rank { display: inline-block; min-width: 1.4em; font-weight: 600; color: var(--body-text-color-subdued); }
.qa-meta { color: var(--body-text-color-subdued); font-size: 0.9em; margin: 2px 0 6px; }
.qa-citation, .qa-alone-q { display: none; }
.qa-alone { font-size: 0.95em; margin-left: 6px; padding: 2px 8px; min-height: 28px; cursor: pointer;
            border: 1px solid var(--border-color-primary); border-radius: 4px; color: var(--body-text-color);
            background: var(--background-fill-secondary); }
.qa-sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.qa-copy { font-size: 0.8em; margin-top: 4px; padding: 2px 8px; min-height: 28px;
           border: 1px solid var(--border-color-primary);
           border-radius: 4px; background: var(--background-fill-secondary); cursor: pointer; }
.qa-answer { background: #fde68a; color: #111; padding: 0 2px; border-radius: 2px; }
.qa-short { font-size: 1.1em; margin: 0 0 4px; }
.qa-sure { font-size: 0.8em; margin-left: 6px; }
.qa-when { font-size: 0.8em; margin-left: 6px; font-weight: 600; }
.qa-unsure { font-style: italic; }
.qa-cite { text-decoration: none; font-weight: 600; }
.qa-other { margin: 0 0 6px; }
.qa-lead { border-left: 4px solid #f59e0b; margin: 0 0 4px; padding: 4px 10px; font-style: italic; }
.qa-lead-source { color: var(--body-text-color-subdued); font-size: 0.9em; margin: 0 0 8px; }
.qa-also { color: var(--body-text-color-subdued); font-size: 0.88em; margin-top: 6px; }
.qa-searched { color: var(--body-text-color-subdued); font-size: 0.9em; margin: 0 0 6px; }
.qa-none { margin: 0 0 6px; }
.qa-nearest .qa-card { border-style: dashed; }
/* Gradio draws a message's text at opacity 0.8, which takes every colour above under 4.5:1:
   drawn whole, the colours are what the contrast test measures */
#qa-chat .message-wrap .prose.chatbot.md { opacity: 1; }
.qa-filters { color: var(--body-text-color-subdued); font-size: 0.9em; margin: 0 0 4px; }
.qa-key { margin: 2px 0 4px; }
.qa-more > summary { cursor: pointer; color: var(--body-text-color-subdued); font-size: 0.9em; padding: 4px 0; }
.qa-more[open] > summary { margin-bottom: 4px; }
.qa-less > summary { cursor: pointer; color: var(--body-text-color-subdued); font-size: 0.9em; padding: 6px 0;
                     min-height: 24px; }
.qa-body + .qa-body { border-top: 1px dashed var(--border-color-primary); margin-top: 6px; padding-top: 6px; }
.qa-status { color: #b91c1c; min-height: 0; }
/* room for the upload's progress (Gradio draws it over the summary, two lines) */
#qa-upload-summary { min-height: 96px; }
#qa-upload-summary [data-testid=status-tracker] { display: flex; flex-direction: column; justify-content: center;
                                                  align-items: center; gap: 6px; }
#qa-upload-summary .progress-text { position: static !important; }
@media (max-width: 700px) {
  /* a phone: the page is the one scroll area, cards use the full width */
  #qa-chat { height: auto !important; max-height: none !important; }
  #qa-chat .bubble-wrap, #qa-chat > div {
    overflow: visible !important; height: auto !important; max-height: none !important; }
  #qa-chat .message-row { max-width: 100% !important; margin-left: 0 !important; margin-right: 0 !important; }
  #qa-chat .message { max-width: 100% !important; width: 100% !important; padding: 6px !important; }
  #qa-chat .bubble-wrap { padding: 4px !important; }
  .qa-card { margin: 6px 0; padding: 8px; }
  /* the question box stays at the bottom of the screen while the page scrolls */
  #qa-composer { position: fixed !important; left: 0; right: 0; bottom: 0; z-index: 50; margin: 0 !important;
                 padding: 6px 8px !important; background: var(--background-fill-primary);
                 box-shadow: 0 -2px 8px rgba(0, 0, 0, 0.12); }
  .gradio-container { padding-bottom: 96px !important; }
}
"""

# Outside the app's own container (where CSS given to Gradio does not reach): a phone's page margins.
HEAD = """<style>@media (max-width: 700px) {
  .gradio-container .main { padding-left: 6px !important; padding-right: 6px !important; }
  /* WCAG 2.2 2.4.11: what scrolls into view (focus, a link to a card) stops above the fixed composer */
  html { scroll-padding-bottom: 120px; }
  /* room below the last control, so the page scrolls it clear of the fixed composer */
  body { padding-bottom: 110px !important; }
}</style>
<script>
// "Copy citation" on a card: the chat's HTML is sanitized (no inline handlers, no data-
// attributes), so one listener on the page copies the text of the card's hidden .qa-citation;
// the clipboard API needs a secure context (https or localhost), else the older execCommand route.
// Gradio names each chat message by its raw HTML ("bot's message: <p class=..."): a screen
// reader would read the tags. Each is named by its text instead, and renamed when it changes.
const nameMessages = () => {
  for (const el of document.querySelectorAll("#qa-chat [aria-label*='message:']")) {
    const label = el.getAttribute("aria-label") || "";
    if (!label.includes("<")) continue;
    const who = label.startsWith("user") ? "Question" : "Answer";
    // the label's HTML read as text by an inert parser (nothing in it runs or loads)
    const html = label.slice(label.indexOf(":") + 1);
    const parsed = new DOMParser().parseFromString(html, "text/html");
    for (const hidden of parsed.querySelectorAll(".qa-citation, .qa-alone-q, .qa-sr")) hidden.remove();
    for (const block of parsed.querySelectorAll("p, div, blockquote, summary, br")) block.append(" ");
    const words = (parsed.body.textContent || "").replace(/\s+/g, " ").trim();
    el.setAttribute("aria-label", `${who}: ${words.length > 300 ? words.slice(0, 299) + "…" : words}`);
  }
};
let naming = 0;  // one pass per frame, however many changes the page makes in it
new MutationObserver(() => { if (!naming) naming = requestAnimationFrame(() => { naming = 0; nameMessages(); }); })
  .observe(document.documentElement,
  {subtree: true, childList: true, attributes: true, attributeFilter: ["aria-label"]});
// "Ask without the conversation" under a rewritten follow-up: its question goes to a hidden box
// whose button asks it with no history (the chat's HTML cannot call the app itself)
document.addEventListener("click", (event) => {
  const button = event.target.closest && event.target.closest(".qa-alone");
  if (!button) return;
  const held = button.parentElement.querySelector(".qa-alone-q");
  const box = document.querySelector("#qa-alone-question textarea, #qa-alone-question input");
  const go = document.querySelector("#qa-alone-go");
  if (!held || !box || !go) return;
  box.value = held.textContent;
  box.dispatchEvent(new Event("input", {bubbles: true}));
  setTimeout(() => go.click(), 50);
});
document.addEventListener("click", (event) => {
  const button = event.target.closest && event.target.closest(".qa-copy");
  if (!button) return;
  const card = button.closest(".qa-card");
  const held = card && card.querySelector(".qa-citation");
  const value = held ? held.textContent : "";
  const label = button.firstChild;  // the visible words; the hidden ones after them name the card
  const done = () => { label.textContent = "Copied"; setTimeout(() => label.textContent = "Copy citation", 1500); };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(value).then(done);
  } else {
    const area = document.createElement("textarea"); area.value = value; document.body.appendChild(area);
    area.select(); document.execCommand("copy"); area.remove(); done();
  }
});
</script>"""
