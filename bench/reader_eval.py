"""Today's default against the default with the reader, on questions the reader never saw.

    python bench/reader_eval.py --squad-index DIR --realtimeqa-index DIR [--model-dir qa/models]

Validation parts: the squad11-dev questions of the "validation" articles (bench/splits.py),
asked of an index of all 19 squad articles, and all 80 realtimeqa-dev questions (never
used for training), asked of the realtimeqa index, plain and as of their dates. Both
rerankers run in the same process, question by question, so their latencies compare.
Reported: R@1, R@5, MRR@10 (an answer string in the passage), and the median / p95 time
of ``Index.retrieve(k=5)``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from splits import part  # noqa: E402

from index.models import load_embedder  # noqa: E402
from qa.checks import check_date  # noqa: E402
from qa.evaluate import first_hit  # noqa: E402
from qa.rerank import ReaderReranker  # noqa: E402
from qa.retriever import Index  # noqa: E402
from qa.settings import Settings  # noqa: E402

DATA = ROOT.parent / "shared" / "data"


def questions(name: str) -> list[dict]:
    found = [json.loads(line) for line in open(DATA / name / "questions.jsonl", encoding="utf-8")]
    if name == "squad11-dev":
        found = [q for q in found if part(q["article_id"]) == "validation"]
    return found


def measure(index: Index, qs: list[dict], dated: bool) -> dict:
    ranks, times = [], []
    index.retrieve(qs[0]["question"], k=5)
    for q in qs:
        as_of = check_date(q.get("question_date"), "question_date") if dated else None
        started = time.perf_counter()
        index.retrieve(q["question"], k=5, as_of=as_of)
        times.append((time.perf_counter() - started) * 1000)
        ranks.append(first_hit([p.text for p in index.retrieve(q["question"], k=10, as_of=as_of)], q["answers"]))
    n = len(qs)
    times.sort()
    return {"questions": n, "R@1": sum(r == 1 for r in ranks) / n,
            "R@5": sum(r is not None and r <= 5 for r in ranks) / n,
            "MRR@10": sum(1 / r for r in ranks if r) / n, "p50": statistics.median(times),
            "p95": times[min(n - 1, round(0.95 * (n - 1)))]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--squad-index", type=Path, required=True)
    parser.add_argument("--realtimeqa-index", type=Path, required=True)
    parser.add_argument("--model-dir", type=Path, default=None, help="a reader other than the shipped one")
    args = parser.parse_args()
    embedder = load_embedder()
    reader = None
    if args.model_dir:
        from qa.reader import Reader

        reader = Reader(args.model_dir)
    print("| validation set | reranker | questions | R@1 | R@5 | MRR@10 | p50 ms | p95 ms |\n" + "|---" * 8 + "|")
    for name, path, dated in (("squad11-dev (validation articles)", args.squad_index, False),
                              ("realtimeqa-dev", args.realtimeqa_index, False),
                              ("realtimeqa-dev, as of its dates", args.realtimeqa_index, True)):
        data = "squad11-dev" if name.startswith("squad") else "realtimeqa-dev"
        qs = questions(data)
        plain = Index.open(path, settings=Settings(rerank="sentence"), embedder=embedder)
        reading = Index(plain.reader, embedder, plain.settings, reranker=ReaderReranker(reader))
        for label, index in (("sentence (today's default)", plain), ("sentence + reader", reading)):
            r = measure(index, qs, dated)
            print(f"| {name} | {label} | {r['questions']} | {r['R@1']:.3f} | {r['R@5']:.3f} | {r['MRR@10']:.3f} | "
                  f"{r['p50']:.1f} | {r['p95']:.1f} |")


if __name__ == "__main__":
    main()
