"""Scratch indexes of question sets' paragraphs, built by our own ingest (bench/train_reader.py
and bench/calibrate.py): each paragraph an article, its outlet the set it comes from."""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import reader_data  # noqa: E402

from index.ingestion import ingest  # noqa: E402
from qa.retriever import Index  # noqa: E402
from qa.settings import Settings  # noqa: E402

log = logging.getLogger("scratch_index")


def build_index(name: str, qs: list, work: Path, sentence_vectors: str = "encoded") -> Index:
    """The index ``work/name/index`` of the paragraphs of ``qs`` (built once, then reused)."""
    folder = work / name
    settings = Settings(index_dir=folder / "index", sentence_vectors=sentence_vectors, reader=False)
    if not (folder / "index" / "manifest.json").exists():
        path = reader_data.paragraphs_file(qs, folder / "articles.jsonl")
        started = time.perf_counter()
        report = ingest([path], settings, progress=True)
        log.info("%s index: %s in %.0f s", name, report.summary(), time.perf_counter() - started)
    return Index.open(settings=settings)


def news_index(work: Path) -> Index:
    """realtimeqa-dev's articles, indexed (its tuning half calibrates; bench/calibrate.py)."""
    settings = Settings(index_dir=work / "news-index", reader=False)
    if not (settings.index_dir / "manifest.json").exists():
        ingest([reader_data.DATA / "realtimeqa-dev" / "articles.jsonl"], settings, progress=True)
    return Index.open(settings=settings)
