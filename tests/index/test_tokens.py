import pytest

from index.errors import TokenizerError
from index.text.tokens import get_encoding, packaged_bpe_bytes


def test_cl100k_resolves_offline_and_matches_tiktoken_ids():
    enc = get_encoding("cl100k_base")
    # ids published for cl100k_base; a wrong rank file would give different ones
    assert enc.encode("hello world") == [15339, 1917]
    assert enc.decode(enc.encode("who holds Tal Rifaat?")) == "who holds Tal Rifaat?"


def test_o200k_resolves_offline():
    enc = get_encoding("o200k_base")
    assert enc.name == "o200k_base"
    assert enc.decode(enc.encode("Tal Rifaat")) == "Tal Rifaat"


def test_packaged_file_is_the_one_tiktoken_expects():
    import hashlib

    data = packaged_bpe_bytes("cl100k_base")
    assert hashlib.sha256(data).hexdigest() == "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"


def test_encoding_is_the_fast_rust_one():
    import tiktoken

    assert isinstance(get_encoding("cl100k_base"), tiktoken.Encoding)


def test_unknown_encoding_says_which_work():
    with pytest.raises(TokenizerError, match="cl100k_base"):
        get_encoding("no_such_encoding")
