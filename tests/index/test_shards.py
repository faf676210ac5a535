"""A shard set on one machine: written shard by shard, read as one index, kept like one.

The hashing embedder stands in for the model; Ray Serve over the same sets is
tests/qa/test_shard_serving.py (cluster marker).
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from index import (
    IndexSettings,
    SettingsError,
    ShardedReader,
    ShardSetError,
    check_set,
    ingest_set,
    open_any,
    open_reader,
    read_shard_set,
    remove_set,
    shard_of,
)
from index.ingestion import ingest
from index.maintenance import check_index
from index.shards.fanout import LocalShard, open_shard_set
from qa.cli import main
from qa.retriever import Index
from qa.settings import Settings
from tests.conftest import DEMO

TOWNS = ["Kelmar", "Ostrava", "Brindle", "Quenby", "Harlow", "Tamsin", "Vellory", "Duncairn", "Pellow", "Ashgrove",
         "Corrin", "Marlby", "Festry", "Glenholt", "Ruthven", "Sallow", "Torbay", "Wexley", "Yarrow", "Zennor"]
WORKS = ["a new footbridge over the river", "a flood wall along the quay", "a library in the old mill",
         "a tram line to the station", "a solar farm on the moor"]


def write_articles(folder: Path) -> Path:
    """Twenty short articles of our own, one town each (JSON Lines)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "towns.jsonl"
    with open(path, "w", encoding="utf-8") as out:
        for i, town in enumerate(TOWNS):
            work = WORKS[i % len(WORKS)]
            text = (f"The council of {town} voted on Tuesday to build {work}. Work in {town} starts in the spring "
                    f"and should take {i + 2} years, the mayor of {town} said. Residents of {town} asked for it "
                    f"after {i + 3} winters of complaints.")
            out.write(json.dumps({"id": f"town-{i:02d}", "title": f"{town} approves {work}", "text": text,
                                  "date": f"2024-0{1 + i % 9}-1{i % 10}", "source": "Town Crier"}) + "\n")
    return path


@pytest.fixture
def corpus(tmp_path) -> list[Path]:
    return [write_articles(tmp_path / "towns"), DEMO]


@pytest.fixture
def shard_set(tmp_path, embedder, corpus) -> Path:
    path = tmp_path / "set"
    report = ingest_set(corpus, IndexSettings(index_dir=path), 3, embedder=embedder)
    assert report.ok and len(report.added) == 27, report.failed
    return path


def run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, result.output


def test_the_shard_of_an_id_is_stable():
    # BLAKE2b of the id: the same on every machine, run and Python (no hash randomisation)
    assert [shard_of(i, 4) for i in ("u-4d560ba10e1d", "a", "b", "article-7")] == [2, 0, 0, 0]
    spread = [shard_of(f"id-{i}", 4) for i in range(4000)]
    assert all(900 < spread.count(s) < 1100 for s in range(4))


def test_each_article_lands_in_the_shard_its_id_hashes_to(shard_set, embedder, corpus):
    shards = read_shard_set(shard_set)
    assert (shards.count, shards.model, shards.names) == (3, "test/hashing", ("shard-00", "shard-01", "shard-02"))
    seen = []
    for at, folder in enumerate(shards.dirs):
        assert check_index(folder).ok  # every shard is a complete index
        reader = open_reader(folder)
        ids = [a.id for a in reader.articles()]
        reader.close()
        assert ids and all(shard_of(i, 3) == at for i in ids)
        seen += ids
    assert len(seen) == len(set(seen)) == 27
    again = ingest_set(corpus, IndexSettings(index_dir=shard_set), embedder=embedder)  # no --shards: the set's
    assert (len(again.added), len(again.unchanged)) == (0, 27)


