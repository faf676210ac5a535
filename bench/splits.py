"""Which squad11-dev articles train, tune and validate the models fitted in this project, and
which realtimeqa-dev questions tune and which are reported (``news_part``).

An article's part follows from a hash of its id, so every script agrees and no question of
a validation article is ever seen by a fit: half the articles validate; of the other half,
about a quarter tune (choose depths, weights, thresholds) and the rest fit (train).
"""

from __future__ import annotations

import hashlib

PARTS = ("fit", "tune", "validation")


def part(article_id: str) -> str:
    h = int(hashlib.sha1(article_id.encode()).hexdigest(), 16)
    if h % 2:
        return "validation"
    return "tune" if (h // 2) % 4 == 0 else "fit"


def in_training(article_id: str) -> bool:
    """Fit or tune: never validation."""
    return part(article_id) != "validation"


NEWS_PARTS = ("tune", "report")


def news_part(question: dict) -> str:
    """realtimeqa-dev's halves, by the week a question was asked (its own article and the
    same-topic search results around it stay on one side): "tune" chooses, "report" is
    reported (the salt "split" chosen among a few for the most even halves, 38 and 42
    questions, before any question was asked). A question without a date goes by its article."""
    key = (question.get("question_date") or question["article_id"]).replace("-", "/")
    h = int(hashlib.sha1(f"split:{key}".encode()).hexdigest(), 16)
    return NEWS_PARTS[h % 2]
