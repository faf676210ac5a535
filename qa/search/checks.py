"""Checks at the door: a question's text and options, with messages that say the fix."""

from __future__ import annotations

import re

from index import parse_date
from qa.errors import QuestionError

MAX_K = 100


_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_WORD = re.compile(r"[^\W_]")


MAX_QUESTION_CHARS = 20_000  # a pasted article fits; a megabyte is refused at once, not worked through


def check_question(question: object) -> str:
    """The question with its spacing normalized; refused when it is not text with a word in it,
    or longer than ``MAX_QUESTION_CHARS``."""
    if not isinstance(question, str):
        raise QuestionError(f"the question must be text, got {type(question).__name__}")
    if len(question) > MAX_QUESTION_CHARS:
        raise QuestionError(f"the question is {len(question):,} characters long, the limit is "
                            f"{MAX_QUESTION_CHARS:,}: ask about its subject in a sentence or two")
    if _SURROGATE.search(question):
        raise QuestionError("the question holds a lone surrogate code point (not valid Unicode text): "
                            "send it as UTF-8 text")
    question = " ".join(_CONTROL.sub(" ", question).split())
    if not question:
        raise QuestionError("the question is empty: ask something, e.g. 'who holds Tal Rifaat?'")
    if not _WORD.search(question):
        raise QuestionError(f"the question {question[:40]!r} has no word in it: ask something, "
                            "e.g. 'who holds Tal Rifaat?'")
    return question


def check_k(k: object) -> int:
    if isinstance(k, bool) or not isinstance(k, int):
        raise QuestionError(f"k must be a whole number, got {k!r}")
    if not 1 <= k <= MAX_K:
        raise QuestionError(f"k={k} is out of range: ask for 1 to {MAX_K} passages")
    return k


def check_date(value: object, name: str) -> str | None:
    """An ISO date from a date, an ISO string or a written date; None stays None."""
    if value is None or value == "":
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    iso = parse_date(str(value))
    if iso is None:
        raise QuestionError(f"{name}: {value!r} is not a date: use YYYY-MM-DD, e.g. 2024-12-01")
    return iso


def check_sources(sources: object) -> tuple[str, ...]:
    if sources is None:
        return ()
    if isinstance(sources, str):
        sources = [sources]
    try:
        cleaned = tuple(str(s).strip() for s in sources if str(s).strip())
    except TypeError:
        raise QuestionError(f"sources must be a list of outlet names, got {sources!r}") from None
    return cleaned


def describe_filters(since: object = None, until: object = None, sources: object = None, as_of: object = None) -> str:
    """The filters of a question as a reader would say them: "2024-12-01 to 2024-12-31 · AFP"."""
    since, until, as_of = check_date(since, "since"), check_date(until, "until"), check_date(as_of, "as_of")
    parts = []
    if since or until:
        parts.append(f"{since or '…'} to {until or '…'}" if since and until else
                     f"from {since}" if since else f"until {until}")
    if as_of:
        parts.append(f"as of {as_of}")
    if names := check_sources(sources):
        parts.append(", ".join(names))
    return " · ".join(parts)
