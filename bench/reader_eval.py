"""The reader on questions it never saw, against the reader off, in one run.

    python bench/reader_eval.py --squad-index DIR --realtimeqa-index DIR [--demo-index DIR] [--json]

DIR: indexes of ../shared/data's squad11-dev and realtimeqa-dev (``qa eval DATA --index DIR``
builds them); --demo-index: realtimeqa-dev plus demo/articles, for the four questions an
archive of 2022 news cannot answer. Asked: realtimeqa-dev's report half (bench/splits.py:
nothing is chosen on it) and squad11-dev's validation articles. Measured, reader off and on
(the shipped settings, nothing chosen here):

* short answer: the reader's answer matches a gold answer (normalised, one contains the
  other, or token F1 >= .5), of all questions, of those answered and of those answered as
  likely; lead sentence: the quoted sentence holds a gold answer.
* refusal: squad11-dev's validation questions asked of the realtimeqa-dev index (none of
  its articles is about them): the share refused; realtimeqa-dev questions whose passage 1
  holds the answer: the share answered.
* the reliability of the probability given: questions by the probability their answer was
  given (answered or not), and the share of them answered right.
* latency of ``Index.ask`` (k=5) on the realtimeqa-dev index, the two settings alternating
  question by question: p50 / p95.

The script runs against the code of the checkout it lies in; copied into an earlier
checkout's bench/ (with splits.py) it measures that one the same way.
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

from reader_tune import holds, matches  # noqa: E402
from splits import news_part, part  # noqa: E402

from index.embed.loading import load_embedder  # noqa: E402
from qa.retriever import Index  # noqa: E402
from qa.settings import Settings  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
UNANSWERABLE = ("who won the 2022 World Cup?", "what is the capital of Australia?", "who is the mayor of Tokyo?",
                "how much will the new fees cost?")  # the last three: issue 31's


def questions(name: str) -> list[dict]:
    found = [json.loads(line) for line in open(DATA / name / "questions.jsonl", encoding="utf-8")]
    if name == "squad11-dev":
        found = [q for q in found if part(q["article_id"]) == "validation"]
    if name == "realtimeqa-dev":
        found = [q for q in found if news_part(q) == "report"]
    return found


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


BINS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0001)


def answers(index: Index, qs: list[dict], times: list[float] | None = None) -> dict:
    """Short answers, leads, answered shares and the reliability table of ``qs`` asked of ``index``."""
    short = lead = answered = first = first_answered = likely = likely_right = answered_right = 0
    given = []
    for q in qs:
        started = time.perf_counter()
        a = index.ask(q["question"], k=5)
        if times is not None:
            times.append((time.perf_counter() - started) * 1000)
        right = bool(a.text) and matches(a.text, q["answers"])
        answered += a.answered
        answered_right += a.answered and right
        short += right
        lead += holds(a.lead, q["answers"])
        if getattr(a, "level", "") == "likely":
            likely += 1
            likely_right += right
        given.append((a.probability, right))
        if a.passages and holds(a.passages[0].text, q["answers"]):
            first += 1
            first_answered += a.answered
    n = len(qs)
    table = []
    for lo, hi in zip(BINS, BINS[1:]):
        inside = [r for p, r in given if lo <= p < hi]
        if inside:
            table.append({"from": lo, "to": min(hi, 1.0), "questions": len(inside),
                          "right": round(sum(inside) / len(inside), 3)})
    return {"questions": n, "short_answer": short / n, "lead_sentence": lead / n, "answered": answered / n,
            "right_of_answered": answered_right / max(1, answered), "likely": likely,
            "right_of_likely": likely_right / max(1, likely),
            "answered_when_passage_1_holds": first_answered / max(1, first), "reliability": table}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--squad-index", type=Path, required=True)
    parser.add_argument("--realtimeqa-index", type=Path, required=True)
    parser.add_argument("--demo-index", type=Path, help="realtimeqa-dev + demo/articles")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    embedder = load_embedder()
    out: dict = {}
    rtqa, squad = questions("realtimeqa-dev"), questions("squad11-dev")
    for label, reader in (("reader off", False), ("reader on", True)):
        settings = Settings(reader=reader)
        with Index.open(args.realtimeqa_index, settings=settings, embedder=embedder) as news, \
                Index.open(args.squad_index, settings=settings, embedder=embedder) as wiki:
            row = {"realtimeqa-dev": answers(news, rtqa), "squad11-dev validation": answers(wiki, squad)}
            refused = [not news.ask(q["question"], k=5).answered for q in squad]
            row["squad questions refused by the news index"] = sum(refused) / len(refused)
            if args.demo_index:
                with Index.open(args.demo_index, settings=settings, embedder=embedder) as demo:
                    asked = [demo.ask(q, k=5) for q in UNANSWERABLE]
                    row["the four refused"] = [not a.answered for a in asked]
                    row["the four answers"] = [f"{a.text} ({a.probability:.2f})" for a in asked]
        out[label] = row
    times: dict[str, list[float]] = {"reader off": [], "reader on": []}
    with Index.open(args.realtimeqa_index, settings=Settings(reader=False), embedder=embedder) as off, \
            Index.open(args.realtimeqa_index, settings=Settings(reader=True), embedder=embedder) as on:
        off.ask(rtqa[0]["question"])
        on.ask(rtqa[0]["question"])
        for q in rtqa * 2:  # alternating, so both see the same machine
            for label, index in (("reader off", off), ("reader on", on)):
                started = time.perf_counter()
                index.ask(q["question"], k=5)
                times[label].append((time.perf_counter() - started) * 1000)
    for label, values in times.items():
        out[label]["latency_ms"] = {"p50": round(statistics.median(values), 1),
                                    "p95": round(percentile(values, .95), 1)}
    if args.json:
        print(json.dumps(out, indent=2))
        return
    print("| | reader off | reader on |\n|---|---|---|")
    for key in ("short_answer", "lead_sentence", "answered", "right_of_answered", "likely", "right_of_likely",
                "answered_when_passage_1_holds"):
        for data in ("realtimeqa-dev", "squad11-dev validation"):
            print(f"| {data}: {key.replace('_', ' ')} | {out['reader off'][data][key]:.3f} | "
                  f"{out['reader on'][data][key]:.3f} |")
    key = "squad questions refused by the news index"
    print(f"| {key} | {out['reader off'][key]:.3f} | {out['reader on'][key]:.3f} |")
    if args.demo_index:
        print(f"| the four questions refused | {sum(out['reader off']['the four refused'])} of 4 | "
              f"{sum(out['reader on']['the four refused'])} of 4 |")
    print(f"| ask latency p50 / p95, realtimeqa-dev (ms) | {out['reader off']['latency_ms']['p50']} / "
          f"{out['reader off']['latency_ms']['p95']} | {out['reader on']['latency_ms']['p50']} / "
          f"{out['reader on']['latency_ms']['p95']} |")


if __name__ == "__main__":
    main()
