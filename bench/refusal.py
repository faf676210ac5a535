"""Fit and measure "Not in your articles": when no passage answers the question.

    python bench/refusal.py --squad-index DIR --realtimeqa-index DIR [--every 2]

The squad index must record each article's id as its outlet, so a question can be asked
of every article but its own:

    qa ingest --index-dir /tmp/squad-src --source-field id ../shared/data/squad11-dev/articles.jsonl

**Fit** (squad11-dev, CC BY-SA 4.0; the half of its articles whose id hashes even): a
question asked of its own index is *answerable* when its first passage holds an answer
string; asked of all the other articles it is *unanswerable*. For each coverage weight w, a
passage's confidence is ``answer_score + w x coverage`` and the threshold keeps KEEP of the
answerable questions answered; the w that refuses the most unanswerable ones wins.

**Measure** (never seen by the fit): the other half of squad's articles, and realtimeqa-dev
(evaluation only): answered rate of answerable questions asked of their own index, refusal
of squad questions asked of the realtimeqa index and the other way round. Before: the old
rule (answer score >= 0.40); after: the fitted one.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from splits import in_training  # noqa: E402

from qa.evaluation import first_hit  # noqa: E402
from qa.retriever import Index  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
KEEP = 0.995  # share of answerable training questions that must stay answered
WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)
OLD_RULE = 0.40  # the previous threshold, on the answer score alone


def load(name: str, every: int) -> list[dict]:
    return [json.loads(line) for line in open(DATA / name / "questions.jsonl", encoding="utf-8")][::every]


def evidence(index: Index, question: str, **options) -> tuple[np.ndarray, bool | None, list[str]]:
    """(answer score and coverage of each of the top 5 passages, texts)."""
    passages = index.retrieve(question, k=5, **options)
    pairs = np.array([(p.answer_score, p.coverage) for p in passages] or [(0.0, 0.0)])
    return pairs, None, [p.text for p in passages]


def best(pairs: list[np.ndarray], weight: float) -> np.ndarray:
    return np.array([float((p[:, 0] + weight * p[:, 1]).max()) for p in pairs])


def answerable(index: Index, questions: list[dict], **options) -> list[np.ndarray]:
    found = []
    for q in questions:
        pairs, _, texts = evidence(index, q["question"], **options)
        if texts and first_hit(texts[:1], q["answers"]) == 1:
            found.append(pairs)
    return found


def unanswerable(index: Index, questions: list[dict], **options) -> list[np.ndarray]:
    return [evidence(index, q["question"], **options)[0] for q in questions]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--squad-index", type=Path, required=True)
    parser.add_argument("--realtimeqa-index", type=Path, required=True)
    parser.add_argument("--every", type=int, default=2, help="use every n-th squad question")
    args = parser.parse_args()
    squad, news = Index.open(args.squad_index), Index.open(args.realtimeqa_index)
    questions = load("squad11-dev", args.every)
    articles = sorted({q["article_id"] for q in questions})
    train = [q for q in questions if in_training(q["article_id"])]
    held = [q for q in questions if not in_training(q["article_id"])]

    yes = answerable(squad, train)
    no = [evidence(squad, q["question"], sources=[a for a in articles if a != q["article_id"]])[0] for q in train]
    print(f"fit on {len(yes)} answerable and {len(no)} unanswerable questions of "
          f"{len({q['article_id'] for q in train})} squad articles (keep {KEEP:.1%} answered)\n")
    print("| coverage weight | threshold | unanswerable refused (fit) |\n|---|---|---|")
    fits = []
    for weight in WEIGHTS:
        scores = np.sort(best(yes, weight))
        threshold = float(scores[int((1 - KEEP) * len(scores))])
        refused = float((best(no, weight) < threshold).mean())
        fits.append((refused, weight, threshold))
        print(f"| {weight} | {threshold:.3f} | {refused:.3f} |")
    _, weight, threshold = max(fits)
    print(f"\nchosen: confidence = answer score + {weight} x coverage, threshold {threshold:.3f}\n")

    realtimeqa = load("realtimeqa-dev", 1)
    measured = {
        "answered: squad (held-out articles), own index": (answerable(squad, held), True),
        "answered: realtimeqa-dev, own index": (answerable(news, realtimeqa), True),
        "refused: squad (held-out) asked of the other squad articles":
            ([evidence(squad, q["question"], sources=[a for a in articles if a != q["article_id"]])[0]
              for q in held], False),
        "refused: squad (held-out) asked of the realtimeqa index": (unanswerable(news, held), False),
        "refused: realtimeqa-dev asked of the squad index": (unanswerable(squad, realtimeqa), False),
    }
    print("| measured (never fitted on) | questions | before (answer score >= 0.40) | after |\n|---|---|---|---|")
    for name, (pairs, answer) in measured.items():
        before = best(pairs, 0.0) >= OLD_RULE
        after = best(pairs, weight) >= threshold
        share = (lambda v: v.mean()) if answer else (lambda v: 1 - v.mean())
        print(f"| {name} | {len(pairs)} | {share(before):.3f} | {share(after):.3f} |")


if __name__ == "__main__":
    main()
