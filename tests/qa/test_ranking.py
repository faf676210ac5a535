"""Hybrid retrieval: filters before search, order, recency, duplicates, confidence, rerankers."""

import json
from datetime import date
from types import SimpleNamespace

import pytest

from index.ingestion import ingest
from qa.errors import QuestionError, SettingsError
from qa.retriever import Index
from qa.search.arrange import RECENCY_WEIGHT, Recency, boost_recent, named_span, speaks_of_the_present
from qa.search.hybrid import Candidate, minmax
from qa.settings import Settings


def jsonl(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


WORDS = ["dredging", "ferry", "pier", "lighthouse", "crane", "container", "tugboat", "jetty", "quay", "marina",
         "fishermen", "customs", "cargo", "anchor", "buoy", "tide", "berth", "dock", "yacht", "trawler",
         "harbourmaster", "breakwater", "slipway", "warehouse", "seawall"]


def distinct_text(i):
    """A harbour story sharing the topic but few words with the others."""
    a, b, c = WORDS[i % 25], WORDS[(i * 7 + 3) % 25], WORDS[(i * 11 + 5) % 25]
    return (f"The harbour council debated the {a} and the {b} on meeting number {i}. "
            f"Residents asked about the {c}, and the mayor promised a vote on the {a} within weeks.")


def story(i, text, date, source="Wire", title=None):
    return {"id": f"s{i}", "title": title or f"Story {i}", "text": text, "date": date, "source": source,
            "url": f"https://e.org/{i}"}


@pytest.fixture
def news(tmp_path, settings, embedder):
    records = [story(i, distinct_text(i), f"2024-03-{i + 1:02d}", source="Coast Post") for i in range(25)]
    records.append(story(99, "An old report: the harbour was smaller then and the pier was made of wood.",
                         "2019-06-01", source="Archive Weekly"))
    ingest([jsonl(tmp_path / "news.jsonl", records)], settings, embedder=embedder)
    with Index.open(settings=settings, embedder=embedder) as index:
        yield index


def test_a_filter_applies_before_ranking_so_it_never_comes_back_empty(news):
    unfiltered = news.retrieve("harbour council debated", k=5)
    assert all(p.article_id != "s99" for p in unfiltered)
    only_old = news.retrieve("harbour council debated", k=5, until="2020-01-01")
    assert [p.article_id for p in only_old] == ["s99"]
    by_source = news.retrieve("harbour council debated", k=5, sources=["archive weekly"])
    assert [p.article_id for p in by_source] == ["s99"]
    window = news.retrieve("harbour", k=10, since="2024-03-10", until="2024-03-12")
    assert sorted(p.published for p in window) == ["2024-03-10", "2024-03-11", "2024-03-12"]
    assert news.retrieve("harbour", since="2030-01-01") == []


def test_filtered_keyword_search_is_the_unfiltered_ranking_restricted_to_the_filter(news):
    from index.store.filters import Filter

    terms = ["harbour", "pier", "ferry", "council"]
    where = Filter(since="2024-03-05", until="2024-03-20")
    allowed = set(news.reader.allowed_chunks(where))
    everything = news.reader.keyword_search(terms, 1000)
    expected = [(i, s) for i, s in everything.items() if i in allowed][:6]
    assert len(expected) == 6 and len(allowed) < len(everything)
    assert list(news.reader.keyword_search(terms, 6, where).items()) == expected


@pytest.mark.parametrize("where", [{"since": "2024-03-01"}, {"since": "2024-03-11", "until": "2024-03-11"}],
                         ids=["wide: the 8n nearest filtered", "narrow: the 64n nearest filtered"])
def test_filtered_dense_search_is_the_unfiltered_ranking_restricted_to_the_filter(news, where):
    from index.store.filters import Filter

    where = Filter(**where)
    vector = news.embedder.embed(["ferry crews and the harbour pier"])[0]
    allowed = set(news.reader.allowed_chunks(where))
    everything = news.reader.dense_search(vector, 10_000)
    expected = [i for i in everything if i in allowed][:5]
    assert len(expected) == min(5, len(allowed)) and len(allowed) < len(everything)
    assert list(news.reader.dense_search(vector, 5, where)) == expected


def test_bad_filters_are_clear_errors(news):
    with pytest.raises(QuestionError, match="since: 'yesterday-ish' is not a date"):
        news.retrieve("harbour", since="yesterday-ish")
    with pytest.raises(QuestionError, match="swap them"):
        news.retrieve("harbour", since="2024-05-01", until="2024-01-01")
    with pytest.raises(QuestionError, match="order_by"):
        news.retrieve("harbour", order_by="random")


def test_timeline_and_newest_first(news):
    oldest = [p.published for p in news.retrieve("harbour", k=6, order_by="oldest")]
    newest = [p.published for p in news.retrieve("harbour", k=6, order_by="newest")]
    assert oldest == sorted(oldest) and newest == sorted(newest, reverse=True)
    assert sorted(oldest) == sorted(newest)  # the same passages, ordered differently


def test_prefer_recent_moves_newer_articles_up(news):
    plain = news.retrieve("harbour dredging plan", k=5)
    recent = news.retrieve("harbour dredging plan", k=5, prefer_recent=True)
    assert max(p.published for p in recent) == "2024-03-25"
    assert min(p.published for p in recent) >= min(p.published for p in plain)


def test_as_of_leaves_out_articles_published_later(news):
    asked = news.retrieve("harbour council debated", k=10, as_of="2024-03-05")
    assert asked and max(p.published for p in asked) <= "2024-03-05"
    assert news.retrieve("harbour", as_of="2024-03-05", until="2024-03-20")[0].published <= "2024-03-05"
    with pytest.raises(QuestionError, match="since=2024-03-10 is after as_of=2024-03-05"):
        news.retrieve("harbour", since="2024-03-10", as_of="2024-03-05")


@pytest.mark.parametrize("question, present", [
    ("Which country was shaken by an earthquake this week?", True),
    ("Who currently holds Tal Rifaat?", True),
    ("What did the council decide on Monday?", True),
    ("What is the latest on the ferry strike?", True),
    ("Who holds Tal Rifaat?", False),
    ("Which weekly paper printed the nowhere story?", False),
])
def test_questions_about_the_present_are_recognised(question, present):
    assert speaks_of_the_present(question) is present


@pytest.mark.parametrize("question, days", [
    ("Which country was shaken by an earthquake this week?", 7), ("who won yesterday?", 2),
    ("What did the council decide on Monday?", 7), ("what happened last week in Aleppo?", 14),
    ("how much did prices rise this month?", 31), ("What is the latest on the ferry strike?", None),
    ("Who holds Tal Rifaat?", None),
])
def test_the_days_a_question_names(question, days):
    assert named_span(question) == days


def test_articles_within_the_named_span_come_first_whatever_their_score():
    rows = {1: SimpleNamespace(published="2016-04-17"), 2: SimpleNamespace(published="2022-07-26"),
            3: SimpleNamespace(published="2022-07-20"), 4: SimpleNamespace(published=None),
            5: SimpleNamespace(published="2022-07-30")}
    candidates = [Candidate(1, 0.5, 1.0, score=1.3), Candidate(2, 0.5, 1.0, score=0.76),
                  Candidate(3, 0.5, 1.0, score=0.9), Candidate(4, 0.5, 1.0, score=1.2),
                  Candidate(5, 0.5, 1.0, score=1.0)]
    Recency(date(2022, 7, 29), 7).apply(candidates, rows)
    # 07-26 is within the week up to 07-29; 07-20 is not; 07-30 is after the day asked
    assert [c.chunk_id for c in candidates][0] == 2
    assert candidates[0].score - max(c.score for c in candidates[1:]) > 0.9  # a later blend cannot undo it
    unnamed = [Candidate(1, 0.5, 1.0, score=1.3), Candidate(2, 0.5, 1.0, score=0.76)]
    Recency(date(2022, 7, 29)).apply(unnamed, rows)  # "recently": the boost alone
    assert [c.chunk_id for c in unnamed] == [1, 2]


def test_recency_counts_age_from_the_day_asked():
    rows = {1: SimpleNamespace(published="2024-03-10"), 2: SimpleNamespace(published="2024-02-09"),
            3: SimpleNamespace(published="2024-03-20"), 4: SimpleNamespace(published=None)}
    candidates = [Candidate(i, 0.5, 1.0, score=0.0) for i in rows]
    boost_recent(candidates, rows, today=date(2024, 3, 10))
    boost = {c.chunk_id: c.score for c in candidates}
    assert boost[1] == pytest.approx(RECENCY_WEIGHT) and boost[2] == pytest.approx(RECENCY_WEIGHT / 2)
    assert boost[3] == pytest.approx(RECENCY_WEIGHT) and boost[4] == 0.0  # later: not older; undated: nothing
    relative = [Candidate(i, 0.5, 1.0, score=0.0) for i in (1, 3)]
    boost_recent(relative, rows)  # no day given: relative to the newest candidate
    assert [round(c.score, 3) for c in relative] == [round(RECENCY_WEIGHT * 0.5 ** (10 / 30), 3), RECENCY_WEIGHT]


def test_syndicated_copies_collapse_into_one_passage_listing_the_others(tmp_path, settings, embedder):
    wire = ("Storm Elin closed the coastal road on Tuesday and cut power to nine thousand homes, "
            "the regional grid operator said. Crews expected to restore most connections by Thursday.")
    records = [story(1, wire, "2024-02-06", source="Daily Coast", title="Storm closes coastal road"),
               story(2, wire + " Schools stayed open.", "2024-02-06", source="Valley News", title="Storm Elin hits"),
               story(3, "A new bakery opened in the square, selling bread from a wood-fired oven.", "2024-02-07")]
    ingest([jsonl(tmp_path / "wire.jsonl", records)], settings, embedder=embedder)
    with Index.open(settings=settings, embedder=embedder) as index:
        passages = index.retrieve("storm coastal road power homes", k=2)
    assert len({p.text.split(" Schools")[0] for p in passages}) == 2, "k distinct passages"
    top = passages[0]
    assert top.article_id in ("s1", "s2") and len(top.also_in) == 1
    other = top.also_in[0]
    assert {top.source, other.source} == {"Daily Coast", "Valley News"} and other.url.startswith("https://")
    assert passages[1].article_id == "s3"
    # the chat card names the copy's outlet, linked, under "also reported by"
    from qa.grouping import by_article
    from ui.cards import article_card

    card = article_card(by_article([top])[0])
    assert '<div class="qa-also">also reported by: <a href="' + other.url in card
    assert f">{other.source}</a> (2024-02-06)</div>" in card


def test_no_confident_answer_is_said_plainly(news):
    weak = news.ask("quantum chromodynamics lattice gauge theory", k=3)
    assert not weak.answered and len(weak.passages) == 3  # shown, but only as the closest
    strong = news.ask("harbour council debated the dredging", k=3)
    assert strong.answered


@pytest.mark.parametrize("method", ["keyword", "dense", "hybrid"])
def test_each_retrieval_method_works_alone(news, method):
    passages = news.retrieve("wooden pier old report", k=3, method=method)
    assert passages and passages[0].article_id == "s99"


def test_settings_refuse_unknown_methods():
    with pytest.raises(SettingsError, match="retrieval='magic'"):
        Settings(retrieval="magic")
    with pytest.raises(SettingsError, match="cross-encoder:MODEL"):
        Settings(rerank="llm")


@pytest.mark.model
def test_a_cross_encoder_plugs_in_and_ranks_by_its_scores(tmp_path, settings, real_embedder):
    """A tiny, randomly initialised cross-encoder built here (no weights ship in a package):
    the candidates come out ordered by 0.2 x fused score + 0.8 x its min-max scaled scores."""
    import torch
    from sentence_transformers import CrossEncoder
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    from index.embed.loading import TORCH_MODEL, resolve_model
    from qa.search.rerank import CROSS_ENCODER_WEIGHT

    torch.manual_seed(0)
    folder = tmp_path / "tiny-cross-encoder"
    tokenizer = AutoTokenizer.from_pretrained(resolve_model(TORCH_MODEL))
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=1,
                        num_attention_heads=2, intermediate_size=64, num_labels=1)
    BertForSequenceClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    records = [story(i, distinct_text(i), "2024-01-01") for i in range(8)]
    ingest([jsonl(tmp_path / "a.jsonl", records)], settings, embedder=real_embedder)
    crossed = settings.replace(rerank=f"cross-encoder:{folder}")
    with Index.open(settings=crossed, embedder=real_embedder) as index:
        assert type(index.reranker).__name__ == "CrossEncoderReranker"
        fused = index.evidence("harbour plan", rerank=False, read=False)
        reranked = index.evidence("harbour plan", read=False)
        texts = [fused.rows[c.chunk_id].text for c in fused.candidates]
        model_scores = minmax(CrossEncoder(str(folder)).predict([("harbour plan", t) for t in texts]))
        expected = sorted(zip(fused.candidates, model_scores), key=lambda pair: -(
            (1 - CROSS_ENCODER_WEIGHT) * pair[0].score + CROSS_ENCODER_WEIGHT * pair[1]))
        assert [c.chunk_id for c in reranked.candidates] == [c.chunk_id for c, _ in expected]
        assert [c.chunk_id for c in reranked.candidates] != [c.chunk_id for c in fused.candidates]
