"""The public face of an open index: :class:`Index` opens and closes it, holds the models,
and hands each question to the conductor (qa/search/conductor.py), which runs its stages."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from index import ArticleSummary, Embedder, Filter, IndexReader, ShardedReader, load_embedder, open_any
from qa.info import IndexInfo
from qa.search import (
    Answer,
    Conductor,
    Evidence,
    Knobs,
    Options,
    Passage,
    Reader,
    Recency,
    Reranker,
    budget,
    load_reader,
    make_reranker,
)
from qa.settings import Settings

log = logging.getLogger(__name__)


class Index:
    """An open index with its embedding model loaded, ready for many questions.

    It follows the index directory: articles another process ingests or removes show up
    (or disappear) without reopening it.
    """

    def __init__(self, reader: IndexReader | ShardedReader, embedder: Embedder, settings: Settings,
                 reranker: Reranker | None = None, answerer: Reader | None = None):
        self.reader = reader
        self.embedder = embedder
        self.settings = settings
        self.reranker = reranker or make_reranker(settings.rerank, settings.offline, settings.device)
        threads = settings.model_threads or None
        self.answerer = answerer or (load_reader(threads=threads) if settings.reader else None)  # extractive

    @classmethod
    def open(cls, path: str | Path | None = None, *, settings: Settings | None = None,
             embedder: Embedder | None = None, reader: IndexReader | ShardedReader | None = None) -> Index:
        """The index or shard set at ``path`` (else the settings'); ``reader``: one already
        open (a shard set served by Ray: :func:`qa.serve_shards`)."""
        settings = settings or Settings.from_env()
        if path is not None:
            settings = settings.replace(index_dir=Path(path))
        if reader is None:  # one index, or a shard set (each shard's manifest, once)
            reader = open_any(settings.index_dir, timeout=settings.shard_timeout)
        try:
            model = settings.model or reader.manifest.model  # the index's own model unless one is named
            reader.check_model(embedder.model_id if embedder else model)
            embedder = embedder or load_embedder(model, settings.offline, settings.device,
                                                 settings.model_threads or None)
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

    def stages(self) -> Conductor:
        """The conductor over this index as it is now (models may be swapped in tests and benches)."""
        s = self.settings
        return Conductor(self.reader, self.embedder, self.reranker, self.answerer,
                         Knobs(s.top_k, s.candidates, s.retrieval, s.min_score, s.question_seconds))

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
        options = Options(since, until, sources, order_by, prefer_recent, as_of, method)
        with budget(self.settings.question_seconds), self.reader.question() as coverage:
            passages = self.stages().retrieve(question, k, options, focus=focus)[0]
        if coverage.note:
            log.warning("%r retrieved in part: %s", question[:80], coverage.note)
        return passages

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
        return self.stages().evidence(question, k, where=where, method=method, rerank=rerank, read_=read,
                                      focus=focus, reads=reads, recency=recency)

    def ask(self, question: str, k: int | None = None, *, history: Sequence[str | Answer] = (),
            since: str | None = None, until: str | None = None, sources: list[str] | None = None,
            order_by: str = "relevance", prefer_recent: bool = False, as_of: str | None = None,
            method: str | None = None) -> Answer:
        """:meth:`retrieve`, plus the short answer, how sure it is, and whether it answers.

        ``history``: the conversation so far, oldest first: the earlier :class:`Answer` s (or
        just the texts they searched). A question that needs the conversation (a pronoun, an
        ellipsis, no subject of its own) is also searched with the conversation's subject
        added ("when did that happen? (Aleppo)"); a rewrite is kept only when its best
        passage matches it clearly better than the question's own best passage matches the
        question (see :mod:`qa.search.followup`). A question with a subject of its own is
        searched as asked. ``Answer.searched`` says what was searched.
        """
        options = Options(since, until, sources, order_by, prefer_recent, as_of, method)
        return self.stages().ask(question, k, options, history=history)

    def fit(self, question: str, passages: Sequence[Passage]) -> list[float]:
        """How well each passage's best sentence answers ``question`` itself."""
        return self.stages().fit(question, passages)

    def articles(self) -> list[ArticleSummary]:
        """Every stored article (id, title, date, outlet, url, origin, chunks), newest first."""
        return self.reader.articles()

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
