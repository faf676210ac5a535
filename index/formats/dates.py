"""Publication dates: parse the forms news sites print, normalize to ISO-8601 dates."""

from __future__ import annotations

import re
from datetime import date, datetime

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<month>[A-Za-z]{3,9})\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d{2})"
_WEEKDAY = r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?"
_PREFIX = r"(?:(?:published|updated|posted|date)\s*:?\s*(?:on\s+)?)?"
_TIME = r"(?:\s*(?:,|at|-|\|)?\s*\d{1,2}[:.]\d{2}(?:\s*[ap]\.?m\.?)?(?:\s*[A-Z]{2,5})?)?"

_PATTERNS = [
    re.compile(rf"{_WEEKDAY}{_MONTH}\s+{_DAY},?\s+{_YEAR}", re.I),  # December 02, 2024
    re.compile(rf"{_WEEKDAY}{_DAY}\s+{_MONTH},?\s+{_YEAR}", re.I),  # 2 December 2024
    re.compile(r"(?P<year>(?:19|20)\d{2})[-/.](?P<month>\d{1,2})[-/.](?P<day>\d{1,2})"),  # 2024-12-02
]


def parse_date(value: str | None) -> str | None:
    """An ISO date (``YYYY-MM-DD``) for the first date found in ``value``, else None."""
    if not value:
        return None
    value = value.strip()
    for pattern in _PATTERNS:
        match = pattern.search(value)
        if match and (iso := _to_iso(match)):
            return iso
    try:  # full ISO timestamps such as 2024-12-02T10:15:00+00:00
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date().isoformat()
    except ValueError:
        return None


def parse_date_line(line: str) -> str | None:
    """The ISO date when the whole line is a date line ("December 02, 2024", "Published: ...")."""
    text = re.sub(r"[*_`#>]", " ", line).strip()
    if not text or len(text) > 80:
        return None
    for pattern in _PATTERNS:
        full = re.compile(rf"^\s*{_PREFIX}{pattern.pattern}{_TIME}\s*$", re.I)
        match = full.match(text)
        if match and (iso := _to_iso(match)):
            return iso
    return None


def _to_iso(match: re.Match[str]) -> str | None:
    month_text = match.group("month")
    month = int(month_text) if month_text.isdigit() else _MONTHS.get(month_text.lower())
    if month is None:
        return None
    try:
        return date(int(match.group("year")), month, int(match.group("day"))).isoformat()
    except ValueError:
        return None
