"""Questions in: candidates from both indexes, fused, reranked, deduplicated, cited.

    question -> embed once -> dense top-n  \\
                           -> BM25 top-n    -> fuse -> rerank top 20 -> recency? ->
                              collapse duplicates -> order -> Passages with highlights
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import numpy as np

from index import ArticleSummary, Embedder, Filter, IndexReader, load_embedder, open_reader
from qa.choices import ORDERS
from qa.errors import QuestionError
from qa.info import IndexInfo
from qa.search import (
    RERANK_DEPTH,
    Answer,
    Citation,
    Evidence,
    Judgement,
    Passage,
    Query,
    Reader,
    Recency,
    Reranker,
    ShortAnswer,
    analyze,
    answer_focus,
    answers_for,
    asks_for_newest,
    blend,
    candidates,
    check_date,
    check_k,
    check_question,
    check_sources,
    collapse_duplicates,
    conclude,
    continues,
    describe_filters,
    focused,
    gather,
    judge,
    less_related,
    load_reader,
    make_reranker,
    named_span,
    needs_conversation,
    order,
    prefer_rewrite,
    reads_of,
    refers_back,
    respan,
    shorten,
    speaks_of_the_present,
    subject,
    topic,
)
from qa.search import read as read_candidates
from qa.settings import Settings

log = logging.getLogger(__name__)

SOURCES_LISTED = 20  # outlets named in the error for an unknown one
# For a large k: each retriever proposes at least 2k passages, and 3k are reranked, so that
# after duplicates collapse there are still k distinct ones.
CANDIDATES_PER_PASSAGE = 2
RERANKED_PER_PASSAGE = 3


class Index:
    """An open index with its embedding model loaded, ready for many questions.

    It follows the index directory: articles another process ingests or removes show up
    (or disappear) without reopening it.
    """

    def __init__(self, reader: IndexReader, embedder: Embedder, settings: Settings,
                 reranker: Reranker | None = None, answerer: Reader | None = None):
        self.reader = reader
        self.embedder = embedder
        self.settings = settings
        self.reranker = reranker or make_reranker(settings.rerank, settings.offline, settings.device)
        self.answerer = answerer or (load_reader() if settings.reader else None)  # the extractive reader

    @classmethod
    def open(cls, path: str | Path | None = None, *, settings: Settings | None = None,
             embedder: Embedder | None = None) -> Index:
        settings = settings or Settings.from_env()
        if path is not None:
            settings = settings.replace(index_dir=Path(path))
        reader = open_reader(settings.index_dir)  # reads the manifest, once
        try:
            model = settings.model or reader.manifest.model  # the index's own model unless one is named
            reader.check_model(embedder.model_id if embedder else model)
            embedder = embedder or load_embedder(model, settings.offline, settings.device)
        except BaseException:
            reader.close()
            raise
        return cls(reader, embedder, settings)

    @property
    def path(self) -> Path:
        return self.reader.dir.path

    def close(self) -> None:
        self.reader.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def retrieve(self, question: str, k: int | None = None, *, since: str | None = None,
                 until: str | None = None, sources: list[str] | None = None, order_by: str = "relevance",
                 prefer_recent: bool = False, as_of: str | None = None, method: str | None = None,
                 focus: str | None = None) -> list[Passage]:
        """The ``k`` passages that best answer ``question``, best first.

        ``since``/``until`` (ISO dates, inclusive) and ``sources`` (outlet names) filter
        before ranking. ``order_by``: relevance, newest or oldest (a timeline of the top
        passages). ``prefer_recent`` blends publication date into the ranking (by age on
        ``as_of`` if given, else relative to the newest candidate). ``as_of``: the day the
        question is asked (ISO date): articles published later are left out. A question
        about the present ("this week", "recently") prefers articles recent on ``as_of``,
        or on today without it. ``method`` overrides the settings' retrieval: hybrid, dense
        or keyword. ``focus``: the words the marked sentence should answer, when they differ
        from what is searched (a follow-up's own words, searched with the earlier subject);
        the reader reads them too when they stand alone (no word pointing back, such as
        "that"), else it reads what is searched, the subject with it.
        """
        return self._retrieve(question, k, since=since, until=until, sources=sources, order_by=order_by,
                              prefer_recent=prefer_recent, as_of=as_of, method=method, focus=focus)[0]

    def _retrieve(self, question: str, k: int | None = None, *, since: str | None = None,
                  until: str | None = None, sources: list[str] | None = None, order_by: str = "relevance",
                  prefer_recent: bool = False, as_of: str | None = None, method: str | None = None,
                  focus: str | None = None) -> tuple[list[Passage], Judgement | None]:
        """:meth:`retrieve`, and the reader's judgement of the passages shown (None: reader off)."""
        question = check_question(question)
        k = self.settings.top_k if k is None else check_k(k)
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
            self._check_sources(where.sources)
        recency = None
        if prefer_recent or speaks_of_the_present(question):
            today = date.fromisoformat(as_of) if as_of else (None if prefer_recent else date.today())
            recency = Recency(today, named_span(question))
        reads = focus if focus and not refers_back(focus) else None
        found = self.evidence(question, k, where=where, method=method, focus=focus, reads=reads, recency=recency)
        top, rows, answers, query = found.candidates, found.rows, found.answers, found.query
        vectors = dict(zip([c.chunk_id for c in top], self.reader.chunk_vectors([c.chunk_id for c in top])))
        kept = order(collapse_duplicates(top, rows, vectors, k), rows, order_by)
        judgement = None
        if self.answerer is not None:
            shown = reads_of(found, {c.chunk_id for c, _ in kept})
            judgement = judge(reads or question, shown, self.answerer.config.calibration)
        passages = []
        for rank, (c, copies) in enumerate(kept, start=1):
            row, answer = rows[c.chunk_id], answers[c.chunk_id]
            short = found.short.get(c.chunk_id)
            if short is not None and judgement is not None:
                short = respan(short, judgement, c.chunk_id)
            also = {rows[i].article_id: rows[i] for i in copies if rows[i].article_id != row.article_id}
            passages.append(Passage(
                text=row.text, score=round(c.score, 4), rank=rank, article_id=row.article_id,
                title=row.title, url=row.url, published=row.published, source=row.source, byline=row.byline,
                span=(row.start, row.end), answer_span=self._marked(answer.span, short), ranked_sentence=answer.span,
                answer_score=answer.score, chunk_id=row.id, similarity=c.dense,
                coverage=round(query.weights.overlap(row.text), 4),
                reader=None if c.reader is None else round(c.reader, 4),
                short_answer=short.text if short else None, short_answer_span=short.span if short else None,
                short_answer_probability=short.probability if short else None,
                short_answer_sentence=short.sentence if short else None,
                also_in=tuple(Citation(r.article_id, r.title, r.source, r.published, r.url) for r in also.values()),
            ))
        return passages, judgement

    def _marked(self, sentence: tuple[int, int], short: ShortAnswer | None) -> tuple[int, int]:
        """The sentence to mark: the one holding the reader's answer when it is sure of it."""
        if short is not None and self.answerer is not None and short.has_answer >= self.answerer.config.threshold:
            return short.sentence
        return sentence

    def evidence(self, question: str, k: int = 10, *, where: Filter | None = None, method: str | None = None,
                 rerank: bool = True, read: bool = True, focus: str | None = None,
                 reads: str | None = None, recency: Recency | None = None) -> Evidence:
        """The first stages of :meth:`retrieve`, callable on their own: the question analysed
        and embedded, candidates from both indexes fused (``method``: hybrid, dense or
        keyword), the top ones with their rows, sentences and answering sentences, reranked
        (unless ``rerank`` is False), read by the reader (unless ``read`` is False or the
        reader is off; it reads ``reads`` when given, else the question) and sorted best first.
        ``focus``: the words the answering sentences answer, when not the question's;
        ``recency``: how dates rank the candidates, applied before the reader reads the best."""
        query = analyze(question, self.reader)
        if not query.terms:
            raise QuestionError(f"{question!r} has no word to search for, only words like 'the', 'who' or 'and': "
                                "ask about something, e.g. 'who holds Tal Rifaat?'")
        vector = self._vector(question, query)
        n = max(self.settings.candidates, CANDIDATES_PER_PASSAGE * k)
        candidates = gather(self.reader, query, vector, n, method or self.settings.retrieval, where,
                            self.settings.keyword_budget)
        top = candidates[: max(RERANK_DEPTH, RERANKED_PER_PASSAGE * k)]
        rows = self.reader.chunks([c.chunk_id for c in top])
        top = [c for c in top if c.chunk_id in rows]  # a writer may have removed some meanwhile
        sentences = self.reader.sentences(list(rows.values()))
        answers = answers_for(query, vector, rows, sentences)
        found = Evidence(question, query, vector, top, rows, sentences, answers)
        if rerank:
            self.reranker.rerank(found)
        top.sort(key=lambda c: -c.score)
        if recency is not None:
            recency.apply(top, rows)
        if focus and focus != question:  # the sentences that answer the user's own words: marked and read
            mine = focused(query, focus)
            found.answers = answers_for(mine, self._vector(focus, mine), rows, sentences)
        if read and self.answerer is not None:
            config = self.answerer.config
            found.short = read_candidates(self.answerer, found, config.depth, reads)
            blend(found, config.weight)
        return found

    def ask(self, question: str, k: int | None = None, *, history: Sequence[str | Answer] = (),
            since: str | None = None, until: str | None = None, sources: list[str] | None = None,
            order_by: str = "relevance", prefer_recent: bool = False, as_of: str | None = None,
            method: str | None = None) -> Answer:
        """:meth:`retrieve`, plus whether any passage is a confident answer.

        ``history``: the conversation so far, oldest first: the earlier :class:`Answer` s (or
        just the texts they searched). A question that needs the conversation (a pronoun, an
        ellipsis, no subject of its own) is also searched with the conversation's subject
        added ("when did that happen? (Aleppo)"); a rewrite is kept only when its best
        passage matches it clearly better than the question's own best passage matches the
        question (see :mod:`qa.search.followup`). A question with a subject of its own is
        searched as asked. ``Answer.searched`` says what was searched.
        """
        question = check_question(question)
        options = {"since": since, "until": until, "sources": sources, "order_by": order_by,
                   "prefer_recent": prefer_recent, "as_of": as_of, "method": method}
        failed, judgement = None, None
        try:
            passages, judgement = self._retrieve(question, k, **options)
        except QuestionError as exc:  # maybe nothing to search for alone ("what about them?")
            if not history:
                raise
            passages, failed = [], exc
        searched, best = question, (passages[0].similarity if passages else None)
        previous_topic = ""
        if history:
            last = history[-1]
            previous_topic, lead = (subject(last), "") if isinstance(last, str) else (last.topic, last.lead)
        if history and needs_conversation(question):
            asked_fit = passages[0].answer_score if passages else None
            pointing = refers_back(question)
            for rewritten in candidates(question, previous_topic, lead):
                found, judged = self._retrieve(rewritten, k, focus=answer_focus(question, rewritten), **options)
                rewrite_fit = None if pointing or not found else self.fit(question, found[:1])[0]
                continuing = searched == question and bool(found) and not isinstance(last, str) and continues(
                    question, found[0].text, found[0].article_id, {p.article_id for p in last.passages})
                if prefer_rewrite(best, found[0].similarity if found else None, asked_fit, rewrite_fit, pointing,
                                  continuing):
                    passages, searched, best, judgement = found, rewritten, found[0].similarity, judged
        if failed is not None and searched == question:
            raise failed
        short = {}
        if self.answerer is not None:
            calibration = self.answerer.config.calibration
            threshold = calibration.answer_bar
            answered, short = conclude(judgement, passages, calibration,
                                       history[-1] if searched != question else None,
                                       newest=bool(as_of) or asks_for_newest(question))
        else:
            threshold = self.settings.min_score
            answered = any(p.confidence >= threshold for p in passages)
        cited = {short.get("cited"), *short.get("differing", ())} if answered else set()
        folded = less_related([p.score for p in passages], cited - {None})
        return Answer(question=question, searched=searched, passages=tuple(passages), answered=answered,
                      threshold=threshold, less_related=folded,
                      topic=topic(question, previous_topic, rewritten=searched != question),
                      filters=describe_filters(since=since, until=until, sources=sources, as_of=as_of), **short)

    def fit(self, question: str, passages: Sequence[Passage]) -> list[float]:
        """How well each passage's best sentence answers ``question`` itself (its answer score
        for that question, whatever the passage was found for)."""
        if not passages:
            return []
        query = analyze(question, self.reader)
        vector = self._vector(question, query)
        rows = self.reader.chunks([p.chunk_id for p in passages])
        sentences = self.reader.sentences(list(rows.values()))
        answers = answers_for(query, vector, rows, sentences)
        return [answers[p.chunk_id].score if p.chunk_id in answers else 0.0 for p in passages]

    def _vector(self, text: str, query: Query) -> np.ndarray:
        """The embedding of a question; a pasted paragraph longer than the model reads is
        embedded as its names and rarest words (see :func:`qa.search.query.shorten`)."""
        limit = self.embedder.max_seq_length
        if self.embedder.count_tokens([text])[0] > limit:
            text = shorten(text, query.weights, lambda t: self.embedder.count_tokens([t])[0] <= limit)
            log.info("a long question embedded as %r", text[:80])
        return self.embedder.embed([text])[0]

    def articles(self) -> list[ArticleSummary]:
        """Every stored article (id, title, date, outlet, url, origin, chunks), newest first."""
        return self.reader.articles()

    def _check_sources(self, wanted: Sequence[str]) -> None:
        known = {s.lower() for s in self.sources()}
        unknown = [s for s in wanted if s.lower() not in known]
        if unknown:
            names = self.sources()
            listing = ", ".join(names[:SOURCES_LISTED]) + (f" and {len(names) - SOURCES_LISTED} more"
                                                          if len(names) > SOURCES_LISTED else "")
            raise QuestionError(f"no articles from {', '.join(repr(s) for s in unknown)}: the index has articles "
                                f"from {listing or 'no named outlet'} (case does not matter)")

    def sources(self) -> list[str]:
        """The outlets the index holds articles from."""
        return self.reader.sources()

    def info(self, quick_check: bool = False) -> IndexInfo:
        """What the index holds; ``quick_check`` also runs SQLite's quick check of the
        database (raises :class:`IndexCorruptError` naming the damage and the fix)."""
        facts = self.reader.facts(quick_check)
        m = facts.manifest
        return IndexInfo(
            path=str(self.path), model=m.model, dimension=m.dimension, max_seq_length=m.max_seq_length,
            encoding=m.encoding, chunk_tokens=m.chunk_tokens, chunk_overlap=m.chunk_overlap,
            earliest=facts.earliest, latest=facts.latest, generation=facts.generation,
            created_at=m.created_at, updated_at=m.updated_at, integrity=facts.integrity, **facts.counts,
            segments=facts.segments, approximate=facts.approximate, sizes=dict(facts.sizes or {}),
        )
