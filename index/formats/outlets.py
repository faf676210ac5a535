"""Outlet names for articles that do not state one: from the byline or the url's site.

"By Layal Abou Rahal for AFP" names the agency; a url on ``edition.cnn.com`` is CNN. Well
known sites have their usual names in ``KNOWN``; any other site is named after its domain
("valley-courier.example" -> "Valley Courier", "npr.org" -> "NPR").
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

KNOWN = {
    "apnews": "AP", "afp": "AFP", "aljazeera": "Al Jazeera", "bbc": "BBC", "bloomberg": "Bloomberg",
    "cbsnews": "CBS News", "cnbc": "CNBC", "cnn": "CNN", "economist": "The Economist", "foxnews": "Fox News",
    "ft": "Financial Times", "lemonde": "Le Monde", "nbcnews": "NBC News", "npr": "NPR",
    "nytimes": "The New York Times", "politico": "Politico", "reuters": "Reuters",
    "theguardian": "The Guardian", "themoscowtimes": "The Moscow Times", "theweek": "The Week",
    "usatoday": "USA Today", "washingtonpost": "The Washington Post", "wsj": "The Wall Street Journal",
}
_SECOND_LEVEL = {"co", "com", "org", "net", "gov", "ac", "edu"}  # news.example.co.uk -> example
_AGENCY_BYLINE = re.compile(r"\bfor\s+(?P<outlet>[A-Z][\w&.'’-]*(?:\s+[A-Z][\w&.'’-]*){0,3})\s*$")
SHORT_AS_ACRONYM = 4  # a domain of at most this many letters is an acronym: "npr" -> "NPR"


def outlet_from_url(url: str | None) -> str | None:
    """The outlet a url belongs to, by name when the site is known, else from its domain."""
    if not url:
        return None
    host = (urlsplit(url.strip()).hostname or "").removeprefix("www.")
    labels = [label for label in host.split(".") if label]
    if len(labels) < 2:
        return host or None
    name = labels[-2]
    if name in _SECOND_LEVEL and len(labels) >= 3:
        name = labels[-3]
    if name in KNOWN:
        return KNOWN[name]
    if len(name) <= SHORT_AS_ACRONYM and name.isalpha():
        return name.upper()
    return " ".join(part.capitalize() for part in re.split(r"[-_]", name) if part)


def outlet_from_byline(byline: str | None) -> str | None:
    """The agency a byline credits ("Layal Abou Rahal for AFP" -> "AFP"), else None."""
    if not byline:
        return None
    match = _AGENCY_BYLINE.search(re.sub(r"[\[\]()*_]|#", " ", byline).strip())
    return match.group("outlet") if match else None


def outlet(source: str | None, byline: str | None, url: str | None) -> str | None:
    """The outlet to cite: as stated, else the agency in the byline, else the url's site."""
    return (source or "").strip() or outlet_from_byline(byline) or outlet_from_url(url)
