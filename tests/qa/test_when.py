"""Time in the answer: relative times resolved from the article's date; the newest answer
when the question asks for the new / latest / current one."""

import pytest

from qa.search import asks_for_newest, resolve, said

MONDAY = "2024-12-02"  # the demo's Syria stories


@pytest.mark.parametrize("answer, days", [
    ("late last week", "2024-11-28 to 2024-12-01"),
    ("early last week", "2024-11-25 to 2024-11-27"),
    ("last week", "2024-11-25 to 2024-12-01"),
    ("this week", "2024-12-02 to 2024-12-08"),
    ("During the weekend", "2024-11-30 to 2024-12-01"),
    ("on Sunday", "2024-12-01"),
    ("last Monday", "2024-11-25"),  # not the article's own day
    ("on Monday", "2024-12-02"),
    ("next Tuesday", "2024-12-03"),
    ("yesterday", "2024-12-01"),
    ("two days ago", "2024-11-30"),
    ("3 weeks ago", "2024-11-11 to 2024-11-17"),
    ("last month", "2024-11-01 to 2024-11-30"),
    ("earlier this year", "2024-01-01 to 2024-12-02"),
    ("November 29", ""),  # names its own day
    ("in 2019", ""),
    ("Hayat Tahrir al-Sham", ""),  # no time at all
])
def test_a_relative_time_is_resolved_from_the_articles_date(answer, days):
    assert said(resolve(answer, MONDAY)) == days


def test_without_the_articles_date_nothing_is_resolved():
    assert resolve("late last week", None) is None and resolve("late last week", "not a date") is None


@pytest.mark.parametrize("question, newest", [
    ("who is the new UK prime minister?", True),
    ("what is the latest death toll?", True),
    ("who is the current chief executive of Northsound Lines?", True),
    ("how many people have died so far?", True),
    ("which city in New York banned gas stoves?", False),  # a name, not "new"
    ("who won the national cup final?", False),
])
def test_questions_that_ask_for_the_newest_answer(question, newest):
    assert asks_for_newest(question) is newest
