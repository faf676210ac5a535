"""Questions in: embed the question, search the chunk vectors, cite and highlight."""

from __future__ import annotations

import logging
from pathlib import Path

from index.embedder import Embedder, load_embedder
from index.errors import TextTooLongError
from index.layout import IndexDir
from index.reader import IndexReader
from index.settings import Settings
from index.store import ArticleSummary
from index.terms import content_terms
from qa.errors import QuestionError
from qa.highlight import QueryTerms, choose_answer
from qa.passage import IndexInfo, Passage

log = logging.getLogger(__name__)

MAX_K = 100


class Index:
    """An open index with its embedding model loaded, ready for many questions.

    It follows the index directory: articles another process ingests become
    searchable without reopening it.
    """

    def __init__(self, reader: IndexReader, embedder: Embedder, settings: Settings):
        self.reader = reader
        self.embedder = embedder
        self.settings = settings

    @classmethod
    def open(cls, path: str | Path | None = None, *, settings: Settings | None = None,
             embedder: Embedder | None = None) -> Index:
        settings = settings or Settings.from_env()
        if path is not None:
            settings = settings.replace(index_dir=Path(path))
        index_dir = IndexDir(settings.index_dir)
        manifest = index_dir.read_manifest()
        model_id = embedder.model_id if embedder else settings.model
        manifest.check_model(model_id, index_dir.path)
        embedder = embedder or load_embedder(settings.model, settings.offline, settings.device)
        return cls(IndexReader(index_dir, embedder.model_id), embedder, settings)

    @property
    def path(self) -> Path:
        return self.reader.dir.path

    def close(self) -> None:
        self.reader.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def retrieve(self, question: str, k: int | None = None) -> list[Passage]:
        """The ``k`` passages that best answer ``question``, best first."""
        question = _check_question(question)
        k = self.settings.top_k if k is None else _check_k(k)
        self.reader.refresh()
        try:
            query = self.embedder.embed([question])[0]
        except TextTooLongError as exc:
            raise QuestionError(f"the question is too long for the model: {exc}") from None
        ids, scores = self.reader.search(query, k)
        store = self.reader.store
        rows = store.chunks([int(i) for i in ids])
        query_terms = QueryTerms.from_frequencies(question, *store.document_frequencies(content_terms(question)))
        sentences = store.sentences(list(rows.values()))
        passages = []
        for chunk_id, score in zip(ids, scores):
            row = rows.get(int(chunk_id))
            if row is None:  # deleted between the search and the fetch
                continue
            spans, vectors = sentences[row.id]
            answer = choose_answer(query, query_terms, row.text, row.start, spans, vectors)
            passages.append(Passage(
                text=row.text, score=float(score), rank=len(passages) + 1, article_id=row.article_id,
                title=row.title, url=row.url, published=row.published, source=row.source,
                byline=row.byline, span=(row.start, row.end), answer_span=answer.span,
                answer_score=answer.score, chunk_id=row.id,
            ))
        return passages

    def articles(self) -> list[ArticleSummary]:
        """Every stored article (id, title, date, outlet, url, origin, chunks), newest first."""
        return self.reader.store.articles()

    def info(self) -> IndexInfo:
        self.reader.refresh()
        m = self.reader.manifest
        counts = self.reader.store.counts()
        earliest, latest = self.reader.store.date_range()
        return IndexInfo(
            path=str(self.path), model=m.model, dimension=m.dimension, max_seq_length=m.max_seq_length,
            encoding=m.encoding, chunk_tokens=m.chunk_tokens, chunk_overlap=m.chunk_overlap,
            earliest=earliest, latest=latest, generation=self.reader.generation,
            created_at=m.created_at, updated_at=m.updated_at, **counts,
        )


def _check_question(question: object) -> str:
    if not isinstance(question, str):
        raise QuestionError(f"the question must be text, got {type(question).__name__}")
    question = " ".join(question.split())
    if not question:
        raise QuestionError("the question is empty: ask something, e.g. 'who holds Tal Rifaat?'")
    return question


def _check_k(k: object) -> int:
    if isinstance(k, bool) or not isinstance(k, int):
        raise QuestionError(f"k must be a whole number, got {k!r}")
    if not 1 <= k <= MAX_K:
        raise QuestionError(f"k={k} is out of range: ask for 1 to {MAX_K} passages")
    return k
