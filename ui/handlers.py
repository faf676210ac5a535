"""What the chat does: one question, one library call, one reply in the chat.

Nothing here breaks the page: an empty question does nothing, a bad filter value is a
message next to the filters, a question the library refuses is a message under the box;
the chat keeps every earlier answer. Only the HTTP API raises (as HTTP 400, see ui/http.py).
"""

from __future__ import annotations

import html
import logging
import tempfile
from datetime import date
from pathlib import Path

import gradio as gr

from qa import ORDERS, Index, QAError, QuestionError, QuestionTimeoutError, check_date, conversation_markdown
from ui.cards import answer_html, text
from ui.http import too_slow, user_error

log = logging.getLogger(__name__)

ORDER_CHOICES = {label: value for value, label in ORDERS.items()}  # what the page shows -> the setting
EXAMPLES = 4  # example questions offered, from the newest articles' titles
EXAMPLE_WORDS = 9


class Chat:
    def __init__(self, index: Index):
        self.index = index

    def ask_alone(self, message: str | None, chat: list[dict] | None, turns: list | None, k: float = 5,
                  since: str = "", until: str = "", sources: list[str] | None = None, order: str = "best first",
                  as_of: str = ""):
        """"Ask without the conversation" under a rewritten follow-up: the question searched as
        asked, its answer added to the chat (the conversation goes on from it)."""
        return self.ask(message, chat, turns, k, since, until, sources, order, as_of, alone=True)

    def ask(self, message: str | None, chat: list[dict] | None, turns: list | None, k: float = 5,
            since: str = "", until: str = "", sources: list[str] | None = None, order: str = "best first",
            as_of: str = "", alone: bool = False):
        """One chat turn: (chat, turns, question box, message under the box, message by the filters).
        ``alone``: searched without the conversation (no earlier turn is carried into it)."""
        if not (message or "").strip():
            return gr.skip(), gr.skip(), gr.skip(), "", gr.skip()  # an empty submit does nothing
        problem = filter_problem(since, until, as_of)
        if problem:
            return gr.skip(), gr.skip(), gr.skip(), "", _note(problem)
        chat, turns = list(chat or []), list(turns or [])
        try:
            answer = self.index.ask(message, _whole(k), history=[] if alone else turns, since=since or None,
                                    until=until or None, sources=sources or None,
                                    order_by=ORDER_CHOICES.get(order, "relevance"), as_of=as_of or None)
        except QAError as exc:
            if not isinstance(exc, ValueError):
                log.error("%s", " ".join(str(exc).split()))
            return gr.skip(), gr.skip(), gr.skip(), _note(str(exc)), ""
        chat.append({"role": "user", "content": f'<span class="qa-q">{text(answer.question)}</span>'})
        chat.append({"role": "assistant", "content": answer_html(answer)})
        return chat, turns + [answer], "", "", ""

    @staticmethod
    def new_chat():
        return [], [], "", "", ""

    def example_questions(self) -> list[str]:
        """Example questions from the index's own articles: what happened in each of the newest
        (its title, shortened, as the question's subject). A click asks it."""
        return [f"What happened: {_shorten(a.title)}?" for a in self.index.articles()
                if len(a.title.split()) >= 3][:EXAMPLES]

    def examples(self) -> gr.Dataset:
        return gr.Dataset(samples=[[q] for q in self.example_questions()])

    @staticmethod
    def check_export(turns: list | None) -> None:
        """Raise (a toast, nothing marked) when there is nothing to export."""
        if not turns:
            raise user_error(ValueError("nothing to export yet: ask a question first"))

    @staticmethod
    def export(turns: list | None) -> str | None:
        """The conversation as a Markdown file with numbered citations (its path)."""
        Chat.check_export(turns)
        folder = Path(tempfile.mkdtemp(prefix="qa-export-"))
        path = folder / f"article-qa-{date.today().isoformat()}.md"
        path.write_text(conversation_markdown(turns), encoding="utf-8")
        return str(path)

    def search(self, question: str, k: int | None = None, since: str = "", until: str = "",
               sources: list[str] | None = None, order: str = "relevance") -> dict:
        """Search the user's archive of news articles for the passages that best answer a question.

        The result leads with the short answer ("answer", e.g. "pro-Turkey factions"), the
        probability that it is right ("probability", calibrated; "level" says it in words:
        "likely" or "unsure"; say so when unsure), and "cited": the rank of the passage that
        holds it, whose "answer" field is the sentence to quote. "scores" says what each
        number means. Check "answered": when false, nothing in the archive answers
        the question ("answer" is empty) and the passages are only the closest ones. "others"
        lists the ranks of passages from other articles that answer differently (news
        changes: compare their "published" dates). Cite title, source, published and url of
        each passage you use.

        Args:
            question: the question in plain words, e.g. "who holds Tal Rifaat?"
            k: how many passages to return (1-50; default: the server's QA_TOP_K, else 5)
            since: only articles published on or after this date, YYYY-MM-DD ("" for no limit)
            until: only articles published on or before this date, YYYY-MM-DD ("" for no limit)
            sources: only articles from these outlets (an empty list for all)
            order: "relevance" (best first), "newest" or "oldest" (a timeline)

        Returns:
            {question, answered, answer (the short answer), probability, level, cited, lead (the
            quoted sentence), others, filters, scores, passages: [{rank, title, source, published, url, byline,
            answer (the answering sentence), short_answer, reader, text (the passage), also_in}]}
        """
        try:
            return self.index.ask(question, _whole(k), since=since or None, until=until or None,
                                  sources=sources or None, order_by=order).to_dict()
        except QAError as exc:
            raise as_gradio(exc) from None


def filter_problem(since: str, until: str, as_of: str = "") -> str | None:
    """What is wrong with the date filters, named as the page labels them; None if nothing."""
    try:
        start = check_date(since or None, "From")
        end = check_date(until or None, "To")
        check_date(as_of or None, "As of")
    except QuestionError as exc:
        return str(exc)
    if start and end and start > end:
        return f"From {start} is after To {end}: swap them"
    return None


def as_gradio(exc: QAError) -> gr.Error:
    """A library error for the HTTP API: bad input is HTTP 400, a spent time budget 503;
    anything else is logged."""
    if isinstance(exc, ValueError):  # the question, a filter or a setting: the caller's to fix
        return user_error(exc)
    if isinstance(exc, QuestionTimeoutError):
        log.warning("%s", " ".join(str(exc).split()))
        return too_slow(exc)
    log.error("%s", " ".join(str(exc).split()))
    return gr.Error(html.escape(" ".join(str(exc).split()), quote=False), title="Index problem",
                    print_exception=False)


def _note(message: str) -> str:
    return f'<span class="qa-status" role="alert">{text(" ".join(message.split()))}</span>'


def _shorten(title: str) -> str:
    words = title.split()
    return " ".join(words[:EXAMPLE_WORDS]) + (" …" if len(words) > EXAMPLE_WORDS else "")


def _whole(k: object) -> object:
    """k as sent over HTTP or by a slider (5, 5.0, "5") as an int; anything else as given, for
    :func:`qa.search.checks.check_k` to refuse with its message."""
    if isinstance(k, float) and k.is_integer():
        return int(k)
    if isinstance(k, str) and k.strip().isdigit():
        return int(k.strip())
    return k
