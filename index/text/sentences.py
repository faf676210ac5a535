"""Split article text into sentences, keeping each sentence's character span.

A rule-based splitter tuned for English news: it breaks after ``.``, ``!`` or ``?``
(with any closing quotes or brackets) when the next sentence starts with a capital,
digit or opening quote, and not after common abbreviations ("Mr.", "U.S.", "Jan.") or
initials. A line break always ends a sentence (headlines, captions, datelines).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ABBREVIATIONS = frozenset(
    """
    mr mrs ms dr prof sr jr st mt ft gen col lt sgt capt cmdr adm maj gov sen rep pres
    rev hon messrs inc ltd co corp bros vs etc al approx dept est fig no nos vol
    jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thurs fri sat sun
    u.s u.k u.n e.u u.s.a d.c a.m p.m e.g i.e
    """.split()
)

# A sentence end: terminal punctuation, optional closing quotes/brackets, then whitespace.
_END = re.compile(r"""[.!?]+["'”’)\]]*(?=\s)""")
# What may start the next sentence.
_NEXT_START = re.compile(r"""\s+["'“‘(\[]*[A-Z0-9]""")
_WORD_BEFORE = re.compile(r"""([A-Za-z][A-Za-z.]*)$""")


@dataclass(frozen=True)
class Span:
    """A half-open character range ``[start, end)`` of a text."""

    start: int
    end: int

    def of(self, text: str) -> str:
        return text[self.start : self.end]


def split_sentences(text: str) -> list[Span]:
    """Sentence spans of ``text``, trimmed of surrounding whitespace, in order."""
    spans: list[Span] = []
    for line in re.finditer(r"[^\n]+", text):
        _split_line(text, line.start(), line.end(), spans)
    return spans


def _split_line(text: str, start: int, end: int, out: list[Span]) -> None:
    line = text[start:end]
    cut = 0
    for match in _END.finditer(line):
        stop = match.end()
        if not _NEXT_START.match(line, stop):
            continue
        if match.group().startswith(".") and len(match.group().rstrip("\"'”’)]")) == 1:
            if _is_abbreviation(line[cut : match.start()]):
                continue
        _emit(text, start + cut, start + stop, out)
        cut = stop
    _emit(text, start + cut, end, out)


def _is_abbreviation(before: str) -> bool:
    found = _WORD_BEFORE.search(before)
    if not found:
        return False
    word = found.group(1).lower().rstrip(".")
    if len(word) == 1:  # an initial: "J. Smith"
        return True
    return word in _ABBREVIATIONS


def _emit(text: str, start: int, end: int, out: list[Span]) -> None:
    span = trimmed(text, Span(start, end))
    if span is not None:
        out.append(span)


def trimmed(text: str, span: Span) -> Span | None:
    """``span`` without the whitespace at its ends; None when nothing else is left."""
    start, end = span.start, span.end
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Span(start, end) if end > start else None
