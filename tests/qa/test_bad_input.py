"""Bad input gets a clear error with its file (and line) and nothing else is lost."""

import json

import pytest
from click.testing import CliRunner

from index.ingestion import ingest
from qa.cli import main


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
