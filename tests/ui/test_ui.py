"""The Gradio app: built without launching, chat turns called as functions."""

import html as html_module
import re
from pathlib import Path

import gradio as gr
import pytest

from index.ingestion import ingest
from qa.retriever import Index
from ui.app import build_app
from ui.cards import answer_html
from ui.handlers import Chat, filter_problem


@pytest.mark.model
def chat_turn(index, message, chat, k=5, turns=None):
    """One question through the chat's own handler: (chat, turns, message under the box)."""
    chat_out, turns_out, _, note, _ = Chat(index).ask(message, chat, turns or [], k)
    return chat_out, turns_out, note


def test_app_builds_and_answers_a_chat_turn(demo_index):
    app = build_app(demo_index)
    assert isinstance(app, gr.Blocks)
    chat, turns, note = chat_turn(demo_index, "who holds Tal Rifaat?", [], k=3)
    assert [m["role"] for m in chat] == ["user", "assistant"] and note == ""
    html = chat[1]["content"]
    assert "Turkey-backed fighters take Tal Rifaat" in html
    assert '<mark class="qa-answer">' in html and "pro-Turkey factions seized Tal Rifaat" in html
    lead = r'<p class="qa-short"><strong>[^<]*Turkey[^<]*</strong> <a class="qa-cite" href="#qa-\w+-1">\[1\]</a>'
    assert re.search(lead, html)  # the short answer leads, citing card [1]
    assert 'href="https://demo.article-qa.example/2024/12/02/tal-rifaat"' in html
    # a second turn keeps the first, and the conversation is remembered
    chat, turns, _ = chat_turn(demo_index, "who won the cup?", chat, k=1, turns=turns)
    assert len(chat) == 4 and len(turns) == 2


@pytest.mark.model
def test_one_card_per_article_and_no_sentence_twice(demo_index):
    answer = demo_index.ask("Tal Rifaat Aleppo Kurdish evacuate villages", k=5)
    html = answer_html(answer)
    articles = {p.article_id for p in answer.passages}
    assert html.count('class="qa-card"') == len(articles)
    cards = html.split("</blockquote>")[-1]  # the quoted answer above the cards is the one repeat
    cards = re.sub(r'<span class="qa-citation">[^<]*</span>', "", cards)  # what "Copy citation" copies is not shown
    for sentence in ("The pro-Turkey factions seized Tal Rifaat", "On Monday the Kurdish-led force"):
        assert cards.count(sentence) <= 1, sentence
    assert "qa-score" not in html  # the number on a card was not the one it is ranked by


def test_a_card_copies_its_citation_and_the_chat_exports_as_markdown(demo_index):
    from ui.handlers import Chat

    answer = demo_index.ask("who holds Tal Rifaat?", k=3)
    cited = answer.passage
    copied = html_module.unescape(re.search(r'<span class="qa-citation">([^<]*)</span>', answer_html(answer)).group(1))
    # the card's number, then title, outlet, date, url, and the quoted sentence: the one the lead quotes
    assert copied.startswith(f"[1] \u201c{cited.title}.\u201d") and cited.url in copied
    assert cited.published in copied and copied.endswith(f"\u201c{' '.join(answer.lead.split())}\u201d")
    second = demo_index.ask("what did the central bank do with rates?", k=2)
    unanswered = demo_index.ask("what is the capital of Australia?", k=2)
    exported = Path(Chat.export([answer, second, unanswered])).read_text()
    assert exported.count("\n## ") == 3  # three questions, each with its own numbered sources
    turn = exported.split("## who holds Tal Rifaat?", 1)[1].split("\n## ", 1)[0]
    assert f"{answer.label}: **{answer.text}** [1] (probability {answer.probability:.2f})" in turn  # how sure, said
    assert f"> {answer.lead} [1]" in turn  # the short answer, then its sentence
    assert re.search(r"^1\. \[Turkey-backed fighters take Tal Rifaat", turn, re.M)
    assert turn.count("> ") == 1  # only what was cited is quoted
    refused = exported.split("## what is the capital of Australia?", 1)[1]
    assert "Not in your articles" in refused and "> " not in refused and "1. " in refused
    with pytest.raises(Exception, match="nothing to export yet"):
        Chat.export([])


