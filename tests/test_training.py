"""The reader's training resumes where it was cut off: a run stopped after a checkpoint and
started again ends with the same weights as a run never stopped (bench/reader_checkpoint.py)."""

import sys

import pytest

from tests.conftest import ROOT

torch = pytest.importorskip("torch")
sys.path.insert(0, str(ROOT / "bench"))

from reader_checkpoint import load_checkpoint, save_checkpoint  # noqa: E402


def _made():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: min((s + 1) / 3, (20 - s) / 17))
    return model, optimizer, schedule


def _step(model, optimizer, schedule, step):
    batch = torch.randn(5, 4, generator=torch.Generator().manual_seed(step))
    model(batch).pow(2).mean().backward()
    optimizer.step()
    schedule.step()
    optimizer.zero_grad()


def test_a_resumed_run_ends_as_an_uncut_one(tmp_path):
    whole = _made()
    for step in range(10):
        _step(*whole, step)
    cut = _made()
    for step in range(4):
        _step(*cut, step)
    save_checkpoint(tmp_path, *cut, {"step": 4, "curve": [{"epoch": 0.5, "loss": 1.0}], "seconds": 12.0})
    assert not list(tmp_path.glob("*.partial"))  # written whole, then renamed
    resumed = _made()  # a new process: fresh model, optimizer and schedule
    state = load_checkpoint(tmp_path, *resumed)
    assert state == {"step": 4, "curve": [{"epoch": 0.5, "loss": 1.0}], "seconds": 12.0}
    for step in range(state["step"], 10):
        _step(*resumed, step)
    for a, b in zip(whole[0].state_dict().values(), resumed[0].state_dict().values()):
        assert torch.equal(a, b)
    assert whole[2].get_last_lr() == resumed[2].get_last_lr()


def test_no_checkpoint_means_a_fresh_start(tmp_path):
    assert load_checkpoint(tmp_path, *_made()) is None
