"""Choose the reader's depth, ranking weight and refusal threshold on tuning questions, and
measure the short answers: bench/train_reader.py calls ``tune``; bench/reader_eval.py
calls ``collect`` and ``measure`` with the shipped settings on other questions.

Per question (asked of an index that holds its answer): the candidates after the sentence
rerank, the reader's reading of the best ``max(depths)`` of them, and whether each
candidate's text holds an answer string. Depth and weight: the best R@1, then MRR@10, and
the lead sentence. The refusal: a logistic score of the lead's evidence, fitted between
these questions and the same questions asked of an archive about other things; its
threshold keeps ``keep`` of the questions whose first passage holds the answer answered.
"""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.evaluate import normalize  # noqa: E402
from qa.search.confidence import confidence  # noqa: E402
from qa.search.reader import Reader, Refusal, windows  # noqa: E402
from qa.search.reading import ShortAnswer, read  # noqa: E402

log = logging.getLogger("reader_tune")
RANKS = 10
LEAD_MARGIN = 0.005  # a deeper read must hold the answer this much more often to be worth its time
REFUSAL_STEPS, REFUSAL_RATE, REFUSAL_L2 = 3000, 0.2, 1e-3
# the questions asked elsewhere: squad11-dev's tune articles are about topics no training
# paragraph is about (Natural Questions' topics overlap between its train and dev parts)
ELSEWHERE = "squad11-dev"
SENTENCE_WEIGHTS = (0.0, 0.5, 1.0, 2.0)  # tried for the answering-sentence score in the span choice


@dataclass
class Asked:
    """What one question gave, before any blending."""

    answers: tuple[str, ...]
    scores: list[float]  # candidates' scores after the sentence rerank, best first
    holds: list[bool]  # whether each candidate holds an answer string
    has: list[float]  # the reader's has_answer for the first len(has) candidates
    short: list[ShortAnswer | None]  # the reader's span for those
    sentences: list[str]  # each read candidate's quoted sentence if its span leads
    confidence: list[float]  # the reader-less confidence of each candidate (qa/search/confidence.py)
    coverage: list[float]  # share of the question's IDF-weighted words in each read candidate's window


def holds(text: str, answers) -> bool:
    flat = normalize(text)
    return any(normalize(a) in flat for a in answers if a.strip())


def collect(index, questions, reader: Reader, depth: int, as_of=None, found=None) -> list[Asked]:
    """What each question gave; ``found``: its evidence from an earlier call of
    :func:`evidence` (the reader's reading is redone, the retrieval is not)."""
    from tqdm import tqdm

    found = found or evidence(index, questions, as_of)
    out = []
    for q, ev in tqdm(list(zip(questions, found)), desc="reading", unit="q", leave=False):
        answers = tuple(q["answers"] if isinstance(q, dict) else q.answers)
        cands = ev.candidates[:RANKS]
        shorts = read(reader, ev, depth)
        windows_of = windows(ev, [c.chunk_id for c in cands[:depth]])
        rows = ev.rows
        out.append(Asked(
            answers, [c.score for c in cands], [holds(rows[c.chunk_id].text, answers) for c in cands],
            [c.reader for c in cands[:depth]], [shorts.get(c.chunk_id) for c in cands[:depth]],
            [rows[c.chunk_id].text[slice(*s.sentence)] if (s := shorts.get(c.chunk_id)) else ""
             for c in cands[:depth]],
            [confidence(ev.answers[c.chunk_id].score, ev.query.weights.overlap(rows[c.chunk_id].text))
             for c in cands],
            [ev.query.weights.overlap(w.text) if (w := windows_of.get(c.chunk_id)) else 0.0
             for c in cands[:depth]]))
    return out


def evidence(index, questions, as_of=None) -> list:
    """Each question's candidates, reranked, not read (sorted best first)."""
    from tqdm import tqdm

    out = []
    for q in tqdm(questions, desc="retrieving", unit="q", leave=False):
        text = q["question"] if isinstance(q, dict) else q.question
        out.append(index.evidence(text, k=RANKS, where=as_of(q) if as_of else None, read=False))
    return out


