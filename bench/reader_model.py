"""The reader's network for training (torch): a BERT encoder and one linear head.

The head gives three numbers per piece: start and end logits of the answer span, and at
the first piece ([CLS]) the has-answer logit. qa/search/reader.py reads the same three numbers
from the exported ONNX model.
"""

from __future__ import annotations

import numpy as np
import torch

NEG = -1e4  # logit of a piece that cannot start or end an answer


class ReaderModel(torch.nn.Module):
    def __init__(self, bert):
        super().__init__()
        self.bert = bert
        self.head = torch.nn.Linear(bert.config.hidden_size, 3)

    def forward(self, input_ids, attention_mask, token_type_ids):
        hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                           token_type_ids=token_type_ids).last_hidden_state
        return self.head(hidden)


def collate(rows):
    width = max(len(r[0]) for r in rows)
    ids = np.zeros((len(rows), width), dtype=np.int64)
    types = np.zeros_like(ids)
    mask = np.zeros_like(ids)
    context = np.zeros((len(rows), width), dtype=bool)
    for i, (row_ids, row_types, row_context, *_rest) in enumerate(rows):
        n = len(row_ids)
        ids[i, :n], types[i, :n], mask[i, :n], context[i, :n] = row_ids, row_types, 1, row_context
    labels = np.array([[r[3], r[4], r[5]] for r in rows], dtype=np.int64)
    return (torch.from_numpy(ids), torch.from_numpy(mask), torch.from_numpy(types), torch.from_numpy(context),
            torch.from_numpy(labels))


def loss_of(model: ReaderModel, rows) -> torch.Tensor:
    """Has-answer cross-entropy, plus the span's start and end cross-entropy (over the
    window's pieces) for the examples that answer."""
    ids, mask, types, context, labels = collate(rows)
    out = model(ids, mask, types)
    has = out[:, 0, 2]
    answers = labels[:, 2].float()
    loss = torch.nn.functional.binary_cross_entropy_with_logits(has, answers)
    if answers.any():
        chosen = labels[:, 2] == 1
        start = out[chosen, :, 0].masked_fill(~context[chosen], NEG)
        end = out[chosen, :, 1].masked_fill(~context[chosen], NEG)
        span = (torch.nn.functional.cross_entropy(start, labels[chosen, 0]) +
                torch.nn.functional.cross_entropy(end, labels[chosen, 1])) / 2
        loss = loss + span
    return loss


def evaluate(model: ReaderModel, rows, batch: int = 64) -> dict:
    """Validation figures of ``rows`` (the training rows' shape): mean loss, has-answer
    accuracy (at 0.5), and for the answering ones the share whose best start and end are
    both the labelled ones."""
    model.eval()
    losses, right, exact, answering = [], 0, 0, 0
    ordered = sorted(rows, key=lambda r: len(r[0]))
    with torch.no_grad():
        for i in range(0, len(ordered), batch):
            chunk = ordered[i : i + batch]
            losses.append(float(loss_of(model, chunk)) * len(chunk))
            ids, mask, types, context, labels = collate(chunk)
            out = model(ids, mask, types)
            right += int(((out[:, 0, 2] > 0).long() == labels[:, 2]).sum())
            chosen = labels[:, 2] == 1
            if chosen.any():
                start = out[chosen, :, 0].masked_fill(~context[chosen], NEG).argmax(dim=1)
                end = out[chosen, :, 1].masked_fill(~context[chosen], NEG).argmax(dim=1)
                exact += int(((start == labels[chosen, 0]) & (end == labels[chosen, 1])).sum())
                answering += int(chosen.sum())
    n = max(1, len(rows))
    return {"loss": round(sum(losses) / n, 4), "has_answer_accuracy": round(right / n, 4),
            "span_exact": round(exact / max(1, answering), 4)}
