"""The reader: reads the question with a passage's best sentences and finds the short answer.

An extractive model (all-MiniLM-L6-v2's weights, fine-tuned here by
``bench/train_reader.py``; int8 ONNX run by onnxruntime, shipped in ``qa/models/``) reads
``(question, window)`` pairs. A *window* is a candidate passage's best
``WINDOW_SENTENCES`` sentences by the answering-sentence score, in article order; a
heading or a question is never part of one (it is never quoted as an answer). For each
window the model gives

* ``has_answer``: the probability that the window answers the question at all, and
* the best answer span (within one sentence, at most ``MAX_ANSWER_PIECES`` word pieces)
  with its probability given that there is an answer.

Each window also gives its next best spans and its start and end log-masses, so that
qa/search/verdict.py can weigh the spans of all windows on one scale. The weight of
``has_answer`` in the ranking and the calibration of the answer's probability are fitted
when the model is trained and tuned, and stored beside it (``reader.json``).
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index import ModelLoadError, minilm_tokenizer, onnx_session, verified
from qa.search.calibration import Calibration
from qa.search.highlight import dateline_length, quotable, sentence_scores

log = logging.getLogger(__name__)

MODELS = Path(__file__).resolve().parent.parent / "models"
MODEL_FILE = "reader-int8.onnx"
CONFIG_FILE = "reader.json"  # what training chose: depth, weight, threshold; and the data card's figures
WINDOW_SENTENCES = 3
MAX_PAIR_PIECES = 160  # question + window + 3 special pieces; a longer window is cut at the end
MAX_QUESTION_PIECES = 48  # a longer question is cut (its start usually sets the scene)
MAX_ANSWER_PIECES = 24
ALTERNATIVES = 4  # next best spans kept per window, for an answer of the kind the question asks
SEPARATOR = " "

@dataclass(frozen=True)
class Window:
    """The sentences of a passage the reader reads, joined by ``SEPARATOR``.

    ``pieces`` holds, per sentence, its ``(start, end)`` in ``text`` and its start in the
    passage, so a span found in the window maps back to the passage.
    """

    chunk_id: int
    text: str
    pieces: tuple[tuple[int, int, int], ...]
    scores: tuple[float, ...] = ()  # each sentence's answering score (qa/search/highlight.py)

    def to_passage(self, start: int, end: int) -> tuple[int, int]:
        """A span of ``text`` (inside one sentence) as a span of the passage."""
        for s, e, origin in self.pieces:
            if s <= start < e or (start == e and end == e):
                return origin + start - s, origin + min(end, e) - s
        raise ValueError(f"span {start}-{end} is outside the window's sentences")

    def sentence_of(self, start: int) -> tuple[int, int]:
        """The passage span of the sentence that holds window offset ``start``."""
        for s, e, origin in self.pieces:
            if s <= start < e:
                return origin, origin + e - s
        raise ValueError(f"offset {start} is outside the window's sentences")


def make_window(chunk_id: int, passage: str, spans: Sequence[tuple[int, int]], scores: Sequence[float],
                size: int = WINDOW_SENTENCES) -> Window | None:
    """The ``size`` best quotable sentences of ``passage`` (``spans`` local to it, with
    their ``scores``), in passage order; None when no sentence is quotable."""
    usable = [i for i, (s, e) in enumerate(spans) if quotable(passage[s:e])]
    if not usable:
        return None
    best = sorted(sorted(usable, key=lambda i: -scores[i])[:size])
    text, pieces = "", []
    for i in best:
        s, e = spans[i]
        s += dateline_length(passage[s:e])  # where the story was filed is never its answer
        if text:
            text += SEPARATOR
        pieces.append((len(text), len(text) + e - s, s))
        text += passage[s:e]
    return Window(chunk_id, text, tuple(pieces), tuple(float(scores[i]) for i in best))


def windows(evidence, chunk_ids: Sequence[int]) -> dict[int, Window]:
    """The window of each candidate (those with no quotable sentence are left out)."""
    out = {}
    for chunk_id in chunk_ids:
        row = evidence.rows[chunk_id]
        spans, vectors = evidence.sentences[chunk_id]
        local = [(s - row.start, e - row.start) for s, e in spans]
        scores = sentence_scores(evidence.vector, evidence.query.weights, row.text, local, vectors)
        found = make_window(chunk_id, row.text, local, scores)
        if found is not None:
            out[chunk_id] = found
    return out


@dataclass(frozen=True)
class Reading:
    """What the reader found in one window."""

    has_answer: float  # probability that the window answers the question
    span: tuple[int, int]  # the best answer span, in the window's text
    span_probability: float  # its probability, given that the window holds an answer
    score: float  # has_answer x span_probability: how the readings of one question compare
    # the next best spans (window text offsets, probability given an answer), best first
    alternatives: tuple[tuple[int, int, float], ...] = ()
    # log of the sums of exp(start logit) and exp(end logit) over the window's pieces: with
    # those of the other windows read, they put its spans on one scale (qa/search/verdict.py)
    start_mass: float = 0.0
    end_mass: float = 0.0


def load_tokenizer():
    """The reader's tokenizer (the embedder's own: one loader for both, index.minilm_tokenizer)."""
    return minilm_tokenizer("the reader")


@dataclass(frozen=True)
class Encoded:
    """A batch of (question, window) pairs as the model reads them."""

    ids: np.ndarray  # (pairs, pieces) int64, 0-padded
    mask: np.ndarray
    types: np.ndarray
    offsets: list[list[tuple[int, int]]]  # per pair, per piece: character span in the window (0, 0 if none)
    context: np.ndarray  # (pairs, pieces) bool: a piece of the window


def encode(tokenizer, question: str, texts: Sequence[str]) -> Encoded:
    """Pairs cut to ``MAX_PAIR_PIECES``: the question to ``MAX_QUESTION_PIECES``, the window
    to what is left (the same encoding trains the model and serves it)."""
    q = tokenizer.encode(question, add_special_tokens=False)
    q_ids = q.ids[:MAX_QUESTION_PIECES]
    room = MAX_PAIR_PIECES - len(q_ids) - 3
    rows = []
    for enc in tokenizer.encode_batch(list(texts), add_special_tokens=False):
        rows.append((enc.ids[:room], enc.offsets[:room]))
    width = max((len(q_ids) + len(w) + 3 for w, _ in rows), default=0)
    n = len(rows)
    ids = np.zeros((n, width), dtype=np.int64)
    types = np.zeros_like(ids)
    mask = np.zeros_like(ids)
    context = np.zeros((n, width), dtype=bool)
    offsets = []
    cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    for r, (w_ids, w_offsets) in enumerate(rows):
        first = len(q_ids) + 2
        row = [cls, *q_ids, sep, *w_ids, sep]
        ids[r, : len(row)] = row
        mask[r, : len(row)] = 1
        types[r, first : len(row)] = 1
        context[r, first : first + len(w_ids)] = True
        offsets.append([(0, 0)] * first + list(w_offsets) + [(0, 0)])
    return Encoded(ids, mask, types, offsets, context)


def best_spans(start_logits: np.ndarray, end_logits: np.ndarray, encoded: Encoded, row: int,
               sentence_ids: np.ndarray, bias: np.ndarray | None = None, n: int = 1) -> list[tuple[int, int, float]]:
    """The ``n`` most probable (start piece, end piece) of one pair, each within one sentence,
    with their probability (start and end each a softmax over the window's pieces), best
    first. ``bias``: added to the log-probability of a span in each sentence (by sentence
    index) when choosing, not to the probability given."""
    allowed = encoded.context[row]
    s = np.where(allowed, start_logits, -np.inf)
    e = np.where(allowed, end_logits, -np.inf)
    s = s - np.logaddexp.reduce(s[allowed])
    e = e - np.logaddexp.reduce(e[allowed])
    width = len(s)
    pairs = s[:, None] + e[None, :]
    i, j = np.indices((width, width))
    valid = (j >= i) & (j - i < MAX_ANSWER_PIECES) & (sentence_ids[:, None] == sentence_ids[None, :]) \
        & (sentence_ids[:, None] >= 0)
    pairs = np.where(valid, pairs, -np.inf)
    chosen = pairs
    if bias is not None:
        chosen = pairs + np.where(sentence_ids >= 0, bias[np.maximum(sentence_ids, 0)], 0)[:, None]
    flat = chosen.ravel()
    n = min(n, int(np.isfinite(flat).sum()))
    best = np.argpartition(-flat, n - 1)[:n] if n > 0 else np.array([], dtype=np.int64)
    best = best[np.argsort(-flat[best], kind="stable")]
    return [(int(k) // width, int(k) % width, float(np.exp(pairs.ravel()[k]))) for k in best]


def masses(start_logits: np.ndarray, end_logits: np.ndarray, encoded: Encoded, row: int) -> tuple[float, float]:
    """log sum exp of the start and of the end logits over one pair's window pieces."""
    allowed = encoded.context[row]
    return float(np.logaddexp.reduce(start_logits[allowed])), float(np.logaddexp.reduce(end_logits[allowed]))


def sentence_ids(encoded: Encoded, row: int, window: Window) -> np.ndarray:
    """For each piece of a pair, the index of the window sentence it lies in (-1: none)."""
    out = np.full(encoded.ids.shape[1], -1, dtype=np.int64)
    for p, (a, b) in enumerate(encoded.offsets[row]):
        if not encoded.context[row, p] or b <= a:
            continue
        for k, (s, e, _) in enumerate(window.pieces):
            if s <= a < e:
                out[p] = k
                break
    return out


def widen(text: str, start: int, end: int) -> tuple[int, int]:
    """A span grown to whole words (a word piece may start or end inside one), trimmed of
    punctuation at its ends that is not part of a number or a name."""
    while start > 0 and text[start - 1].isalnum():
        start -= 1
    while end < len(text) and text[end].isalnum():
        end += 1
    if text[end : end + 1] == "." and _abbreviation(text, end + 1):
        end += 1
    while end > start and text[end - 1] in ",;:.)]\"'”’" and not (text[end - 1] == "." and _abbreviation(text, end)):
        if text[end - 1] in ")]" and "(" in text[start:end] or text[end - 1] in "\"'”’" and _quoted(text, start, end):
            break
        end -= 1
    while start < end and text[start] in "([\"'“‘,;:" and not (text[start] in "([" and ")" in text[start:end]):
        if text[start] in "\"'“‘" and _quoted(text, start, end):
            break
        start += 1
    return start, end


def _abbreviation(text: str, end: int) -> bool:
    word = text[:end].split()[-1] if text[:end].split() else ""
    return len(word) <= 4 and word.count(".") >= 2  # "U.S." keeps its last stop


def _quoted(text: str, start: int, end: int) -> bool:
    inner = text[start:end]
    return inner[:1] in "\"“‘'" and inner[-1:] in "\"”’'" and len(inner) > 2


class Reader:
    """The ONNX model, its tokenizer and the settings chosen when it was trained."""

    def __init__(self, folder: Path = MODELS, threads: int | None = None):
        path = Path(folder) / MODEL_FILE
        fix = "reinstall article-qa, or retrain it with `pip install -e '.[train]'` and `python bench/train_reader.py`"
        if not path.is_file():
            raise ModelLoadError(f"the reader model {path} is missing: {fix}")
        self.config = ReaderConfig.read(Path(folder) / CONFIG_FILE)
        verified(path, self.config.model_sha256, fix, "the reader model")  # as recorded in reader.json
        self.session = onnx_session(path, "the reader model", fix, threads)  # made as the embedder's is
        self.tokenizer = load_tokenizer()

    def logits(self, encoded: Encoded) -> np.ndarray:
        """(pairs, pieces, 3): start, end and (at piece 0) has-answer logits (0 past a pair's end).

        Each pair runs alone, at its own length: no piece is spent on padding (15% of the
        model's time for a question's three windows, bench/reader_batch.py), and a pair's
        reading does not depend on the pairs beside it (int8 dynamic quantization scales the
        activations of a whole run)."""
        pairs, width = encoded.ids.shape
        out = np.zeros((pairs, width, 3), dtype=np.float32)
        for row in range(pairs):
            length = int(encoded.mask[row].sum())
            feed = {"input_ids": encoded.ids[row:row + 1, :length],
                    "attention_mask": encoded.mask[row:row + 1, :length],
                    "token_type_ids": encoded.types[row:row + 1, :length]}
            out[row, :length] = self.session.run(None, feed)[0][0]
        return out

    def read(self, question: str, found: Sequence[Window]) -> list[Reading]:
        """A :class:`Reading` of each window, in order. The trained ``sentence_weight`` x a
        sentence's answering score is added to the log-probability of the spans in it: the
        reader's span, in the sentence that best answers."""
        weight = self.config.sentence_weight
        if not found:
            return []
        encoded = encode(self.tokenizer, question, [w.text for w in found])
        logits = self.logits(encoded)
        readings = []
        for row, window in enumerate(found):
            has = float(sigmoid(logits[row, 0, 2]))
            ids = sentence_ids(encoded, row, window)
            if not (ids >= 0).any():
                readings.append(Reading(has, (0, 0), 0.0, 0.0))
                continue
            bias = weight * np.array(window.scores) if weight and window.scores else None
            spans = []
            for start, end, p in best_spans(logits[row, :, 0], logits[row, :, 1], encoded, row, ids, bias,
                                            ALTERNATIVES + 1):
                a, b = widen(window.text, encoded.offsets[row][start][0], encoded.offsets[row][end][1])
                if b > a and all((a, b) != (x, y) for x, y, _ in spans):
                    spans.append((a, b, p))
            if not spans:
                readings.append(Reading(has, (0, 0), 0.0, 0.0))
                continue
            (a, b, p), rest = spans[0], tuple(spans[1:])
            start_mass, end_mass = masses(logits[row, :, 0], logits[row, :, 1], encoded, row)
            readings.append(Reading(has, (a, b), p, has * p, rest, start_mass, end_mass))
        return readings


@dataclass(frozen=True)
class ReaderConfig:
    depth: int  # candidates read per question
    weight: float  # of has_answer, added to the candidate's ranking score
    threshold: float  # has_answer from which a passage's own short answer marks its sentence
    calibration: Calibration  # the probability that the answer is right, and the bars on it
    sentence_weight: float = 0.0  # of a sentence's answering score, in choosing the span
    model_sha256: str = ""  # of the model file these settings were fitted for: checked at load

    @classmethod
    def read(cls, path: Path) -> ReaderConfig:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(int(data["depth"]), float(data["weight"]), float(data["threshold"]),
                       Calibration.from_dict(data["calibration"]), float(data.get("sentence_weight", 0.0)),
                       str(data["model_sha256"]))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ModelLoadError(f"cannot read the reader's settings {path} ({exc}): reinstall article-qa, or "
                                 "retrain it with `python bench/train_reader.py`") from exc


@functools.lru_cache(maxsize=2)
def load_reader(folder: str = str(MODELS), threads: int | None = None) -> Reader:
    """The shipped reader, loaded once per process (per number of ``threads`` a call may use)."""
    return Reader(Path(folder), threads)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.clip(x, -30, 30)))
