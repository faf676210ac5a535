"""The reader: its windows, its encoding, the short answer it finds, and what it refuses."""

import json

import numpy as np
import pytest

from index.ingestion import ingest
from index.text.sentences import split_sentences
from qa.errors import ModelLoadError
from qa.retriever import Index
from qa.search.highlight import dateline_length, quotable
from qa.search.reader import (
    MAX_PAIR_PIECES,
    MAX_QUESTION_PIECES,
    Reader,
    ReaderConfig,
    encode,
    load_tokenizer,
    make_window,
    widen,
    windows,
)

STORIES = [
    ("harbour", "The harbour authority met on Monday. Officials said the new pier opens in May. "
                "The pier cost four million. Fishermen welcomed the news."),
    ("orchard", "The orchard festival drew crowds. Cider sold out by noon. The mayor, Ada Brook, opened the "
                "festival with a speech about apples."),
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


def test_headings_and_questions_are_never_quoted():
    assert not quotable("How has Russia reacted?")
    assert not quotable("Looking ahead")  # a short line without a full stop: a heading
    assert not quotable("“Is this the end?”")
    assert quotable("The pro-Turkey factions seized Tal Rifaat.")
    assert quotable("Officials said on Monday that the bridge would reopen to traffic next spring after repairs")


def test_a_window_is_the_best_quotable_sentences_in_passage_order():
    passage = "Where did it happen?\nThe pier opens in May. It cost four million. Fishermen cheered. Rain fell."
    spans = [(s.start, s.end) for s in split_sentences(passage)]
    window = make_window(7, passage, spans, [0.9, 0.8, 0.1, 0.5, 0.7])
    assert window.text == "The pier opens in May. Fishermen cheered. Rain fell."  # the question is left out
    start = window.text.index("May")
    assert passage[slice(*window.to_passage(start, start + 3))] == "May"
    assert passage[slice(*window.sentence_of(start))] == "The pier opens in May."
    assert make_window(1, "Who?", [(0, 4)], [1.0]) is None  # nothing quotable: nothing to read


def test_a_dateline_is_not_read_as_an_answer():
    for line, rest in [("Tokyo (CNN) A 7.4-magnitude earthquake hit.", "A 7.4-magnitude earthquake hit."),
                       ("Kyiv, Ukraine (CNN) Russia struck.", "Russia struck."),
                       ("CNN — The world watched.", "The world watched."),
                       ("ROCHESTER, N.Y. – A man was held.", "A man was held."),
                       ("US — a country of states.", "US — a country of states."),  # two letters: a word
                       ("The pier opens in May.", "The pier opens in May.")]:
        assert line[dateline_length(line):] == rest, line
    passage = "Tokyo (CNN) A strong earthquake hit eastern Japan. The mayor of Sendai spoke."
    spans = [(s.start, s.end) for s in split_sentences(passage)]
    window = make_window(3, passage, spans, [0.9, 0.8])
    assert window.text.startswith("A strong earthquake")  # where it was filed is never the answer
    start = window.text.index("Japan")
    assert passage[slice(*window.to_passage(start, start + 5))] == "Japan"
    assert passage[slice(*window.sentence_of(start))] == "A strong earthquake hit eastern Japan."


def test_windows_come_from_the_evidence(index):
    found = index.evidence("when does the new pier open", read=False)
    shown = windows(found, [c.chunk_id for c in found.candidates])
    harbour = next(w for c, w in shown.items() if found.rows[c].article_id == "harbour")
    assert "Officials said the new pier opens in May." in harbour.text
    assert harbour.text.count(". ") <= 2  # three sentences at most


def test_pairs_are_cut_to_what_the_model_reads():
    tokenizer = load_tokenizer()
    long_question = "why " * 200 + "?"
    encoded = encode(tokenizer, long_question, ["The pier opens in May. " * 100, "Short."])
    assert encoded.ids.shape[1] <= MAX_PAIR_PIECES
    assert (encoded.types[0] == 1).sum() == MAX_PAIR_PIECES - MAX_QUESTION_PIECES - 2  # the window and its [SEP]
    # the window's pieces, and only they, can hold the answer; their offsets point into the window
    assert encoded.context[1].sum() == 2  # "short", "."
    p = int(np.argmax(encoded.context[1]))
    assert encoded.offsets[1][p] == (0, 5)


def test_spans_grow_to_whole_words_without_trailing_punctuation():
    text = "The U.S. said (on Monday) that 4.2 million, “quoted words”, arrived."
    assert widen(text, 5, 7) == (4, 8)  # "U.S." keeps its last stop
    at = text.index("illion")
    assert text[slice(*widen(text, at, at + 7))] == "million"
    at = text.index("“")
    assert text[slice(*widen(text, at, at + 15))] == "“quoted words”"


def test_a_missing_model_names_the_fix(tmp_path):
    with pytest.raises(ModelLoadError, match="bench/train_reader.py"):
        Reader(tmp_path)
    (tmp_path / "reader-int8.onnx").write_bytes(b"not a model")
    with pytest.raises(ModelLoadError, match="reinstall article-qa"):
        Reader(tmp_path)


def test_the_reader_weights_are_checked_before_they_are_loaded(tmp_path):
    """Bytes changed inside the model file (it still loads, and answers differently) are
    refused by the SHA-256 its settings record."""
    import shutil

    from qa.search.reader import MODELS

    for name in ("reader-int8.onnx", "reader.json"):
        shutil.copy(MODELS / name, tmp_path / name)
    Reader(tmp_path)  # intact: loads
    data = bytearray((tmp_path / "reader-int8.onnx").read_bytes())
    data[len(data) // 2 : len(data) // 2 + 64] = bytes(64)
    (tmp_path / "reader-int8.onnx").write_bytes(bytes(data))
    with pytest.raises(ModelLoadError, match="the reader model .* has SHA-256 .* expected .*reinstall article-qa"):
        Reader(tmp_path)


def test_bad_reader_settings_name_the_fix(tmp_path):
    (tmp_path / "reader.json").write_text('{"depth": 4}')
    with pytest.raises(ModelLoadError, match="reader.json"):
        ReaderConfig.read(tmp_path / "reader.json")


def test_the_shipped_reader_finds_the_short_answer(index):
    answer = index.ask("when does the new pier open?", k=3)
    assert answer.answered and answer.text == "May"
    assert answer.passage.article_id == "harbour" and answer.lead == "Officials said the new pier opens in May."
    assert answer.probability >= answer.threshold and answer.level in ("likely", "unsure")
    mayor = index.ask("who is the mayor?", k=3)
    assert mayor.answered and "Ada Brook" in mayor.text and mayor.passage.article_id == "orchard"


def test_the_reader_refuses_what_no_passage_answers(index):
    answer = index.ask("who won the 2022 World Cup?", k=3)
    assert not answer.answered and answer.text == "" and answer.cited is None
    assert answer.passages  # the nearest ones are still shown, as such


def test_without_the_reader_the_confidence_decides(index):
    plain = Index(index.reader, index.embedder, index.settings.replace(reader=False))
    answer = plain.ask("when does the new pier open?", k=3)
    assert answer.text == "" and plain.answerer is None
    assert all(p.short_answer is None and p.has_answer is None for p in answer.passages)


def test_another_article_that_answers_differently_is_shown_with_its_date(settings, embedder, tmp_path):
    """Two dated articles answer one question differently: the lead, and the other with its
    date; an article whose passage would not answer on its own is no "other answer"."""
    from qa.render import answer as answer_text

    path = tmp_path / "firms.jsonl"
    path.write_text("".join(json.dumps(s) + "\n" for s in [
        {"id": "old", "title": "Ferry firm names chief", "date": "2023-03-01", "text": "Northsound Lines named "
         "Ana Berg as its chief executive on Monday. The ferry company runs six boats. Ana Berg said fares "
         "would stay the same."},
        {"id": "new", "title": "Ferry firm changes chief", "date": "2024-09-10", "text": "Northsound Lines named "
         "Tomas Reid as its chief executive on Tuesday. The ferry company runs seven boats now. Tomas Reid said "
         "he would add a night route."},
        {"id": "other", "title": "Bakery opens", "date": "2024-05-05", "text": "A bakery opened on Harbour "
         "Street. The owner, Lena Ford, bakes bread at dawn. Queues formed early."}]))
    ingest([path], settings, embedder=embedder)
    with Index.open(settings=settings, embedder=embedder) as index:
        answer = index.ask("who is the chief executive of Northsound Lines?", k=3)
    assert answer.answered and {answer.text, *(o.short_answer for o in answer.others)} == {"Ana Berg", "Tomas Reid"}
    assert "other" not in {o.article_id for o in answer.others}  # Lena Ford's passage does not answer on its own
    printed = answer_text(answer)
    assert ("Also — 2024-09-10: Tomas Reid [" in printed) if answer.text == "Ana Berg" else \
        ("Also — 2023-03-01: Ana Berg [" in printed)  # said with its date and card
    # asked for the current one, or as of a day: the newest article that answers leads, with its date
    for current in (index_ask := Index.open(settings=settings, embedder=embedder)).ask(
            "who is the current chief executive of Northsound Lines?", k=3), index_ask.ask(
            "who is the chief executive of Northsound Lines?", k=3, as_of="2024-12-01"):
        assert current.text == "Tomas Reid" and current.dated == "2024-09-10", (current.text, current.dated)
        assert [o.short_answer for o in current.others] == ["Ana Berg"]
        assert "newest answer, 2024-09-10; probability" in answer_text(current)
    index_ask.close()
