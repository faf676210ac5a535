"""A shard set against one index of the same articles: the same answers, and how fast.

    python bench/shards.py --data realtimeqa-dev [--shards 1 2 4] [--ray [ADDRESS]] [--clients 8]
                           [--seconds 20] [--work DIR] [--cache-from INDEX] [--every N] [--json]

Builds (or reuses, under ``--work``) one index of the data set's articles plus the demo
articles, and a shard set of the same articles for each ``--shards`` count; ``--cache-from``
copies an index's embedding cache into each before ingesting, so no text is embedded twice.
Then, over the data set's questions (every ``--every``-th):

* equality: each question asked of the one index and of the largest set (``Index.ask``, k=10,
  reader on, as ``/search`` asks): the questions whose passage 1 differs (article and span),
  and for each whether it is a tie (the one index scored both passages within 0.01), plus
  R@1 / R@5 / MRR@10 of both (a passage answers when it holds an answer string, as ``qa eval``);
* speed, per reader (the one index, each set opened on this machine, and with ``--ray`` each
  set served by Ray Serve with a replica per shard; ``--ray`` alone starts a local Ray
  instance): p50 / p95 of one question at a time, then ``--clients`` threads asking for
  ``--seconds``: questions a second and p95.

Every number is measured in this run on this machine; nothing is carried over.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index import create_shard_set, ingest, ingest_set  # noqa: E402
from qa import Index, Settings, serve_shards  # noqa: E402
from qa.evaluation import first_hit, load_questions  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
DEMO = ROOT / "demo" / "articles"
CACHE = "embedding-cache.sqlite"
TIE = 0.01


def build(work: Path, data: Path, counts: list[int], cache_from: Path | None, settings: Settings) -> dict:
    paths = [data / "articles.jsonl", DEMO]
    one = work / "one"
    if not (one / "manifest.json").exists():
        one.mkdir(parents=True, exist_ok=True)
        if cache_from:
            shutil.copyfile(cache_from / CACHE, one / CACHE)
        ingest(paths, settings.replace(index_dir=one), progress=True)
    built = {"one": one}
    for n in counts:
        path = work / f"set-{n}"
        if not (path / "shards.json").exists():
            model = json.loads((one / "manifest.json").read_text())["embedding"]["model"]
            shards = create_shard_set(path, n, model)
            for folder in shards.dirs:
                folder.mkdir()
                shutil.copyfile(one / CACHE, folder / CACHE)  # the one index embedded every text already
            ingest_set(paths, settings.replace(index_dir=path), progress=True)
        built[f"set-{n}"] = path
    return built


def top(answer) -> tuple | None:
    p = answer.passages[0] if answer.passages else None
    return (p.article_id, p.span) if p else None


def equality(one: Index, sharded: Index, questions: list[dict]) -> dict:
    differ, ranks = [], {"one": [], "set": []}
    for q in questions:
        a, b = one.ask(q["question"], k=10), sharded.ask(q["question"], k=10)
        for name, answer in (("one", a), ("set", b)):
            ranks[name].append(first_hit([p.text for p in answer.passages], q["answers"]))
        if top(a) != top(b):
            other = next((p for p in a.passages if (p.article_id, p.span) == top(b)), None)
            gap = None if other is None else round(a.passages[0].score - other.score, 4)
            differ.append({"question": q["question"], "one": a.passages[0].title, "set": b.passages[0].title,
                           "gap_in_one": gap, "tie": gap is not None and gap <= TIE})
    n = len(questions)

    def scores(found):
        return {"r1": round(sum(r == 1 for r in found) / n, 4),
                "r5": round(sum(r is not None and r <= 5 for r in found) / n, 4),
                "mrr": round(sum(1 / r for r in found if r) / n, 4)}

    return {"questions": n, "same_passage_1": n - len(differ), "differ": differ, "one": scores(ranks["one"]),
            "set": scores(ranks["set"])}


def speed(index: Index, questions: list[str], clients: int, seconds: float) -> dict:
    index.ask(questions[0])
    alone = []
    for q in questions[:60]:
        started = time.perf_counter()
        index.ask(q)
        alone.append((time.perf_counter() - started) * 1000)
    times, stop, lock = [], time.monotonic() + seconds, threading.Lock()

    def client(offset: int) -> None:
        at = offset
        while time.monotonic() < stop:
            started = time.perf_counter()
            index.ask(questions[at % len(questions)])
            with lock:
                times.append((time.perf_counter() - started) * 1000)
            at += clients

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - began
    alone.sort()
    times.sort()
    return {"p50_ms": round(statistics.median(alone), 1), "p95_ms": round(alone[int(0.95 * (len(alone) - 1))], 1),
            "qps": round(len(times) / elapsed, 1), "loaded_p95_ms": round(times[int(0.95 * (len(times) - 1))], 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="realtimeqa-dev")
    parser.add_argument("--shards", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--ray", nargs="?", const="local", default=None)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--work", type=Path, default=Path("/tmp/qa-shards"))
    parser.add_argument("--cache-from", type=Path, default=None)
    parser.add_argument("--every", type=int, default=1)
    parser.add_argument("--no-speed", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    data = DATA / args.data
    settings = Settings.from_env().replace(model_threads=1)  # as `qa serve` runs several questions at once
    built = build(args.work / args.data, data, args.shards, args.cache_from, settings)
    questions = load_questions(data)[::args.every]
    out = {"data": args.data, "questions": len(questions), "clients": args.clients, "seconds": args.seconds}
    one = Index.open(settings=settings.replace(index_dir=built["one"]))
    largest = max(args.shards)
    sharded = Index.open(settings=settings.replace(index_dir=built[f"set-{largest}"]), embedder=one.embedder)
    out["equality"] = {"shards": largest, **equality(one, sharded, questions)}
    print(json.dumps(out["equality"], indent=1) if not args.json else "", flush=True)
    if not args.no_speed:
        texts = [q["question"] for q in questions]
        rows = {"one index": speed(one, texts, args.clients, args.seconds)}
        for n in args.shards:
            local = Index.open(settings=settings.replace(index_dir=built[f"set-{n}"]), embedder=one.embedder)
            rows[f"{n} shard(s), this machine"] = speed(local, texts, args.clients, args.seconds)
            if args.ray:
                reader = serve_shards(built[f"set-{n}"], args.ray, settings.shard_timeout)
                served = Index(reader, one.embedder, settings, one.reranker, one.answerer)
                rows[f"{n} shard(s), Ray Serve"] = speed(served, texts, args.clients, args.seconds)
            print(json.dumps(rows, indent=1) if not args.json else "", flush=True)
        out["speed"] = rows
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
