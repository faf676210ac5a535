"""Bad input gets a clear error with its file (and line) and nothing else is lost."""

import json
import time

import pytest
from click.testing import CliRunner

from index.ingestion import ingest
from qa.cli import main
from tests.conftest import DEMO
from tests.fakes import HashingEmbedder


@pytest.fixture
def batch(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.md").write_text("# Good one\n\nThe ferry to the island runs twice a day in winter.")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (folder / "latin1.txt").write_bytes("Caf\u00e9 news\n\nThe caf\u00e9 in the square reopened on Monday "
                                        "with a new menu.".encode("cp1252"))
    (folder / "lines.jsonl").write_text(
        json.dumps({"id": "j1", "title": "Ok", "text": "A record that is fine and has text."}) + "\n"
        + '{"id": "j2", "title": "Broken", "text": \n'
        + json.dumps({"id": "j3", "title": "No text", "text": "   "}) + "\n")
    (folder / "huge.txt").write_bytes(b"All work and no play makes a long file. " * 28_000)  # ~1.1 MB, limit 1 MB
    (folder / "notes.docx").write_bytes(b"PK\x03\x04")  # not a supported type: ignored in folders
    return folder, tmp_path / "gone.md"


EXPECTED = {
    "empty.txt": "the file is empty",
    "binary.txt": "binary file, not text",
    "lines.jsonl:2": "not valid JSON",
    "lines.jsonl:3": "no text in field 'text'",
    "huge.txt": "over the 1 MB limit",
    "gone.md": "no such file or folder",
}


def test_each_bad_input_is_reported_and_the_rest_ingested(batch, settings, embedder):
    folder, missing = batch
    report = ingest([folder, missing], settings.replace(max_file_mb=1), embedder=embedder)
    assert sorted(report.added) != [] and len(report.added) == 3  # good.md, latin1.txt, j1
    reasons = {str(e).split(": ", 1)[0].rsplit("/", 1)[-1]: str(e) for e in report.failed}
    assert set(reasons) == set(EXPECTED)
    for where, reason in EXPECTED.items():
        assert reason in reasons[where], reasons[where]


@pytest.mark.model
def test_cli_summary_and_exit_code(batch, tmp_path):
    folder, missing = batch
    result = CliRunner().invoke(main, ["ingest", "--quiet", "--max-file-mb", "1", "--index-dir",
                                       str(tmp_path / "idx"), str(folder), str(missing)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith("3 added, 0 updated, 0 unchanged, 0 skipped, 6 failed")
    for where, reason in EXPECTED.items():
        assert any(where in line and reason in line for line in lines), (where, result.output)
    listed = CliRunner().invoke(main, ["list", "--index-dir", str(tmp_path / "idx")])
    assert listed.exit_code == 0 and "Café news" in listed.output and "3 articles" in listed.output


def test_unsupported_file_named_directly_is_an_error(tmp_path, settings, embedder):
    pdf = tmp_path / "paper.docx"
    pdf.write_bytes(b"PK\x03\x04")
    report = ingest([pdf], settings, embedder=embedder)
    assert len(report.failed) == 1 and "unsupported file type '.docx'" in str(report.failed[0])


class _SlowEmbedder(HashingEmbedder):
    """The hashing embedder on a machine so busy that one question's embedding takes 0.3 s."""

    def embed(self, texts, batch_size: int = 32):
        time.sleep(0.3)
        return super().embed(texts, batch_size)


def test_a_question_that_spends_its_time_budget_ends_with_one_error(settings, tmp_path):
    from index.ingestion import ingest
    from qa.errors import QuestionTimeoutError
    from qa.retriever import Index

    slow = _SlowEmbedder()
    ingest([DEMO], settings, embedder=HashingEmbedder())
    with Index.open(settings=settings.replace(question_seconds=0.2, reader=False), embedder=slow) as index:
        started = time.monotonic()
        with pytest.raises(QuestionTimeoutError, match=r"longer than its 0.2 s budget \(stopped before the "
                                                       r"search\).*QA_QUESTION_SECONDS"):
            index.ask("who holds Tal Rifaat?")
        assert time.monotonic() - started < 1
        with pytest.raises(QuestionTimeoutError):
            index.retrieve("who holds Tal Rifaat?")
    with Index.open(settings=settings.replace(question_seconds=5, reader=False), embedder=slow) as index:
        assert index.ask("who holds Tal Rifaat?").passages


def test_a_megabyte_question_is_refused_at_once(settings):
    from index.ingestion import ingest
    from qa.errors import QuestionError
    from qa.retriever import Index

    ingest([DEMO], settings, embedder=HashingEmbedder())
    with Index.open(settings=settings.replace(reader=False), embedder=HashingEmbedder()) as index:
        started = time.monotonic()
        with pytest.raises(QuestionError, match="the question is 1,000,000 characters long, the limit is 20,000"):
            index.ask("x" * 1_000_000)
        assert time.monotonic() - started < 0.5
