"""Follow-up questions: the conversation's subject is carried only when it clearly helps."""

import json
from pathlib import Path

import pytest

from qa.errors import QuestionError
from qa.search import Answer, Passage
from qa.search.followup import (
    answer_focus,
    candidates,
    carried_support,
    continues,
    names,
    needs_conversation,
    prefer_rewrite,
    split_searched,
    subject,
    support,
    topic,
)


def test_candidates_carry_the_topic_and_the_previous_answers_names():
    found = candidates("How did he describe it?", "Martin Luther",
                       "In 1501 he entered the University of Erfurt, which he described as a beerhouse.")
    assert found == ["How did he describe it? (Martin Luther)",
                     "How did he describe it? (Martin Luther University of Erfurt)"]
    # words the question already has are not added again; nothing to add: no candidate
    assert candidates("and when did they take Tal Rifaat?", "Tal Rifaat") == []
    assert candidates("  and   who took Aleppo? ", "Tal Rifaat") == ["and who took Aleppo? (Tal Rifaat)"]


def test_the_topic_is_the_latest_named_subject():
    assert topic("who holds Tal Rifaat?") == "Tal Rifaat"
    assert topic("and who took Aleppo?", "Tal Rifaat", rewritten=True) == "Aleppo"  # its own name wins
    assert topic("when did that happen?", "Aleppo", rewritten=True) == "Aleppo"  # a rewritten follow-up keeps it
    assert topic("who won the national cup final?") == "won national cup final"  # no name: its words
    assert topic("Which state announced it is legalizing jaywalking?", "Aleppo") == \
        "state announced legalizing jaywalking"  # searched as asked: a new subject


def test_a_searched_text_splits_into_question_and_carried_subject():
    assert split_searched("when did that happen? (Aleppo)") == ("when did that happen?", "Aleppo")
    assert split_searched("who holds Tal Rifaat?") == ("who holds Tal Rifaat?", None)
    assert subject("when did that happen? (Aleppo)") == "Aleppo"
    assert names("Which team did Vin Scully call games for?") == ["Vin Scully"]


@pytest.mark.parametrize("asked, rewritten, keep", [
    (0.15, 0.60, True),  # "when did that happen?" alone matches nothing well
    (0.61, 0.67, False),  # better, but not clearly: searched as asked
    (0.61, 0.43, False),  # an unrelated subject only lowers the match
    (None, 0.40, True),  # nothing found as asked
    (0.50, None, False),
])
def test_a_rewrite_is_kept_only_when_it_clearly_matches_better(asked, rewritten, keep):
    assert prefer_rewrite(asked, rewritten) is keep


def test_a_rewrite_continues_the_conversation_only_in_its_articles_and_on_the_questions_words():
    russian = "Government forces and their Russian allies answered the advance with air strikes."
    shown = {"syria", "tal-rifaat"}
    assert continues("what did Russia do?", russian, "syria", shown)  # Russia ~ Russian
    assert not continues("what did Russia do?", russian, "nato", shown)  # an article the chat never showed
    assert not continues("who won the cup?", russian, "syria", shown)  # the Syria story says nothing of a cup
    assert not continues("when did that happen?", russian, "syria", shown)  # no word of its own: the margin decides
    assert prefer_rewrite(0.50, 0.52, 1.05, 0.45, pointing=False, continuing=True)
    assert not prefer_rewrite(0.50, 0.52, 1.05, 0.45, pointing=False)  # as before: not clearly better
    assert not prefer_rewrite(0.55, 0.52, pointing=False, continuing=True)  # never a worse match


def _passage(article: str, answer_score: float, reader_sentence=(0, 40), ranked=(0, 40)) -> Passage:
    return Passage(text="x" * 80, score=1.0, rank=1, article_id=article, title="t", url=None, published=None,
                   source=None, byline=None, span=(0, 80), answer_span=reader_sentence, answer_score=answer_score,
                   chunk_id=1, coverage=0.5, has_answer=0.5, short_answer="x", short_answer_sentence=reader_sentence,
                   ranked_sentence=ranked)


def test_a_follow_up_inherits_the_support_of_the_answered_turn_that_showed_its_article():
    earlier = Answer(question="and who took Aleppo?", searched="and who took Aleppo?", answered=True, threshold=0.0,
                     passages=(_passage("afp", 0.9), _passage("demo", 0.6)))
    assert support(earlier.passages) > 0
    assert carried_support(earlier, _passage("demo", 0.1)) == support(earlier.passages)  # shown, though not cited
    assert carried_support(earlier, _passage("nato", 0.1)) == 0.0  # an article that turn did not show
    # the reader's answer outside the sentence the ranking chose: the two disagree, nothing inherited
    assert carried_support(earlier, _passage("demo", 0.1, reader_sentence=(41, 80))) == 0.0
    refused = Answer(question="q", searched="q", answered=False, threshold=0.0, passages=earlier.passages)
    assert carried_support(refused, _passage("demo", 0.1)) == 0.0


def test_answer_focus_is_the_users_own_words():
    assert answer_focus("and who took Aleppo?", "and who took Aleppo? (Tal Rifaat)") == "and who took Aleppo?"
    assert answer_focus("how much will they cost?", "how much will they cost? (Harbour Street)") == \
        "how much will they cost?"
    assert answer_focus("what about them?", "what about them? (Tal Rifaat)") is None  # no word of its own
    assert answer_focus("who holds Tal Rifaat?", "who holds Tal Rifaat?") is None


