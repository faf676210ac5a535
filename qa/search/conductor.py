"""The conductor: one question's stages, run in order over an open index.

    checks -> query (terms, spelling variants) -> embed once -> candidates (dense + BM25,
    fused) -> rows, sentences, answering sentences -> rerank -> recency? -> read (the best
    few) -> collapse duplicates -> order -> the verdict across passages -> Passages
    then, for :meth:`Conductor.ask`: the follow-up policy (followup.py) -> the answer, how
    sure it is, other answers, time (verdict.py, when.py) -> what folds (fold.py) -> Answer

Each stage is a module of qa/search; what they pass along is qa/search/record.py. A turn
embeds each text once: every embedding goes through the turn's ``memo``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

import numpy as np

from index import Embedder, Filter, IndexReader
from qa.choices import ORDERS
from qa.errors import QuestionError
from qa.search.arrange import Recency, collapse_duplicates, named_span, order, speaks_of_the_present
from qa.search.checks import check_date, check_k, check_question, check_sources, describe_filters
from qa.search.fold import less_related
from qa.search.followup import follow, refers_back, topic
from qa.search.hybrid import gather
from qa.search.query import analyze, focused, shorten
from qa.search.reader import Reader
from qa.search.reading import blend, read_best
from qa.search.record import Answer, Citation, Evidence, Options, Passage, Query, ShortAnswer
from qa.search.rerank import RERANK_DEPTH, Reranker, answers_for
from qa.search.timing import budget, check
from qa.search.verdict import Judgement, conclude, judge, reads_of, respan
from qa.search.when import asks_for_newest

log = logging.getLogger(__name__)

ASKED_PLAINLY = Options()  # no filter, best first
SOURCES_LISTED = 20  # outlets named in the error for an unknown one
# For a large k: each retriever proposes at least 2k passages, and 3k are reranked, so that
# after duplicates collapse there are still k distinct ones.
CANDIDATES_PER_PASSAGE = 2
RERANKED_PER_PASSAGE = 3


@dataclass(frozen=True)
class Knobs:
    """The settings the stages read (qa.Settings holds them; the conductor sits below it)."""

    top_k: int
    candidates: int
    retrieval: str
    min_score: float
    seconds: float = 10.0  # the question's time budget (qa/search/timing.py)


@dataclass
class Conductor:
    """The stages over one open index: its reader, the embedding model, the reranker and the
    extractive reader (None: off)."""

    reader: IndexReader
    embedder: Embedder
    reranker: Reranker
    answerer: Reader | None
    knobs: Knobs

    def retrieve(self, question: str, k: int | None = None, options: Options = ASKED_PLAINLY, *,
                 focus: str | None = None, memo: dict | None = None) -> tuple[list[Passage], Judgement | None]:
        """The passages (see :meth:`qa.Index.retrieve`), and the reader's judgement of those
        shown (None: reader off)."""
        since, until, sources, order_by = options.since, options.until, options.sources, options.order_by
        prefer_recent, as_of, method = options.prefer_recent, options.as_of, options.method
        question = check_question(question)
        k = self.knobs.top_k if k is None else check_k(k)
        if order_by not in ORDERS:
            raise QuestionError(f"order_by={order_by!r}: use one of {', '.join(ORDERS)}")
        as_of = check_date(as_of, "as_of")
        until = check_date(until, "until")
        if as_of and (until is None or as_of < until):
            until = as_of  # nothing published after the day the question is asked
        where = Filter(check_date(since, "since"), until, check_sources(sources))
        if as_of and where.since and where.since > as_of:
            raise QuestionError(f"since={where.since} is after as_of={as_of}: nothing was published yet")
        if where.since and where.until and where.since > where.until:
            raise QuestionError(f"since={where.since} is after until={where.until}: swap them")
        self.reader.refresh()
        if where.sources:
            self.check_sources(where.sources)
        recency = None
        if prefer_recent or speaks_of_the_present(question):
            today = date.fromisoformat(as_of) if as_of else (None if prefer_recent else date.today())
            recency = Recency(today, named_span(question))
        reads = focus if focus and not refers_back(focus) else None
        found = self.evidence(question, k, where=where, method=method, focus=focus, reads=reads, recency=recency,
                              memo=memo)
        top, rows = found.candidates, found.rows
        vectors = dict(zip([c.chunk_id for c in top], self.reader.chunk_vectors([c.chunk_id for c in top])))
        kept = order(collapse_duplicates(top, rows, vectors, k), rows, order_by)
        judgement = None
        if self.answerer is not None:
            check("the verdict")
            shown = reads_of(found, {c.chunk_id for c, _ in kept})
            judgement = judge(reads or question, shown, self.answerer.config.calibration)
        return [self._passage(found, c, copies, rank, judgement) for rank, (c, copies) in enumerate(kept, 1)], \
            judgement

    def _passage(self, found: Evidence, c, copies, rank: int, judgement: Judgement | None) -> Passage:
        rows = found.rows
        row, answer = rows[c.chunk_id], found.answers[c.chunk_id]
        short = found.short.get(c.chunk_id)
        if short is not None and judgement is not None:
            short = respan(short, judgement, c.chunk_id)
        also = {rows[i].article_id: rows[i] for i in copies if rows[i].article_id != row.article_id}
        return Passage(
            text=row.text, score=round(c.score, 4), rank=rank, article_id=row.article_id,
            title=row.title, url=row.url, published=row.published, source=row.source, byline=row.byline,
            span=(row.start, row.end), answer_span=self._marked(answer.span, short), ranked_sentence=answer.span,
            answer_score=answer.score, chunk_id=row.id, similarity=c.dense,
            coverage=round(found.query.weights.overlap(row.text), 4),
            has_answer=None if c.has_answer is None else round(c.has_answer, 4),
            short_answer=short.text if short else None, short_answer_span=short.span if short else None,
            short_answer_score=short.probability if short else None,
            short_answer_sentence=short.sentence if short else None,
            also_in=tuple(Citation(r.article_id, r.title, r.source, r.published, r.url) for r in also.values()),
        )

    def _marked(self, sentence: tuple[int, int], short: ShortAnswer | None) -> tuple[int, int]:
        """The sentence to mark: the one holding the reader's answer when it is sure of it."""
        if short is not None and self.answerer is not None and short.has_answer >= self.answerer.config.threshold:
            return short.sentence
        return sentence

    def evidence(self, question: str, k: int = 10, *, where: Filter | None = None, method: str | None = None,
                 rerank: bool = True, read_: bool = True, focus: str | None = None, reads: str | None = None,
                 recency: Recency | None = None, memo: dict | None = None) -> Evidence:
        """The first stages (see :meth:`qa.Index.evidence`)."""
        query = analyze(question, self.reader)
        if not query.terms:
            raise QuestionError(f"{question!r} has no word to search for, only words like 'the', 'who' or 'and': "
                                "ask about something, e.g. 'who holds Tal Rifaat?'")
        vector = self.vector(question, query, memo)
        check("the search")
        n = max(self.knobs.candidates, CANDIDATES_PER_PASSAGE * k)
        candidates = gather(self.reader, query, vector, n, method or self.knobs.retrieval, where)
        top = candidates[: max(RERANK_DEPTH, RERANKED_PER_PASSAGE * k)]
        rows = self.reader.chunks([c.chunk_id for c in top])
        top = [c for c in top if c.chunk_id in rows]  # a writer may have removed some meanwhile
        sentences = self.reader.sentences(list(rows.values()))
        answers = answers_for(query, vector, rows, sentences)
        found = Evidence(question, query, vector, top, rows, sentences, answers)
        check("the rerank")
        if rerank:
            self.reranker.rerank(found)
        top.sort(key=lambda c: -c.score)
        if recency is not None:
            recency.apply(top, rows)
        if focus and focus != question:  # the sentences that answer the user's own words: marked and read
            mine = focused(query, focus)
            found.answers = answers_for(mine, self.vector(focus, mine, memo), rows, sentences)
        if read_ and self.answerer is not None:
            check("the reader")
            config = self.answerer.config
            found.short = read_best(self.answerer, found, config.depth, reads)
            blend(found, config.weight)
        return found

    def ask(self, question: str, k: int | None = None, options: Options = ASKED_PLAINLY, *,
            history: Sequence = ()) -> Answer:
        """One turn (see :meth:`qa.Index.ask`)."""
        question = check_question(question)
        with budget(self.knobs.seconds), self.reader.question() as coverage:  # a shard set: those that answered
            answer = self._ask(question, k, options, history)
        if coverage.note:
            log.warning("%r answered in part: %s", question[:80], coverage.note)
            answer = replace(answer, partial=coverage.note)
        return answer

    def _ask(self, question: str, k: int | None, options: Options, history: Sequence) -> Answer:
        memo: dict = {}  # every text this turn embeds, embedded once
        failed, asked = None, ([], None)
        try:
            asked = self.retrieve(question, k, options, memo=memo)
        except QuestionError as exc:  # maybe nothing to search for alone ("what about them?")
            if not history:
                raise
            failed = exc
        turn = follow(question, history,
                      lambda text, focus: self.retrieve(text, k, options, focus=focus, memo=memo),
                      lambda text, passages: self.fit(text, passages, memo)[0], failed, asked)
        passages, searched = turn.passages, turn.searched
        short = {}
        if self.answerer is not None:
            calibration = self.answerer.config.calibration
            threshold = calibration.answer_bar
            answered, short = conclude(turn.judgement, passages, calibration,
                                       history[-1] if searched != question else None,
                                       newest=bool(options.as_of) or asks_for_newest(question))
        else:
            threshold = self.knobs.min_score
            answered = any(p.confidence >= threshold for p in passages)
        cited = {short.get("cited"), *short.get("differing", ())} if answered else set()
        folded = less_related([p.score for p in passages], cited - {None})
        return Answer(question=question, searched=searched, passages=tuple(passages), answered=answered,
                      threshold=threshold, less_related=folded,
                      topic=topic(question, turn.previous_topic, rewritten=searched != question),
                      filters=describe_filters(since=options.since, until=options.until, sources=options.sources,
                                               as_of=options.as_of), **short)

    def fit(self, question: str, passages: Sequence[Passage], memo: dict | None = None) -> list[float]:
        """How well each passage's best sentence answers ``question`` itself (its answer score
        for that question, whatever the passage was found for)."""
        if not passages:
            return []
        query = analyze(question, self.reader)
        vector = self.vector(question, query, memo)
        rows = self.reader.chunks([p.chunk_id for p in passages])
        sentences = self.reader.sentences(list(rows.values()))
        answers = answers_for(query, vector, rows, sentences)
        return [answers[p.chunk_id].score if p.chunk_id in answers else 0.0 for p in passages]

    def vector(self, text: str, query: Query, memo: dict | None = None) -> np.ndarray:
        """The embedding of a question (once per ``memo``, a turn's); a pasted paragraph
        longer than the model reads is embedded as its names and rarest words (see
        :func:`qa.search.query.shorten`)."""
        if memo is not None and text in memo:
            return memo[text]
        limit = self.embedder.max_seq_length
        embedded = text
        if self.embedder.count_tokens([text])[0] > limit:
            embedded = shorten(text, query.weights, lambda t: self.embedder.count_tokens([t])[0] <= limit)
            log.info("a long question embedded as %r", embedded[:80])
        vector = self.embedder.embed([embedded])[0]
        if memo is not None:
            memo[text] = vector
        return vector

    def check_sources(self, wanted: Sequence[str]) -> None:
        """Refuse outlets the index holds no article from, naming those it holds."""
        names = self.reader.sources()
        known = {s.lower() for s in names}
        unknown = [s for s in wanted if s.lower() not in known]
        if unknown:
            listing = ", ".join(names[:SOURCES_LISTED]) + (f" and {len(names) - SOURCES_LISTED} more"
                                                          if len(names) > SOURCES_LISTED else "")
            raise QuestionError(f"no articles from {', '.join(repr(s) for s in unknown)}: the index has articles "
                                f"from {listing or 'no named outlet'} (case does not matter)")
