"""Follow-up questions: the earlier subject is carried only when the new question leans on it."""

import pytest

from qa.followup import answer_focus, leans_on_context, rewrite, subject


@pytest.mark.parametrize("question, previous, searched", [
    ("and who took Aleppo?", ["who holds Tal Rifaat?"], "and who took Aleppo? (Tal Rifaat)"),
    ("when did that happen?", ["who holds Tal Rifaat?"], "when did that happen? (Tal Rifaat)"),
    ("what about the villages?", ["who holds Tal Rifaat?"], "what about the villages? (Tal Rifaat)"),
    ("who runs it now?", ["when does the hosepipe ban start?"], "who runs it now? (hosepipe ban start)"),
    # stands on its own: searched as asked
    ("when does the hosepipe ban start in Kent?", ["who holds Tal Rifaat?"],
     "when does the hosepipe ban start in Kent?"),
    # the subject is already there: nothing added
    ("and when did they take Tal Rifaat?", ["who holds Tal Rifaat?"], "and when did they take Tal Rifaat?"),
    # no conversation yet
    ("when did that happen?", [], "when did that happen?"),
])
def test_rewrite(question, previous, searched):
    assert rewrite(question, previous) == searched


def test_the_latest_searched_question_is_the_context():
    # the second turn was itself rewritten; its subject (with the carried name) goes on
    history = ["who holds Tal Rifaat?", "and who took Aleppo? (Tal Rifaat)"]
    assert rewrite("when did it fall?", history) == "when did it fall? (Aleppo Tal Rifaat)"


def test_subject_prefers_names_over_words():
    assert subject("who holds Tal Rifaat?") == "Tal Rifaat"
    assert subject("when does the hosepipe ban start?") == "hosepipe ban start"


def test_whitespace_is_normalized_and_standalone_questions_do_not_lean():
    assert rewrite("  and   who took Aleppo? ", ["who holds Tal Rifaat?"]) == "and who took Aleppo? (Tal Rifaat)"
    assert not leans_on_context("how many jobs will the battery factory create?")


def test_answer_focus_is_the_users_own_words_when_they_say_enough():
    assert answer_focus("and who took Aleppo?", "and who took Aleppo? (Tal Rifaat)") == "and who took Aleppo?"
    assert answer_focus("when did that happen?", "when did that happen? (Tal Rifaat)") is None
    assert answer_focus("who holds Tal Rifaat?", "who holds Tal Rifaat?") is None
