"""The Gradio app: built without launching, one chat turn called as a function."""

import gradio as gr
import pytest

from index.ingest import ingest
from index.settings import Settings
from qa.retriever import Index
from tests.conftest import DEMO
from ui.app import build_app, chat_turn
from ui.cards import answer_html


@pytest.fixture(scope="module")
def demo_index(tmp_path_factory, real_embedder):
    settings = Settings(index_dir=tmp_path_factory.mktemp("ui"))
    ingest([DEMO], settings, embedder=real_embedder)
    with Index.open(settings=settings, embedder=real_embedder) as index:
        yield index


@pytest.mark.model
def test_app_builds_and_answers_a_chat_turn(demo_index):
    app = build_app(demo_index)
    assert isinstance(app, gr.Blocks)
    history = chat_turn(demo_index, "who holds Tal Rifaat?", [], k=3)
    assert [m["role"] for m in history] == ["user", "assistant"]
    html = history[1]["content"]
    assert html.count('class="qa-card"') == 3
    assert "Turkey-backed fighters take Tal Rifaat" in html
    assert '<mark class="qa-answer">' in html and "pro-Turkey factions seized Tal Rifaat" in html
    assert 'href="https://demo.article-qa.example/2024/12/02/tal-rifaat"' in html
    # a second turn keeps the first
    assert len(chat_turn(demo_index, "who won the cup?", history, k=1)) == 4


@pytest.mark.model
def test_bad_question_becomes_a_gradio_error(demo_index):
    with pytest.raises(gr.Error, match="empty"):
        chat_turn(demo_index, "   ", [], k=3)


def test_article_text_is_escaped_never_html(settings, embedder, tmp_path):
    evil = tmp_path / "evil.jsonl"
    evil.write_text('{"title": "<img src=x onerror=alert(1)> title", "url": "javascript:alert(1)", '
                    '"text": "A <script>alert(\'x\')</script> body with **markdown** and [a](http://e.org)."}')
    ingest([evil], settings, embedder=embedder)
    with Index.open(settings=settings, embedder=embedder) as index:
        html = answer_html(index.ask("script body", k=1))
    assert "<script>" not in html and "<img" not in html and "javascript:" not in html
    assert "&#60;script&#62;" in html and "&#60;img src=x onerror=alert(1)&#62;" in html
    assert "**" not in html and "&#42;&#42;markdown&#42;&#42;" in html
