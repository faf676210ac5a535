from __future__ import annotations

import os
from pathlib import Path

import pytest

from qa.settings import Settings
from tests.fakes import HashingEmbedder

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
DEMO = ROOT / "demo" / "articles"
SYRIA = SHARED / "articles" / "syria-strikes-2024-12-02.md"
# the demo article's two sentences that say who holds Tal Rifaat: either answers the question
TAL_RIFAAT_ANSWERS = ("Armed groups backed by Turkey captured the town of Tal Rifaat",
                      "pro-Turkey factions seized Tal Rifaat")


def answers_tal_rifaat(sentence: str) -> bool:
    return any(s in sentence for s in TAL_RIFAAT_ANSWERS)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    """No QA_* variable of the developer's shell leaks into a test; cwd is a temp dir."""
    for name in list(os.environ):
        if name.startswith("QA_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(index_dir=tmp_path / "index")


@pytest.fixture
def embedder() -> HashingEmbedder:
    return HashingEmbedder()


@pytest.fixture(scope="session")
def real_embedder():
    """The real default model, loaded once for the whole session."""
    from index.embed.loading import load_embedder

    return load_embedder()


@pytest.fixture
def syria_article() -> Path:
    if not SYRIA.is_file():
        pytest.skip(f"shared test data not found: {SYRIA} (the ../shared folder beside the project)")
    return SYRIA


def shared_data(name: str) -> Path:
    path = SHARED / "data" / name
    if not path.is_dir():
        pytest.skip(f"shared data set not found: {path} (the ../shared folder beside the project)")
    return path


@pytest.fixture(scope="session")
def demo_index(tmp_path_factory, real_embedder):
    """The demo articles indexed with the real model, for tests that only ask questions."""
    from index.ingestion import ingest
    from qa.retriever import Index

    settings = Settings(index_dir=tmp_path_factory.mktemp("demo") / "index")
    report = ingest([DEMO], settings, embedder=real_embedder)
    assert report.ok, report.failed
    with Index.open(settings=settings, embedder=real_embedder) as index:
        yield index
