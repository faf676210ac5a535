"""The probability that a question's answer is right, from what the reader found, and the
words for it, fitted by ``bench/calibrate.py`` on tuning questions (stored in ``reader.json``
beside the model; qa/search/verdict.py computes the features; docs/reader.md has the
reliability table).

The probability is a product: that the archive answers the question at all (a logistic
model fitted between tuning questions asked of their own articles and questions asked of
articles about other things), times that the answer is right when it does (a logistic model
fitted on the answerable ones). Under ``answer_bar`` the question is not answered; from
``likely_bar`` the answer is said to be likely; between the two, unsure.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

LIKELY, UNSURE, NONE = "likely", "unsure", "none"
FEATURES = ("has_answer_logit", "span_log_probability", "weight_log", "support", "lead_support", "coverage",
            "articles_agreeing", "kind_checked")


@dataclass(frozen=True)
class Logistic:
    """A logistic model of standardized features."""

    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float

    @classmethod
    def from_dict(cls, data: dict) -> Logistic:
        made = cls(tuple(map(float, data["mean"])), tuple(map(float, data["scale"])),
                   tuple(map(float, data["weights"])), float(data["bias"]))
        if not len(made.mean) == len(made.scale) == len(made.weights) == len(FEATURES):
            raise ValueError(f"a model needs {len(FEATURES)} means, scales and weights ({', '.join(FEATURES)})")
        return made

    def to_dict(self) -> dict:
        return {"mean": list(self.mean), "scale": list(self.scale), "weights": list(self.weights), "bias": self.bias}

    def __call__(self, features: Sequence[float]) -> float:
        z = (np.asarray(features, dtype=float) - np.array(self.mean)) / np.array(self.scale)
        return 1.0 / (1.0 + math.exp(-float(np.clip(z @ np.array(self.weights) + self.bias, -30, 30))))


@dataclass(frozen=True)
class Calibration:
    """The two models, the two bars on their product, and the choices of how answers meet."""

    answers: Logistic  # that the archive answers the question
    right: Logistic  # that the answer is right, when it does
    answer_bar: float  # under it: not answered
    likely_bar: float  # from it: "likely"; between the bars: "unsure"
    scale_by: str = "ranked"  # how windows weigh: "shared" mass, "window" has-answer, or "ranked" score
    aggregate: bool = True  # the same answer in several passages adds up
    kinds: bool = True  # an answer of the wrong kind is passed over
    temperature: float = 0.2  # of the softmax of ranking scores ("ranked")

    @classmethod
    def from_dict(cls, data: dict) -> Calibration:
        made = cls(Logistic.from_dict(data["answers"]), Logistic.from_dict(data["right"]), float(data["answer_bar"]),
                   float(data["likely_bar"]), str(data.get("scale_by", "ranked")), bool(data.get("aggregate", True)),
                   bool(data.get("kinds", True)), float(data.get("temperature", 0.2)))
        if made.scale_by not in ("shared", "window", "ranked") or made.temperature <= 0 or \
                not 0 <= made.answer_bar <= made.likely_bar <= 1:
            raise ValueError(f"calibration: scale_by {made.scale_by!r}, temperature {made.temperature}, "
                             f"bars {made.answer_bar}/{made.likely_bar}")
        return made

    def probability(self, features: Sequence[float]) -> float:
        return self.answers(features) * self.right(features)

    def level(self, probability: float) -> str:
        """"likely", "unsure" or "none" (not answered)."""
        if probability >= self.likely_bar:
            return LIKELY
        return UNSURE if probability >= self.answer_bar else NONE