def test_a_shard_set_answers_as_one_index_does(shard_set, tmp_path, embedder, corpus):
    single = Settings(index_dir=tmp_path / "one", reader=False, candidates=5)  # the merge truncates
    ingest(corpus, single, embedder=embedder)
    questions = [f"what will {town} build?" for town in TOWNS] + ["who holds Tal Rifaat?", "hosepipe ban"]
    with Index.open(settings=single, embedder=embedder) as one, \
            Index.open(settings=single.replace(index_dir=shard_set), embedder=embedder) as sharded:
        assert isinstance(sharded.reader, ShardedReader)
        for question in questions:
            a, b = one.ask(question, k=3), sharded.ask(question, k=3)
            assert [(p.article_id, p.text) for p in a.passages][:1] == [(p.article_id, p.text) for p in b.passages][:1]
            assert b.partial is None
        assert [x.id for x in one.articles()] == [x.id for x in sharded.articles()]
        assert one.sources() == sharded.sources()
        assert (one.info().articles, one.info().chunks) == (sharded.info().articles, sharded.info().chunks)
        dated = sharded.retrieve("council voted", k=20, since="2024-05-01", until="2024-06-30")
        assert dated and all("2024-05-01" <= p.published <= "2024-06-30" for p in dated)


class SlowShard(LocalShard):
    """A real shard whose answers take ``delay`` seconds (a node under load, a network stall)."""

    delay = 1.0

    def submit(self, method: str, *args):
        def late():
            time.sleep(self.delay)
            return getattr(self.reader, method)(*args) if method != "manifest" else self.reader.manifest
        return self.pool.submit(late)


def test_a_shard_that_misses_its_deadline_is_left_out_and_named(shard_set, embedder):
    reader = open_shard_set(shard_set, timeout=0.3)
    slow = reader.backends[1]
    reader.backends[1] = SlowShard(slow.name, slow.reader, slow.pool)
    index = Index(reader, embedder, Settings(index_dir=shard_set, reader=False))
    try:
        answer = index.ask("what will Kelmar build?", k=5)
        assert answer.partial == "2 of 3 shards answered (shard-01: no answer within 0.3 s)"
        assert answer.passages and all(shard_of(p.article_id, 3) != 1 for p in answer.passages)
        assert answer.to_dict()["partial"] == answer.partial
        with pytest.raises(ShardSetError, match="shard shard-01 .* did not answer .*qa check --index-dir"):
            index.articles()  # outside a question, a missing shard is an error, never a shorter list
        reader.backends[1] = slow  # the shard answers again: whole
        assert index.ask("what will Kelmar build?", k=5).partial is None
    finally:
        index.close()


def test_a_set_with_a_missing_or_foreign_shard_is_refused(shard_set):
    manifest = shard_set / "shards.json"
    data = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**data, "model": "other/model"}))
    with pytest.raises(ShardSetError, match="shard shard-00 was built with model 'test/hashing', the set .* "
                                            "with 'other/model'.*--rebuild"):
        open_any(shard_set)
    manifest.write_text(json.dumps(data))
    shutil.rmtree(shard_set / "shard-02")
    with pytest.raises(ShardSetError, match="shard shard-02 .* is missing .*restore it from a backup"):
        open_any(shard_set)
    assert any("shard shard-02 is missing" in p.what for p in check_set(shard_set).problems)


def test_remove_finds_each_article_in_its_shard(shard_set):
    report = remove_set(["town-03", "no-such-id"], IndexSettings(index_dir=shard_set))
    assert (report.removed, report.not_found) == (["town-03"], ["no-such-id"])
    reader = open_any(shard_set)
    try:
        assert "town-03" not in {a.id for a in reader.articles()} and len(reader.articles()) == 26
    finally:
        reader.close()


def test_check_repair_and_backup_work_on_the_set(shard_set, tmp_path):
    keywords = next((shard_set / "shard-01").glob("keywords-*"))
    shutil.rmtree(keywords)
    code, out = run("check", "--index-dir", shard_set)
    assert code == 1 and "shard shard-01:" in out and "keywords" in out
    code, out = run("repair", "--index-dir", shard_set)  # the keyword index is rebuilt without a model
    assert code == 0, out
    assert run("check", "--index-dir", shard_set)[0] == 0
    code, out = run("backup", tmp_path / "copy", "--index-dir", shard_set)
    assert code == 0, out
    assert (tmp_path / "copy" / "shards.json").read_text() == (shard_set / "shards.json").read_text()
    code, out = run("check", "--index-dir", tmp_path / "copy")
    assert code == 0 and "27 articles" in out, out
    code, out = run("list", "--index-dir", tmp_path / "copy")
    assert code == 0 and out.count("town-") == 20