def sentence_weight(index, questions, reader: Reader, depth: int, weight: float,
                    choices=SENTENCE_WEIGHTS) -> tuple[float, list[Asked]]:
    """The weight of the answering-sentence score in the reader's span choice: the one whose
    lead sentence holds the answer most often (then: the short answer matches; ties: the
    smaller weight), and what the questions gave with it."""
    found = evidence(index, questions)
    table = {}
    for w in choices:
        reader.config = replace(reader.config, sentence_weight=w)
        asked = collect(index, questions, reader, depth, found=found)
        figures = measure(asked, depth, weight)
        log.info("tune: sentence weight %.2f: lead sentence %.4f short answer %.4f", w,
                 figures["lead_sentence"], figures["short_answer"])
        table[w] = ((figures["lead_sentence"], figures["short_answer"]), asked)
    best = max(table, key=lambda w: (table[w][0], -w))
    reader.config = replace(reader.config, sentence_weight=best)
    return best, table[best][1]


def blended(a: Asked, depth: int, weight: float) -> list[int]:
    final = [s + (weight * a.has[i] if i < min(depth, len(a.has)) else 0.0) for i, s in enumerate(a.scores)]
    return sorted(range(len(final)), key=lambda i: -final[i])


def ranking(asked: list[Asked], depth: int, weight: float) -> tuple[float, float]:
    r1 = mrr = 0.0
    for a in asked:
        hit = next((rank for rank, i in enumerate(blended(a, depth, weight), start=1) if a.holds[i]), None)
        r1 += hit == 1
        mrr += 1 / hit if hit else 0.0
    return r1 / len(asked), mrr / len(asked)


def lead(a: Asked, depth: int, weight: float) -> int | None:
    """The read candidate whose short answer leads: the best-ranked one after the blend."""
    read = {i for i, s in enumerate(a.short[:depth]) if s is not None}
    return next((i for i in blended(a, depth, weight) if i in read), None)


def features(a: Asked, depth: int, i: int) -> np.ndarray:
    return Refusal.features(a.has[i], a.short[i].probability, max(a.confidence[:depth]))


def token_f1(a: str, b: str) -> float:
    x, y = normalize(a).split(), normalize(b).split()
    common = sum(min(x.count(t), y.count(t)) for t in set(x))
    if not common:
        return 0.0
    p, r = common / len(x), common / len(y)
    return 2 * p * r / (p + r)


def matches(short: str, answers) -> bool:
    """The issue's measure: normalised, one contains the other, or token F1 >= .5."""
    s = _clean(short)
    for gold in answers:
        g = _clean(gold)
        if s and g and (s in g or g in s or token_f1(s, g) >= 0.5):
            return True
    return False


def _clean(text: str) -> str:
    return normalize("".join(ch if ch.isalnum() or ch.isspace() else " " for ch in text))


def measure(asked: list[Asked], depth: int, weight: float, refusal: Refusal | None = None) -> dict:
    """Ranking, short answers, leads and (with ``refusal``) answered shares under one setting."""
    r1, mrr = ranking(asked, depth, weight)
    n = len(asked)
    short = sentence = answered = first_holds = first_answered = 0
    for a in asked:
        i = lead(a, depth, weight)
        confident = i is not None and refusal is not None and refusal.answers(
            a.has[i], a.short[i].probability, max(a.confidence[:depth]))
        answered += confident
        if i is not None:
            short += matches(a.short[i].text, a.answers)
            sentence += holds(a.sentences[i], a.answers)
        if a.holds[blended(a, depth, weight)[0]]:
            first_holds += 1
            first_answered += confident
    return {"questions": n, "R@1": round(r1, 4), "MRR@10": round(mrr, 4), "short_answer": round(short / n, 4),
            "lead_sentence": round(sentence / n, 4), "answered": round(answered / n, 4),
            "answered_when_first_holds": round(first_answered / max(1, first_holds), 4)}


