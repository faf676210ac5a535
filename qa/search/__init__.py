"""The question's house: the record its stages pass along (record.py, at the bottom), the stages
(checks, the query's terms, candidates from both indexes, the sentence rerank, the reader, the
answer across passages and its calibrated probability, the order shown, follow-ups) and the
conductor that runs them in order (conductor.py). The face offers what qa and the benches use."""

from qa.search.arrange import Recency
from qa.search.calibration import FEATURES, LIKELY, UNSURE, Calibration, Logistic
from qa.search.checks import check_date
from qa.search.conductor import Conductor, Knobs
from qa.search.kinds import asked_kind, fits
from qa.search.reader import Reader, load_reader
from qa.search.record import SCORES, Answer, Citation, Evidence, Options, Passage, ShortAnswer, Span
from qa.search.rerank import Reranker, make_reranker
from qa.search.timing import budget
from qa.search.verdict import Judgement, Read, conclude, decide, reads_of
from qa.search.when import asks_for_newest, resolve, said

__all__ = [
    "Answer", "Calibration", "Citation", "Conductor", "Evidence", "FEATURES", "Judgement", "Knobs", "LIKELY",
    "Logistic", "Options", "Passage", "Read", "Reader", "Recency", "Reranker", "SCORES", "ShortAnswer", "Span",
    "UNSURE", "asked_kind", "asks_for_newest", "budget", "check_date", "conclude", "decide", "fits", "load_reader",
    "make_reranker", "reads_of", "resolve", "said"
]
