"""How far below card 1 a card may rank before it folds under "Less related (n)".

    python bench/fold.py --news-index DIR --squad-index DIR [--write]

Each question of realtimeqa-dev (asked of DIR holding its articles) and of squad11-dev
(asked of its Wikipedia index) is asked for 5 passages; for each card after the first, its
gap to card 1 (card 1's ranking score minus its own) and whether it holds an answer string.
A margin folds the cards whose gap exceeds it. It is chosen on the tuning questions
(realtimeqa-dev's tuning half, squad11-dev's "tune" articles): the smallest margin that
folds at most ``LOST`` of the cards that hold an answer. The report questions
(realtimeqa-dev's report half, squad11-dev's validation articles) show what it does to
unseen questions. ``--write`` stores the margin in qa/models/fold.json, which the chat
and the CLI read.
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
from splits import part as squad_part  # noqa: E402

from qa.evaluation import first_hit  # noqa: E402
from qa.retriever import Index  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
OUT = ROOT / "qa" / "models" / "fold.json"
LOST = 0.05  # at most this share of answer-holding cards folded, on the tuning questions
SQUAD_PER_PART = 300  # squad11-dev questions asked per part (every k-th, for speed)
MARGINS = [round(0.05 * i, 2) for i in range(1, 41)]
BY = "difference"  # what the gap is: the difference of the scores, or the "share" of card 1's score


def questions(name: str, which: str) -> list[dict]:
    found = [json.loads(line) for line in open(DATA / name / "questions.jsonl", encoding="utf-8")]
    if name == "realtimeqa-dev":
        return [q for q in found if news_part(q) == which]
    wanted = "tune" if which == "tune" else "validation"
    found = [q for q in found if squad_part(q["article_id"]) == wanted]
    return found[:: max(1, len(found) // SQUAD_PER_PART)]


def gaps(index: Index, items: list[dict]) -> list[tuple[float, bool]]:
    """(gap to card 1, holds an answer) for every card after the first."""
    out = []
    for q in items:
        passages = index.retrieve(q["question"], k=5)
        for p in passages[1:]:
            gap = passages[0].score - p.score
            if BY == "share":  # the share of card 1's score it lacks
                gap = gap / max(passages[0].score, 1e-6)
            elif BY == "coverage":  # the share of the question's words (by rarity) it lacks
                gap = 1 - p.coverage
            out.append((gap, first_hit([p.text], q["answers"]) == 1))
    return out


def table(rows: list[tuple[float, bool]], margin: float) -> tuple[float, float]:
    """(share of answer-holding cards folded, share of the others folded)."""
    holding = [g for g, hit in rows if hit]
    other = [g for g, hit in rows if not hit]
    return (sum(g > margin for g in holding) / max(1, len(holding)),
            sum(g > margin for g in other) / max(1, len(other)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--news-index", type=Path, required=True)
    parser.add_argument("--squad-index", type=Path, required=True)
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--by", choices=["difference", "share", "coverage"], default="difference")
    args = parser.parse_args()
    global BY
    BY = args.by
    rows = {}
    for part in ("tune", "report"):
        rows[part] = []
        with Index.open(args.news_index) as index:
            rows[part] += gaps(index, questions("realtimeqa-dev", part))
        with Index.open(args.squad_index) as index:
            rows[part] += gaps(index, questions("squad11-dev", part))
    margin = next(m for m in MARGINS if table(rows["tune"], m)[0] <= LOST)
    print("| margin | tune: answering folded | tune: others folded | report: answering folded "
          "| report: others folded |")
    print("|---|---|---|---|---|")
    for m in MARGINS[::4] + [margin]:
        t, r = table(rows["tune"], m), table(rows["report"], m)
        print(f"| {m:.2f}{' (chosen)' if m == margin else ''} | {t[0]:.3f} | {t[1]:.3f} | {r[0]:.3f} | {r[1]:.3f} |")
    counts = {p: f"{sum(h for _, h in rows[p])} answering of {len(rows[p])} cards" for p in rows}
    print(f"cards: tune {counts['tune']}; report {counts['report']}")
    if args.write:
        t, r = table(rows["tune"], margin), table(rows["report"], margin)
        made = {"margin": margin, "by": BY, "lost_at_most": LOST,
                "tune": {"answering_folded": round(t[0], 4), "others_folded": round(t[1], 4)},
                "report": {"answering_folded": round(r[0], 4), "others_folded": round(r[1], 4)},
                "made_by": "python bench/fold.py"}
        OUT.write_text(json.dumps(made, indent=1) + "\n")
        print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
