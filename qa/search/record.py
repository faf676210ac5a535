"""The record a question's stages pass along, at the bottom of qa/search: what the question
asks (:class:`Query`), the candidates and what is known of them (:class:`Candidate`,
:class:`SentenceMatch`, :class:`Evidence`), what the reader found (:class:`Span`,
:class:`ShortAnswer`), and what the question returns (:class:`Passage`, :class:`Citation`,
:class:`Answer`; ``SCORES`` says what each number means). Only data and what it says of itself:
no stage. Every stage imports from here; this module imports no stage (matching.py, the formula a
passage's confidence is, has no import of its own).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from functools import cached_property, lru_cache

import numpy as np

from index import ChunkRow, content_terms, terms
from qa.search.matching import confidence


@dataclass(frozen=True)
class QueryTerms:
    """The question's content words with their IDF weights.

    A key is a tuple of alternative spellings: a word the index does not know is
    represented by the known spellings it was matched to, and counts once.
    """

    weights: dict[tuple[str, ...], float]

    @classmethod
    def from_frequencies(cls, question: str, frequencies: dict[str, int], total: int,
                         variants: dict[str, tuple[str, ...]] | None = None) -> QueryTerms:
        variants = variants or {}

        def idf(term: str) -> float:
            return math.log(1 + total / (1 + frequencies.get(term, 0)))

        weights = {}
        for word in content_terms(question):
            spellings = variants.get(word, (word,))
            weights[spellings] = max(idf(t) for t in spellings)
        return cls(weights)

    @cached_property
    def total(self) -> float:
        return sum(self.weights.values())

    def overlap(self, text: str) -> float:
        """Share of the question's (IDF-weighted) content words that ``text`` contains."""
        total = self.total
        if total == 0:
            return 0.0
        present = term_set(text)
        return sum(w for spellings, w in self.weights.items() if any(t in present for t in spellings)) / total


@lru_cache(maxsize=20_000)  # the passages' sentences recur across questions (and within one, stage after stage)
def term_set(text: str) -> frozenset[str]:
    """The keyword-index terms ``text`` holds."""
    return frozenset(terms(text))


@dataclass(frozen=True)
class Query:
    text: str
    terms: tuple[str, ...]  # keyword-search terms, variants included
    variants: dict[str, tuple[str, ...]]  # unknown word -> known spellings it was matched to
    weights: QueryTerms  # IDF weights of the question's own words, for highlighting


@dataclass
class Candidate:
    chunk_id: int
    dense: float  # cosine similarity to the question
    keyword: float  # BM25 score, 0 if the keyword index did not propose it
    score: float = 0.0  # the running ranking score
    has_answer: float | None = None  # the reader's probability that it answers, when it read it


@dataclass(frozen=True)
class SentenceMatch:
    """The sentence(s) of a passage that best answer the question."""

    span: tuple[int, int]  # in the passage
    score: float  # blended score of the best sentence
    similarity: float  # its embedding similarity to the question


@dataclass(frozen=True)
class Span:
    """One answer span the reader found in a passage."""

    text: str  # as the passage writes it
    span: tuple[int, int]  # in the passage's text
    sentence: tuple[int, int]  # the sentence holding it, in the passage's text
    probability: float  # the span's probability, given that the passage answers


@dataclass(frozen=True)
class ShortAnswer:
    """The reader's answer found in one passage, and its next best spans."""

    chunk_id: int
    text: str  # the short answer, as the passage writes it
    span: tuple[int, int]  # in the passage's text
    sentence: tuple[int, int]  # the sentence holding it, in the passage's text
    has_answer: float  # the reader's probability that the passage answers the question
    probability: float  # has_answer x the span's probability
    span_probability: float = 0.0  # the span's probability, given that the passage answers
    alternatives: tuple[Span, ...] = ()  # the next best spans, best first
    masses: tuple[float, float] = (0.0, 0.0)  # the reading's start and end masses (qa/search/verdict.py)

    @property
    def spans(self) -> tuple[Span, ...]:
        """Every span found, best first."""
        return (Span(self.text, self.span, self.sentence, self.span_probability), *self.alternatives)


@dataclass
class Evidence:
    """A question's top candidates with everything known about them (see ``Index.evidence``)."""

    question: str
    query: Query
    vector: np.ndarray  # the question's embedding
    candidates: list[Candidate]  # best first once reranked
    rows: dict[int, ChunkRow]  # by chunk id
    sentences: dict[int, tuple[list[tuple[int, int]], np.ndarray]]  # spans and vectors, by chunk id
    answers: dict[int, SentenceMatch]  # the answering sentence, by chunk id
    short: dict[int, ShortAnswer | None] = field(default_factory=dict)  # the reader's, by chunk id (those read)


