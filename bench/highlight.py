"""How often the marked sentence holds the answer, by highlight rule, on the dev sets.

    python bench/highlight.py [--sets squad11-dev realtimeqa-dev] [--every 2]

Sentence vectors three ways, in one run: *encoded* (each sentence through the model on its
own), the same *stored 8-bit* (as the database keeps them: index/store/codec.py), and *pooled*
(the token vectors of the sentence inside the first chunk that holds it, from that
chunk's one pass).

For each question, the article is chunked as the product chunks it, and the first chunk
that contains an answer string is taken (as if retrieval had found it). Among its
sentences, each rule marks one (or two adjacent ones); a hit is a marked span holding an
answer string (case-insensitive, whitespace-normalized, as ../shared/README.md defines).
Chunks where every sentence or no sentence holds the answer are left out.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.embed.loading import load_embedder  # noqa: E402
from index.store import codec  # noqa: E402
from index.text.chunker import Chunker  # noqa: E402
from index.text.tokens import get_encoding  # noqa: E402
from index.text.vocabulary import terms  # noqa: E402
from qa.search.highlight import choose_answer  # noqa: E402
from qa.search.query import QueryTerms  # noqa: E402


def norm(text: str) -> str:
    return " ".join(text.lower().split())


def pooled_sentences(embedder, parts) -> dict[tuple[int, int], np.ndarray]:
    """{sentence span in the article: its vector pooled from the first chunk that holds it}."""
    owner: dict[int, int] = {}
    for c, chunk in enumerate(parts.chunks):
        for i in range(chunk.first_sentence, chunk.last_sentence):
            owner.setdefault(i, c)
    spans = [[(parts.sentences[i].start - chunk.start, parts.sentences[i].end - chunk.start)
              for i in range(chunk.first_sentence, chunk.last_sentence) if owner[i] == c]
             for c, chunk in enumerate(parts.chunks)]
    _, pooled = embedder.embed_chunks([c.text for c in parts.chunks], spans)
    out = {}
    for c, chunk in enumerate(parts.chunks):
        mine = [i for i in range(chunk.first_sentence, chunk.last_sentence) if owner[i] == c]
        for k, i in enumerate(mine):
            out[(parts.sentences[i].start, parts.sentences[i].end)] = pooled[c][k]
    return out


def cases(data: Path, chunker: Chunker, every: int):
    articles = {a["id"]: a for a in map(json.loads, open(data / "articles.jsonl"))}
    questions = [json.loads(line) for line in open(data / "questions.jsonl")][::every]
    chunked = {}
    for q in questions:
        article = articles[q["article_id"]]
        parts = chunked.setdefault(article["id"], chunker.chunk(article["text"]))
        answers = [norm(a) for a in q["answers"]]
        for chunk in parts.chunks:
            if any(a in norm(chunk.text) for a in answers):
                spans = [(s.start, s.end) for s in parts.sentences[chunk.first_sentence:chunk.last_sentence]]
                labels = [any(a in norm(article["text"][s:e]) for a in answers) for s, e in spans]
                if any(labels) and not all(labels):
                    yield q["question"], chunk, article["text"], spans, answers, parts
                break


def document_frequencies(data: Path, chunker: Chunker) -> tuple[Counter, int]:
    df: Counter = Counter()
    total = 0
    for line in open(data / "articles.jsonl"):
        for chunk in chunker.chunk(json.loads(line)["text"]).chunks:
            df.update(set(terms(chunk.text)))
            total += 1
    return df, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", nargs="+", default=["squad11-dev", "realtimeqa-dev"])
    parser.add_argument("--every", type=int, default=2, help="use every n-th question")
    args = parser.parse_args()
    embedder = load_embedder()
    chunker = Chunker(get_encoding("cl100k_base"), 200, 40, embedder.count_tokens, embedder.max_seq_length)
    for name in args.sets:
        data = ROOT.parent / "shared" / "data" / name
        df, total = document_frequencies(data, chunker)
        rows = list(cases(data, chunker, args.every))
        sentences = sorted({text[s:e] for _, _, text, spans, _, _ in rows for s, e in spans})
        encoded = dict(zip(sentences, embedder.embed(sentences, batch_size=64)))
        pooled = {}
        for *_, parts in rows:
            if id(parts) not in pooled:
                pooled[id(parts)] = pooled_sentences(embedder, parts)
        queries = embedder.embed([q for q, *_ in rows])
        hits: Counter = Counter()
        for (question, chunk, text, spans, answers, parts), query in zip(rows, queries):
            qterms = QueryTerms.from_frequencies(question, df, total)
            rules = {"word overlap only": spans[int(np.argmax([qterms.overlap(text[s:e]) for s, e in spans]))]}
            exact = np.stack([encoded[text[s:e]] for s, e in spans])
            stored = codec.decode([codec.encode(v) for v in exact], exact.shape[1])
            for kind, matrix in (("encoded", exact), ("encoded, stored 8-bit", stored),
                                 ("pooled", np.stack([pooled[id(parts)][(s, e)] for s, e in spans]))):
                rules[f"{kind}: embedding similarity only"] = spans[int(np.argmax(matrix @ query))]
                answer = choose_answer(query, qterms, chunk.text, chunk.start, spans, matrix)
                rules[f"{kind}: blend + adjacent (product)"] = (answer.span[0] + chunk.start,
                                                                 answer.span[1] + chunk.start)
            for rule, (s, e) in rules.items():
                hits[rule] += any(a in norm(text[s:e]) for a in answers)
        print(f"{name}: {len(rows)} questions")
        for rule, hit in hits.items():
            print(f"  {rule:<40} {hit / len(rows):.3f}")


if __name__ == "__main__":
    main()
