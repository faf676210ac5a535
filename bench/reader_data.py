"""The reader's training and tuning data, from ../shared/data (licensed sets only).

* ``questions(part)``: extractive QA questions with their paragraph and answer spans, from
  ``train/`` (Natural Questions QED, SQuADShifts new-wiki / Reddit / Amazon) and squad11-dev
  split by article (``bench/splits.py``). Parts: ``train`` (train/ except nq-qed-dev, plus
  squad11-dev's "fit" articles), ``tune`` (nq-qed-dev and squad11-dev's "tune" articles:
  thresholds and weights are chosen there). squad11-dev's "validation" articles and
  realtimeqa-dev are never read here.
* ``paragraphs_file``: those paragraphs as an articles.jsonl, to ingest into a scratch index
  so that each question's windows come from our own retrieval, as at question time.
* mining (bench/train_reader.py): each question asked of that index; the windows of its
  best candidates, labelled with the answer's position when they hold an answer string, else
  as no-answer (our own near misses); the question asked again of the other sets only (an
  archive without its topic: what a question the articles cannot answer meets); an
  unrelated window; and, when retrieval found no window holding the answer, one made from
  the gold paragraph.

Natural Questions text is tokenized with spaces around punctuation; ``detokenize`` joins it
back (keeping the answer offsets) so that the reader learns from text as articles have it.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from splits import part as squad_part  # noqa: E402

from index.text.sentences import split_sentences  # noqa: E402
from qa.evaluation import normalize  # noqa: E402
from qa.search.reader import Window, make_window, quotable  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
TRAIN_SETS = ("nq-qed-train", "squadshifts-new-wiki", "squadshifts-reddit", "squadshifts-amazon")
TUNE_SETS = ("nq-qed-dev",)
LICENSES = {
    "nq-qed-train": "CC BY-SA 3.0 (Natural Questions)", "nq-qed-dev": "CC BY-SA 3.0 (Natural Questions)",
    "squadshifts-new-wiki": "CC BY 4.0 (SQuADShifts)", "squadshifts-reddit": "CC BY 4.0 (SQuADShifts)",
    "squadshifts-amazon": "CC BY 4.0 (SQuADShifts)", "squad11-dev": "CC BY-SA 4.0 (SQuAD v1.1 dev)",
}

# what the NQ tokenization did to the text, and how to undo it: spaces before closing
# punctuation and clitics, after opening brackets, around hyphens inside words; `` and ''
_UNDO = (
    (re.compile(r" (?=[.,:;!?%)\]}]|'s\b|'re\b|'ve\b|'ll\b|'d\b|'m\b|n't\b)|(?<=[(\[{$]) "), ""),
    (re.compile(r"(?<=\w) - (?=\w)"), "-"),
    (re.compile(r"`` ?"), "\u201c"),
    (re.compile(r" ?''"), "\u201d"),
)


@dataclass(frozen=True)
class Question:
    id: str
    source: str  # the set it comes from
    paragraph: str  # id of its paragraph (an "article" of the scratch index)
    context: str
    question: str
    answers: tuple[str, ...]  # every annotated answer text
    start: int  # the first answer's offset in context


def detokenize(text: str, starts: list[int]) -> tuple[str, list[int]]:
    """``text`` as it was before the NQ tokenization; ``starts`` moved to match (an offset
    inside a rewritten stretch moves to its start)."""
    for pattern, replacement in _UNDO:
        out, moved, last, shift = [], list(starts), 0, 0
        for match in pattern.finditer(text):
            out.append(text[last : match.start()])
            out.append(replacement)
            delta = len(replacement) - (match.end() - match.start())
            moved = [m + delta if s >= match.end() else (match.start() + shift if s > match.start() else m)
                     for s, m in zip(starts, moved)]
            shift += delta
            last = match.end()
        out.append(text[last:])
        text, starts = "".join(out), moved
    return text, starts


def _records(name: str) -> Iterator[dict]:
    with open(DATA / "train" / f"{name}.jsonl", encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def _from_train_set(name: str) -> Iterator[Question]:
    nq = name.startswith("nq-")
    for record in _records(name):
        context = record["context"]
        for qa in record["qas"]:
            answers = [a for a in qa["answers"] if a["text"].strip()]
            if not answers:
                continue
            texts = [a["text"] for a in answers]
            start = answers[0]["start"]
            text = context
            if nq:
                text, (start,) = detokenize(context, [start])
                texts = [detokenize(t, [])[0] for t in texts]
            if text[start : start + len(texts[0])] != texts[0]:
                continue  # detokenizing moved the answer's inside: rare, dropped
            yield Question(qa["id"], name, f"{name}:{record['id']}", text, qa["question"], tuple(texts), start)


def _from_squad(parts: tuple[str, ...]) -> Iterator[Question]:
    articles = {}
    with open(DATA / "squad11-dev" / "articles.jsonl", encoding="utf-8") as handle:
        for line in handle:
            a = json.loads(line)
            articles[a["id"]] = a
    with open(DATA / "squad11-dev" / "questions.jsonl", encoding="utf-8") as handle:
        for line in handle:
            q = json.loads(line)
            if squad_part(q["article_id"]) not in parts:
                continue
            context = q["gold_passage"]
            flat = context.lower()
            starts = [flat.find(a.lower()) for a in q["answers"] if a.strip()]
            found = [(s, a) for s, a in zip(starts, q["answers"]) if s >= 0]
            if not found:
                continue
            start, answer = found[0]
            key = hashlib.sha1(context.encode()).hexdigest()[:12]
            yield Question(q["id"], "squad11-dev", f"squad:{key}", context, q["question"],
                           tuple(q["answers"]), start)


def questions(which: str) -> list[Question]:
    """``train`` or ``tune`` (see the module's docstring)."""
    if which == "train":
        return [q for name in TRAIN_SETS for q in _from_train_set(name)] + list(_from_squad(("fit",)))
    if which == "tune":
        return [q for name in TUNE_SETS for q in _from_train_set(name)] + list(_from_squad(("tune",)))
    raise ValueError(f"part {which!r}: use train or tune")


def paragraphs_file(qs: list[Question], path: Path) -> Path:
    """One article per paragraph (its id the question's ``paragraph``, its outlet the set it
    comes from), for ``qa ingest``."""
    seen = set()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as out:
        for q in qs:
            if q.paragraph in seen:
                continue
            seen.add(q.paragraph)
            title = q.context.split(". ")[0][:80]
            out.write(json.dumps({"id": q.paragraph, "title": title, "text": q.context, "source": q.source}) + "\n")
    return path


@dataclass(frozen=True)
class Example:
    """One (question, window) pair with its label: the answer's character span in the
    window, or None for a window that does not answer."""

    question: str
    window: str
    answer: tuple[int, int] | None
    kind: str  # retrieved, gold, unrelated


def answer_in(window: Window, answers: tuple[str, ...]) -> tuple[int, int] | None:
    """The first occurrence of an answer string inside one of the window's sentences."""
    flat = window.text.lower()
    best = None
    for answer in answers:
        wanted = answer.strip().lower()
        if not wanted:
            continue
        at = flat.find(wanted)
        while at >= 0:
            if any(s <= at and at + len(wanted) <= e for s, e, _ in window.pieces):
                if best is None or at < best[0]:
                    best = (at, at + len(wanted))
                break
            at = flat.find(wanted, at + 1)
    return best


def holds(text: str, answers: tuple[str, ...]) -> bool:
    flat = normalize(text)
    return any(normalize(a) in flat for a in answers if a.strip())


def gold_window(q: Question, rng: random.Random) -> Window | None:
    """The sentence holding the gold answer and up to two others of its paragraph, chosen by
    the question's words, in order."""
    spans = [(s.start, s.end) for s in split_sentences(q.context)]
    holding = [i for i, (s, e) in enumerate(spans) if s <= q.start < e]
    if not holding or not quotable(q.context[slice(*spans[holding[0]])]):
        return None
    words = set(normalize(q.question).split())
    scores = [len(words & set(normalize(q.context[s:e]).split())) + rng.random() for s, e in spans]
    scores[holding[0]] = float("inf")
    return make_window(0, q.context, spans, scores)


def unrelated_window(texts: list[str], rng: random.Random) -> Window | None:
    text = rng.choice(texts)
    spans = [(s.start, s.end) for s in split_sentences(text)]
    return make_window(0, text, spans, [rng.random() for _ in spans]) if spans else None
