"""The reader's training resumes where it was cut off: a run stopped after a checkpoint and
started again ends with the same weights as a run never stopped (bench/reader_checkpoint.py),
and mining goes on after the last question it finished (bench/train_reader.py)."""

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


def test_mining_cut_off_goes_on_after_the_last_question_it_finished(tmp_path, monkeypatch):
    """Questions are mined one by one into a partial file; a stop in the middle of a question
    (or of a line) loses that question only, and the next run does it again and goes on."""
    import json
    from types import SimpleNamespace

    import train_reader

    asked = []

    def examples(index, q, texts, sets, rng):
        asked.append(q.id)
        return [{"question": q.id, "window": "w", "answer": None, "kind": "retrieved", "source": "s",
                 "paragraph": "p"}, {"question": q.id, "window": "v", "answer": None, "kind": "cross",
                                     "source": "s", "paragraph": "p"}]

    monkeypatch.setattr(train_reader, "question_examples", examples)
    qs = [SimpleNamespace(id=f"q{i}", source="s") for i in range(5)]
    out = tmp_path / "examples.jsonl"
    partial = tmp_path / "examples.jsonl.partial"
    lines = [json.dumps(e | {"q": 0}) for e in examples(None, qs[0], [], [], None)]
    lines += [json.dumps({"q": 0, "done": True})]
    lines += [json.dumps(examples(None, qs[1], [], [], None)[0] | {"q": 1})]  # q1 unfinished
    partial.write_text("\n".join(lines) + '\n{"q": 1, "que')  # and a line cut short
    asked.clear()
    found = train_reader.mine(None, qs, [], out)
    assert asked == ["q1", "q2", "q3", "q4"]  # q0 kept, q1 done again
    assert [e["question"] for e in found] == ["q0", "q0", "q1", "q1", "q2", "q2", "q3", "q3", "q4", "q4"]
    assert out.exists() and not partial.exists()
    asked.clear()
    assert train_reader.mine(None, qs, [], out) == found and asked == []  # the cache is read back as it was