@dataclass(frozen=True)
class Options:
    """How a question is asked, besides its words (see :meth:`qa.Index.retrieve`): the dates
    and outlets that filter, the order shown, whether recency counts, the day it is asked on,
    and the retrieval method (None: the settings')."""

    since: str | None = None
    until: str | None = None
    sources: list[str] | None = None
    order_by: str = "relevance"
    prefer_recent: bool = False
    as_of: str | None = None
    method: str | None = None


@dataclass(frozen=True)
class Citation:
    """Where a passage was published."""

    article_id: str
    title: str
    source: str | None
    published: str | None
    url: str | None


@dataclass(frozen=True)
class Passage:
    """One retrieved passage, best first by ``rank`` (1-based).

    ``span`` is the passage's character range in its article's text; ``answer_span``
    is the range of the answering sentence inside ``text`` (two adjacent sentences when
    both answer equally well). ``score`` is what the passages are ranked by: the fused
    (min-max normalized dense and BM25) score after reranking, comparable only within one
    answer; ``similarity`` the cosine similarity of passage and question; ``answer_score``
    the answering sentence's similarity blended with its word overlap; ``confidence`` what
    decides whether it answers (qa/search/matching.py). ``also_in`` lists other articles that
    carry the same passage (syndicated copies), collapsed into this one.
    """

    text: str
    score: float
    rank: int
    article_id: str
    title: str
    url: str | None
    published: str | None
    source: str | None
    byline: str | None
    span: tuple[int, int]
    answer_span: tuple[int, int]
    answer_score: float
    chunk_id: int
    similarity: float = 0.0
    also_in: tuple[Citation, ...] = ()
    coverage: float = 0.0  # share of the question's (IDF-weighted) words anywhere in the passage
    has_answer: float | None = None  # the reader's probability that the passage answers (None: not read)
    short_answer: str | None = None  # the reader's answer span in this passage (None: not read)
    short_answer_span: tuple[int, int] | None = None  # its range inside ``text``
    short_answer_score: float | None = None  # ``has_answer`` x the span's probability (not calibrated)
    short_answer_sentence: tuple[int, int] | None = None  # the sentence holding it, inside ``text``
    ranked_sentence: tuple[int, int] | None = None  # the answering sentence the first stages chose, before the reader

    @property
    def confidence(self) -> float:
        """How surely this passage answers the question (see :mod:`qa.search.matching`)."""
        return round(confidence(self.answer_score, self.coverage), 4)

    @property
    def where(self) -> str:
        """'outlet, date' as an answer cites it, leaving out what is unknown."""
        return ", ".join(x for x in (self.source, self.published) if x)

    @property
    def answer(self) -> str:
        """The sentence(s) of the passage that best answer the question."""
        return self.text[self.answer_span[0] : self.answer_span[1]]

    def to_dict(self) -> dict:
        """What a user can read of it: the text, where it comes from, the sentence that answers,
        the short answer and the numbers SCORES names (offsets of the passage, the answering
        sentence and the short answer in it, for highlighting; no internal ids but the chunk's)."""
        fields = asdict(self)
        for internal in ("ranked_sentence", "short_answer_sentence"):
            fields.pop(internal)
        return fields | {"answer": self.answer, "confidence": self.confidence}

    def __repr__(self) -> str:
        text = self.text if len(self.text) <= 60 else self.text[:57] + "..."
        return (f"Passage(rank={self.rank}, score={self.score:.3f}, title={self.title!r}, "
                f"published={self.published!r}, text={text!r})")


