"""Bytes per passage of an index, by file and by SQLite table (``dbstat``).

    python bench/disk.py INDEX_DIR
    python bench/disk.py INDEX_DIR --convert COPY_DIR   # an index of an earlier version, as this one writes it

``--convert`` measures what an index written by an earlier version would take if this version
had written it: a copy (without the embedding cache) is migrated by opening it, its sentence
vectors are re-encoded as an ingest now writes them, and it is vacuumed; both are reported.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from index.store import codec  # noqa: E402
from index.store.database import Store  # noqa: E402


def report(folder: Path, label: str) -> None:
    db = sqlite3.connect(f"file:{folder / 'articles.sqlite'}?mode=ro", uri=True)
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    table = "chunk_spans" if "chunk_spans" in tables else "chunks"
    passages = db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    database = sum(p.stat().st_size for p in folder.glob("articles.sqlite*"))
    vectors = sum(p.stat().st_size for p in folder.glob("*.faiss"))
    print(f"{label}: {passages:,} passages; {(database + vectors) / passages:,.0f} bytes per passage "
          f"(database {database / passages:,.0f}, vectors {vectors / passages:,.0f})")
    for name, size in db.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC LIMIT 6"):
        print(f"  {name}: {size / passages:,.0f}")
    db.close()


def convert(source: Path, copy: Path) -> None:
    if copy.exists():
        sys.exit(f"{copy} exists: give a new folder")
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns("embedding-cache*"))
    started = time.perf_counter()
    store = Store(copy / "articles.sqlite")  # runs the migrations
    dimension = store.dimension()
    store.close()
    print(f"migrated in {time.perf_counter() - started:.0f} s")
    db = sqlite3.connect(copy / "articles.sqlite")
    started = time.perf_counter()
    rows = db.execute("SELECT article_id, ord, vector FROM sentences").fetchall()
    for at in range(0, len(rows), 50_000):
        part = rows[at : at + 50_000]
        vectors = codec.decode([r[2] for r in part], dimension)
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        db.executemany("UPDATE sentences SET vector = ? WHERE article_id = ? AND ord = ?",
                       [(codec.encode(v), r[0], r[1]) for v, r in zip(vectors, part, strict=True)])
    db.commit()
    print(f"re-encoded {len(rows):,} sentence vectors in {time.perf_counter() - started:.0f} s")
    db.execute("VACUUM")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("index", type=Path)
    parser.add_argument("--convert", type=Path, help="a new folder for the converted copy")
    args = parser.parse_args()
    report(args.index, "as it is")
    if args.convert:
        convert(args.index, args.convert)
        report(args.convert, "as this version writes it")


if __name__ == "__main__":
    main()
