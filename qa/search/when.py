"""Time in the answer: a relative time resolved from its article's date, and questions that
ask for the newest answer.

A news answer is often relative: "late last week", "on Sunday", "two days ago". Read on
another day it means nothing without its article's date, so :func:`resolve` turns it into
the days it names, counted from the day the article was published ("late last week" in an
article of Monday 2024-12-02: 2024-11-28 to 2024-12-01). Weeks start on Monday; a weekday
("on Sunday") is the latest such day up to the article's date.

:func:`asks_for_newest`: "who is the new prime minister?", "the latest figures", "the
current champion": the answer is whatever the newest article that answers says.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
            "eight": 8, "nine": 9, "ten": 10}
_AGO = re.compile(r"\b(\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten)\s+(day|week|month|year)s?\s+ago\b")
_WEEK = re.compile(r"\b(?:(early|late|mid|earlier|later)[- ]?)?(?:in |during )?(last|this|next|the past|past)\s+week\b")
_WEEKEND = re.compile(r"\b(?:over|during|at|on)?\s*(?:the|this|last|past)\s+weekend\b")
_WEEKDAY = re.compile(r"\b(?:(last|this|this past|past|next|on|late|early)\s+)?(" + "|".join(WEEKDAYS) + r")\b")
_MONTH = re.compile(r"\b(last|this|next|earlier this|later this)\s+(month|year)\b")
_NEWEST = re.compile(r"\b(new(?!\s+(?:york|jersey|zealand|delhi|mexico|orleans|hampshire|england|guinea|"
                     r"caledonia|south wales|testament)\b)|newest|latest|current|currently|incumbent|most recent|"
                     r"recently elected|so far|to date)\b", re.I)
# an answer that names its own day is not relative
_ABSOLUTE = re.compile(r"\b(1[5-9]|20)\d\d\b|\b(january|february|march|april|may|june|july|august|september|"
                       r"october|november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\.?\s+\d", re.I)


def asks_for_newest(question: str) -> bool:
    """Whether the question asks for the latest state of things ("the new prime minister")."""
    return bool(_NEWEST.search(question))


def resolve(answer: str, published: str | date | None) -> tuple[date, date] | None:
    """The first and last day a relative time in ``answer`` names, counted from
    ``published`` (the article's date); None when it names none, or its own day, or the
    article has no date."""
    if not published or _ABSOLUTE.search(answer):
        return None
    day = published if isinstance(published, date) else _date(published)
    if day is None:
        return None
    text = " ".join(answer.lower().split())
    monday = day - timedelta(days=day.weekday())
    if "yesterday" in text:
        return _one(day - timedelta(days=1))
    if "tomorrow" in text:
        return _one(day + timedelta(days=1))
    if re.search(r"\b(today|tonight|this morning|this afternoon|this evening)\b", text):
        return _one(day)
    if m := _AGO.search(text):
        n, unit = _NUMBERS.get(m.group(1)) or int(m.group(1)), m.group(2)
        if unit == "day":
            return _one(day - timedelta(days=n))
        if unit == "week":
            start = monday - timedelta(weeks=n)
            return start, start + timedelta(days=6)
        return None  # months and years ago are too loose to name days
    if m := _WEEK.search(text):
        shift = {"last": -1, "the past": -1, "past": -1, "this": 0, "next": 1}[m.group(2)]
        start = monday + timedelta(weeks=shift)
        part = m.group(1)
        if part in ("early", "earlier"):
            return start, start + timedelta(days=2)
        if part in ("late", "later"):
            return start + timedelta(days=3), start + timedelta(days=6)
        if part == "mid":
            return start + timedelta(days=2), start + timedelta(days=3)
        return start, start + timedelta(days=6)
    if _WEEKEND.search(text):
        saturday = day - timedelta(days=(day.weekday() - 5) % 7)
        return saturday, saturday + timedelta(days=1)
    if m := _WEEKDAY.search(text):
        wanted = WEEKDAYS.index(m.group(2))
        back = (day.weekday() - wanted) % 7
        if m.group(1) == "next":
            return _one(day + timedelta(days=(wanted - day.weekday()) % 7 or 7))
        if m.group(1) in ("last", "past", "this past") and back == 0:
            back = 7
        return _one(day - timedelta(days=back))
    if m := _MONTH.search(text):
        which, unit = m.group(1), m.group(2)
        if unit == "month":
            first = day.replace(day=1)
            if which == "last":
                end = first - timedelta(days=1)
                return end.replace(day=1), end
            if which == "next":
                start = (first + timedelta(days=32)).replace(day=1)
                return start, (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
            return (first, day) if which == "earlier this" else (first, _month_end(day))
        year = day.year + {"last": -1, "next": 1}.get(which, 0)
        if which == "earlier this":
            return date(year, 1, 1), day
        return date(year, 1, 1), date(year, 12, 31)
    return None


def said(span: tuple[date, date] | None) -> str:
    """A resolved time as the answer shows it: "2024-12-01", or "2024-11-28 to 2024-12-01"."""
    if span is None:
        return ""
    start, end = span
    return start.isoformat() if start == end else f"{start.isoformat()} to {end.isoformat()}"


def _one(day: date) -> tuple[date, date]:
    return day, day


def _month_end(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None
