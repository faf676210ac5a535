"""Docs that show measured figures show the ones the benches wrote."""

import json
import sys

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))


def test_the_reader_doc_shows_the_calibration_the_bench_wrote():
    from calibrate import markdown

    figures = json.loads((ROOT / "bench" / "data" / "calibration.json").read_text(encoding="utf-8"))
    doc = (ROOT / "docs" / "reader.md").read_text(encoding="utf-8")
    for table in markdown(figures).strip().split("\n\n"):  # the ways tried, the reliability table
        assert table in doc, f"docs/reader.md lacks (print bench/calibrate.py's markdown()):\n{table}"
    shipped = json.loads((ROOT / "qa" / "models" / "reader.json").read_text(encoding="utf-8"))["calibration"]
    assert figures["calibration"] == shipped  # the figures are those of the shipped calibration


def test_the_scores_doc_explains_every_number_an_answer_carries():
    import scores_doc

    doc = (ROOT / "docs" / "scores.md").read_text(encoding="utf-8")
    assert doc == scores_doc.render(), "docs/scores.md is stale: run `python bench/scores_doc.py`"


def test_every_screenshot_in_the_docs_is_one_a_browser_test_takes():
    """docs/screens/ holds only what tests/ui/test_browser.py saves there (no picture of an
    older app), and every image the README and docs show exists."""
    import re

    taken = set(re.findall(r'shot\(\w+, "([\w-]+)"\)', (ROOT / "tests" / "ui" / "test_browser.py").read_text()))
    saved = {p.stem for p in (ROOT / "docs" / "screens").iterdir()}
    assert saved <= taken, f"docs/screens/ has pictures no browser test takes: {sorted(saved - taken)}"
    for doc in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]:
        for image in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", doc.read_text(encoding="utf-8")):
            assert (doc.parent / image).is_file(), f"{doc.name} shows {image}, which does not exist"
