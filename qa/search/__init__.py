"""The question's house: the record its stages pass along (qa/search/record.py, at the bottom),
the stages (checks, the query's terms, candidates from both indexes, the sentence rerank, the
reader, the answer across passages and its calibrated probability, the order shown,
follow-ups) and the conductor that runs them in order (qa/search/conductor.py)."""

from qa.search.arrange import Recency, boost_recent, collapse_duplicates, named_span, order, speaks_of_the_present
from qa.search.calibration import FEATURES, LIKELY, UNSURE, Calibration, Logistic
from qa.search.checks import check_date, check_k, check_question, check_sources, describe_filters
from qa.search.conductor import Conductor, Knobs
from qa.search.fold import fold_margin, less_related
from qa.search.followup import (
    Turn,
    answer_focus,
    candidates,
    carried_support,
    continues,
    follow,
    needs_conversation,
    prefer_rewrite,
    refers_back,
    subject,
    support,
    topic,
)
from qa.search.hybrid import gather
from qa.search.kinds import asked_kind, fits
from qa.search.matching import confidence
from qa.search.query import analyze, focused, shorten
from qa.search.reader import Reader, load_reader
from qa.search.reading import blend, read
from qa.search.record import (
    SCORES,
    Answer,
    Candidate,
    Citation,
    Evidence,
    Passage,
    Query,
    QueryTerms,
    SentenceMatch,
    ShortAnswer,
    Span,
)
from qa.search.rerank import RERANK_DEPTH, Reranker, answers_for, make_reranker
from qa.search.verdict import Judgement, Read, Verdict, conclude, decide, judge, reads_of, respan
from qa.search.when import asks_for_newest, resolve, said

__all__ = [
    "Answer", "Calibration", "Candidate", "Citation", "Conductor", "Evidence", "FEATURES", "Judgement", "Knobs",
    "LIKELY", "Logistic", "Passage", "Query", "QueryTerms", "RERANK_DEPTH", "Read", "Reader", "Recency", "Reranker",
    "SCORES", "SentenceMatch", "ShortAnswer", "Span", "Turn", "UNSURE", "Verdict", "analyze", "answer_focus",
    "answers_for", "asked_kind", "asks_for_newest", "blend", "boost_recent", "candidates", "carried_support",
    "check_date", "check_k", "check_question", "check_sources", "collapse_duplicates", "conclude", "confidence",
    "continues", "decide", "describe_filters", "fits", "focused", "fold_margin", "follow", "gather", "judge",
    "less_related", "load_reader", "make_reranker", "named_span", "needs_conversation", "order", "prefer_rewrite",
    "read", "reads_of", "refers_back", "resolve", "respan", "said", "shorten", "speaks_of_the_present", "subject",
    "support", "topic"
]
