"""How far can the default reranking's evidence go? An upper bound, not a setting.

    python bench/ceiling.py --squad-index DIR --realtimeqa-index DIR [--every 1]

For each question, the top 20 fused candidates (what the default reranker sees) and, per
candidate, every score the index can give without a model call per candidate: the dense
similarity, BM25, the fused score, the answering sentence's score, the best sentence
similarity, the best sentence word overlap, and whether the answering sentence holds
the kind of thing the question asks for (a date for "when", a number for "how many", a
name for "who"). Then a linear scorer over those features is *fitted on the dev
questions themselves* (listwise softmax by gradient descent, and the best R@1 among
random weightings): what it reaches is
the most any weighting of this evidence can give, in-sample. The product may not ship
such weights (no tuning on the questions); the script shows whether the
targets are within reach of this evidence at all.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.evaluation import first_hit, load_questions  # noqa: E402
from qa.retriever import Index  # noqa: E402
from qa.search.hybrid import minmax  # noqa: E402
from qa.search.rerank import RERANK_DEPTH, SENTENCE_WEIGHT  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
FEATURES = ("dense", "keyword", "fused", "answer sentence", "best sentence similarity",
            "best sentence overlap", "answer type")
_KINDS = {  # what the question asks for -> what the answering sentence must hold
    "date": (re.compile(r"\bwhen\b|\b(what|which) (year|date|month|day|decade|century)\b", re.I),
             re.compile(r"\b(1\d{3}|20\d{2})s?\b|\b(january|february|march|april|may|june|july|august|"
                        r"september|october|november|december|century|monday|tuesday|wednesday|"
                        r"thursday|friday|saturday|sunday)\b", re.I)),
    "number": (re.compile(r"\bhow (many|much|long|far|old)\b|\bwhat (percentage|number|amount)\b", re.I),
               re.compile(r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|hundred|thousand|"
                          r"million|billion|dozen)\b", re.I)),
    "name": (re.compile(r"\bwho(m|se)?\b", re.I), re.compile(r"(?<=\w )[A-Z][a-z]+")),
}


def answer_type(question: str, sentence: str) -> float:
    for asks, holds in _KINDS.values():
        if asks.search(question):
            return float(bool(holds.search(sentence)))
    return 0.0


def question_features(index: Index, question: str, answers: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(candidates x FEATURES, labels) for the top fused candidates of one question."""
    found = index.evidence(question, method="hybrid", rerank=False, read=False)
    top, rows, sentences, chosen = found.candidates[:RERANK_DEPTH], found.rows, found.sentences, found.answers
    query, vector = found.query, found.vector
    columns = [[c.dense for c in top], [c.keyword for c in top], [c.score for c in top],
               [chosen[c.chunk_id].score for c in top], [], [], []]
    for c in top:
        row, (spans, vectors) = rows[c.chunk_id], sentences[c.chunk_id]
        texts = [row.text[s - row.start : e - row.start] for s, e in spans]
        columns[4].append(float((vectors @ vector).max()) if len(texts) else 0.0)
        columns[5].append(max((query.weights.overlap(t) for t in texts), default=0.0))
        a, b = chosen[c.chunk_id].span
        columns[6].append(answer_type(question, row.text[a:b]))
    # the fused score is already on [0, 1] over all candidates, as the reranker sees it
    features = np.stack([np.asarray(col) if i in (2, 6) else minmax(col) for i, col in enumerate(columns)], axis=1)
    labels = np.array([first_hit([rows[c.chunk_id].text], answers) == 1 for c in top], dtype=float)
    return features, labels


def fit(sets: list[list[tuple[np.ndarray, np.ndarray]]], steps: int = 400, rate: float = 2.0) -> np.ndarray:
    """Weights maximizing the softmax probability of the answering candidates."""
    data = [(x, y / y.sum()) for s in sets for x, y in s if 0 < y.sum() < len(y)]
    weights = np.zeros(len(FEATURES))
    for _ in range(steps):
        gradient = np.zeros_like(weights)
        for x, y in data:
            s = x @ weights
            p = np.exp(s - s.max())
            gradient += x.T @ (p / p.sum() - y)
        weights -= rate * gradient / len(data)
    return weights


def best_random(questions: list[tuple[np.ndarray, np.ndarray]], tries: int, seed: int = 0) -> np.ndarray:
    """The weighting with the best R@1 (then MRR) among ``tries`` random ones: in-sample search."""
    rng = np.random.default_rng(seed)
    best, best_weights = (-1.0, -1.0), np.zeros(len(FEATURES))
    for _ in range(tries):
        weights = rng.uniform(0, 1, len(FEATURES)) * rng.integers(0, 2, len(FEATURES))
        result = score(questions, weights)
        if result > best:
            best, best_weights = result, weights
    return best_weights


def score(questions: list[tuple[np.ndarray, np.ndarray]], weights: np.ndarray) -> tuple[float, float]:
    """R@1 and MRR@10 of ranking by ``features @ weights`` (a question with no answering
    candidate counts 0)."""
    r1 = mrr = 0.0
    for x, y in questions:
        hits = np.flatnonzero(y[np.argsort(-(x @ weights), kind="stable")][:10])
        if hits.size:
            r1 += hits[0] == 0
            mrr += 1 / (hits[0] + 1)
    return r1 / len(questions), mrr / len(questions)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--squad-index", type=Path, required=True)
    parser.add_argument("--realtimeqa-index", type=Path, required=True)
    parser.add_argument("--every", type=int, default=1)
    parser.add_argument("--tries", type=int, default=3000, help="random weightings searched per set")
    args = parser.parse_args()
    collected = {}
    for name, path in {"squad11-dev": args.squad_index, "realtimeqa-dev": args.realtimeqa_index}.items():
        with Index.open(path) as index:
            questions = load_questions(DATA / name)[:: args.every]
            collected[name] = [question_features(index, q["question"], q["answers"])
                               for q in tqdm(questions, desc=name)]
    default = np.zeros(len(FEATURES))
    default[2], default[3] = 1 - SENTENCE_WEIGHT, SENTENCE_WEIGHT  # the shipped sentence rerank
    scorers = {"default (fused + 0.1 answer sentence)": default}
    for names in (["squad11-dev"], ["realtimeqa-dev"], ["squad11-dev", "realtimeqa-dev"]):
        scorers[f"fitted on {' + '.join(names)}"] = fit([collected[n] for n in names])
    for name, questions in collected.items():
        scorers[f"best R@1 of {args.tries} random weightings on {name}"] = best_random(questions, args.tries)
    print("| scorer | " + " | ".join(f"{n} R@1 | MRR@10" for n in collected) + " | weights |")
    print("|---|" + "---|---|" * len(collected) + "---|")
    for label, weights in scorers.items():
        cells = " | ".join("{:.3f} | {:.3f}".format(*score(q, weights)) for q in collected.values())
        print(f"| {label} | {cells} | {' '.join(f'{w:.2f}' for w in weights)} |")
    print("\nfeatures:", ", ".join(FEATURES))


if __name__ == "__main__":
    main()
