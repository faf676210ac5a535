"""Calibrate the "no passage answers this" threshold on the dev sets.

    python bench/confidence.py --squad-index DIR --realtimeqa-index DIR [--every 5]

Answerable questions: each set's questions against its own index. Unanswerable ones:
the same questions against the *other* set's index (Wikipedia questions asked of 2022
news and the other way round: those articles do not hold the answers). For each, the
best passage similarity is recorded (what ``Index.ask`` compares with ``min_score``);
the script prints, for candidate thresholds, the share of answerable questions still
answered and the share of unanswerable ones correctly refused.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.retriever import Index  # noqa: E402

DATA = ROOT.parent / "shared" / "data"


FEATURES = {
    "passage similarity": lambda p: p.similarity,
    "answer score (sentence similarity + 0.3 word overlap)": lambda p: p.answer_score,
}


def best_scores(index: Index, questions: list[str]) -> dict[str, np.ndarray]:
    """For each feature, its best value over the top 5 passages of each question."""
    results = [index.retrieve(q, k=5) for q in questions]
    return {name: np.array([max((f(p) for p in ps), default=0.0) for ps in results]) for name, f in FEATURES.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--squad-index", type=Path, required=True)
    parser.add_argument("--realtimeqa-index", type=Path, required=True)
    parser.add_argument("--every", type=int, default=5)
    args = parser.parse_args()
    sets = {"squad11-dev": args.squad_index, "realtimeqa-dev": args.realtimeqa_index}
    questions = {name: [json.loads(line)["question"] for line in open(DATA / name / "questions.jsonl")][::args.every]
                 for name in sets}
    indexes = {name: Index.open(path) for name, path in sets.items()}
    answerable = {f: [] for f in FEATURES}
    unanswerable = {f: [] for f in FEATURES}
    for name, index in indexes.items():
        other = next(n for n in sets if n != name)
        for feature, values in best_scores(index, questions[name]).items():
            answerable[feature].append(values)
        for feature, values in best_scores(index, questions[other]).items():
            unanswerable[feature].append(values)
    for feature in FEATURES:
        yes, no = np.concatenate(answerable[feature]), np.concatenate(unanswerable[feature])
        print(f"\n{feature}: {len(yes)} answerable, {len(no)} unanswerable questions")
        print("| threshold | answerable still answered | unanswerable refused |\n|---|---|---|")
        for threshold in np.arange(0.25, 0.66, 0.025):
            print(f"| {threshold:.3f} | {(yes >= threshold).mean():.3f} | {(no < threshold).mean():.3f} |")


if __name__ == "__main__":
    main()
