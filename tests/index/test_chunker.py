import pytest

from index.errors import SettingsError, TextTooLongError
from index.formats import read_articles
from index.text.chunker import Chunker
from index.text.tokens import get_encoding
from tests.conftest import DEMO
from tests.fakes import HashingEmbedder

ENC = get_encoding("cl100k_base")


def demo_texts():
    return [a.text for path in sorted(DEMO.iterdir()) for a in read_articles(path)]


def long_text(n_sentences=60):
    return " ".join(f"Sentence number {i} tells of the town and the offensive near Aleppo in some detail."
                    for i in range(n_sentences))


def check_invariants(chunker, text):
    result = chunker.chunk(text)
    starts = {s.start for s in result.sentences}
    ends = {s.end for s in result.sentences}
    for c in result.chunks:
        assert text[c.start:c.end] == c.text
        assert c.start in starts and c.end in ends, "chunks start and end at sentence boundaries"
        assert len(ENC.encode_ordinary(c.text)) == c.n_tokens <= chunker.max_tokens
        assert result.sentences[c.first_sentence].start == c.start
        assert result.sentences[c.last_sentence - 1].end == c.end
    covered = set()
    for c in result.chunks:
        covered.update(range(c.first_sentence, c.last_sentence))
    assert covered == set(range(len(result.sentences))), "every sentence is in some chunk"
    return result


@pytest.mark.parametrize("max_tokens,overlap", [(200, 40), (64, 16), (120, 0)])
def test_sizes_spans_and_sentence_boundaries(max_tokens, overlap):
    chunker = Chunker(ENC, max_tokens, overlap)
    for text in [*demo_texts(), long_text()]:
        check_invariants(chunker, text)


def test_windows_overlap_by_whole_sentences():
    text = long_text()
    result = check_invariants(Chunker(ENC, 100, 40), text)
    pairs = list(zip(result.chunks, result.chunks[1:]))
    assert len(pairs) >= 5
    for a, b in pairs[:-1]:  # the last window is filled backwards and may overlap more
        assert b.first_sentence < a.last_sentence, "consecutive chunks share sentences"
        shared = text[result.sentences[b.first_sentence].start:result.sentences[a.last_sentence - 1].end]
        assert 0 < len(ENC.encode_ordinary(shared)) <= 40


def test_last_window_is_not_a_stub():
    chunker = Chunker(ENC, 100, 20)
    result = chunker.chunk(long_text(13))
    assert result.chunks[-1].n_tokens > 60


def test_sentence_longer_than_a_window_is_cut_at_spaces():
    text = " ".join(["word"] * 700)  # one "sentence", no punctuation
    result = check_invariants(Chunker(ENC, 100, 10), text)
    assert len(result.chunks) >= 7
    assert all(not c.text.startswith(" ") and not c.text.endswith(" ") for c in result.chunks)


def test_overlap_must_be_smaller_than_the_window():
    with pytest.raises(SettingsError, match="overlap=200"):
        Chunker(ENC, 200, 200)


def test_model_limit_splits_chunks_with_a_small_model():
    model = HashingEmbedder(max_seq_length=20)  # 18 words at most
    chunker = Chunker(ENC, 200, 40, model.count_tokens, model.max_seq_length)
    result = check_invariants(chunker, long_text())
    texts = [c.text for c in result.chunks] + [s.of(long_text()) for s in result.sentences]
    assert max(model.count_tokens(texts)) <= 20


@pytest.mark.model
def test_no_chunk_or_sentence_exceeds_the_real_models_word_piece_limit(real_embedder):
    # Russian news text costs about two word pieces per cl100k token: 200-token windows
    # would be ~400 word pieces, beyond MiniLM's 256, and be truncated silently.
    sentence = ("Пророссийские силы заявили, что продолжают наступление в провинции, "
                "а местные жители рассказали журналистам о длинных очередях на дорогах. ")
    text = sentence * 30
    plain = Chunker(ENC, 200, 40)
    assert max(real_embedder.count_tokens([c.text for c in plain.chunk(text).chunks])) > 256, \
        "the text must be one that would overflow the model without the check"
    chunker = Chunker(ENC, 200, 40, real_embedder.count_tokens, real_embedder.max_seq_length)
    result = check_invariants(chunker, text)
    pieces = [c.text for c in result.chunks] + [s.of(text) for s in result.sentences]
    assert max(real_embedder.count_tokens(pieces)) <= real_embedder.max_seq_length
    real_embedder.embed(pieces)  # and the embedder accepts every piece


@pytest.mark.model
def test_the_real_embedder_refuses_to_truncate(real_embedder):
    with pytest.raises(TextTooLongError, match="256"):
        real_embedder.embed(["word " * 400])
