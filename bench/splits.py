"""Which squad11-dev articles train, tune and validate the models fitted in this project.

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