@pytest.mark.parametrize("question, needs", [
    ("who wrote Middlemarch?", False),  # a subject of its own: a new topic
    ("what is the capital of Mongolia?", False),
    ("Which state announced this week it is legalizing jaywalking?", True),  # "it": the margin decides
    ("Which team won the Stanley Cup this week?", False),  # "this week" points at no earlier turn
    ("Is there a hosepipe ban in the south?", False),
    ("and who took Aleppo?", True),  # an ellipsis
    ("what about Idlib?", True),
    ("what did Russia do?", True),  # a verb with nothing of its own
    ("what happened next?", True),
    ("when did that happen?", True),
    ("who is its governor?", True),
    ("why?", True),  # no word of its own
])
def test_a_question_is_a_follow_up_only_when_it_needs_the_conversation(question, needs):
    assert needs_conversation(question) is needs


def test_sentence_openers_are_not_names_to_carry():
    assert names("That's Dustin Johnson on Monday. It's over for LIV Golf.") == ["Dustin Johnson", "Monday",
                                                                                 "LIV Golf"]


@pytest.fixture
def demo(demo_index):
    return demo_index


@pytest.mark.model
def test_the_aleppo_conversation(demo):
    first = demo.ask("who holds Tal Rifaat?")
    second = demo.ask("and who took Aleppo?", history=[first])
    assert "Hayat Tahrir al-Sham" in second.lead and "Aleppo" in second.topic
    third = demo.ask("when did that happen?", history=[first, second])
    assert third.searched == "when did that happen? (Aleppo)"
    assert "late last week" in third.lead  # the Aleppo date, not Tal Rifaat's "on Sunday"
    assert third.said == "late last week (2024-11-28 to 2024-12-01)"  # the days it names, from the article's date


@pytest.mark.model
def test_an_unrelated_question_with_a_pronoun_is_searched_as_asked(demo):
    first = demo.ask("who holds Tal Rifaat?")
    unrelated = demo.ask("how many fans watched the national cup final at the stadium?", history=[first])
    assert unrelated.searched == unrelated.question and "80,000" in unrelated.lead
    leaning = demo.ask("how much can people be fined for breaking it?", history=[demo.ask("when does the hosepipe "
                                                                                            "ban start?")])
    assert leaning.searched.endswith("(hosepipe ban start)") and "1,000" in leaning.lead


@pytest.mark.model
def test_history_of_plain_searched_texts_still_works(demo):
    answer = demo.ask("when did that happen?", history=["who holds Tal Rifaat?", "and who took Aleppo? (Tal Rifaat)"])
    assert answer.searched == "when did that happen? (Aleppo)"


@pytest.mark.model
def test_a_question_with_no_word_of_its_own_leans_on_the_conversation(demo):
    first = demo.ask("who holds Tal Rifaat?")
    answer = demo.ask("what about them?", history=[first])
    assert answer.searched.startswith("what about them? (Tal Rifaat") and answer.passages
    with pytest.raises(QuestionError, match="no word to search for"):
        demo.ask("what is it?")


SWITCHES = Path(__file__).resolve().parents[2] / "bench" / "data" / "switches.jsonl"


@pytest.mark.model
def test_a_new_subject_in_the_middle_of_a_chat_inherits_nothing(demo):
    """bench/data/switches.jsonl on the demo: every switch searched as asked, answered as alone,
    and the questions the demo cannot answer refused (bench/switches.py runs it on the dev archive)."""
    items = [json.loads(line) for line in SWITCHES.read_text(encoding="utf-8").splitlines()]
    assert len(items) >= 30
    for item in items:
        history = []
        for question in item["before"]:
            history.append(demo.ask(question, history=history))
        answer, alone = demo.ask(item["q"], history=history), demo.ask(item["q"])
        assert answer.searched == item["q"], (item["before"], answer.searched)
        assert answer.answered == alone.answered and answer.text == alone.text, item
        if not item["a"]:
            assert not answer.answered, (item["q"], answer.text, answer.probability)


def test_a_follow_up_turn_embeds_each_text_once(settings, tmp_path):
    """The question, and each rewrite of it, is embedded once a turn, however many stages
    (the search, the sentences it marks, the fit of a rewrite) use it."""
    from collections import Counter

    from index.ingestion import ingest
    from qa.retriever import Index
    from tests.conftest import DEMO
    from tests.fakes import HashingEmbedder

    class Counting(HashingEmbedder):
        texts: Counter = Counter()

        def embed(self, texts, batch_size=32):
            Counting.texts.update(texts)
            return super().embed(texts, batch_size)

    embedder = Counting()
    ingest([DEMO], settings, embedder=embedder)
    with Index.open(settings=settings.replace(reader=False), embedder=embedder) as index:
        first = index.ask("who holds Tal Rifaat?")
        Counting.texts.clear()
        answer = index.ask("how many fans watched it?", history=[first])
    assert Counting.texts["how many fans watched it?"] == 1, Counting.texts
    assert Counting.texts and max(Counting.texts.values()) == 1, Counting.texts
    assert answer.question == "how many fans watched it?"
