"""The answer across passages: the kind asked, one scale for all windows, agreement, and the
calibrated probability that decides what is said."""

import pytest

from qa.search import (
    FEATURES,
    LIKELY,
    UNSURE,
    Calibration,
    Judgement,
    Logistic,
    Passage,
    Read,
    ShortAnswer,
    Span,
    asked_kind,
    conclude,
    decide,
    fits,
)


def short(chunk_id, spans, has=0.9, masses=(0.0, 0.0)):
    """A reading of one passage: ``spans`` as (text, probability), best first."""
    made = [Span(text, (i * 10, i * 10 + len(text)), (0, 100), p) for i, (text, p) in enumerate(spans)]
    first = made[0]
    return ShortAnswer(chunk_id, first.text, first.span, first.sentence, has, has * first.probability,
                       first.probability, tuple(made[1:]), masses)


def read(shorts, scores=None, articles=None):
    """Each reading as the verdict gets it (ranking scores equal unless given)."""
    return {i: Read(s, (articles or {}).get(i, f"article-{i}"), (scores or {}).get(i, 1.0), 0.5, 0.5)
            for i, s in shorts.items()}


def calibration(**choices):
    """A calibration whose probability rises with the answer's summed weight only."""
    n = len(FEATURES)
    weights = [0.0] * n
    weights[FEATURES.index("weight_log")] = 1.0
    answers = Logistic(tuple([0.0] * n), tuple([1.0] * n), tuple(weights), 0.0)
    right = Logistic(tuple([0.0] * n), tuple([1.0] * n), tuple([0.0] * n), 30.0)  # always right, when it answers
    return Calibration(answers, right, choices.pop("answer_bar", 0.2), choices.pop("likely_bar", 0.6), **choices)


@pytest.mark.parametrize("question, kind", [
    ("How many people were evacuated?", "quantity"),
    ("how much will the new fees cost?", "quantity"),
    ("what percentage of voters turned out?", "quantity"),
    ("When did the pier open?", "time"),
    ("In what year did the war start?", "time"),
    ("what is the capital of Australia?", "place"),
    ("To cut waste, which continent will require a common charger?", "place"),
    ("who holds Tal Rifaat?", None),  # who: a name, or "the police", "architects": not checked
    ("where did the summit take place?", None),  # "beneath the liver" answers where too
    ("when do replays become available?", None),  # "after the broadcast ends": a condition
    ("what did the state announce?", None),  # "state" is not what is asked for here
    ("what was Nichelle Nichols' iconic role?", None),
])
def test_the_kind_a_question_asks_for(question, kind):
    assert asked_kind(question) == kind


def test_an_answer_fits_its_kind_by_its_own_words():
    assert fits("quantity", "85%") and fits("quantity", "four million") and fits("quantity", "$20")
    assert not fits("quantity", "natural causes")
    assert fits("time", "late last week") and fits("time", "2022") and fits("time", "on Sunday")
    assert fits("time", "after World War II") and not fits("time", "the rebels")
    assert fits("place", "Europe") and fits("place", "the city of Aleppo") and not fits("place", "the town")
    assert fits(None, "anything at all")


def test_one_scale_for_all_windows():
    """By the reader's masses, the window with the larger share wins though its own span is
    less probable; by the ranking, the better-ranked passage."""
    shorts = {1: short(1, [("Ada Brook", 0.9)], masses=(0.0, 0.0)), 2: short(2, [("Tom Reed", 0.6)], masses=(3.0, 3.0))}
    scores = {1: 1.2, 2: 0.8}
    shared = decide("who opened the festival?", read(shorts, scores), calibration(scale_by="shared"))
    assert shared.answer.text == "Tom Reed" and shared.chunk_id == 2
    ranked = decide("who opened the festival?", read(shorts, scores), calibration(scale_by="ranked"))
    assert ranked.answer.text == "Ada Brook"
    close = decide("who opened the festival?", read(shorts, {1: 1.0, 2: 0.99}),
                   calibration(scale_by="ranked", temperature=5.0))  # scores alike: the surer span
    assert close.answer.text == "Ada Brook"


def test_the_same_answer_in_several_passages_adds_up():
    shorts = {1: short(1, [("Tom Reed", 0.5)]), 2: short(2, [("Ada Brook", 0.4)]),
              3: short(3, [("the mayor Ada Brook", 0.3)])}  # one answer's words inside the other's
    summed = decide("who opened it?", read(shorts), calibration(scale_by="ranked"))
    assert summed.answer.text == "Ada Brook" and set(summed.agreeing) == {2, 3}
    assert summed.features[FEATURES.index("articles_agreeing")] == 1.0
    alone = decide("who opened it?", read(shorts), calibration(scale_by="ranked", aggregate=False))
    assert alone.answer.text == "Tom Reed"


def test_an_answer_of_the_wrong_kind_or_of_the_questions_words_is_passed_over():
    shorts = {1: short(1, [("natural causes", 0.8), ("85%", 0.1)])}
    found = decide("how many were vaccinated?", read(shorts), calibration())
    assert found.answer.text == "85%" and found.kind == "quantity"
    assert decide("how many were vaccinated?", read({1: short(1, [("natural causes", 0.8)])}),
                  calibration()) is None  # nothing of the kind: nothing to state
    unchecked = decide("how many were vaccinated?", read(shorts), calibration(kinds=False))
    assert unchecked.answer.text == "natural causes"
    capital = read({1: short(1, [("Australia", 0.9), ("Canberra", 0.1)])})
    own_words = decide("what is the capital of Australia?", capital, calibration())
    assert own_words.answer.text == "Canberra"


