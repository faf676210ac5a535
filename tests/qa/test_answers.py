"""What users see, with the real model: the signature question answered and highlighted."""

import pytest

from index.ingestion import ingest
from qa.errors import QuestionError
from qa.retriever import Index
from qa.settings import Settings
from tests.conftest import SYRIA, answers_tal_rifaat

pytestmark = pytest.mark.model

SEIZED = "seized the strategic town of Tal Rifaat"


def open_index(tmp_path_factory, real_embedder, *paths):
    settings = Settings(index_dir=tmp_path_factory.mktemp("index"))
    report = ingest(paths, settings, embedder=real_embedder)
    assert report.ok, report.failed
    return Index.open(settings=settings, embedder=real_embedder)


@pytest.fixture(scope="module")
def syria_index(tmp_path_factory, real_embedder):
    if not SYRIA.is_file():
        pytest.skip(f"shared test data not found: {SYRIA}")
    with open_index(tmp_path_factory, real_embedder, SYRIA) as index:
        yield index


@pytest.mark.xfail(strict=True, reason=(
    "the shipped reader (MiniLM-L6, both models trained so far) answers 'The United States' from the "
    "neighbouring sentence: "
    "'they seized' needs a coreference it misses; without the reader (QA_READER=0) the marked sentences "
    "hold the answer. The reader marks the right sentence more often on the dev sets (docs/reader.md), "
    "so it ships; a reader that gets this one turns this test into an XPASS failure: drop the mark then."))
def test_tal_rifaat_on_the_shared_article(syria_index):
    top = syria_index.retrieve("who holds Tal Rifaat?")[0]
    assert "pro-Turkey factions" in top.text and SEIZED in top.text
    assert SEIZED in top.answer, f"highlighted: {top.answer!r}"
    assert top.title == "Syria, Russia Conduct Deadly Strikes To Push Back Islamist Advance"
    assert top.published == "2024-12-02" and "themoscowtimes.com" in top.url


def test_tal_rifaat_on_the_shared_article_without_the_reader(tmp_path_factory, real_embedder):
    if not SYRIA.is_file():
        pytest.skip(f"shared test data not found: {SYRIA}")
    settings = Settings(index_dir=tmp_path_factory.mktemp("index"), reader=False)
    assert ingest([SYRIA], settings, embedder=real_embedder).ok
    with Index.open(settings=settings, embedder=real_embedder) as index:
        top = index.retrieve("who holds Tal Rifaat?")[0]
    assert SEIZED in top.answer, f"highlighted: {top.answer!r}"


def test_tal_rifaat_on_the_demo_articles(demo_index):
    passages = demo_index.retrieve("who holds Tal Rifaat?", k=3)
    top = passages[0]
    assert top.title.startswith("Turkey-backed fighters take Tal Rifaat")
    assert answers_tal_rifaat(top.answer), f"highlighted: {top.answer!r}"
    # the central bank that "holds rates" is not the answer
    assert all("Central bank" not in p.title for p in passages[:1])


@pytest.mark.parametrize("question,title_start", [
    ("who scored the winning goal in the cup final?", "Late header wins the cup"),
    ("how many parking spaces will the bike lanes remove?", "Riverside council approves"),
    ("what interest rate did the central bank set?", "Central bank holds rates"),
])
def test_other_demo_questions(demo_index, question, title_start):
    assert demo_index.retrieve(question, k=1)[0].title.startswith(title_start)


@pytest.mark.parametrize("question", ["who holds Tell Rifaat?", "who controls Tal Rif'at?", "who holds Tel Rifat?"])
def test_spelling_variants_of_the_name_find_the_same_passage(syria_index, question):
    top = syria_index.retrieve(question)[0]
    assert SEIZED in top.text


def test_confident_answer_and_plain_no_answer(demo_index):
    assert demo_index.ask("who holds Tal Rifaat?").answered
    unrelated = demo_index.ask("what is the boiling point of tungsten?")
    assert not unrelated.answered and unrelated.passages  # shown only as the closest passages


def test_follow_up_searches_as_asked_when_that_answers_and_marks_what_the_user_asked(demo_index):
    answer = demo_index.ask("and who took Aleppo?", k=3, history=["who holds Tal Rifaat?"])
    assert answer.searched == "and who took Aleppo?" and answer.answered  # it finds its answer alone
    top = answer.passages[0]
    assert top.title.startswith("Turkey-backed fighters take Tal Rifaat")
    assert "swept into Aleppo itself" in top.answer, f"highlighted: {top.answer!r}"
    # alone it finds nothing close: the subject is carried
    when = demo_index.ask("when did that happen?", k=1, history=["who holds Tal Rifaat?"])
    assert when.searched == "when did that happen? (Tal Rifaat)" and "Tal Rifaat" in when.passages[0].answer


def test_sources_are_outlet_names_matched_case_insensitively(demo_index):
    assert {"Demo Wire", "Demo Sport", "Demo Business", "Riverside Gazette"} <= set(demo_index.sources())
    found = demo_index.retrieve("who won the cup?", sources=["demo sport"])
    assert found and {p.source for p in found} == {"Demo Sport"}
    with pytest.raises(QuestionError) as err:
        demo_index.retrieve("who won the cup?", sources=["Demo Sprot"])
    assert "no articles from 'Demo Sprot'" in str(err.value) and "Demo Sport" in str(err.value)


@pytest.mark.xfail(strict=True, reason=(
    "the calibrated probability (docs/reader.md) gives 'Northbridge', the demo's national cup final, 0.09 "
    "for this question: above the answer bar (0.07, which keeps 96% of answerable tuning questions "
    "answered), so it is stated as an unsure answer; the earlier refusal score refused it. Near-topic "
    "questions are where the calibration is weakest (78% refused out of fold): a stronger reader turns "
    "this into an XPASS failure: drop the mark then."))
def test_a_near_topic_question_on_the_demo_is_refused(demo_index):
    answer = demo_index.ask("who won the 2022 World Cup?", k=3)
    assert not answer.answered, (answer.text, answer.probability)
