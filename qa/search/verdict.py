"""The question's answer across the passages read, and one calibrated probability that it is right.

The reader reads each of the best passages on its own (qa/search/reader.py). Here their
spans meet:

1. **One scale.** A span's probability within its window says nothing about how it compares
   with another window's. Each window's start and end logits are summed (as log-masses) by
   the reader; a window's share of the question is its start mass times its end mass over
   those of all windows read (``shares``). A span's weight is its window's share times its
   own probability ("shared"); or the window's has-answer times it ("window"); or the
   window's share by the ranking (a softmax of the passages' scores, which hold the
   reader's has-answer and the retrieval's evidence: "ranked").
2. **The kind asked.** How many wants a quantity, when did a time, which country a place
   (qa/search/kinds.py): spans of another kind are passed over, the next best one that fits
   is taken, and when none fits there is no answer to state. So is a span made only of the
   question's own words ("Australia" for "what is the capital of Australia?").
3. **Agreement.** The same answer (the same words, or one's words inside the other's) found
   in several passages is one answer; with ``aggregate`` its weight is the sum of its spans'
   weights (measured, no gain: off in the shipped calibration).
4. **One probability.** Features of the answer with the most weight (its passage's
   has-answer, its span's probability, its summed weight, the reader-less confidence of the
   passages read and of its own, the question's words found, the articles that agree) give
   the probability that it is right (qa/search/calibration.py, fitted by
   ``bench/calibrate.py`` on tuning questions). That probability decides everything the user
   sees: under ``answer_bar`` the question is not answered; from ``likely_bar`` the answer is
   said to be likely, between the two unsure.
"""

from __future__ import annotations

import math
import os.path
import re
from dataclasses import dataclass, replace

import numpy as np

from index import skeleton
from qa.search.calibration import FEATURES, NONE, Calibration
from qa.search.followup import carried_support
from qa.search.kinds import answer_kind, asked_kind, fits
from qa.search.matching import confidence
from qa.search.record import ShortAnswer, Span
from qa.search.when import resolve, said


@dataclass(frozen=True)
class Verdict:
    """The question's answer: where it is, how it was found, and how likely it is right."""

    chunk_id: int  # the passage quoted for it
    answer: Span
    features: tuple[float, ...]  # named by FEATURES
    probability: float  # that the answer is right (calibrated)
    level: str  # "likely", "unsure" or "none"
    agreeing: tuple[int, ...]  # every passage holding this answer (chunk ids), the quoted one first
    kind: str | None  # the kind of answer the question asks for (None: any)
    others: tuple[Verdict, ...] = ()  # the other answers the passages give, each scored the same way, likeliest first

    @property
    def answered(self) -> bool:
        return self.level != NONE

    def rescored(self, calibration: Calibration, support: float) -> Verdict:
        """The same answer with ``support`` (a follow-up's, inherited from its conversation)."""
        features = list(self.features)
        for name in ("support", "lead_support"):
            features[FEATURES.index(name)] = max(features[FEATURES.index(name)], support)
        p = calibration.probability(features)
        return replace(self, features=tuple(features), probability=round(p, 4), level=calibration.level(p))


def shares(shorts: dict[int, ShortAnswer]) -> dict[int, float]:
    """Each read window's share of the question's start and end mass (summing to 1)."""
    if not shorts:
        return {}
    ids = list(shorts)
    start = np.array([shorts[i].masses[0] for i in ids])
    end = np.array([shorts[i].masses[1] for i in ids])
    joint = (start - np.logaddexp.reduce(start)) + (end - np.logaddexp.reduce(end))
    weight = np.exp(joint - np.logaddexp.reduce(joint))
    return dict(zip(ids, weight.tolist()))


def words(text: str) -> frozenset[str]:
    """The runs of letters and digits of ``text``, lowered character by character, but "a",
    "an" and "the"."""
    found = (w.lower() if w.isascii() else "".join(c.lower() for c in w) for w in _ALNUM_RUN.findall(text))
    return frozenset(w for w in found if w not in _ARTICLES)


_ALNUM_RUN = re.compile(r"[^\W_]+")  # re's \w is str.isalnum() or "_": these are runs of isalnum()


_ARTICLES = frozenset({"a", "an", "the"})


def same_answer(a: frozenset[str], b: frozenset[str]) -> bool:
    return bool(a) and bool(b) and (a <= b or b <= a)


def ranked(scores: dict[int, float], temperature: float) -> dict[int, float]:
    """Each read passage's share by its ranking score (softmax at ``temperature``)."""
    ids = list(scores)
    z = np.array([scores[i] for i in ids]) / max(temperature, 1e-6)
    weight = np.exp(z - z.max())
    return dict(zip(ids, (weight / weight.sum()).tolist()))


