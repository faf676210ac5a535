"""What a question returns: passages with their citation and answering sentence."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from qa.search import confidence


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
    reader: float | None = None  # the reader's probability that the passage answers (None: not read)
    short_answer: str | None = None  # the reader's answer span in this passage (None: not read)
    short_answer_span: tuple[int, int] | None = None  # its range inside ``text``
    short_answer_probability: float | None = None  # ``reader`` x the span's probability
    short_answer_sentence: tuple[int, int] | None = None  # the sentence holding it, inside ``text``
    ranked_sentence: tuple[int, int] | None = None  # the answering sentence the first stages chose, before the reader

    @property
    def confidence(self) -> float:
        """How surely this passage answers the question (see :mod:`qa.search.matching`)."""
        return round(confidence(self.answer_score, self.coverage), 4)

    @property
    def answer(self) -> str:
        """The sentence(s) of the passage that best answer the question."""
        return self.text[self.answer_span[0] : self.answer_span[1]]

    def to_dict(self) -> dict:
        return asdict(self) | {"answer": self.answer, "confidence": self.confidence}

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
    when not answered too), ``confidence`` that probability in words ("likely", "unsure"),
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
    confidence: str = ""  # the probability in words: "likely" or "unsure" ("" when not answered)
    cited: int | None = None  # rank of the passage holding the short answer
    differing: tuple[int, ...] = ()  # ranks of passages of other articles that answer differently
    dated: str | None = None  # time decided (as of a day, or "the new / latest ..."): the answer's article's date
    resolved: str = ""  # a relative time in the answer ("late last week") as days, from its article's date
    less_related: tuple[int, ...] = ()  # ranks of passages far below the best, not cited: folded (qa/search/fold.py)

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
        return {"likely": "Likely answer", "unsure": "Unsure answer"}.get(self.confidence, "Answer")

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
                "answer": self.text, "probability": self.probability, "confidence": self.confidence,
                "cited": self.cited, "lead": self.lead if self.answered else "", "filters": self.filters,
                "threshold": self.threshold, "others": [p.rank for p in self.others],
                "less_related": list(self.less_related), "dated": self.dated, "resolved": self.resolved,
                "passages": [p.to_dict() for p in self.passages], "scores": SCORES}


# what each number of Answer.to_dict() means (``qa ask --json`` prints it beside them)
SCORES = {
    "probability": "the probability that the short answer is right, calibrated on held-back questions "
                   "(of answers given 0.8, about 8 in 10 were right); the question is answered from threshold",
    "threshold": "the probability under which the question is not answered",
    "dated": "when time decides (asked as of a day, or for the new / latest / current one), the date of the "
             "article the answer comes from: the newest that answers",
    "resolved": "a relative time in the answer ('late last week') as the days it names, from its article's date",
    "less_related": "ranks of passages far below the best (their score lacks more than the shipped margin of the "
                    "best one's) and not cited: the chat folds them under 'Less related'",
    "confidence": "the probability in words: likely, unsure ('' when not answered)",
    "passages[].score": "the ranking score: orders the passages of this answer only, not comparable across questions",
    "passages[].reader": "the reader's probability that this passage answers the question (None: not read)",
    "passages[].short_answer_probability": "reader x the probability of this passage's short answer span",
    "passages[].confidence": "how well the passage's best sentence matches the question, without the reader",
    "passages[].similarity": "cosine similarity of the passage and the question (embeddings)",
    "passages[].answer_score": "the answering sentence's similarity blended with its word overlap",
    "passages[].coverage": "share of the question's words (weighted by rarity) found in the passage",
}


@dataclass(frozen=True)
class IndexInfo:
    """What an index holds and how it was built."""

    path: str
    model: str
    dimension: int
    max_seq_length: int
    encoding: str
    chunk_tokens: int
    chunk_overlap: int
    articles: int
    chunks: int
    sentences: int
    earliest: str | None
    latest: str | None
    generation: int
    created_at: str
    updated_at: str
    integrity: str = "not checked"  # the database's quick check: "ok (quick check)", or why it was not run
    segments: int = 0  # vector files
    approximate: bool = False  # searched approximately (IVF) past 200,000 passages
    sizes: dict[str, int] = field(default_factory=dict)  # bytes on disk: database, vectors, cache

    def to_dict(self) -> dict:
        return asdict(self)
