"""Write docs/scores.md from qa.search.SCORES (tests/test_docs.py checks it matches).

    python bench/scores_doc.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.search import SCORES  # noqa: E402

DOC = ROOT / "docs" / "scores.md"
HEAD = """# The numbers in an answer

`qa ask --json` (and the chat's HTTP API) return an answer with numbers beside its text; the
JSON's `scores` field repeats what each one means. `qa ask --passages` prints each passage with
two of them: `score` (what the passages are ranked by) and `has_answer` (the reader's probability
that the passage answers). Plain `qa ask` prints only the answer's probability.

<!-- made by `python bench/scores_doc.py` from qa.search.SCORES; tests/test_docs.py checks it -->
| field | what it means |
|---|---|
"""
TAIL = """
How the probability is made and how well it is calibrated: [reader.md](reader.md). Which
cards fold under "Less related": a passage whose `score` lacks more than the shipped margin
(`qa/models/fold.json`, measured by `python bench/fold.py`) of the best passage's score, and
that the answer does not cite.
"""


def render() -> str:
    return HEAD + "\n".join(f"| `{name}` | {meaning} |" for name, meaning in SCORES.items()) + "\n" + TAIL


if __name__ == "__main__":
    DOC.write_text(render(), encoding="utf-8")
    print(f"wrote {DOC}")
