"""Whether a passage answers the question at all: "Not in your articles" otherwise.

A passage's confidence is its answering sentence's score (embedding similarity + 0.3 x
the question's IDF-weighted words in that sentence) plus ``COVERAGE_WEIGHT`` x the share
of the question's IDF-weighted words anywhere in the passage. A question is answered when
some passage reaches ``Settings.min_score``. Words count because a passage can sound like
the question without holding what it asks about: "Who is the mayor of Tokyo?" against a
story about an earthquake in Tokyo has no "mayor" in it.

The weight and the threshold were fitted by ``bench/refusal.py`` on half of squad11-dev's
articles only (questions against their own index: answerable when the first passage holds
the answer; against the other articles: unanswerable), keeping 99.5% of the answerable
ones answered; the other half and realtimeqa-dev measure it.
"""

from __future__ import annotations

COVERAGE_WEIGHT = 0.25  # the threshold is Settings.min_score (QA_MIN_SCORE)


def confidence(answer_score: float, coverage: float) -> float:
    return answer_score + COVERAGE_WEIGHT * coverage
