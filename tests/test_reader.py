"""The opt-in reader: its windows, its place in the ranking, and a clear error without a model."""

import json

import numpy as np
import pytest

from index.ingest import ingest
from qa.errors import ModelLoadError
from qa.reader import Reader, ReaderConfig, windows
from qa.rerank import ReaderReranker, make_reranker
from qa.retriever import Index

STORIES = [
    ("harbour", "The harbour authority met on Monday. Officials said the new pier opens in May. "
                "The pier cost four million. Fishermen welcomed the news."),
    ("orchard", "The orchard festival drew crowds. Officials said the pier of apples was a record. "
                "Cider sold out by noon. The mayor opened the festival."),
    ("railway", "The railway line reopened after repairs. Officials said trains run hourly. "
                "The station got a new roof. Commuters were pleased."),
]


@pytest.fixture
def index(settings, embedder, tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_text("".join(json.dumps({"id": i, "title": i, "text": t}) + "\n" for i, t in STORIES))
    ingest([path], settings, embedder=embedder)
    with Index.open(settings=settings, embedder=embedder) as opened:
        yield opened


def test_a_window_is_the_two_best_sentences_in_article_order(index):
    found = index.evidence("when does the new pier open", rerank=False)
    shown = windows(found, [c.chunk_id for c in found.candidates])
    harbour = next(t for c, t in shown.items() if found.rows[c].article_id == "harbour")
    assert harbour == "The harbour authority met on Monday. Officials said the new pier opens in May." or \
        harbour == "Officials said the new pier opens in May. The pier cost four million."
    assert all(text.count(". ") <= 1 for text in shown.values())  # two sentences at most


class KeywordReader:
    """A stand-in model: high logits for windows holding a word. The reranker is what is tested."""

    def __init__(self, word: str, depth: int = 3, weight: float = 2.0):
        self.word, self.config = word, ReaderConfig(depth, weight)
        self.seen: list[str] = []

    def logits(self, question, texts):
        self.seen += list(texts)
        return np.array([6.0 if self.word in t else -6.0 for t in texts], dtype=np.float32)


def test_the_reader_reorders_the_best_candidates_it_reads(index):
    question = "what did officials say"
    plain = index.evidence(question)
    reader = KeywordReader("apples")  # in the orchard story's best sentence
    reranked = Index(index.reader, index.embedder, index.settings, reranker=ReaderReranker(reader))
    found = reranked.evidence(question)
    assert found.rows[found.candidates[0].chunk_id].article_id == "orchard"
    assert found.candidates[0].reader == pytest.approx(1.0, abs=1e-2)
    assert len(reader.seen) == min(3, len(plain.candidates))
    passages = reranked.retrieve(question, k=3)
    assert passages[0].article_id == "orchard" and passages[0].reader is not None


def test_without_a_trained_model_the_error_says_how_to_train_it(tmp_path):
    with pytest.raises(ModelLoadError, match="bench/train_reader.py"):
        Reader(tmp_path)


def test_reader_is_a_rerank_setting(settings):
    assert settings.replace(rerank="reader").rerank == "reader"
    assert type(make_reranker("sentence")).__name__ == "SentenceReranker"