@dataclass(frozen=True)
class Answer:
    """A question's result: the short answer, the passages, and whether it is answered.

    ``answered`` is False when the probability that the short answer is right is under
    ``threshold`` (or, with the reader off, no passage's confidence reaches it): the
    passages are then only the closest ones, not answers. ``text`` is the short answer (""
    when not answered), ``probability`` the calibrated probability that it is right (given
    when not answered too; 0 with the reader off), ``level`` that probability in words
    ("likely", "unsure"),
    ``cited`` the rank of the passage that holds it. ``searched`` is the text that was
    actually searched (a follow-up question may be rewritten).
    """

    question: str
    searched: str
    passages: tuple[Passage, ...]
    answered: bool
    threshold: float
    topic: str = ""  # what the conversation is about after this turn (for the next follow-up)
    filters: str = ""  # the filters that applied, as a reader would say them ("" for none)
    text: str = ""  # the short answer
    probability: float = 0.0  # that the short answer is right (calibrated); under ``threshold``: not answered
    level: str = ""  # the probability in words: "likely" or "unsure" ("" when not answered)
    cited: int | None = None  # rank of the passage holding the short answer
    differing: tuple[int, ...] = ()  # ranks of passages of other articles that answer differently
    dated: str | None = None  # time decided (as of a day, or "the new / latest ..."): the answer's article's date
    resolved: str = ""  # a relative time in the answer ("late last week") as days, from its article's date
    less_related: tuple[int, ...] = ()  # ranks of passages far below the best, not cited: folded (qa/search/fold.py)
    partial: str | None = None  # a shard set some shards of which did not answer: "3 of 4 shards answered (...)"

    @property
    def passage(self) -> Passage | None:
        """The passage that holds the short answer (None when not answered)."""
        return self.passages[self.cited - 1] if self.cited else None

    @property
    def lead(self) -> str:
        """The sentence quoted first: the one holding the short answer, else the answering
        sentence of the best passage ("" when nothing was found)."""
        if self.passage is not None:
            return self.passage.answer
        return self.passages[0].answer if self.passages else ""

    @property
    def label(self) -> str:
        """The answer's probability in words, as the chat and the CLI say it: "Likely answer"
        or "Unsure answer" ("Answer" when the reader is off)."""
        return {"likely": "Likely answer", "unsure": "Unsure answer"}.get(self.level, "Answer")

    @property
    def said(self) -> str:
        """The short answer as it is shown: a relative time with the days it names ("late last
        week (2024-11-28 to 2024-12-01)"); "" when not answered."""
        return f"{self.text} ({self.resolved})" if self.text and self.resolved else self.text

    @property
    def when(self) -> str:
        """When time decided the answer: "newest answer, 2022-09-06" ("" otherwise)."""
        return f"newest answer, {self.dated}" if self.dated else ""

    @property
    def others(self) -> tuple[Passage, ...]:
        """Passages of other articles that answer too, differently (news changes: two outlets,
        or two days, may say different things)."""
        return tuple(self.passages[r - 1] for r in self.differing)

    def to_dict(self) -> dict:
        return {"question": self.question, "searched": self.searched, "answered": self.answered,
                "answer": self.text, "probability": self.probability, "level": self.level,
                "cited": self.cited, "lead": self.lead if self.answered else "", "filters": self.filters,
                "threshold": self.threshold, "others": [p.rank for p in self.others],
                "less_related": list(self.less_related), "dated": self.dated, "resolved": self.resolved,
                "partial": self.partial, "passages": [p.to_dict() for p in self.passages], "scores": SCORES}


# what each number of Answer.to_dict() means (``qa ask --json`` prints it beside them)
SCORES = {
    "probability": "the probability that the short answer is right, calibrated on held-back questions "
                   "(of answers given 0.8, about 8 in 10 were right); the question is answered from threshold",
    "threshold": "the bar under which the question is not answered: of probability (the reader on), else of the "
                 "best passage's confidence (QA_READER=0: probability is then 0, QA_MIN_SCORE is the bar)",
    "dated": "when time decides (asked as of a day, or for the new / latest / current one), the date of the "
             "article the answer comes from: the newest that answers",
    "resolved": "a relative time in the answer ('late last week') as the days it names, from its article's date",
    "less_related": "ranks of passages far below the best (their score lacks more than the shipped margin of the "
                    "best one's) and not cited: the chat folds them under 'Less related'",
    "partial": "None when the whole archive answered; for a shard set some shards of which did not answer in "
               "time, which answered ('3 of 4 shards answered (...)'): the passages are from those only",
    "level": "the probability in words: likely, unsure ('' when not answered)",
    "passages[].score": "the ranking score: orders the passages of this answer only, not comparable across questions",
    "passages[].has_answer": "the reader's probability that this passage answers the question (None: not read)",
    "passages[].short_answer_score": "has_answer x the probability of this passage's short answer span (not "
                                     "calibrated: it ranks the passages' answers, the answer's probability says "
                                     "how likely it is right)",
    "passages[].confidence": "how well the passage's best sentence matches the question, without the reader",
    "passages[].similarity": "cosine similarity of the passage and the question (embeddings)",
    "passages[].answer_score": "the answering sentence's similarity blended with its word overlap",
    "passages[].coverage": "share of the question's words (weighted by rarity) found in the passage",
}
