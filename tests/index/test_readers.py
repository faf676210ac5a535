"""Several `qa serve` processes answering from one index directory while one writer ingests."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import urllib.request
from contextlib import ExitStack

import pytest

from tests.conftest import DEMO
from tests.serving import QA, served

NEW_ARTICLE = """# Lighthouse keepers return to Skerry Point

Source: Harbour Courier
Date: 2025-02-11

The lighthouse at Skerry Point will again have resident keepers from April, the coastal
authority said on Tuesday. Two keepers, Maren Olsby and Tuva Rask, were appointed after the
automated lamp failed three times during the winter storms.
"""
QUESTION = "Who was appointed keeper of the Skerry Point lighthouse?"


def search(url: str, question: str) -> dict:
    body = json.dumps({"data": [question, 3, "", "", [], "relevance"]}).encode()
    request = urllib.request.Request(url + "gradio_api/run/search", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())["data"][0]


@pytest.mark.model
def test_two_servers_answer_while_one_writer_ingests(tmp_path):
    index = tmp_path / "index"
    env = {**os.environ, "QA_INDEX_DIR": str(index)}
    subprocess.run([QA, "ingest", "-q", str(DEMO)], env=env, check=True, capture_output=True)
    new = tmp_path / "new"
    new.mkdir()
    (new / "lighthouse.md").write_text(NEW_ARTICLE)
    with ExitStack() as stack:
        urls = [stack.enter_context(served(env, tmp_path / f"serve-{i}.log")) for i in range(2)]
        for url in urls:
            assert all("Skerry" not in p["text"] for p in search(url, QUESTION)["passages"])

        errors: list[BaseException] = []
        answered = [0]
        writing = threading.Event()

        def ask_while_writing() -> None:  # both servers keep answering during the ingest
            while not writing.is_set():
                for url in urls:
                    try:
                        assert search(url, "who holds Tal Rifaat?")["passages"]
                        answered[0] += 1
                    except BaseException as exc:
                        errors.append(exc)
                        return

        asker = threading.Thread(target=ask_while_writing)
        asker.start()
        try:
            ingest = subprocess.run([QA, "ingest", "-q", str(new)], env=env, capture_output=True, text=True)
        finally:
            writing.set()
            asker.join(timeout=120)
        assert ingest.returncode == 0 and ingest.stdout.startswith("1 added"), ingest.stdout + ingest.stderr
        assert not errors, errors
        assert answered[0] >= 2
        for url in urls:  # each follows the new generation on its next question
            found = search(url, QUESTION)["passages"][0]
            assert found["title"] == "Lighthouse keepers return to Skerry Point"
            assert "Maren Olsby" in found["text"]


def _deleted_files_open(under: str) -> list[str]:
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.endswith("(deleted)") and under in target:
            found.append(target)
    return found


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc to list open files")
def test_a_reader_lets_go_of_the_databases_that_rebuilds_replaced(tmp_path):
    """Four `ingest --rebuild`s under an open reader: each replaced database is closed once no
    question can still be using it (retire_after_s, set to 0 here), so no deleted file stays
    open; while it may be, it is kept."""
    from index import open_reader
    from index.ingestion import ingest
    from qa.settings import Settings
    from tests.fakes import HashingEmbedder

    settings, embedder = Settings(index_dir=tmp_path / "index"), HashingEmbedder()
    ingest([DEMO], settings, embedder=embedder)
    reader = open_reader(settings.index_dir)
    try:
        ingest([DEMO], settings, embedder=embedder, rebuild=True)
        assert reader.refresh() and len(reader.articles()) == 7
        assert _deleted_files_open(str(tmp_path))  # the replaced one, kept for questions in flight
        reader.retire_after_s = 0
        for _ in range(3):
            ingest([DEMO], settings, embedder=embedder, rebuild=True)
            assert reader.refresh() and len(reader.articles()) == 7
        reader.refresh()
        assert _deleted_files_open(str(tmp_path)) == []
    finally:
        reader.close()