def fit_refusal(answerable: list[np.ndarray], unanswerable: list[np.ndarray], keep: float) -> Refusal:
    """A logistic regression (standardized features, light L2, full-batch gradient descent)
    telling the two apart; the threshold keeps ``keep`` of the answerable ones."""
    x = np.vstack([answerable, unanswerable])
    y = np.r_[np.ones(len(answerable)), np.zeros(len(unanswerable))]
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = (x - mean) / scale
    w, b = np.zeros(z.shape[1]), 0.0
    balance = np.where(y == 1, 0.5 / y.mean(), 0.5 / (1 - y.mean()))  # both kinds weigh the same
    for _ in range(REFUSAL_STEPS):
        p = 1 / (1 + np.exp(-(z @ w + b)))
        g = balance * (p - y)
        w -= REFUSAL_RATE * (z.T @ g / len(y) + REFUSAL_L2 * w)
        b -= REFUSAL_RATE * g.mean()
    scores = ((np.vstack(answerable) - mean) / scale) @ w + b
    threshold = float(np.quantile(scores, 1 - keep))
    return Refusal(tuple(mean.round(6)), tuple(scale.round(6)), tuple(w.round(6)), round(b, 6), round(threshold, 6))


def tune(index, questions, foreign_index, model_dir: Path, depths, weights, keep: float) -> dict:
    """Per depth, the weight with the best R@1 (then MRR@10); the depth: the smallest whose
    lead sentence holds the answer within ``LEAD_MARGIN`` of the best depth's; then the
    sentence weight (:func:`sentence_weight`). The refusal:
    fitted between the questions whose first passage holds the answer and the squad11-dev
    ones asked of ``foreign_index`` (the training paragraphs: other topics) where no
    candidate holds it; its threshold keeps ``keep`` of the first answered."""
    reader = _bare(model_dir)
    asked = collect(index, questions, reader, max(depths))
    per_depth = {}
    for d in depths:
        table = {w: ranking(asked, d, w) for w in weights}
        for w, (r1, mrr) in table.items():
            log.info("tune: depth %d weight %.2f: R@1 %.4f MRR@10 %.4f", d, w, r1, mrr)
        w = max(table, key=lambda x: (table[x], -x))
        per_depth[d] = (w, measure(asked, d, w)["lead_sentence"])
        log.info("tune: depth %d: weight %.2f, lead sentence holds the answer %.4f", d, *per_depth[d])
    best_lead = max(held for _, held in per_depth.values())
    depth = min(d for d, (_, held) in per_depth.items() if held >= best_lead - LEAD_MARGIN)
    weight = per_depth[depth][0]
    sentence, asked = sentence_weight(index, questions, reader, depth, weight)
    answerable = [features(a, depth, i) for a in asked
                  if (i := lead(a, depth, weight)) is not None and a.holds[blended(a, depth, weight)[0]]]
    elsewhere = collect(foreign_index, [q for q in questions if q.source == ELSEWHERE], reader, depth)
    unanswerable = [features(a, depth, i) for a in elsewhere
                    if (i := lead(a, depth, weight)) is not None and not any(a.holds)]
    refusal = fit_refusal(answerable, unanswerable, keep)
    has = [a.has[i] for a in asked
           if (i := lead(a, depth, weight)) is not None and a.holds[blended(a, depth, weight)[0]]]
    threshold = float(np.quantile(has, 1 - keep))
    figures = measure(asked, depth, weight, refusal)
    refused = sum(not refusal.answers(a.has[i], a.short[i].probability, max(a.confidence[:depth]))
                  for a in elsewhere if (i := lead(a, depth, weight)) is not None and not any(a.holds))
    figures["refused_elsewhere"] = round(refused / max(1, len(unanswerable)), 4)
    log.info("tune: chose depth %d weight %.2f threshold %.4f %s: %s", depth, weight, threshold, refusal, figures)
    return {"depth": depth, "weight": weight, "sentence_weight": sentence, "threshold": round(threshold, 4),
            "refusal": asdict(refusal), "tune": figures, "tune_elsewhere": {"questions": len(unanswerable)},
            "tune_without_reader": {"R@1": round(ranking(asked, depth, 0.0)[0], 4),
                                    "MRR@10": round(ranking(asked, depth, 0.0)[1], 4)}}


def _bare(model_dir: Path) -> Reader:
    """The reader before its settings exist: placeholder settings, replaced by ``tune``."""
    placeholder = {"depth": 6, "weight": 0.0, "threshold": 0.5, "refusal": {
        "mean": [0, 0, 0], "scale": [1, 1, 1], "weights": [1, 0, 0], "bias": 0, "threshold": 0}}
    (model_dir / "reader.json").write_text(json.dumps(placeholder) + "\n")
    return Reader(model_dir)
