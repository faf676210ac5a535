"""A training checkpoint of the reader that a cut-off run resumes from (bench/train_reader.py).

Two files in the model folder, each written whole or not at all (a temporary file renamed
into place): ``checkpoint.safetensors`` (the model's weights, AdamW's moments and step per
parameter) and ``checkpoint.json`` (the step reached, the learning-rate schedule's state, the
validation curve so far, the minutes trained, the learning rates). No pickle: tensors by safetensors, the rest JSON.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

WEIGHTS, STATE = "checkpoint.safetensors", "checkpoint.json"


def save_checkpoint(folder: Path, model, optimizer, schedule, state: dict) -> None:
    import torch
    from safetensors.torch import save_file

    tensors = {f"model.{k}": v.detach().contiguous() for k, v in model.state_dict().items()}
    moments = optimizer.state_dict()["state"]
    for index, slot in moments.items():
        for name, value in slot.items():
            tensor = value if torch.is_tensor(value) else torch.tensor(value)
            tensors[f"optimizer.{index}.{name}"] = tensor.detach().clone().contiguous()
    _replace(folder / WEIGHTS, lambda path: save_file(tensors, str(path)))
    record = dict(state, schedule={k: v for k, v in schedule.state_dict().items() if k != "lr_lambdas"},
                  rates=[group["lr"] for group in optimizer.param_groups])
    _replace(folder / STATE, lambda path: path.write_text(json.dumps(record, indent=1), encoding="utf-8"))


def load_checkpoint(folder: Path, model, optimizer, schedule) -> dict | None:
    """The state saved with the checkpoint (and the model, optimizer and schedule restored),
    or None when there is none."""
    from safetensors.torch import load_file

    if not (folder / WEIGHTS).exists() or not (folder / STATE).exists():
        return None
    tensors = load_file(str(folder / WEIGHTS))
    model.load_state_dict({k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")})
    saved = optimizer.state_dict()
    slots: dict[int, dict] = {}
    for key, value in tensors.items():
        if key.startswith("optimizer."):
            _, index, name = key.split(".", 2)
            slots.setdefault(int(index), {})[name] = value
    saved["state"] = slots
    state = json.loads((folder / STATE).read_text(encoding="utf-8"))
    for group, rate in zip(saved["param_groups"], state.pop("rates")):
        group["lr"] = rate
    optimizer.load_state_dict(saved)
    schedule.load_state_dict(dict(schedule.state_dict(), **state.pop("schedule")))
    return state


def _replace(target: Path, write) -> None:
    partial = target.with_name(target.name + ".partial")
    write(partial)
    with open(partial, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(partial, target)