def test_shards_flag_mistakes_are_refused_with_the_fix(shard_set, tmp_path, embedder, corpus):
    with pytest.raises(SettingsError, match="a set of 3 shards; drop --shards"):
        ingest_set(corpus, IndexSettings(index_dir=shard_set), 2, embedder=embedder)
    single = IndexSettings(index_dir=tmp_path / "one")
    ingest([DEMO], single, embedder=embedder)
    with pytest.raises(SettingsError, match="already holds one index; shard its articles into a new directory"):
        ingest_set(corpus, single, 2, embedder=embedder)
    for bad in (0, 257):
        with pytest.raises(SettingsError, match="use a whole number from 1 to 256"):
            ingest_set(corpus, IndexSettings(index_dir=tmp_path / f"new{bad}"), bad, embedder=embedder)
    code, out = run("ingest", DEMO, "--shards", "2", "--index-dir", shard_set)
    assert code != 0 and "a set of 3 shards" in out


def test_keyword_scores_use_the_whole_sets_statistics(shard_set, tmp_path, embedder, corpus):
    single = IndexSettings(index_dir=tmp_path / "one")
    ingest(corpus, single, embedder=embedder)
    one, sharded = open_reader(single.index_dir), open_any(shard_set)
    try:
        for words in (["kelmar", "council"], ["footbridge", "river", "spring"], ["tal", "rifaat"]):
            a, b = one.keyword_search(words, 5), sharded.keyword_search(words, 5)
            # idf from the whole set: scores as one index gives them, but for the average passage
            # length, which each shard keeps (up to 7% at 9 passages a shard; without the weights, 23%)
            assert sorted(b.values(), reverse=True) == pytest.approx(sorted(a.values(), reverse=True), rel=0.08)
    finally:
        one.close()
        sharded.close()


def test_a_shard_no_article_hashes_to_is_still_an_index(tmp_path, embedder):
    one_article = sorted(DEMO.iterdir())[0]
    ingest_set([one_article], IndexSettings(index_dir=tmp_path / "set"), 4, embedder=embedder)
    assert all(check_index(folder).ok for folder in read_shard_set(tmp_path / "set").dirs)
    reader = open_any(tmp_path / "set")
    try:
        assert len(reader.articles()) == 1
    finally:
        reader.close()


def test_urls_and_feeds_go_to_their_shards_and_refresh_fetches_only_the_new(shard_set, embedder):
    """Pages by url and a feed's links (a news site on 127.0.0.1), fetched once and each stored in
    the shard its id hashes to; the feed is remembered by the set, and `qa refresh` of the set
    asks it conditionally and fetches only the new link."""
    from index import refresh_set
    from index.store import Feed
    from index.web import FetchPolicy
    from tests.webserver import news_site

    fast = FetchPolicy(timeout_s=1.0, max_bytes=1_000_000, max_redirects=3)
    settings = IndexSettings(index_dir=shard_set)
    with news_site() as site:
        report = ingest_set([f"{site.url}/news/lighthouse.html"], settings, embedder=embedder, fetch=fast,
                            feeds=[Feed(f"{site.url}/feed.xml", "feed")])
        assert report.ok and len(report.added) == 3, report.failed
        assert all(site.requests[p] == 1 for p in ("/news/ferry.html", "/news/market.html", "/news/lighthouse.html"))
        for at, folder in enumerate(read_shard_set(shard_set).dirs):
            reader = open_reader(folder)
            assert all(shard_of(a.id, 3) == at for a in reader.articles())
            reader.close()
        assert refresh_set(settings, fetch=fast, embedder=embedder).added == [] and site.conditional == ["/feed.xml"]
        site.feed_items.append("/news/lighthouse.html")  # already in the set (by url): not fetched again
        site.feed_items.append("/gen/1.html")
        again = refresh_set(settings, fetch=fast, embedder=embedder)
        assert site.requests["/news/lighthouse.html"] == 1 and site.requests["/gen/1.html"] == 1
        assert len(again.skipped) == 3 and len(again.added) == 1
    reader = open_any(shard_set)
    try:
        assert len(reader.articles()) == 27 + 4
    finally:
        reader.close()
