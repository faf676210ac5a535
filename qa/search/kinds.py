"""What kind of answer a question asks for, and whether a short answer is of that kind.

How many / how much asks for a quantity; when did / what year for a time; which country or
what city for a place. An answer of another kind is plainly wrong ("natural causes" for how
many). Questions of other shapes ask for no kind we check, and any answer fits them.

The checks are rules on the answer's own words, not a model: a quantity has a digit or a
number word, a time a year, month, weekday, a word of time or a named event ("after World
War II"), a place a name. Rules for who (a person or an organisation) and for where and
when in general were measured and left out: on the tuning questions they passed over more
right answers than wrong ones ("architects", "beneath the liver", "if the inputs are
close"); bench/calibrate.py measures what each kind leaves out (docs/reader.md).
"""

from __future__ import annotations

import re

QUANTITY, TIME, PLACE = "quantity", "time", "place"
KINDS = (QUANTITY, TIME, PLACE)
NAME, PHRASE = "name", "phrase"  # what an answer is, besides a quantity or a time (answer_kind)

_PLACES = ("country", "countries", "city", "cities", "state", "states", "town", "continent", "region",
           "nation", "island", "province", "capital", "county", "village", "port", "neighborhood")
_TIMES = ("year", "years", "date", "day", "month", "decade", "century", "time", "season", "week")
_QUANTITIES = ("percentage", "percent", "number", "amount", "share", "proportion", "price", "sum", "fee",
               "cost", "age", "total", "rate", "score")
# "which country", "what is the capital", "what European city": the noun right after the wh-word
_WHICH = r"\b(?:what|which)(?: (?:is|was|are|were))?(?: (?:the|a|an))?(?: [\w-]+)? "
# the first of these in a question names what it asks for (most questions hold one)
_ASKS = [
    (re.compile(r"\bhow (many|much|old|long ago|far|tall|large|big|often|fast|high|deep|heavy)\b"), QUANTITY),
    (re.compile(_WHICH + "(" + "|".join(_QUANTITIES) + r")\b"), QUANTITY),
    (re.compile(_WHICH + "(" + "|".join(_TIMES) + r")\b"), TIME),
    (re.compile(_WHICH + "(" + "|".join(_PLACES) + r")\b"), PLACE),
    (re.compile(r"\bwhen (did|was|were)\b"), TIME),
    (re.compile(r"\b(what|which|who|whom|whose|when|where|why|how)\b"), None),  # the first wh-word decides
]

# counts (an answer holding one is a quantity: answer_kind), and the other words a quantity is said in
_CARDINALS = frozenset((
    "one two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty sixty seventy "
    "eighty ninety hundred hundreds thousand thousands million millions billion billions trillion dozen dozens"
).split())
_NUMBER_WORDS = _CARDINALS | frozenset((
    "zero thirteen fourteen fifteen sixteen seventeen eighteen nineteen half quarter third double triple twice "
    "once single first second several few many most all none no percent tens"
).split())
_TIME_WORDS = frozenset((
    "january february march april may june july august september october november december jan feb mar apr "
    "jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday saturday sunday today "
    "yesterday tomorrow tonight week weeks weekend month months year years decade decades century centuries "
    "morning afternoon evening night noon midnight ago spring summer autumn fall winter season day days "
    "hour hours minute minutes now recently later earlier soon since until christmas easter era age time "
    "times annual annually daily weekly monthly"
).split())
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")


def asked_kind(question: str) -> str | None:
    """The kind of answer ``question`` asks for, or None when it asks for none we check."""
    text = " ".join(question.lower().split())
    found = [(m.start(), kind) for pattern, kind in _ASKS if (m := pattern.search(text))]
    return min(found, key=lambda x: x[0])[1] if found else None


def fits(kind: str | None, answer: str) -> bool:
    """Whether ``answer`` can be an answer of ``kind`` (always, for no kind)."""
    if kind is None:
        return True
    words = _WORD.findall(answer)
    lower = [w.lower() for w in words]
    digits = any(ch.isdigit() for ch in answer)
    if kind == QUANTITY:
        return digits or any(w in _NUMBER_WORDS for w in lower) or any(ch in answer for ch in "$€£¥%")
    if kind == TIME:
        return digits or any(w in _TIME_WORDS for w in lower) or bool(lower) and lower[0] in _EVENT and any(
            w[:1].isupper() for w in words[1:])
    # a place: a name somewhere in it
    return any(w[:1].isupper() for w in words[1:]) or bool(words) and words[0][:1].isupper() and (
        len(words) == 1 or words[0].lower() not in _LEADING)


_EVENT = frozenset("after before during since until following in at by".split())  # "after World War II"
# capitalised only because they open the span: "The police", "A spokesman"
_LEADING = frozenset("the a an his her their its our this that these those some".split())


_YEAR = re.compile(r"^(?:in |since |by )?(?:1[5-9]|20)\d\d$")
_JOINING = frozenset("of and or de la del der von van al bin for on in".split())  # "Brothers of Italy"
_TIMELY = _TIME_WORDS - frozenset("may age era time times fall now second night morning evening afternoon".split())


def answer_kind(answer: str) -> str:
    """What a short answer is: a time (a year, a month, a weekday, "late last week"), a quantity (a digit, a
    currency or per cent sign, a number word), a name (every word capitalised but a leading
    "the": "Doug Emhoff", "TikTok"), else a phrase ("french toast sticks"). Two articles'
    answers are alternatives to each other only when they are of one kind."""
    words = _WORD.findall(answer)
    lower = [w.lower() for w in words]
    if _YEAR.match(answer.strip().lower()) or any(w in _TIMELY for w in lower):
        return TIME
    if any(ch.isdigit() for ch in answer) or any(ch in answer for ch in "$€£¥%") or any(w in _CARDINALS
                                                                                        for w in lower):
        return QUANTITY
    named = [w for w in words if w.lower() not in _LEADING and w.lower() not in _JOINING]
    return NAME if named and all(w[:1].isupper() for w in named) else PHRASE

