import json

import pytest

from index.errors import ArticleError
from index.formats import JsonlFields, discover, read_articles
from tests.conftest import DEMO


def one(path):
    items = list(read_articles(path))
    assert len(items) == 1
    return items[0]


def test_shared_markdown_article_metadata(syria_article):
    a = one(syria_article)
    assert a.title == "Syria, Russia Conduct Deadly Strikes To Push Back Islamist Advance"
    assert a.byline == "Layal Abou Rahal for AFP"
    assert a.published == "2024-12-02"
    assert a.url == ("https://www.themoscowtimes.com/2024/12/02/"
                     "syria-russia-conduct-deadly-strikes-to-push-back-islamist-advance-a87187")
    assert a.source == "AFP"  # the byline "... for AFP" names the agency
    # header lines and the link line are metadata, not body; markdown marks are gone
    assert not a.text.startswith("#")
    assert "Original url" not in a.text and "December 02, 2024\n" not in a.text
    assert "**" not in a.text and "](#)" not in a.text
    assert "seized the strategic town of Tal Rifaat" in a.text
    # a paragraph the export broke mid-sentence is joined again
    assert "lost for the regime" in a.text


def test_front_matter_markdown(tmp_path):
    path = tmp_path / "a.md"
    path.write_text("---\ntitle: Bike lanes\ndate: 2024-10-03\nauthor: T. O.\nsource: Gazette\n"
                    "url: https://example.org/x\n---\nCouncil voted. It passed.\n")
    a = one(path)
    assert (a.title, a.published, a.byline, a.source, a.url) == (
        "Bike lanes", "2024-10-03", "T. O.", "Gazette", "https://example.org/x")
    assert a.text == "Council voted. It passed."


def test_plain_text_article(tmp_path):
    path = tmp_path / "story.txt"
    path.write_text("Hosepipe ban announced\n\nAugust 19, 2024\n\nBy A. Writer\n\nThe ban starts Friday.\n")
    a = one(path)
    assert (a.title, a.published, a.byline, a.text) == (
        "Hosepipe ban announced", "2024-08-19", "A. Writer", "The ban starts Friday.")
    assert a.url is None and a.source is None


def test_jsonl_articles_in_the_shared_format(tmp_path):
    path = tmp_path / "a.jsonl"
    rows = [{"id": "x1", "title": "T", "text": "Body one.", "url": "https://www.cnn.com/a", "date": "2022/06/16"},
            {"id": "x2", "title": "U", "text": "Body two."}]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    a, b = read_articles(path)
    assert (a.id, a.published, a.source, a.origin) == ("x1", "2022-06-16", "CNN", f"{path}:1")
    assert (b.id, b.published, b.url) == ("x2", None, None)


def test_jsonl_field_names_are_configurable(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"headline": "H", "body": "Text here.", "link": "https://e.org/1"}) + "\n")
    (a,) = read_articles(path, JsonlFields(title="headline", text="body", url="link"))
    assert (a.title, a.text, a.url) == ("H", "Text here.", "https://e.org/1")
    assert a.id.startswith("u-")  # derived from the url


def test_bad_jsonl_lines_are_reported_with_line_numbers(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text('{"id": "ok", "title": "T", "text": "Fine."}\n{broken\n{"id": "empty", "text": ""}\n')
    items = list(read_articles(path))
    assert items[0].id == "ok"
    assert isinstance(items[1], ArticleError) and items[1].line == 2 and "not valid JSON" in items[1].reason
    assert isinstance(items[2], ArticleError) and items[2].line == 3 and "no text" in items[2].reason


def test_discover_walks_folders_and_reports_missing_paths(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.md").write_text("# A\n\nText.")
    (tmp_path / "b.txt").write_text("B\n\nText.")
    (tmp_path / "ignored.docx").write_bytes(b"PK")
    files, errors = discover([tmp_path, tmp_path / "missing.md"])
    assert sorted(f.name for f in files) == ["a.md", "b.txt"]
    assert len(errors) == 1 and "no such file" in str(errors[0])


def test_ids_are_stable_and_distinct_for_the_demo_articles():
    files, errors = discover([DEMO])
    assert not errors
    first = [a.id for f in files for a in read_articles(f)]
    second = [a.id for f in files for a in read_articles(f)]
    assert first == second and len(set(first)) == len(first) >= 5


@pytest.mark.parametrize("content,reason", [(b"", "empty"), (b"  \n\n", "empty"),
                                            (b"\x00\x01\x02binary\xff\xfe", "binary")])
def test_unreadable_files_become_errors(tmp_path, content, reason):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    (item,) = read_articles(path)
    assert isinstance(item, ArticleError) and reason in item.reason


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1", "utf-16", "utf-8-sig"])
def test_text_in_other_encodings_is_detected(tmp_path, encoding):
    path = tmp_path / "story.txt"
    body = ("Le café de la gare a rouvert ses portes à Genève après des années de travaux. "
            "Les habitués étaient ravis de retrouver leur comptoir préféré.")
    path.write_bytes(f"Réouverture du café\n\n{body}\n".encode(encoding))
    (article,) = read_articles(path)
    assert article.title == "Réouverture du café" and article.text == body


def test_one_line_text_file_keeps_its_line_as_text_and_is_titled_by_its_name(tmp_path):
    path = tmp_path / "bridge-reopens.txt"
    path.write_text("Only one line here.")
    (article,) = read_articles(path)
    assert article.text == "Only one line here." and article.title == "bridge reopens"
