"""Follow-up questions without a language model: carry the conversation's subject, when it helps.

"who holds Tal Rifaat?", then "and who took Aleppo?", then "when did that happen?": the last
one means nothing alone. A question is a follow-up only when it needs the conversation
(:func:`needs_conversation`): a word pointing back ("it", "they", "that"), an ellipsis ("and
who took Aleppo?", "what did Russia do?") or no subject of its own. Any other question ("who
wrote Middlemarch?") is a new subject, searched as asked. For a follow-up, :func:`candidates`
writes the question with the conversation's subject added ("when did that happen?
(Aleppo)"); the caller searches both and keeps the rewrite only when the best passage it finds
matches it clearly better than the best passage for the question as asked matches that
(:func:`prefer_rewrite`). A question that stands on its own though it has a pronoun ("Which
state announced it is legalizing jaywalking?") finds a passage that matches it well as asked,
and an unrelated subject added to it only lowers the match: it is searched as asked.

The subject is the latest one: the names the previous question used itself ("Aleppo"),
else the subject it carried, else its content words. The text actually searched is shown
to the user, who can rephrase.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from index import STOPWORDS, content_terms

_NAME = re.compile(r"\b([A-Z][\w'’-]*(?:\s+(?:al-|de |of |bin )?[A-Z][\w'’-]*)*)")
_POINTER = re.compile(r"\b(it|its|they|them|their|theirs|that|this|those|these|there|he|she|him|her|his|hers)\b",
                      re.I)
_LEANING_START = re.compile(r"^\s*(and|but|also|so|then|what about|how about|what else)\b", re.I)
# "this week", "is there": words of the pointing kind that point at no earlier turn
_NOT_POINTING = re.compile(r"\b(?:this|these)\s+(?:week|weekend|year|month|morning|afternoon|evening|summer|winter|"
                           r"spring|autumn|fall|season|decade|century|time)s?\b|\bthere\s+(?:is|are|was|were|will|has|"
                           r"have|had)\b|\b(?:is|are|was|were)\s+there\b", re.I)
# "what did Russia do?", "what happened next?", "how did they react?": a verb with nothing of its own to ask
_EMPTY_PREDICATE = re.compile(r"\b(do|did|does|doing|done|say|said|respond|responded|react|reacted|reply|replied|"
                              r"happen|happened|happens|next|then|afterwards|after that)\s*[?.!]*\s*$", re.I)
_CARRIED = re.compile(r"^(?P<own>.*\S)\s+\((?P<carried>[^()]+)\)$")
_QUESTION_WORDS = {"who", "what", "when", "where", "why", "how", "which", "whom", "whose", "and", "did", "does",
                   "is", "are", "was", "were", "do", "many", "much", "about", "else", "also", "then"}
MIN_OWN_WORDS = 1  # a follow-up with fewer content words of its own is marked by what was searched
# The rewrite is kept when its best passage's similarity to it beats the as-asked best passage's
# similarity to the question by this much. Chosen on the "tune" half of bench/data/conversations.jsonl.
REWRITE_MARGIN = 0.1
FIT_MARGIN = 0.3  # how much worse the rewrite's passage may answer the question's own words
MAX_ANSWER_NAMES = 4  # names taken from the previous answer sentence


def split_searched(searched: str) -> tuple[str, str | None]:
    """(the question as asked, the subject carried into it) of a searched text."""
    match = _CARRIED.match(searched)
    return (match.group("own"), match.group("carried")) if match else (searched, None)


def names(text: str) -> list[str]:
    """The capitalized names in ``text``: not question words or stopwords ("That's" at a
    sentence's start)."""
    found = []
    for name in _NAME.findall(text):
        words = name.split()
        while words and (_no_subject(words[0]) or words[0].lower() in _QUESTION_WORDS):
            words.pop(0)  # "That's Dustin Johnson" -> "Dustin Johnson"
        if words:
            found.append(" ".join(words))
    return list(dict.fromkeys(found))


def _no_subject(word: str) -> bool:
    base = re.split(r"['’]", word.lower())[0]
    return base in STOPWORDS or bool(_POINTER.fullmatch(base))


def own_words(question: str) -> list[str]:
    return [w for w in content_terms(question) if w not in _QUESTION_WORDS]


def subject(searched: str) -> str:
    """The subject a searched text passes on: its own names, else what it carried, else its words."""
    own, carried = split_searched(searched)
    return topic(own, carried or "", rewritten=carried is not None)


def topic(question: str, previous_topic: str = "", rewritten: bool = False) -> str:
    """What a turn is about, for the turns after it: the names the question uses, else (a
    follow-up that was rewritten) the conversation's topic so far, else its content words."""
    found = names(question)
    if found:
        return " ".join(found)
    if rewritten and previous_topic:
        return previous_topic
    return " ".join(own_words(question)) or previous_topic


def candidates(question: str, previous_topic: str, answer: str = "") -> list[str]:
    """``question`` with the conversation's subject added: the topic so far, and the names
    in the previous answer ("How did he describe it?" after "...he entered the University
    of Erfurt..."). Empty when there is nothing to add."""
    question = " ".join(question.split())
    own = {w.lower() for w in content_terms(question)}
    found = []
    answer_names = " ".join(names(answer)[:MAX_ANSWER_NAMES])
    for carried in (previous_topic, f"{previous_topic} {answer_names}".strip()):
        missing = list(dict.fromkeys(w for w in carried.split() if w.lower() not in own))
        if missing:
            found.append(f"{question} ({' '.join(missing)})")
    return list(dict.fromkeys(found))


def refers_back(question: str) -> bool:
    """Whether the question has a word that points into the conversation: a pronoun
    ("it", "they", "that"; not "this week" or "is there"), a leaning start ("and ...", "what
    about ..."), or no word of its own."""
    pointing = _POINTER.search(_NOT_POINTING.sub(" ", question))
    return bool(pointing or _LEANING_START.match(question)) or not own_words(question)


def needs_conversation(question: str) -> bool:
    """Whether the question means something only after the turns before it: it points back
    (:func:`refers_back`), or its verb asks nothing of its own ("what did Russia do?", "what
    happened next?"). A question with its own subject and predicate ("who wrote Middlemarch?")
    is a new subject: it is searched as asked, whatever the conversation was about."""
    return refers_back(question) or bool(_EMPTY_PREDICATE.search(question))


def continues(question: str, passage_text: str, passage_article: str, shown_articles: set[str]) -> bool:
    """Whether a rewrite's best passage carries the conversation on: it comes from an article
    the previous turn showed, and it speaks of every word of the question's own ("what did
    Russia do?" after the Aleppo questions: that article's "...their Russian allies answered
    the advance with air strikes"). A word counts when a passage word starts with it or it
    with a passage word of four letters or more (Russia, Russian)."""
    own = own_words(question)
    if not own or passage_article not in shown_articles:
        return False
    words = set(content_terms(passage_text))
    return all(any(w.startswith(t) or (len(w) >= 4 and t.startswith(w)) for w in words) for t in own)


def prefer_rewrite(asked_similarity: float | None, rewrite_similarity: float | None,
                   asked_fit: float | None = None, rewrite_fit: float | None = None,
                   pointing: bool = True, continuing: bool = False) -> bool:
    """Whether to search the rewrite instead of the question as asked.

    The rewrite's best passage must match it clearly better than the question's own best
    passage matches the question (None: that search found nothing). A question with no word
    pointing into the conversation (``pointing``) must also be answered about as well by the
    rewrite's passage (``*_fit``: each best passage's answer score for the question as
    asked): this keeps "who won the cup?" after a talk about Aleppo from being pulled to the
    Aleppo story, whose names the rewrite carries. A rewrite that ``continuing`` the
    conversation (:func:`continues`) needs only to match at least as well as the question
    as asked."""
    if rewrite_similarity is None:
        return False
    if asked_similarity is None:
        return True
    if continuing and rewrite_similarity >= asked_similarity:
        return True
    if not pointing and asked_fit is not None and rewrite_fit is not None and rewrite_fit < asked_fit - FIT_MARGIN:
        return False
    return rewrite_similarity > asked_similarity + REWRITE_MARGIN


def answer_focus(question: str, searched: str) -> str | None:
    """What the marked sentence should answer for a rewritten follow-up: the user's own words
    ("how much will they cost?" marks the sentence about the cost, not the one that names the
    carried subject), else None when they hold no content word (mark by what was searched)."""
    if searched == question:
        return None
    return question if len(own_words(question)) >= MIN_OWN_WORDS else None


class Shown(Protocol):
    """What the follow-up policy reads of a passage an answer showed (a :class:`qa.Passage`)."""

    article_id: str
    has_answer: float | None
    confidence: float
    short_answer_sentence: tuple[int, int] | None
    ranked_sentence: tuple[int, int] | None


def support(passages: Iterable[Shown]) -> float:
    """The best reader-less confidence (qa/search/matching.py) among the passages the reader read."""
    return max((p.confidence for p in passages if p.has_answer is not None), default=0.0)


def carried_support(previous, lead: Shown) -> float:
    """What a rewritten follow-up inherits from the turn before it: that turn's support when it
    was answered and showed the article the follow-up's lead passage comes from, and the
    reader's answer lies in the sentence the first stages chose too. The support
    (:func:`support`) says the archive covers the subject; a follow-up ("when did that
    happen? (Aleppo)") matches its passages poorly in words, though the conversation already
    found them on topic. The reader reads the follow-up without the conversation, so its
    answer counts only where the sentence ranking, which searched with the subject, agrees."""
    if not getattr(previous, "answered", False) or lead.article_id not in {p.article_id for p in previous.passages}:
        return 0.0
    mine, ranked = lead.short_answer_sentence, lead.ranked_sentence
    if mine is None or ranked is None or not (ranked[0] <= mine[0] and mine[1] <= ranked[1]):
        return 0.0
    return support(previous.passages)


@dataclass(frozen=True)
class Turn:
    """What the follow-up policy decided for one question: what was searched, what it found,
    the reader's judgement of it, and the conversation's topic before it."""

    searched: str
    passages: list
    judgement: object | None
    previous_topic: str


def follow(question: str, history: Sequence, search: Callable[[str, str | None], tuple[list, object | None]],
           fit: Callable[[str, list], float], failed: Exception | None, asked: tuple[list, object | None]) -> Turn:
    """The follow-up policy for one turn. ``asked``: what ``question`` as asked found
    (passages, judgement); ``failed``: why it could not be searched alone ("what about them?"
    has no word to search for), raised again unless a rewrite is kept. A question that needs
    the conversation is searched again with its subject added (``search(text, focus)``, one
    rewrite at a time, :func:`candidates`), and the rewrite is kept by :func:`prefer_rewrite`;
    ``fit(question, passages)`` is how well the first passage answers the question's own words."""
    passages, judgement = asked
    searched, best = question, (passages[0].similarity if passages else None)
    previous_topic, lead, last = "", "", history[-1] if history else None
    if last is not None:
        previous_topic, lead = (subject(last), "") if isinstance(last, str) else (last.topic, last.lead)
    if last is not None and needs_conversation(question):
        asked_fit = passages[0].answer_score if passages else None
        pointing = refers_back(question)
        for rewritten in candidates(question, previous_topic, lead):
            found, judged = search(rewritten, answer_focus(question, rewritten))
            rewrite_fit = None if pointing or not found else fit(question, found[:1])
            continuing = searched == question and bool(found) and not isinstance(last, str) and continues(
                question, found[0].text, found[0].article_id, {p.article_id for p in last.passages})
            if prefer_rewrite(best, found[0].similarity if found else None, asked_fit, rewrite_fit, pointing,
                              continuing):
                passages, searched, best, judgement = found, rewritten, found[0].similarity, judged
    if failed is not None and searched == question:
        raise failed
    return Turn(searched, passages, judgement, previous_topic)