@pytest.mark.model
def test_errors_are_messages_and_the_chat_stays(demo_index):
    chat, turns, _ = chat_turn(demo_index, "who holds Tal Rifaat?", [], k=3)
    handler = Chat(demo_index)
    # an empty submit does nothing at all
    assert all(isinstance(x, type(gr.skip())) for x in handler.ask("   ", chat, turns)[:3])
    # a bad filter value: a message by the filters, labelled as the field, the chat untouched
    out = handler.ask("who won the cup?", chat, turns, 3, "Dec 2024", "", [], "best first")
    assert isinstance(out[0], type(gr.skip())) and "From: &#39;Dec 2024&#39; is not a date" in out[4]
    # a question the library refuses: a message under the box
    out = handler.ask("*", chat, turns)
    assert isinstance(out[0], type(gr.skip())) and "no word in it" in out[3]
    # a pasted paragraph, in a conversation: answered, not "exceeds 256 model tokens"
    pasted = " ".join(["The national cup final ended with a late header from a defender at a corner."] * 40)
    out = handler.ask(pasted + " Who scored it?", chat, turns)
    assert out[3] == "" and "Moretti" in out[0][-1]["content"]


def test_filter_problems_name_the_field():
    assert filter_problem("", "") is None and filter_problem("2024-12-01", "2024-12-31") is None
    assert filter_problem("Dec 2024", "").startswith("From: 'Dec 2024' is not a date")
    assert filter_problem("2024-12-31", "2024-12-01") == "From 2024-12-31 is after To 2024-12-01: swap them"


@pytest.mark.model
def test_not_in_your_articles_and_filters_shown(demo_index):
    html = answer_html(demo_index.ask("what is the boiling point of tungsten?"))
    assert "Not in your articles" in html and "nearest passages" in html
    html = answer_html(demo_index.ask("who holds Tal Rifaat?", since="2024-12-01", until="2024-12-31",
                                      sources=["demo wire"]))
    assert "Filters: 2024-12-01 to 2024-12-31 · demo wire" in html


@pytest.mark.model
def test_examples_come_from_the_index(demo_index):
    samples = Chat(demo_index).example_questions()
    titles = {a.title for a in demo_index.articles()}
    assert samples and all(s.startswith("What happened: ") and s.endswith("?") for s in samples)
    subjects = [s.removeprefix("What happened: ").removesuffix("?").rstrip(" …") for s in samples]
    assert all(any(t.startswith(subject) for t in titles) for subject in subjects)


def test_article_text_is_escaped_never_html(settings, embedder, tmp_path):
    evil = tmp_path / "evil.jsonl"
    evil.write_text('{"title": "<img src=x onerror=alert(1)> title", "url": "javascript:alert(1)", '
                    '"text": "A <script>alert(\'x\')</script> body with **markdown** and [a](http://e.org)."}')
    ingest([evil], settings, embedder=embedder)
    with Index.open(settings=settings, embedder=embedder) as index:
        answer = index.ask("script body", k=1)
        html = answer_html(answer)
    assert "<script>" not in html and "<img" not in html and "javascript:" not in html
    exported = Path(Chat.export([answer])).read_text()
    assert "](javascript:" not in exported and "](data:" not in exported  # no link the reader could click
    assert "&#60;script&#62;" in html and "&#60;img src=x onerror=alert(1)&#62;" in html
    assert "**" not in html and "&#42;&#42;markdown&#42;&#42;" in html


@pytest.mark.model
def test_as_of_leaves_later_articles_out_and_a_bad_one_is_named(demo_index):
    chat = Chat(demo_index)
    _, turns, _, note, filter_note = chat.ask("who holds Tal Rifaat?", [], [], 5, as_of="2024-10-01")
    assert note == "" and filter_note == ""
    assert all((p.published or "") <= "2024-10-01" for p in turns[-1].passages)
    assert "Tal Rifaat" not in " ".join(p.title for p in turns[-1].passages)
    _, _, _, _, problem = chat.ask("who holds Tal Rifaat?", [], [], 5, as_of="next Tuesday")
    assert "As of" in problem


def test_web_addresses_are_read_a_line_at_a_time():
    from ui.index_panel import IndexPanel

    assert IndexPanel.check_urls("https://a.example/x\n\n https://b.example/y https://c.example/z ") == [
        "https://a.example/x", "https://b.example/y", "https://c.example/z"]
    with pytest.raises(gr.Error, match="line 2: \u201cthe harbour story from Monday\u201d; give"):
        IndexPanel.check_urls("https://a.example/x\nthe harbour story from Monday")
