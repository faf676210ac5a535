"""Choose the reader's depth, ranking weight and sentence weight on tuning questions, and
measure the short answers: bench/train_reader.py calls ``tune``.

Per question (asked of an index that holds its answer): the candidates after the sentence
rerank, the reader's reading of the best ``max(depths)`` of them, and whether each
candidate's text holds an answer string. Depth and weight: the best R@1, then MRR@10, and
the lead sentence. How sure an answer is, and when a question is not answered, is fitted
afterwards by bench/calibrate.py.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.evaluation import normalize  # noqa: E402
from qa.search import FEATURES  # noqa: E402
from qa.search.matching import confidence  # noqa: E402
from qa.search.reader import Reader, windows  # noqa: E402
from qa.search.reading import read_best  # noqa: E402
from qa.search.record import ShortAnswer  # noqa: E402

log = logging.getLogger("reader_tune")
RANKS = 10
LEAD_MARGIN = 0.005  # a deeper read must hold the answer this much more often to be worth its time
REFUSAL_STEPS, REFUSAL_RATE, REFUSAL_L2 = 3000, 0.2, 1e-3
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
    confidence: list[float]  # the reader-less confidence of each candidate (qa/search/matching.py)
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
        shorts = read_best(reader, ev, depth)
        windows_of = windows(ev, [c.chunk_id for c in cands[:depth]])
        rows = ev.rows
        out.append(Asked(
            answers, [c.score for c in cands], [holds(rows[c.chunk_id].text, answers) for c in cands],
            [c.has_answer for c in cands[:depth]], [shorts.get(c.chunk_id) for c in cands[:depth]],
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


def measure(asked: list[Asked], depth: int, weight: float) -> dict:
    """Ranking, short answers and leads under one setting."""
    r1, mrr = ranking(asked, depth, weight)
    n = len(asked)
    short = sentence = 0
    for a in asked:
        i = lead(a, depth, weight)
        if i is not None:
            short += matches(a.short[i].text, a.answers)
            sentence += holds(a.sentences[i], a.answers)
    return {"questions": n, "R@1": round(r1, 4), "MRR@10": round(mrr, 4), "short_answer": round(short / n, 4),
            "lead_sentence": round(sentence / n, 4)}


def tune(index, questions, model_dir: Path, depths, weights, keep: float) -> dict:
    """Per depth, the weight with the best R@1 (then MRR@10); the depth: the smallest whose
    lead sentence holds the answer within ``LEAD_MARGIN`` of the best depth's; then the
    sentence weight (:func:`sentence_weight`); the has-answer threshold from which a
    passage's own answer marks its sentence keeps ``keep`` of those whose first passage
    holds the answer marked. How sure an answer is: bench/calibrate.py."""
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
    has = [a.has[i] for a in asked
           if (i := lead(a, depth, weight)) is not None and a.holds[blended(a, depth, weight)[0]]]
    threshold = float(np.quantile(has, 1 - keep))
    figures = measure(asked, depth, weight)
    log.info("tune: chose depth %d weight %.2f sentence weight %.2f threshold %.4f: %s", depth, weight, sentence,
             threshold, figures)
    return {"depth": depth, "weight": weight, "sentence_weight": sentence, "threshold": round(threshold, 4),
            "tune": figures, "tune_without_reader": {"R@1": round(ranking(asked, depth, 0.0)[0], 4),
                                                     "MRR@10": round(ranking(asked, depth, 0.0)[1], 4)}}


def _bare(model_dir: Path) -> Reader:
    """The reader before its settings exist: placeholder settings, replaced by ``tune``."""
    flat = {"mean": [0] * len(FEATURES), "scale": [1] * len(FEATURES), "weights": [0] * len(FEATURES), "bias": 0}
    placeholder = {"depth": 6, "weight": 0.0, "threshold": 0.5, "calibration": {
        "answers": flat, "right": flat, "answer_bar": 0.5, "likely_bar": 0.5},
        "model_sha256": hashlib.sha256((model_dir / "reader-int8.onnx").read_bytes()).hexdigest()}
    (model_dir / "reader.json").write_text(json.dumps(placeholder) + "\n")
    return Reader(model_dir)
