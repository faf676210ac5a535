"""qa eval: answer-string recall and latency on a labeled set (a tiny one here)."""

import json

import pytest
from click.testing import CliRunner

from qa.cli import main
from qa.errors import QAError
from qa.evaluation import evaluate, first_hit


@pytest.fixture
def dataset(tmp_path):
    folder = tmp_path / "set"
    folder.mkdir()
    articles = [
        {"id": "a1", "title": "Ferry", "text": "The island ferry now sails twice a day in winter, the operator said.",
         "url": "https://e.org/1", "date": "2024/01/05"},
        {"id": "a2", "title": "Bakery", "text": "A bakery in Lyon won the national prize for the best baguette.",
         "url": "https://e.org/2", "date": "2024/02/05"},
        {"id": "a3", "title": "Bridge", "text": "The old stone bridge reopened after repairs costing 12 million.",
         "url": "https://e.org/3", "date": "2024/03/05"},
    ]
    questions = [
        {"id": "q1", "question": "How often does the island ferry sail in winter?", "answers": ["twice a day"]},
        {"id": "q2", "question": "Which city's bakery won the baguette prize?", "answers": ["Lyon"]},
        {"id": "q3", "question": "How much did the bridge repairs cost?", "answers": ["12  MILLION"]},
    ]
    (folder / "articles.jsonl").write_text("".join(json.dumps(a) + "\n" for a in articles))
    (folder / "questions.jsonl").write_text("".join(json.dumps(q) + "\n" for q in questions))
    return folder


def test_first_hit_is_case_and_space_insensitive():
    assert first_hit(["nothing here", "cost 12\nmillion euros"], ["12 Million"]) == 2
    assert first_hit(["nothing"], ["x"]) is None


@pytest.mark.model
def test_evaluate_scores_a_small_set(dataset):
    result = evaluate(dataset)
    assert result.questions == 3 and result.recall_at_1 == 1.0 and result.mrr_at_10 == 1.0
    assert result.median_ms > 0 and result.p95_ms >= result.median_ms


@pytest.mark.model
def test_cli_eval_table_and_json(dataset, tmp_path):
    index_dir = tmp_path / "eval-index"
    table = CliRunner().invoke(main, ["eval", str(dataset), "--index", str(index_dir), "-q",
                                      "--method", "keyword", "--method", "dense"])
    assert table.exit_code == 0, table.output
    assert "| set | method |" in table.output and "| keyword | 3 |" in table.output and "| dense | 3 |" in table.output
    as_json = CliRunner().invoke(main, ["eval", str(dataset), "--index", str(index_dir), "-q", "--json"])
    (row,) = json.loads(as_json.output)
    assert row["method"] == "default" and row["recall_at_1"] == 1.0


def test_a_bad_question_file_is_a_clear_error(dataset):
    (dataset / "questions.jsonl").write_text('{"question": "no answers key"}\n')
    with pytest.raises(QAError, match="questions.jsonl:1: not a question record"):
        evaluate(dataset)


@pytest.mark.model
def test_a_dated_eval_asks_each_question_as_of_its_date(dataset, tmp_path):
    index_dir = tmp_path / "eval-index"
    with pytest.raises(QAError, match="no question .* has a question_date"):
        evaluate(dataset, index_dir=index_dir, dated=True)
    questions = [json.loads(line) for line in (dataset / "questions.jsonl").read_text().splitlines()]
    questions[2]["question_date"] = "2024/02/10"  # asked before the bridge article was published
    (dataset / "questions.jsonl").write_text("".join(json.dumps(q) + "\n" for q in questions))
    dated = evaluate(dataset, index_dir=index_dir, dated=True)
    assert dated.dated and dated.recall_at_10 == pytest.approx(0.667)
    assert evaluate(dataset, index_dir=index_dir).recall_at_1 == 1.0
    table = CliRunner().invoke(main, ["eval", str(dataset), "--index", str(index_dir), "-q", "--dated"])
    assert table.exit_code == 0 and "| default, dated | 3 |" in table.output, table.output