def test_the_probability_is_said_in_words():
    c = calibration(answer_bar=0.2, likely_bar=0.6)
    assert c.level(0.9) == LIKELY and c.level(0.6) == LIKELY and c.level(0.3) == UNSURE and c.level(0.1) == "none"
    low, high = [0.0] * len(FEATURES), [0.0] * len(FEATURES)
    low[FEATURES.index("weight_log")], high[FEATURES.index("weight_log")] = -2.0, 2.0
    assert c.probability(high) > c.probability(low)


def test_a_calibration_that_does_not_fit_is_refused():
    n = len(FEATURES)
    flat = {"mean": [0] * n, "scale": [1] * n, "weights": [0] * n, "bias": 0}
    good = {"answers": flat, "right": flat, "answer_bar": 0.2, "likely_bar": 0.6}
    assert Calibration.from_dict(good).likely_bar == 0.6
    for bad in ({"answers": flat | {"mean": [0] * 3}}, {"answer_bar": 0.7}, {"scale_by": "both"},
                {"temperature": 0}):
        with pytest.raises(ValueError):
            Calibration.from_dict(good | bad)


def test_another_answer_is_said_only_when_there_is_one():
    """Beside the answer, another article's answer is said only when it is what that article's
    passage answers on its own, of the same kind, as likely as any answer given, different
    (not a spelling of the same), and not the article's own outlet."""
    cases = {  # the other article's reading -> said beside "Ada Brook"?
        "Tom Reed": ([("Tom Reed", 0.5)], True),
        "a lesser span": ([("Ada Brook", 0.5), ("Tom Reed", 0.4)], False),  # its passage answers Ada Brook
        "another kind": ([("night sky watchers", 0.5)], False),  # a phrase beside a name
        "a number": ([("585", 0.5)], False),
        "a spelling": ([("Ada Broke", 0.5)], False),  # the same answer, spelled otherwise
        "its outlet": ([("Harbour Ledger", 0.5)], False),  # "...told the Harbour Ledger"
        "too unlikely": ([("Tom Reed", 0.05)], False),  # under the answer bar, scored among all passages
    }
    c = calibration(answer_bar=0.1, likely_bar=0.6, scale_by="ranked")
    for name, (spans, said) in cases.items():
        passages = [_passage(1, "a", 1, "Ada Brook"), _passage(2, "b", 2, spans[0][0], source="Harbour Ledger")]
        shorts = {1: short(1, [("Ada Brook", 0.6)]), 2: short(2, spans)}
        articles = {1: "a", 2: "b"}
        own = {i: decide("who opened it?", read({i: x}, articles=articles), c) for i, x in shorts.items()}
        answered, fields = conclude(Judgement(decide("who opened it?", read(shorts, articles=articles), c), own),
                                    passages, c)
        assert answered and fields["text"] == "Ada Brook"
        assert fields["differing"] == ((2,) if said else ()), name


def _passage(chunk_id: int, article: str, rank: int, answer: str, source: str | None = None) -> Passage:
    text = f"The festival was opened by {answer} on Monday."
    at = text.index(answer)
    return Passage(text=text, score=1.0, rank=rank, article_id=article, title="t", url=None, published=None,
                   source=source, byline=None, span=(0, len(text)), answer_span=(0, len(text)), answer_score=0.5,
                   chunk_id=chunk_id, coverage=0.5, has_answer=0.9, short_answer=answer,
                   short_answer_span=(at, at + len(answer)), short_answer_sentence=(0, len(text)))


def test_the_answer_and_other_articles_different_answers_are_stated_by_the_bars():
    passages = [_passage(1, "a", 1, "Ada Brook"), _passage(2, "b", 2, "Tom Reed"), _passage(3, "c", 3, "Ada Brook")]
    shorts = {1: short(1, [("Ada Brook", 0.6)]), 2: short(2, [("Tom Reed", 0.5)]), 3: short(3, [("Ada Brook", 0.4)])}
    articles = {1: "a", 2: "b", 3: "c"}
    c = calibration(answer_bar=0.1, likely_bar=0.6, scale_by="ranked")
    own = {i: decide("who opened it?", read({i: s}, articles=articles), c) for i, s in shorts.items()}
    verdict = decide("who opened it?", read(shorts, articles=articles), c)
    answered, fields = conclude(Judgement(verdict, own), passages, c)
    assert answered and fields["text"] == "Ada Brook" and fields["cited"] == 1
    assert fields["differing"] == (2,)  # article c says the same: not another answer
    assert fields["probability"] == verdict.probability and fields["level"] in (LIKELY, UNSURE)
    high = calibration(answer_bar=0.99, likely_bar=0.995, scale_by="ranked")
    verdict = decide("who opened it?", read(shorts, articles=articles), high)
    answered, fields = conclude(Judgement(verdict, {}), passages, high)
    assert not answered and fields == {"probability": verdict.probability}  # said, though nothing is stated
