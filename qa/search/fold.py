"""Which cards fold under "Less related (n)": those far below card 1.

A passage whose ranking score lacks more than ``margin`` of card 1's (its share: (s1 - s) /
s1) folds, unless the answer cites it. The margin is measured on dev data by
``bench/fold.py`` and shipped in ``qa/models/fold.json``: on the tuning questions it is the
smallest that folds at most 5% of the cards that hold an answer string (its figures on the
report questions are in that file and in docs/evaluation.md).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from pathlib import Path

FOLD_FILE = Path(__file__).resolve().parent.parent / "models" / "fold.json"


@functools.cache
def fold_margin(path: Path = FOLD_FILE) -> float:
    """The shipped margin (a share of card 1's score)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("by") != "share" or not 0 < float(data["margin"]) < 1:
        raise ValueError(f"{path}: margin {data.get('margin')!r} by {data.get('by')!r} is not a share of card 1's "
                         "score: rerun `python bench/fold.py --write`")
    return float(data["margin"])


def less_related(scores: Sequence[float], cited: set[int], margin: float | None = None) -> tuple[int, ...]:
    """The ranks (1-based, in ``scores``' order) that fold: far below the best score (card 1,
    unless the cards are in date order) and not ``cited``."""
    if not scores:
        return ()
    margin = fold_margin() if margin is None else margin
    top = max(max(scores), 1e-6)
    return tuple(rank for rank, s in enumerate(scores, start=1) if rank not in cited and (top - s) / top > margin)
