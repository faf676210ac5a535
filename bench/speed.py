"""Ingest throughput and query latency on the realtimeqa-dev articles (../shared/data).

    python bench/speed.py [--data ../shared/data/realtimeqa-dev] [--questions 50] [--json]
    python bench/speed.py --index DIR      # queries only, on an index built before

Measures, on a fresh index in a temp folder:
  * ingest: wall time, chunks/s, and the model word pieces embedded per second, against
    calling the model directly on the very same texts (chunks, and sentences unless
    ``--sentence-vectors pooled``, where the chunk texts alone are the model's work);
  * query: latency of ``Index.retrieve`` (k=5, answering sentence included) over the
    first N questions, after one warm-up question: median and p95; and the same with a
    date filter that keeps the newer half of the articles (``since`` = the median date).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.embed.loading import DEFAULT_MODEL, load_embedder  # noqa: E402
from index.ingestion import ingest  # noqa: E402
from qa.retriever import Index  # noqa: E402
from qa.settings import Settings  # noqa: E402


def embedded_texts(index: Index, pooled: bool) -> list[str]:
    """Every text the ingest put through the model: chunk texts, then (unless the sentence
    vectors are pooled from the chunks' passes) sentence texts."""
    db = index.reader.store._db
    chunks = [row[0] for row in db.execute("SELECT text FROM chunks ORDER BY id")]
    if pooled:
        return chunks
    articles = dict(db.execute("SELECT id, text FROM articles"))
    sentences = [articles[a][s:e] for a, s, e in
                 db.execute("SELECT article_id, start, end FROM sentences ORDER BY article_id, ord")]
    return chunks + sentences


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def query_latency(index: Index, questions: list[str], **filters) -> dict[str, float]:
    """Median and p95 milliseconds of ``retrieve(k=5)`` over ``questions``, after a warm-up."""
    index.retrieve(questions[0], **filters)
    latencies = []
    for question in questions:
        started = time.perf_counter()
        index.retrieve(question, k=5, **filters)
        latencies.append((time.perf_counter() - started) * 1000)
    return {"median": round(statistics.median(latencies), 1), "p95": round(percentile(latencies, 0.95), 1)}


def query_report(index: Index, questions: list[str]) -> dict:
    dates = sorted(a.published for a in index.articles() if a.published)
    since = dates[len(dates) // 2] if dates else None
    plain, filtered = query_latency(index, questions), query_latency(index, questions, since=since)
    return {"questions": len(questions), "query_ms_median": plain["median"], "query_ms_p95": plain["p95"],
            "filtered_since": since, "filtered_query_ms_median": filtered["median"],
            "filtered_query_ms_p95": filtered["p95"]}


def show(result: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(result, indent=2))
    else:
        width = max(map(len, result))
        for key, value in result.items():
            print(f"{key:<{width}}  {value}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "realtimeqa-dev")
    parser.add_argument("--questions", type=int, default=50)
    parser.add_argument("--model", default=None)
    parser.add_argument("--sentence-vectors", choices=["encoded", "pooled"], default="encoded")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--index", type=Path, help="measure queries on this index; no ingest")
    args = parser.parse_args()
    if not (args.data / "articles.jsonl").is_file():
        sys.exit(f"no {args.data / 'articles.jsonl'}: give --data")
    questions = [json.loads(line)["question"] for line in open(args.data / "questions.jsonl")][: args.questions]
    if args.index:
        with Index.open(args.index, settings=Settings.from_env(model=args.model)) as index:
            show({**query_report(index, questions), "model": index.embedder.model_id}, args.json)
        return

    settings = Settings.from_env(model=args.model)
    model = settings.model or DEFAULT_MODEL  # a fresh index: the default unless one is named
    embedder = load_embedder(model, settings.offline, settings.device)
    embedder.embed(["warm up the model"])
    with tempfile.TemporaryDirectory() as tmp:
        settings = settings.replace(index_dir=Path(tmp) / "index", sentence_vectors=args.sentence_vectors)
        started = time.perf_counter()
        report = ingest([args.data / "articles.jsonl"], settings, embedder=embedder, progress=not args.json)
        ingest_seconds = time.perf_counter() - started

        with Index.open(settings=settings, embedder=embedder) as index:
            texts = embedded_texts(index, args.sentence_vectors == "pooled")
            pieces = sum(embedder.count_tokens(texts))
            started = time.perf_counter()
            if hasattr(embedder, "model"):  # sentence-transformers: its own encode()
                embedder.model.encode(texts, batch_size=settings.batch_size, normalize_embeddings=True)
            else:  # the ONNX embedder: its embed() is the raw model loop
                embedder.embed(texts, batch_size=settings.batch_size)
            encode_seconds = time.perf_counter() - started
            queries = query_report(index, questions)

    result = {
        "articles": len(report.added), "chunks": report.chunks, "sentences": report.sentences,
        "failed": len(report.failed),
        "ingest_seconds": round(ingest_seconds, 1),
        "chunks_per_second": round(report.chunks / ingest_seconds, 1),
        "word_pieces_embedded": pieces,
        "ingest_word_pieces_per_second": round(pieces / ingest_seconds),
        "encode_only_seconds": round(encode_seconds, 1),
        "encode_word_pieces_per_second": round(pieces / encode_seconds),
        "ingest_vs_encode": round(encode_seconds / ingest_seconds, 3),
        **queries,
        "model": embedder.model_id, "sentence_vectors": args.sentence_vectors,
    }
    show(result, args.json)


if __name__ == "__main__":
    main()
