"""`qa ingest --ray` on a local two-node Ray cluster against the plain ingest, in one run.

    python bench/cluster.py [--articles 150] [--files 15] [--json]

Takes the first N realtimeqa-dev articles (../shared/data), split into several JSON
Lines files (Ray parses one file per task), and ingests them twice into fresh index
directories with the default model: once with `qa ingest`, once with `qa ingest --ray`
on a cluster of two nodes of one CPU each on 127.0.0.1 (tests/ray_cluster.py). Each run
is a separate `qa` process and starts with no embedding cache. Reports wall seconds,
chunks/s and their ratio, and the per-actor rate (two encoding actors of one CPU each).
On a 2-core machine ~1x is expected: it shows the pipeline's overhead, not a speed-up.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.ray_cluster import LOOPBACK_ENV, loopback_cluster  # noqa: E402
from tests.serving import QA, free_port  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "realtimeqa-dev" / "articles.jsonl"


def split(articles: int, files: int, folder: Path) -> Path:
    lines = DATA.read_text().splitlines()[:articles]
    out = folder / "articles"
    out.mkdir()
    for f in range(files):
        part = lines[f::files]
        if part:
            (out / f"part-{f:02}.jsonl").write_text("\n".join(part) + "\n")
    return out


def timed_ingest(index: Path, articles: Path, *extra: str) -> dict:
    env = {**os.environ, **LOOPBACK_ENV}
    started = time.perf_counter()
    run = subprocess.run([QA, "ingest", "-q", "--index-dir", str(index), *extra, str(articles)], env=env,
                         capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if run.returncode != 0:
        raise SystemExit(f"qa ingest {' '.join(extra)} failed: {run.stderr}")
    chunks = int(run.stdout.split(" chunks written")[0].rsplit(" ", 1)[1])
    return {"seconds": round(seconds, 1), "chunks": chunks, "chunks_per_s": round(chunks / seconds, 2),
            "report": run.stdout.strip()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=150)
    parser.add_argument("--files", type=int, default=15)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not DATA.is_file():
        raise SystemExit(f"{DATA} not found (the ../shared folder beside the project)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        articles = split(args.articles, args.files, folder)
        plain = timed_ingest(folder / "plain", articles)
        (folder / "ray").mkdir()
        with loopback_cluster(folder / "ray", free_port(), nodes=2, cpus=1) as address:
            on_ray = timed_ingest(folder / "on-ray", articles, "--ray", address)
    result = {"articles": args.articles, "files": args.files, "plain": plain, "ray_2_nodes_1_cpu": on_ray,
              "ray_vs_plain_chunks_per_s": round(on_ray["chunks_per_s"] / plain["chunks_per_s"], 3),
              "chunks_per_s_per_actor": round(on_ray["chunks_per_s"] / 2, 2)}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{args.articles} articles in {args.files} files, default model, fresh index and cache each")
    print(f"  qa ingest            {plain['seconds']:7.1f} s  {plain['chunks_per_s']:6.2f} chunks/s")
    print(f"  qa ingest --ray (2x1) {on_ray['seconds']:6.1f} s  {on_ray['chunks_per_s']:6.2f} chunks/s  "
          f"({result['ray_vs_plain_chunks_per_s']:.3f}x; {result['chunks_per_s_per_actor']} per actor)")


if __name__ == "__main__":
    main()
