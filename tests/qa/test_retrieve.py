import dataclasses

import pytest

import qa
from index.ingestion import ingest
from qa.errors import QAError, QuestionError
from qa.retriever import Index
from tests.conftest import DEMO


@pytest.fixture
def index(settings, embedder):
    ingest([DEMO], settings, embedder=embedder)
    with Index.open(settings=settings, embedder=embedder) as index:
        yield index


def test_passages_are_typed_ranked_and_cited(index):
    passages = index.retrieve("hosepipe ban reservoirs", k=3)
    assert [p.rank for p in passages] == [1, 2, 3]
    assert all(isinstance(p, qa.Passage) for p in passages)
    assert passages[0].score >= passages[1].score >= passages[2].score
    top = passages[0]
    assert top.title == "Hosepipe ban for two million households as heatwave drains reservoirs"
    assert top.published == "2024-08-19" and top.url.startswith("https://")
    assert top.answer in top.text and "hosepipe" in top.answer.lower()
    with pytest.raises(dataclasses.FrozenInstanceError):
        top.score = 1.0


def test_passage_span_points_into_the_article(index):
    (p,) = index.retrieve("museum glass roof", k=1)
    text = index.reader.store._db.execute("SELECT text FROM articles WHERE id = ?", (p.article_id,)).fetchone()[0]
    assert text[p.span[0]:p.span[1]] == p.text


@pytest.mark.parametrize("question", ["", "   ", None, 42])
def test_bad_questions_raise_a_typed_error(index, question):
    with pytest.raises(QuestionError):
        index.retrieve(question)


@pytest.mark.parametrize("k", [0, -1, 101, 2.5, "3", True])
def test_bad_k_raises_a_typed_error(index, k):
    with pytest.raises(QuestionError, match="k"):
        index.retrieve("museum", k=k)


def test_k_larger_than_the_index_returns_what_there_is(index):
    passages = index.retrieve("museum", k=100)
    assert len({p.article_id for p in passages}) == index.info().articles
    assert len(passages) <= index.info().chunks


def test_info_describes_the_index(index):
    info = index.info()
    assert (info.articles, info.earliest, info.latest) == (7, "2024-05-26", "2024-12-02")
    assert info.model == "test/hashing" and info.chunk_tokens == 200


def test_every_error_is_importable_from_qa_errors():
    import index.errors as low

    for name in dir(low):
        obj = getattr(low, name)
        if isinstance(obj, type) and issubclass(obj, QAError):
            assert getattr(qa.errors, name) is obj
