"""Bytes to text: size limit, binary detection and character-encoding detection.

UTF-8 is tried first (with or without a BOM), then UTF-16 by its BOM, then
``charset-normalizer`` guesses (cp1252, latin-1, Shift-JIS, ...). A file that is not
text in any encoding is refused with a reason, never decoded into garbage.
"""

from __future__ import annotations

import codecs
import logging
from pathlib import Path

from index.errors import ArticleError

log = logging.getLogger(__name__)

# Among equally plausible guesses, the encodings news files are most often saved in.
_COMMON = ["cp1252", "iso8859_1", "iso8859_15", "cp1250", "iso8859_2", "cp1251", "koi8_r",
           "shift_jis", "euc_jp", "gb18030", "big5", "euc_kr"]

_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def read_limited(path: Path, max_bytes: int) -> bytes:
    """The file's bytes, refusing files over ``max_bytes``."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise ArticleError(
                str(path), f"the file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit for one "
                "article: split it, or raise the limit with QA_MAX_FILE_MB / --max-file-mb")
        return path.read_bytes()
    except OSError as exc:
        raise ArticleError(str(path), f"cannot read the file ({exc.strerror or exc})") from exc


def decode(data: bytes, source: str) -> tuple[str, str | None]:
    """(text, note) from ``data`` in whatever encoding it is in; :class:`ArticleError` if it is
    not text. The note says how text that is not clean UTF-8 was read (None when it is)."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), None
            except UnicodeDecodeError as exc:
                raise ArticleError(source, f"broken {encoding} text (byte {exc.start})") from exc
    if b"\x00" in data[:8192]:
        raise ArticleError(source, "binary file, not text")
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    replaced = data.decode("utf-8", errors="replace")
    bad = replaced.count("\ufffd") - data.count("\ufffd".encode())
    good = sum(1 for ch in replaced if ord(ch) > 127 and ch != "\ufffd")
    if good >= bad:  # mostly UTF-8 with a few broken bytes: reading it as cp1252 would garble the rest
        log.info("%s: %d bytes are not UTF-8; replaced", source, bad)
        return replaced, (f"not valid UTF-8: {bad} broken byte sequence(s), the first at byte {first_bad}, "
                          "replaced with \ufffd")
    from charset_normalizer import from_bytes

    matches = from_bytes(data)
    best = matches.best()
    if best is None:
        raise ArticleError(source, "not text in any encoding we can detect")
    # short texts fit many code pages equally well; prefer a common one among the best
    tied = {m.encoding: m for m in matches if m.chaos <= best.chaos + 0.01}
    chosen = next((tied[e] for e in _COMMON if e in tied), best)
    log.info("%s: decoded as %s", source, chosen.encoding)
    return str(chosen), f"not UTF-8: read as {chosen.encoding}"
