"""How article-qa holds up as the archive grows: 10k, 100k, 1M passages on this machine.

    python bench/scale.py --sizes 10000 100000 1000000 [--json] [--work /tmp/qa-scale] [--fts5-max 100000]

For each size it builds an index of synthetic articles *without running the model*
(building is not what is measured): texts recombined from real sentences of
../shared/data, each chunk and sentence vector derived from a real one of the
realtimeqa-dev index (perturbed and renormalized, so approximate search sees a realistic
distribution). Then it puts the realtimeqa-dev articles inside (through the embedding
cache of ``--vectors-from``, built once with the real model) and reports:

* build: seconds to store the synthetic archive, and to compact it (``qa compact``);
* add_1000_s: seconds to add 1,000 more articles (chunked, stored, committed), and its
  ratio to the same on an empty index;
* query p50/p95 (k=5, answering sentence included), without and with a date filter,
  through ``Index.retrieve`` with the real model (question encoding included);
* keyword p50/p95: the tantivy BM25 query alone, for the questions, for common-word ones,
  and with a date filter;
* where a question's time goes (``stage_*_ms``: per question, from cProfile over 40 questions);
* R@1 / MRR of the realtimeqa-dev questions against the big index;
* ANN recall@10 of the vector search against exact search over the same vectors;
* open_s (a fresh process opening the index), serve RSS after one question, disk bytes
  per passage (database, vector files, keyword index).

At sizes up to ``--fts5-max`` it also measures, in the same run, the previous version's
keyword index: a copy of the index turned back into the schema before tantivy (FTS5 in the
database, :func:`as_written_before_tantivy`), its BM25 query as that version ran it
(``fts5_*``), and the time to convert that copy (``convert_s``: opening it converts it).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index import Article, Filter, content_terms, open_reader  # noqa: E402
from index.directory import IndexDir  # noqa: E402
from index.directory.writer import Addition, IndexWriter  # noqa: E402
from index.ingestion import ingest  # noqa: E402
from index.text.chunker import Chunker  # noqa: E402
from index.text.sentences import split_sentences  # noqa: E402
from index.text.tokens import get_encoding  # noqa: E402
from qa.evaluation import evaluate, load_questions  # noqa: E402
from qa.retriever import Index  # noqa: E402
from qa.settings import Settings  # noqa: E402
from tests.earlier import as_written_before_tantivy  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
NOISE = 0.5  # a derived vector keeps cos ~0.9 with the real one it comes from
DATED = "2023-01-01"  # the date filter of the dated questions
STAGES = {  # where a question's time goes: function name -> column
    "vector": "embed", "keyword_search": "keyword", "dense_search": "dense", "chunks": "fetch_chunks",
    "sentences": "fetch_sentences", "answers_for": "sentences_scored", "rerank": "rerank", "read_best": "reader",
    "gather": "gather", "evidence": "evidence"}
COMMON = ["what did people say about the new year", "how many people said it was time",
          "what is the state of the world now", "who said the government would make a new plan"]


@dataclass(frozen=True)
class ModelFacts:
    """What a writer needs to know of the model (it is never run here)."""

    model_id: str
    dimension: int
    max_seq_length: int


class Pools:
    """Real sentences, titles, outlets and vectors to recombine."""

    def __init__(self, source: Path, seed: int = 0):
        self.rng = np.random.default_rng(seed)
        self.sentences, self.titles = [], []
        for name in ("realtimeqa-dev", "squad11-dev"):
            with open(DATA / name / "articles.jsonl", encoding="utf-8") as handle:
                for line in handle:
                    record = json.loads(line)
                    text = record["text"]
                    self.titles.append(record["title"])
                    self.sentences += [s.of(text) for s in split_sentences(text) if len(s.of(text)) > 30]
        reader = open_reader(source)
        try:
            ids = reader.store.chunk_ids()
            self.chunk_vectors = reader.chunk_vectors(ids)
            rows = list(reader.chunks(ids[:3000]).values())
            self.sentence_vectors = np.concatenate([v for i in range(0, len(rows), 100)
                                                    for _, v in reader.sentences(rows[i:i + 100]).values()])
            self.model = ModelFacts(reader.manifest.model, reader.manifest.dimension, reader.manifest.max_seq_length)
            self.outlets = reader.sources() or ["Wire"]
        finally:
            reader.close()

    def article(self, number: int) -> Article:
        picked = self.rng.integers(0, len(self.sentences), int(self.rng.integers(8, 30)))
        paragraphs = [" ".join(self.sentences[i] for i in picked[j:j + 4]) for j in range(0, len(picked), 4)]
        day = np.datetime64("2015-01-01") + int(self.rng.integers(0, 3300))
        return Article(id=f"syn-{number}", title=f"{self.titles[number % len(self.titles)]} ({number})",
                              text="\n\n".join(paragraphs), url=f"https://archive.example/{number}",
                              published=str(day), source=self.outlets[number % len(self.outlets)])

    def derived(self, pool: np.ndarray, n: int) -> np.ndarray:
        base = pool[self.rng.integers(0, len(pool), n)]
        noisy = base + NOISE * self.rng.normal(size=base.shape).astype(np.float32) / np.sqrt(base.shape[1])
        return (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float32)


def add_synthetic(writer: IndexWriter, pools: Pools, chunker: Chunker, first: int, count: int,
                  truth: np.memmap | None) -> int:
    """Store ``count`` synthetic articles in one commit; the number of chunks."""
    additions = []
    for number in range(first, first + count):
        article = pools.article(number)
        chunked = chunker.chunk(article.text)
        additions.append(Addition(article, chunked, pools.derived(pools.chunk_vectors, len(chunked.chunks)),
                                  pools.derived(pools.sentence_vectors, len(chunked.sentences))))
    start_id = writer.store.fetch("SELECT coalesce(max(id), 0) FROM chunks")[0][0] + 1
    writer.apply(additions)
    vectors = np.concatenate([a.chunk_vectors for a in additions])
    if truth is not None:
        truth[start_id:start_id + len(vectors)] = vectors
    return len(vectors)


def build(path: Path, pools: Pools, chunks: int, settings: Settings) -> dict:
    """A synthetic index of about ``chunks`` passages; timings and the exact vectors (by id)."""
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    chunker = Chunker(get_encoding(settings.encoding), settings.chunk_tokens, settings.chunk_overlap,
                      lambda texts: [int(len(t.split()) * 1.3) + 2 for t in texts], pools.model.max_seq_length)
    truth = np.lib.format.open_memmap(path.parent / f"{path.name}-truth.npy", "w+", np.float32,
                                      (int(chunks * 1.1) + 50_000, pools.model.dimension))
    started, stored, number = time.perf_counter(), 0, 0
    writer = IndexWriter(IndexDir(path), settings, pools.model)
    try:
        while stored < chunks:
            stored += add_synthetic(writer, pools, chunker, number, 1000, truth)
            number += 1000
            print(f"\r{path.name}: {stored} passages", end="", file=sys.stderr, flush=True)
        built = time.perf_counter() - started
        started = time.perf_counter()
        writer.merge(everything=True)
        compacted = time.perf_counter() - started
        started = time.perf_counter()
        add_synthetic(writer, pools, chunker, 10_000_000, 1000, None)
        add = time.perf_counter() - started
    finally:
        writer.close()
    print(file=sys.stderr)
    return {"passages": stored, "build_s": round(built, 1), "compact_s": round(compacted, 1),
            "add_1000_s": round(add, 2), "truth": truth, "last_synthetic_id": stored}


def percentiles(values: list[float]) -> tuple[float, float]:
    values = sorted(values)
    return round(statistics.median(values), 1), round(values[min(len(values) - 1, round(0.95 * (len(values) - 1)))], 1)


def timed(call, items) -> tuple[float, float]:
    times = []
    for item in items:
        started = time.perf_counter()
        call(item)
        times.append((time.perf_counter() - started) * 1000)
    return percentiles(times)


def measure_queries(path: Path, settings: Settings, questions: list[str], truth, last_id: int) -> dict:
    """Question and keyword latencies, where a question's time goes, ANN recall@10 against
    exact search."""
    out = {}
    with Index.open(settings=settings.replace(index_dir=path)) as index:
        index.retrieve(questions[0], k=5)
        out["query_p50_ms"], out["query_p95_ms"] = timed(lambda q: index.retrieve(q, k=5), questions)
        out["query_dated_p50_ms"], out["query_dated_p95_ms"] = timed(
            lambda q: index.retrieve(q, k=5, since=DATED), questions)
        search = index.reader.keyword_search
        out["keyword_p50_ms"], out["keyword_p95_ms"] = timed(lambda q: search(content_terms(q), 50), questions)
        out["keyword_common_p50_ms"], out["keyword_common_p95_ms"] = timed(
            lambda q: search(content_terms(q), 50), COMMON * 5)
        out["keyword_dated_p50_ms"], out["keyword_dated_p95_ms"] = timed(
            lambda q: search(content_terms(q), 50, Filter(since=DATED)), questions)
        out.update(stages(index, questions[:40]))
        reader = index.reader
        queries = index.embedder.embed(questions[:100])
        live = reader.vectors.ids()
        synthetic = live[live <= last_id]
        others = live[live > last_id]
        exact_vectors = np.concatenate([np.asarray(truth[synthetic]), reader.chunk_vectors(others.tolist())])
        exact_ids = np.concatenate([synthetic, others])
        found = []
        for q in queries:
            want = exact_ids[np.argsort(-(exact_vectors @ q))[:10]]
            got = reader.vectors.search(q, 10)[0]
            found.append(len(set(got.tolist()) & set(want.tolist())) / 10)
        out["ann_recall_at_10"] = round(float(np.mean(found)), 3)
        out["segments"] = len(reader.vectors.parts)
        out["approximate"] = any(p.approximate for p in reader.vectors.parts.values())
    return out


def stages(index: Index, questions: list[str]) -> dict:
    """Milliseconds per question in each stage of ``Index.retrieve`` (cProfile's cumulative
    time of the stage's function; profiling adds its own overhead to every column)."""
    profile = cProfile.Profile()
    profile.enable()
    for q in questions:
        index.retrieve(q, k=5)
    profile.disable()
    found = {}
    for (file, _, name), row in pstats.Stats(profile).stats.items():
        if name in STAGES and str(ROOT) in file:
            column = f"stage_{STAGES[name]}_ms"
            found[column] = max(found.get(column, 0.0), row[3] * 1000 / len(questions))
    return {k: round(v, 1) for k, v in sorted(found.items())}


def previous_version(path: Path, questions: list[str]) -> dict:
    """The FTS5 keyword query of the version before tantivy, on a copy of ``path`` turned
    back into that version's schema, then the time its conversion takes."""
    copy = path.parent / f"{path.name}-fts5"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(path, copy)
    as_written_before_tantivy(copy)
    out = {"fts5_bytes_per_passage": None}
    with sqlite3.connect(copy / "articles.sqlite") as db:
        def fts5(terms: list[str], since: str | None = None) -> None:
            expression = " OR ".join('"' + t + '"' for t in dict.fromkeys(terms))
            if since is None:
                db.execute("SELECT rowid, -rank FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY rank LIMIT 50",
                           [expression]).fetchall()
                return
            db.execute("WITH m AS MATERIALIZED (SELECT rowid AS id, rank FROM chunks_fts WHERE chunks_fts MATCH ?)"
                       " SELECT m.id, -m.rank FROM m JOIN chunk_spans c ON c.id = m.id JOIN articles a"
                       " ON a.id = c.article_id WHERE a.published >= ? ORDER BY m.rank LIMIT 50",
                       [expression, since]).fetchall()

        fts5(content_terms(questions[0]))
        out["fts5_keyword_p50_ms"], out["fts5_keyword_p95_ms"] = timed(lambda q: fts5(content_terms(q)), questions)
        out["fts5_keyword_common_p50_ms"], out["fts5_keyword_common_p95_ms"] = timed(
            lambda q: fts5(content_terms(q)), COMMON * 5)
        out["fts5_keyword_dated_p50_ms"], out["fts5_keyword_dated_p95_ms"] = timed(
            lambda q: fts5(content_terms(q), DATED), questions)
        passages = db.execute("SELECT COUNT(*) FROM chunk_spans").fetchone()[0]
        if _has_dbstat(db):
            fts_bytes = db.execute("SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'chunks_fts%'").fetchone()[0]
            out["fts5_bytes_per_passage"] = round(fts_bytes / passages)
    started = time.perf_counter()
    open_reader(copy).close()  # converts it
    out["convert_s"] = round(time.perf_counter() - started, 1)
    shutil.rmtree(copy, ignore_errors=True)
    return out


def _has_dbstat(db) -> bool:
    try:
        db.execute("SELECT 1 FROM dbstat LIMIT 1").fetchall()
        return True
    except sqlite3.Error:
        return False


def open_seconds(path: Path) -> float:
    code = (f"import time, index; t = time.perf_counter(); r = index.open_reader({str(path)!r}); "
            "print(time.perf_counter() - t)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return round(float(done.stdout.strip().splitlines()[-1]), 2)


def serve_rss_mb(path: Path, question: str) -> float:
    import socket
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    qa = str(Path(sys.executable).with_name("qa"))
    process = subprocess.Popen([qa, "serve", "--index-dir", str(path), "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/gradio_api/run/search"
        body = json.dumps({"data": [question, 5, "", "", [], "relevance"]}).encode()
        deadline = time.monotonic() + 300
        while True:
            try:
                request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
                urllib.request.urlopen(request, timeout=60).read()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("qa serve did not answer") from None
                time.sleep(1)
        status = Path(f"/proc/{process.pid}/status").read_text()
        return round(int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS"))) / 1024)
    finally:
        process.terminate()
        process.wait(timeout=30)


def disk(path: Path) -> dict:
    reader = open_reader(path)
    passages = reader.store.state().chunks
    sizes = IndexDir(path).sizes()
    reader.close()
    parts = {name: sizes[name] for name in ("database", "vectors", "keywords")}
    return {"passages_total": passages, "bytes_per_passage": round(sum(parts.values()) / passages),
            **{f"{name}_bytes_per_passage": round(size / passages) for name, size in parts.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--work", type=Path, default=Path("/tmp/qa-scale"))
    parser.add_argument("--vectors-from", type=Path, default=Path("/tmp/qa-scale/realtimeqa"),
                        help="an index of realtimeqa-dev built with the real model (built here if missing)")
    parser.add_argument("--fts5-max", type=int, default=100_000,
                        help="measure the previous version's FTS5 keyword index beside tantivy up to this size")
    parser.add_argument("--reuse", action="store_true",
                        help="measure again an index an earlier run built at a size (its build figures kept)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    settings = Settings.from_env()
    rtqa = DATA / "realtimeqa-dev"
    if not (args.vectors_from / "manifest.json").exists():
        ingest([rtqa / "articles.jsonl"], settings.replace(index_dir=args.vectors_from), progress=True)
    pools = Pools(args.vectors_from)
    questions = [q["question"] for q in load_questions(rtqa)]

    empty = args.work / "empty"
    baseline = build(empty, pools, 1, settings)["add_1000_s"]  # again each run: the ratio is of one run
    rows = []
    for size in args.sizes:
        path = args.work / f"n{size}"
        record = path.parent / f"{path.name}-built.json"
        if args.reuse and record.exists() and (path / "manifest.json").exists():
            built = json.loads(record.read_text()) | {
                "truth": np.load(path.parent / f"{path.name}-truth.npy", mmap_mode="r")}
        else:
            built = build(path, pools, size, settings)
            record.write_text(json.dumps({k: v for k, v in built.items() if k != "truth"}))
        truth = built.pop("truth")
        if not (path / "embedding-cache.sqlite").exists() or not args.reuse:
            shutil.copy(args.vectors_from / "embedding-cache.sqlite", path / "embedding-cache.sqlite")
        quality = evaluate(rtqa, index_dir=path, settings=settings)
        row = {"size": size, **built, "add_vs_empty": round(built["add_1000_s"] / baseline, 2),
               "r_at_1": quality.recall_at_1, "mrr_at_10": quality.mrr_at_10,
               **measure_queries(path, settings, questions, truth, built["last_synthetic_id"]),
               "open_s": open_seconds(path), "serve_rss_mb": serve_rss_mb(path, questions[0]),
               **disk(path)}
        if size <= args.fts5_max:
            row.update(previous_version(path, questions))
        del truth
        rows.append(row)
        print(json.dumps(row), file=sys.stderr)
    result = {"empty_add_1000_s": baseline, "rows": rows}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    keys = [k for k in rows[0] if k != "last_synthetic_id"]
    print(f"adding 1,000 articles to an empty index: {baseline} s")
    print("| " + " | ".join(keys) + " |")
    print("|" + "---|" * len(keys))
    for row in rows:
        print("| " + " | ".join(str(row[k]) for k in keys) + " |")


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    main()
