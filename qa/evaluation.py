"""``qa eval``: answer-string recall of the retrieval on a labeled question set.

A data set is a folder with ``articles.jsonl`` ({id, title, text, url, date?}) and
``questions.jsonl`` ({id, question, answers, ...}). A retrieved passage *answers* a
question when it contains one of the answers, case-insensitive and whitespace-normalized.
Reported: R@1, R@5, R@10, MRR@10 and the median / p95 latency of ``Index.retrieve``.
With ``dated``, each question is asked as of its ``question_date`` (when the set gives
one): what a reader asking it that day would get.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from tqdm.auto import tqdm

from index import ingest, ingest_set, is_shard_set
from qa.choices import EVAL_METHODS
from qa.errors import QAError
from qa.retriever import Index
from qa.search import check_date
from qa.settings import Settings

CUTOFFS = (1, 5, 10)


@dataclass(frozen=True)
class EvalResult:
    data: str
    method: str
    questions: int
    recall_at_1: float
    recall_at_5: float
    recall_at_10: float
    mrr_at_10: float
    median_ms: float
    p95_ms: float
    dated: bool = False  # asked as of each question's date

    def to_dict(self) -> dict:
        return asdict(self)


def normalize(text: str) -> str:
    return " ".join(text.lower().split())


def first_hit(passages: list[str], answers: list[str]) -> int | None:
    """1-based rank of the first passage holding an answer, or None."""
    wanted = [normalize(a) for a in answers if a.strip()]
    for rank, text in enumerate(passages, start=1):
        flat = normalize(text)
        if any(a in flat for a in wanted):
            return rank
    return None


def load_questions(data_dir: Path) -> list[dict]:
    path = Path(data_dir) / "questions.jsonl"
    if not path.is_file():
        raise QAError(f"no questions.jsonl in {data_dir}: an eval set needs articles.jsonl and questions.jsonl")
    questions = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                try:
                    record = json.loads(line)
                    questions.append({"question": record["question"], "answers": list(record["answers"]),
                                      "as_of": check_date(record.get("question_date"), "question_date")})
                except (ValueError, KeyError, TypeError) as exc:
                    raise QAError(f"{path}:{number}: not a question record ({exc!r}): expected "
                                  '{"question": ..., "answers": [...], "question_date"?: "YYYY-MM-DD"}') from exc
    return questions


def evaluate(data_dir: str | Path, *, index_dir: str | Path | None = None, settings: Settings | None = None,
             method: str | None = None, every: int = 1, dated: bool = False, progress: bool = False) -> EvalResult:
    """Ingest the set's articles (into a scratch index unless ``index_dir``), ask every question
    (as of its ``question_date`` when ``dated``)."""
    data_dir = Path(data_dir)
    settings = settings or Settings.from_env()
    method = method or "default"
    if method != "default":
        if method not in EVAL_METHODS:
            raise QAError(f"unknown method {method!r}: use one of default, {', '.join(EVAL_METHODS)}")
        retrieval, rerank, reader = EVAL_METHODS[method]
        settings = settings.replace(retrieval=retrieval, rerank=rerank, reader=reader)
    questions = load_questions(data_dir)[::every]
    if dated and not any(q["as_of"] for q in questions):
        raise QAError(f"no question in {data_dir / 'questions.jsonl'} has a question_date: drop --dated (dated=True)")
    with tempfile.TemporaryDirectory(prefix="qa-eval-") as scratch:
        settings = settings.replace(index_dir=Path(index_dir) if index_dir else Path(scratch) / "index")
        store = ingest_set if is_shard_set(settings.index_dir) else ingest  # a shard set: each article to its shard
        report = store([data_dir / "articles.jsonl"], settings, progress=progress)
        if not report.ok:
            raise QAError(f"{len(report.failed)} articles of {data_dir} could not be ingested: {report.failed[0]}")
        with Index.open(settings=settings) as index:
            index.retrieve(questions[0]["question"], k=10)  # warm up
            ranks, latencies = [], []
            for q in tqdm(questions, disable=not progress, desc="questions", unit="q"):
                started = time.perf_counter()
                passages = index.retrieve(q["question"], k=10, as_of=q["as_of"] if dated else None)
                latencies.append((time.perf_counter() - started) * 1000)
                ranks.append(first_hit([p.text for p in passages], q["answers"]))
    n = len(questions)
    recall = {c: sum(1 for r in ranks if r is not None and r <= c) / n for c in CUTOFFS}
    latencies.sort()
    return EvalResult(
        data=data_dir.name, method=method, questions=n,
        recall_at_1=round(recall[1], 3), recall_at_5=round(recall[5], 3), recall_at_10=round(recall[10], 3),
        mrr_at_10=round(sum(1 / r for r in ranks if r is not None) / n, 3),
        median_ms=round(statistics.median(latencies), 1),
        p95_ms=round(latencies[min(n - 1, round(0.95 * (n - 1)))], 1), dated=dated,
    )
