"""Would batching the reader's windows of concurrent questions into one ONNX run raise a
server's throughput? CPU time per window, one question at a time against several batched.

    python bench/reader_batch.py --index DIR [--questions 48] [--repeat 5]

The windows are the real ones: each realtimeqa-dev question's evidence, read as ``qa ask``
reads it (its best ``depth`` candidates). For each number of model threads (1, as ``qa
serve`` runs them side by side, and 2) and each batch (one window alone; 1 question = its own
windows, as served; 4 and 8 questions' windows padded into one run), it reports the process CPU milliseconds per window
and per question, over ``--repeat`` passes through every question. A batch pads each pair to
its longest, and int8 dynamic quantization scales activations by the whole batch, so a
batched question's reading also depends on what it was batched with.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index import onnx_session  # noqa: E402
from qa.retriever import Index  # noqa: E402
from qa.search.reader import MODEL_FILE, MODELS, encode, windows  # noqa: E402
from qa.settings import Settings  # noqa: E402

QUESTIONS = ROOT.parent / "shared" / "data" / "realtimeqa-dev" / "questions.jsonl"


def pairs(index: Index, questions: list[str]) -> list[tuple[str, list[str]]]:
    """(question, its window texts) as the reader gets them."""
    depth = index.answerer.config.depth
    out = []
    for question in questions:
        found = index.evidence(question, k=5, read=False)
        chosen = [c.chunk_id for c in found.candidates[:depth]]
        ready = windows(found, chosen)
        out.append((question, [ready[i].text for i in chosen if i in ready]))
    return out


def measure(session, tokenizer, asked: list[tuple[str, list[str]]], batch: int, repeat: int) -> dict:
    """CPU ms per window and per question, ``batch`` questions' windows per run."""
    feeds = []
    if batch == 0:  # each window alone, unpadded
        asked_alone = [(q, [t]) for q, texts in asked for t in texts]
        groups = [[encode(tokenizer, q, texts)] for q, texts in asked_alone]
    else:
        groups = [[encode(tokenizer, q, texts) for q, texts in asked[start:start + batch] if texts]
                  for start in range(0, len(asked), batch)]
    for group in groups:
        width = max(e.ids.shape[1] for e in group)

        def padded(a: np.ndarray, width: int = width) -> np.ndarray:
            return np.pad(a, ((0, 0), (0, width - a.shape[1])))

        feeds.append({"input_ids": np.concatenate([padded(e.ids) for e in group]),
                      "attention_mask": np.concatenate([padded(e.mask) for e in group]),
                      "token_type_ids": np.concatenate([padded(e.types) for e in group])})
    session.run(None, feeds[0])
    windows_read = sum(f["input_ids"].shape[0] for f in feeds) * repeat
    started = time.process_time()
    for _ in range(repeat):
        for feed in feeds:
            session.run(None, feed)
    cpu = (time.process_time() - started) * 1000
    return {"cpu_ms_per_window": round(cpu / windows_read, 2),
            "cpu_ms_per_question": round(cpu / len(asked) / repeat, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--questions", type=int, default=48)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    questions = [json.loads(line)["question"] for line in QUESTIONS.open(encoding="utf-8")][:args.questions]
    with Index.open(settings=Settings.from_env().replace(index_dir=args.index)) as index:
        asked = pairs(index, questions)
        tokenizer = index.answerer.tokenizer
    rows = []
    for threads in (1, 2):
        session = onnx_session(MODELS / MODEL_FILE, "the reader model", "", threads)
        for batch in (0, 1, 4, 8):
            rows.append({"threads": threads, "questions_per_run": batch or "1 window",
                         **measure(session, tokenizer, asked, batch, args.repeat)})
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print("| model threads | questions per ONNX run | CPU ms per window | CPU ms per question |")
    print("|---|---|---|---|")
    for r in rows:
        print(f"| {r['threads']} | {r['questions_per_run']} | {r['cpu_ms_per_window']} | {r['cpu_ms_per_question']} |")


if __name__ == "__main__":
    main()