@dataclass(frozen=True)
class Read:
    """A passage the reader read, with what the first stages knew of it."""

    short: ShortAnswer
    article: str  # its article's id
    score: float  # its ranking score (the reader's has-answer blended in)
    support: float  # its reader-less confidence (qa/search/matching.py)
    coverage: float  # the share of the question's words (by rarity) in it


def reads_of(evidence, chunk_ids) -> dict[int, Read]:
    """The passages of ``chunk_ids`` the reader read, as the verdict takes them from
    ``evidence`` (the retrieval's and bench/calibrate.py's one way of making them)."""
    out = {}
    for candidate in evidence.candidates:
        short = evidence.short.get(candidate.chunk_id)
        if short is None or candidate.chunk_id not in chunk_ids:
            continue
        coverage = evidence.query.weights.overlap(evidence.rows[candidate.chunk_id].text)
        out[candidate.chunk_id] = Read(short, evidence.rows[candidate.chunk_id].article_id, candidate.score,
                                       confidence(evidence.answers[candidate.chunk_id].score, coverage), coverage)
    return out


def decide(question: str, read: dict[int, Read], calibration: Calibration) -> Verdict | None:
    """The answer of the passages ``read`` (by chunk id), or None when none was read or no
    span fits the kind of answer asked for."""
    if not read:
        return None
    kind = asked_kind(question) if calibration.kinds else None
    if calibration.scale_by == "shared":
        share = shares({i: r.short for i, r in read.items()})
    elif calibration.scale_by == "ranked":
        share = ranked({i: r.score for i, r in read.items()}, calibration.temperature)
    else:
        share = {i: r.short.has_answer for i, r in read.items()}
    asked = words(question)
    spans = []  # (weight, chunk id, span): of the kind asked, and not only the question's own words
    for chunk_id, r in read.items():
        spans += [(share[chunk_id] * s.probability, chunk_id, s) for s in r.short.spans
                  if fits(kind, s.text) and not words(s.text) <= asked]
    if not spans:
        return None
    spans.sort(key=lambda x: -x[0])
    groups: list[list[tuple[float, int, Span]]] = []
    for item in spans:
        mine = words(item[2].text)
        home = next((g for g in groups if same_answer(words(g[0][2].text), mine)), None)
        if home is None:
            groups.append([item])
        elif all(chunk != item[1] for _, chunk, _ in home):  # one span a passage
            home.append(item)

    def weight(group) -> float:
        return sum(w for w, _, _ in group) if calibration.aggregate else group[0][0]

    def verdict(group) -> Verdict:
        _, chunk_id, span = group[0]
        lead = read[chunk_id]
        has = min(max(lead.short.has_answer, 1e-6), 1 - 1e-6)
        agreeing = tuple(c for _, c, _ in group)
        features = (math.log(has / (1 - has)), math.log(span.probability + 1e-6), math.log(weight(group) + 1e-6),
                    max(r.support for r in read.values()), lead.support, max(r.coverage for r in read.values()),
                    float(len({read[c].article for c in agreeing}) - 1), 1.0 if kind else 0.0)
        p = calibration.probability(features)
        return Verdict(chunk_id, span, features, round(p, 4), calibration.level(p), agreeing, kind)

    groups.sort(key=lambda g: -weight(g))
    scored = [verdict(g) for g in groups[:MAX_OTHERS + 1]]
    return replace(scored[0], others=tuple(sorted(scored[1:], key=lambda v: -v.probability)))


MAX_OTHERS = 8  # other answers scored beside the question's own


@dataclass(frozen=True)
class Judgement:
    """The question's answer (``verdict``; None: none fits) and each read passage's own (the
    answer it would give alone, on its own support), by chunk id."""

    verdict: Verdict | None
    own: dict[int, Verdict | None]


def judge(question: str, read: dict[int, Read], calibration: Calibration) -> Judgement:
    """:func:`decide` over all the passages ``read``, and over each alone."""
    own = {i: decide(question, {i: r}, calibration) for i, r in read.items()}
    return Judgement(decide(question, read, calibration), own)


def respan(short: ShortAnswer, judgement: Judgement, chunk_id: int) -> ShortAnswer:
    """A passage's short answer as the judgement has it: the question's answer in the passage
    quoted for it, else the passage's own answer of the kind asked (the reader's best span
    when it has none)."""
    chosen = judgement.verdict if judgement.verdict and judgement.verdict.chunk_id == chunk_id \
        else judgement.own.get(chunk_id)
    if chosen is None:
        return short
    a = chosen.answer
    return replace(short, text=a.text, span=a.span, sentence=a.sentence, span_probability=a.probability,
                   probability=round(short.has_answer * a.probability, 4))


