"""New subjects stay new: questions that change the subject in the middle of a chat.

    python bench/switches.py --index DIR [--part tune|report|all] [-v]

Two kinds of switch, each asked after one or two turns of another conversation:

* ``bench/data/switches.jsonl`` (written for this project): general questions the archive
  cannot answer ("who wrote Middlemarch?", answers ``[]``: they must be refused) and demo
  questions, asked after the demo's and realtimeqa-dev's conversations;
* every realtimeqa-dev question, asked right after the one before it in the file (another
  week's news, another article).

A switch passes when it is searched exactly as asked (it inherits nothing), and it is
answered (or refused) as when asked alone, with the same first passage. The index DIR must
hold the demo, the shared AFP article and realtimeqa-dev (see bench/conversations.py).
Parts: the general set's even lines and realtimeqa-dev's tuning half (``news_part``) tune,
the rest report.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from splits import news_part  # noqa: E402

from qa.evaluation import first_hit  # noqa: E402
from qa.retriever import Index  # noqa: E402

SWITCHES = ROOT / "bench" / "data" / "switches.jsonl"
QUESTIONS = ROOT.parent / "shared" / "data" / "realtimeqa-dev" / "questions.jsonl"


def switches(part: str) -> list[dict]:
    """Each switch: ``before`` (the chat's earlier questions), ``q``, ``a`` (answers; [] when
    the archive cannot answer), ``set`` (general or realtimeqa-dev)."""
    out = []
    for i, line in enumerate(open(SWITCHES, encoding="utf-8")):
        item = json.loads(line)
        if part == "all" or (i % 2 == 0) == (part == "tune"):
            out.append({**item, "set": "general"})
    questions = [json.loads(line) for line in open(QUESTIONS, encoding="utf-8")] if QUESTIONS.exists() else []
    for before, q in zip(questions, questions[1:]):
        if before["article_id"] != q["article_id"] and (part == "all" or news_part(q) == part):
            out.append({"before": [before["question"]], "q": q["question"], "a": q["answers"],
                        "set": "realtimeqa-dev"})
    return out


def ask(index: Index, item: dict) -> dict:
    history = []
    for question in item["before"]:
        history.append(index.ask(question, k=5, history=history))
    answer = index.ask(item["q"], k=5, history=history)
    alone = index.ask(item["q"], k=5)
    return {**item, "searched": answer.searched, "answered": answer.answered, "alone_answered": alone.answered,
            "first": answer.passages[0].chunk_id if answer.passages else None,
            "alone_first": alone.passages[0].chunk_id if alone.passages else None,
            "rank": first_hit([p.text for p in answer.passages], item["a"]) if item["a"] else None,
            "text": answer.text}


def summarize(rows: list[dict]) -> dict[str, str]:
    def share(items, test) -> str:
        return f"{sum(1 for r in items if test(r))}/{len(items)}"

    off = [r for r in rows if not r["a"]]
    return {
        "searched as asked (inherits nothing)": share(rows, lambda r: r["searched"] == r["q"]),
        "answered or refused as when alone": share(rows, lambda r: r["answered"] == r["alone_answered"]),
        "same first passage as alone": share(rows, lambda r: r["first"] == r["alone_first"]),
        "off-archive questions refused": share(off, lambda r: not r["answered"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--part", choices=["tune", "report", "all"], default="report")
    parser.add_argument("-v", "--verbose", action="store_true", help="Print every switch that fails.")
    args = parser.parse_args()
    with Index.open(args.index) as index:
        rows = [ask(index, item) for item in switches(args.part)]
    if args.verbose:
        for r in rows:
            if r["searched"] != r["q"] or r["answered"] != r["alone_answered"]:
                print(f"{'answered' if r['answered'] else 'refused'} (alone: "
                      f"{'answered' if r['alone_answered'] else 'refused'}) {r['searched']!r} -> {r['text']!r}")
    print(f"| {args.part}: {len(rows)} switches | count |\n|---|---|")
    for name, value in summarize(rows).items():
        print(f"| {name} | {value} |")
    for name in ("general", "realtimeqa-dev"):
        part = [r for r in rows if r["set"] == name]
        print(f"| {name}: searched as asked | {sum(r['searched'] == r['q'] for r in part)}/{len(part)} |")


if __name__ == "__main__":
    main()
