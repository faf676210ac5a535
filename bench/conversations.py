"""Follow-ups answered, unrelated questions untouched: the conversation set, asked in chats.

    python bench/conversations.py --index DIR [--part tune|report|all]

``bench/data/conversations.jsonl`` holds conversations written for this project over the
demo articles, the shared AFP article, realtimeqa-dev and squad11-dev: a first question,
then follow-ups that lean on it ("how old was he when he died?"), each with its answer
strings. Between conversations, realtimeqa-dev questions that carry a pronoun but stand on
their own ("Which state announced it is legalizing jaywalking?") are asked in the same chat:
they must be searched as asked. The index DIR must hold all those articles, e.g.

    qa ingest --index-dir /tmp/mixed demo/articles ../shared/articles/syria-strikes-2024-12-02.md \\
        ../shared/data/realtimeqa-dev/articles.jsonl ../shared/data/squad11-dev/articles.jsonl

Reported, per part (``tune`` holds the demo and half the squad chats and the even unrelated
questions, ``report`` the rest; settings are chosen on ``tune`` only):
* follow-ups answered: the first passage holds an answer string (and: the marked sentence does);
* unrelated questions untouched: searched exactly as asked (and: answered as when asked alone);
* the ten-question chat: the first ten unrelated questions of the part, one after another.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.evaluation import first_hit  # noqa: E402
from qa.retriever import Index  # noqa: E402

CONVERSATIONS = ROOT / "bench" / "data" / "conversations.jsonl"
QUESTIONS = ROOT.parent / "shared" / "data" / "realtimeqa-dev" / "questions.jsonl"
PRONOUN = re.compile(r"\b(it|its|they|them|their|that|this|those|these|there|he|she|him|her|his)\b", re.I)
UNRELATED_PER_CHAT = 2


def unrelated_questions(part: str) -> list[dict]:
    """realtimeqa-dev questions with a pronoun that stand on their own; even ones tune, odd ones report."""
    found = [json.loads(line) for line in open(QUESTIONS, encoding="utf-8")]
    found = [{"q": q["question"], "a": q["answers"], "kind": "unrelated"}
             for q in found if PRONOUN.search(q["question"])]
    return [q for i, q in enumerate(found) if part == "all" or (i % 2 == 0) == (part == "tune")]


def chats(part: str) -> list[list[dict]]:
    """Each conversation of the part followed by unrelated questions, in one chat."""
    conversations = [json.loads(line) for line in open(CONVERSATIONS, encoding="utf-8")]
    conversations = [c for c in conversations if part == "all" or c["part"] == part]
    pool = unrelated_questions(part)
    out = []
    for i, conversation in enumerate(conversations):
        extra = pool[i * UNRELATED_PER_CHAT : (i + 1) * UNRELATED_PER_CHAT]
        out.append(conversation["turns"] + extra)
    return out


def ask_chat(index: Index, turns: list[dict], alone: dict[str, int | None]) -> list[dict]:
    """Ask the turns in one chat; for each: searched, rank of the first answering passage,
    whether the marked sentence holds an answer, and the rank when asked alone."""
    history = []
    rows = []
    for turn in turns:
        answer = index.ask(turn["q"], k=5, history=history)
        history.append(answer)
        passages = answer.passages
        rows.append({**turn, "searched": answer.searched,
                     "rank": first_hit([p.text for p in passages], turn["a"]),
                     "marked": bool(passages) and first_hit([passages[0].answer], turn["a"]) == 1,
                     "answered": answer.answered,
                     "alone": alone.get(turn["q"])})
    return rows


def summarize(rows: list[dict]) -> dict[str, str]:
    follow = [r for r in rows if r["kind"] == "followup"]
    unrelated = [r for r in rows if r["kind"] == "unrelated"]
    first = [r for r in rows if r["kind"] == "first"]

    def share(items, test) -> str:
        return f"{sum(1 for r in items if test(r))}/{len(items)}"

    return {
        "follow-ups answered (passage 1)": share(follow, lambda r: r["rank"] == 1),
        "follow-ups answered (marked sentence)": share(follow, lambda r: r["marked"]),
        "follow-ups whose passage 1 holds the answer, not refused": share(
            [r for r in follow if r["rank"] == 1], lambda r: r["answered"]),
        "follow-ups whose passage 1 lacks the answer, refused": share(
            [r for r in follow if r["rank"] != 1], lambda r: not r["answered"]),
        "unrelated untouched (searched as asked)": share(unrelated, lambda r: r["searched"] == r["q"]),
        "unrelated answered as when alone (passage 1)":
            share(unrelated, lambda r: (r["rank"] == 1) == (r["alone"] == 1)),
        "first questions answered (passage 1)": share(first, lambda r: r["rank"] == 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--part", choices=["tune", "report", "all"], default="report")
    parser.add_argument("-v", "--verbose", action="store_true", help="Print every turn.")
    args = parser.parse_args()
    with Index.open(args.index) as index:
        plan = chats(args.part)
        ten = unrelated_questions(args.part)[:10]
        alone = {t["q"]: first_hit([p.text for p in index.retrieve(t["q"], k=5)], t["a"])
                 for turns in [*plan, ten] for t in turns}
        rows = [row for turns in plan for row in ask_chat(index, turns, alone)]
        ten_rows = ask_chat(index, ten, alone)
    if args.verbose:
        for r in rows + ten_rows:
            mark = {None: "-", 1: "1"}.get(r["rank"], str(r["rank"]))
            print(f"{r['kind']:<9} rank {mark:<2} marked {'y' if r['marked'] else 'n'} "
                  f"{'answered' if r['answered'] else 'refused '}  {r['searched']}")
    print(f"| {args.part} | count |\n|---|---|")
    for name, value in summarize(rows).items():
        print(f"| {name} | {value} |")
    same = sum(1 for r in ten_rows if (r["rank"] == 1) == (r["alone"] == 1) and r["searched"] == r["q"])
    print(f"| ten questions in one chat: searched as asked and answered as alone | {same}/{len(ten_rows)} |")


if __name__ == "__main__":
    main()