def variant(a: str, b: str) -> bool:
    """Whether two answers name one thing: the same words (:func:`same_answer`), or each word
    of the shorter a spelling of one of the longer's ("al-Qaida leader Ayman al-Zawahri" and
    "al Qaeda leader Ayman al-Zawahiri"; "Britain" and "British"): the same consonants, or a
    shared start of at least four letters and half the word."""
    x, y = words(a.replace("-", " ")), words(b.replace("-", " "))
    if same_answer(x, y):
        return True
    short, long = sorted((x, y), key=len)

    def spelled(u: str, v: str) -> bool:
        common = len(os.path.commonprefix([u, v]))
        return skeleton(u) == skeleton(v) or (common >= 4 and common >= min(len(u), len(v)) / 2)

    return bool(short) and all(any(spelled(u, v) for v in long) for u in short)


def alternatives(judgement: Judgement, articles: dict[int, str], calibration: Calibration,
                 outlets: dict[int, str | None] | None = None) -> list[Verdict]:
    """Other articles' answers worth saying beside the judgement's: each is what its passage
    answers on its own (not a lesser span of it), from an article the answer's passage is not
    from (``articles``: chunk id -> article id, for the passages shown), of the same kind as
    the answer (:func:`answer_kind`), as likely, scored among all the passages read, as an
    answer must be to be given at all (the same calibrated bar), and not the same answer in
    other words, nor its article's own outlet ("CNN" from "...told CNN": ``outlets``, chunk id
    -> outlet). At most one per article, likeliest first."""
    verdict = judgement.verdict
    kind, mine = answer_kind(verdict.answer.text), verdict.answer.text
    seen, out = {articles.get(verdict.chunk_id)}, []
    for other in verdict.others:
        article, own = articles.get(other.chunk_id), judgement.own.get(other.chunk_id)
        if article is None or article in seen or own is None:
            continue
        said = own.answer.text  # as its passage says it alone
        if (not same_answer(words(said), words(other.answer.text)) or other.probability < calibration.answer_bar
                or answer_kind(said) != kind or variant(mine, said) or variant(mine, other.answer.text)
                or said.strip().lower() == ((outlets or {}).get(other.chunk_id) or "").lower()
                or any(variant(o.answer.text, said) for o in out)):
            continue
        seen.add(article)
        out.append(replace(other, answer=own.answer))
    return out


def conclude(judgement: Judgement | None, passages: list, calibration: Calibration, previous=None,
             newest: bool = False) -> tuple[bool, dict]:
    """Whether ``passages`` answer, and the Answer's fields: ``text``, ``probability``,
    ``confidence`` (likely / unsure), ``cited``, ``differing``. The answer and each other
    article's different one (:func:`alternatives`) are quoted by the sentence that holds them
    (``passages`` changed in place, the alternative's span put in its passage).
    ``previous``: the turn before a rewritten follow-up, whose support it may inherit.
    ``newest``: time decides (the question asks for the new / latest / current one, or is
    asked as of a day): of the answer and its alternatives, the newest article's wins, and
    the others are said beside it. ``dated`` is then the winning article's date. A relative
    time in the answer ("late last week") is ``resolved`` from its article's date."""
    verdict = judgement.verdict if judgement is not None else None
    ranks = {p.chunk_id: p.rank for p in passages}
    if verdict is None or verdict.chunk_id not in ranks:
        return False, {}
    others_found = alternatives(judgement, {p.chunk_id: p.article_id for p in passages}, calibration,
                                {p.chunk_id: p.source for p in passages})
    dated = None
    if newest:
        published = {p.chunk_id: p.published or "" for p in passages}
        chosen = max([verdict, *others_found], key=lambda v: (published[v.chunk_id], v.probability))
        if published[chosen.chunk_id]:
            dated = published[chosen.chunk_id]
            others_found = [v for v in (verdict, *others_found) if v is not chosen]
            verdict = chosen
    lead = passages[ranks[verdict.chunk_id] - 1]
    if previous is not None:
        verdict = verdict.rescored(calibration, carried_support(previous, lead))
    if not verdict.answered:
        return False, {"probability": verdict.probability}
    others = [ranks[other.chunk_id] for other in others_found]
    for rank, told in ((lead.rank, verdict.answer), *zip(others, (o.answer for o in others_found))):
        held = passages[rank - 1]  # says its answer, quoted by the sentence that holds it
        passages[rank - 1] = replace(held, short_answer=told.text, short_answer_span=told.span,
                                     short_answer_sentence=told.sentence, answer_span=told.sentence)
    lead = passages[lead.rank - 1]
    return True, {"text": verdict.answer.text, "probability": verdict.probability, "level": verdict.level,
                  "cited": lead.rank, "differing": tuple(others), "dated": dated,
                  "resolved": said(resolve(verdict.answer.text, lead.published))}
