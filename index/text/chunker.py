"""Cut an article into overlapping token windows that end at sentence boundaries.

Sizes are counted in tiktoken tokens. Every piece that will be embedded (each chunk
and each sentence) is also measured in the embedding model's own tokens and split
further when it would not fit: the model never truncates a text silently.

Sentences longer than a window are cut into window-sized pieces at spaces; those
pieces then act as sentences. A chunk is always a run of whole sentences.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from index.errors import SettingsError
from index.text.sentences import Span, split_sentences, trimmed

Counter = Callable[[Sequence[str]], list[int]]


@dataclass(frozen=True)
class Chunk:
    """A window of an article: its character span and the sentences it spans."""

    start: int
    end: int
    text: str
    n_tokens: int  # tiktoken tokens
    first_sentence: int  # index into ChunkedArticle.sentences
    last_sentence: int  # exclusive


@dataclass(frozen=True)
class ChunkedArticle:
    sentences: list[Span]
    chunks: list[Chunk]


class Chunker:
    """Token-window chunker.

    ``model_counter`` gives each text's length in the embedding model's tokens (special
    tokens included) and ``model_limit`` the model's maximum; with them, no chunk or
    sentence exceeds what the model reads.
    """

    def __init__(self, encoding, max_tokens: int = 200, overlap: int = 40,
                 model_counter: Counter | None = None, model_limit: int | None = None):
        if not 0 <= overlap < max_tokens:
            raise SettingsError(f"overlap={overlap} must be >= 0 and smaller than max_tokens={max_tokens}")
        if (model_counter is None) != (model_limit is None):
            raise SettingsError("model_counter and model_limit go together: give both or neither")
        self.encoding = encoding
        self.max_tokens = max_tokens
        self.overlap = overlap
        self.model_counter = model_counter
        self.model_limit = model_limit

    def chunk(self, text: str) -> ChunkedArticle:
        sentences = self._fit_model(text, self._fit_window(text, split_sentences(text)))
        counts = self._count(text, sentences)
        chunks = self._fit_chunks(text, sentences, counts, list(self._windows(sentences, counts)))
        return ChunkedArticle(sentences, chunks)

    # -- sentences -------------------------------------------------------------------

    def _count(self, text: str, spans: Sequence[Span]) -> list[int]:
        return [len(t) for t in self.encoding.encode_ordinary_batch([s.of(text) for s in spans])]

    def _fit_window(self, text: str, spans: list[Span]) -> list[Span]:
        out: list[Span] = []
        for span, n in zip(spans, self._count(text, spans)):
            out.extend(self._cut_by_tokens(text, span) if n > self.max_tokens else [span])
        return out

    def _cut_by_tokens(self, text: str, span: Span) -> list[Span]:
        """Cut an over-long sentence into pieces of at most ``max_tokens`` tokens."""
        tokens = self.encoding.encode_ordinary(span.of(text))
        _, offsets = self.encoding.decode_with_offsets(tokens)
        pieces: list[Span] = []
        begin = 0  # token index where the current piece starts
        while len(tokens) - begin > self.max_tokens:
            cut = begin + self.max_tokens
            # back off to a token that starts with a space, within the second half of the piece
            for i in range(cut, begin + self.max_tokens // 2, -1):
                if span.of(text)[offsets[i] : offsets[i] + 1].isspace():
                    cut = i
                    break
            pieces.append(Span(span.start + offsets[begin], span.start + offsets[cut]))
            begin = cut
        pieces.append(Span(span.start + offsets[begin], span.end))
        return [p for p in (trimmed(text, p) for p in pieces) if p is not None]

    def _fit_model(self, text: str, spans: list[Span]) -> list[Span]:
        """Halve, at a space, every sentence longer than the model reads."""
        if self.model_counter is None:
            return spans
        out: list[Span] = []
        todo = list(spans)
        while todo:
            lengths = self.model_counter([s.of(text) for s in todo])
            again: list[Span] = []
            for span, n in zip(todo, lengths):
                if n <= self.model_limit:
                    out.append(span)
                else:
                    again.extend(_halve(text, span))
            todo = again
        return sorted(out, key=lambda s: s.start)

    # -- chunks ----------------------------------------------------------------------

    def _windows(self, spans: list[Span], counts: list[int]):
        """(first, last) sentence ranges: greedy windows with a sentence-aligned overlap."""
        n = len(spans)
        first = 0
        while first < n:
            last, total = first, 0
            while last < n:
                gap = 1 if last > first else 0  # the space or paragraph break between sentences
                if last > first and total + gap + counts[last] > self.max_tokens:
                    break
                total += gap + counts[last]
                last += 1
            if last >= n:
                # the last window ends the article: fill it backwards rather than leave a stub
                while first > 0 and total + counts[first - 1] + 1 <= self.max_tokens:
                    first -= 1
                    total += counts[first] + 1
                yield first, last
                return
            yield first, last
            start, tail = last, 0
            while start - 1 > first and tail + counts[start - 1] + 1 <= self.overlap:
                start -= 1
                tail += counts[start] + 1
            first = start

    def _fit_chunks(self, text, spans, counts, ranges) -> list[Chunk]:
        """Chunks for sentence ranges, each halved until it fits the window and the model."""
        chunks: list[Chunk] = []
        while ranges:
            texts = [text[spans[first].start : spans[last - 1].end] for first, last in ranges]
            n_tokens = [len(t) for t in self.encoding.encode_ordinary_batch(texts)]
            model = self.model_counter(texts) if self.model_counter else [0] * len(texts)
            again = []
            for (first, last), chunk_text, n, m in zip(ranges, texts, n_tokens, model):
                too_long = n > self.max_tokens or (self.model_limit is not None and m > self.model_limit)
                if too_long and last - first > 1:
                    middle = _token_middle(counts, first, last)
                    again += [(first, middle), (middle, last)]
                else:
                    chunks.append(Chunk(spans[first].start, spans[last - 1].end, chunk_text, n, first, last))
            ranges = again
        return sorted(chunks, key=lambda c: c.start)


def _token_middle(counts: list[int], first: int, last: int) -> int:
    half, running = sum(counts[first:last]) / 2, 0
    for i in range(first, last - 1):
        running += counts[i]
        if running >= half:
            return i + 1
    return last - 1


def _halve(text: str, span: Span) -> list[Span]:
    middle = (span.start + span.end) // 2
    cut = text.rfind(" ", span.start + 1, middle + 1)
    if cut <= span.start:
        cut = text.find(" ", middle, span.end - 1)
    if cut <= span.start:
        cut = middle  # no space at all: cut inside the word
    return [p for p in (trimmed(text, Span(span.start, cut)), trimmed(text, Span(cut, span.end))) if p]
