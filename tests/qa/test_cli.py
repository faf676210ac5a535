"""The qa command, driven through click's runner (in-process, real model)."""

import json

import pytest
from click.testing import CliRunner

from qa.cli import main
from tests.conftest import DEMO

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def built(tmp_path_factory, real_embedder):
    index_dir = tmp_path_factory.mktemp("cli") / "index"
    result = CliRunner().invoke(main, ["ingest", "--quiet", "--index-dir", str(index_dir), str(DEMO)])
    assert result.exit_code == 0, result.output
    assert "7 added" in result.output
    return index_dir


def run(*args):
    return CliRunner().invoke(main, list(args))


def test_ask_prints_the_answer_and_its_sources_and_passages_on_request(built):
    result = run("ask", "who holds Tal Rifaat?", "-k", "2", "--index-dir", str(built))
    assert result.exit_code == 0, result.output
    answer, sources = result.output.split("\n\nSources:\n", 1)
    assert answer.startswith(("Likely answer: ", "Unsure answer: ")) and "Turkey" in answer.splitlines()[0]
    assert "[1]" in answer.splitlines()[0] and "that it is right" in answer.splitlines()[0]
    assert "Tal Rifaat" in answer.splitlines()[1]  # the quoted sentence, then its citation
    assert sources.splitlines()[0].startswith("  [1] Turkey-backed fighters take Tal Rifaat")
    assert "»" not in result.output and len(result.output.splitlines()) < 12  # titles, not passages
    result = run("ask", "who holds Tal Rifaat?", "-k", "2", "--passages", "--index-dir", str(built))
    answer, passages = result.output.split("\n\n1. ", 1)
    first = "1. " + passages.split("\n2. ")[0]
    assert "Turkey-backed fighters take Tal Rifaat" in first and "(score " in first and ", has_answer 0." in first
    assert "Demo Wire · 2024-12-02" in first and "https://demo.article-qa.example/" in first
    assert "»" in first and "«" in first


def test_ask_json(built):
    result = run("ask", "who holds Tal Rifaat?", "--json", "-k", "3", "--index-dir", str(built))
    data = json.loads(result.output)
    assert data["question"] == "who holds Tal Rifaat?" and len(data["passages"]) == 3
    top = data["passages"][0]
    assert top["rank"] == 1 and "Tal Rifaat" in top["answer"] and top["published"] == "2024-12-02"
    assert data["answered"] and "Turkey" in data["answer"] and data["cited"] == 1 and data["lead"] == top["answer"]
    assert top["short_answer"] == data["answer"] and data["threshold"] <= data["probability"] <= 1
    assert data["level"] in ("likely", "unsure") and "probability" in data["scores"]  # each score named


def test_info(built):
    result = run("info", "--index-dir", str(built))
    assert result.exit_code == 0
    assert "articles   7 (2024-05-26 to 2024-12-02)" in result.output
    assert "all-MiniLM-L6-v2-int8" in result.output


def test_reingest_reports_unchanged(built):
    result = run("ingest", "--quiet", "--index-dir", str(built), str(DEMO))
    assert result.exit_code == 0 and "0 added" in result.output and "7 unchanged" in result.output


@pytest.mark.parametrize("args,message", [
    (["ask", ""], "the question is empty"),
    (["ask", "x", "-k", "0"], "k=0 is out of range"),
    (["ask", "x", "--model", "other/model"], "was built with model"),
])
def test_errors_are_one_line_and_exit_1(built, args, message):
    result = run(*args, "--index-dir", str(built))
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output and result.output.strip().count("\n") == 0


def test_missing_index_is_one_line(tmp_path):
    result = run("ask", "who?", "--index-dir", str(tmp_path / "nothing"))
    assert result.exit_code == 1 and "no index at" in result.output and "qa ingest" in result.output


def test_ingest_failures_are_listed_and_exit_1(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "title": "A", "text": "Fine text."}\nnot json\n')
    result = run("ingest", "--quiet", "--index-dir", str(tmp_path / "i"), str(bad), str(tmp_path / "gone.md"))
    assert result.exit_code == 1
    assert "1 added" in result.output and "2 failed" in result.output
    assert f"{bad}:2: not valid JSON" in result.output and "gone.md: no such file" in result.output


def test_serve_binds_only_the_loopback_address_by_default(built, tmp_path):
    import os

    from tests.serving import served

    env = {**os.environ, "QA_INDEX_DIR": str(built)}
    with served(env, tmp_path / "serve.log") as url:
        port = int(url.rstrip("/").rsplit(":", 1)[1])
        listening = _listening_addresses(port)
    assert listening == {"127.0.0.1"}, listening


def test_serve_answers_questions_from_many_clients_at_once(built, tmp_path):
    """Eight clients asking /search together over Gradio's HTTP API, with four questions
    answered at once: every answer is whole and right, none fails."""
    import json
    import os
    import threading

    import httpx

    from tests.serving import served

    def search(base: str, question: str) -> dict:
        with httpx.Client(timeout=60) as client:
            posted = client.post(f"{base}gradio_api/call/search", json={"data": [question, 3, "", "", [], "relevance"]})
            posted.raise_for_status()
            stream = client.get(f"{base}gradio_api/call/search/{posted.json()['event_id']}").text
        event = stream.split("event: ")[-1]
        assert event.startswith("complete"), stream[:300]
        return json.loads(event.split("data: ", 1)[1])[0]  # the outputs: one, the answer

    questions = {"who holds Tal Rifaat?": "Turkey-backed fighters", "what interest rate did the central bank set?":
                 "Central bank holds rates"}
    results, failures = [], []

    def client(i: int, base: str) -> None:
        try:
            for j in range(3):
                question = list(questions)[(i + j) % 2]
                results.append((question, search(base, question)))
        except Exception as exc:  # collected, so the test names it
            failures.append(repr(exc))

    env = {**os.environ, "QA_INDEX_DIR": str(built)}
    with served(env, tmp_path / "serve.log", "--concurrency", "4") as base:
        threads = [threading.Thread(target=client, args=(i, base)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not failures, failures
    assert len(results) == 24
    for question, answer in results:
        assert answer["question"] == question and answer["passages"][0]["title"].startswith(questions[question])


def test_serve_refuses_a_concurrency_it_cannot_use(built):
    result = run("serve", "--index-dir", str(built), "--concurrency", "0")
    assert result.exit_code != 0 and "concurrency=0 must be between 1 and 64" in result.output


def _listening_addresses(port: int) -> set[str]:
    """The local addresses a TCP port is listened on (from /proc/net/tcp and tcp6)."""
    import ipaddress
    from pathlib import Path

    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                raw = bytes.fromhex(address)
                raw = raw[::-1] if len(raw) == 4 else b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
                found.add(str(ipaddress.ip_address(raw)))
    return found


def test_list_and_remove(tmp_path):
    index_dir = str(tmp_path / "idx")
    assert run("ingest", "--quiet", "--index-dir", index_dir, str(DEMO)).exit_code == 0
    listed = run("list", "--index-dir", index_dir)
    assert listed.exit_code == 0 and "7 articles" in listed.output
    assert listed.output.splitlines()[1].split()[1] == "2024-12-02"  # newest first
    as_json = json.loads(run("list", "--json", "--index-dir", index_dir).output)
    tal = next(a for a in as_json if a["title"].startswith("Turkey-backed"))
    removed = run("remove", tal["id"], str(DEMO / "briefs.jsonl"), "--index-dir", index_dir)
    assert removed.exit_code == 0 and removed.output.startswith("removed 3 articles")
    answer = json.loads(run("ask", "who holds Tal Rifaat?", "--json", "-k", "10", "--index-dir", index_dir).output)
    assert tal["id"] not in {p["article_id"] for p in answer["passages"]}
    assert "4 articles" in run("list", "--index-dir", index_dir).output
    missing = run("remove", "no-such-id", "--index-dir", index_dir)
    assert missing.exit_code == 1 and "not found: no-such-id" in missing.output


@pytest.mark.parametrize("args", [["--ray", str(DEMO)], ["--ray", str(DEMO / "2024-12-02-tal-rifaat.md")]])
def test_ray_given_a_path_as_its_address_says_to_put_the_paths_first(tmp_path, args):
    result = run("ingest", "--index-dir", str(tmp_path / "i"), *args)
    assert result.exit_code == 2
    assert f"--ray took '{args[1]}' as the Ray address, but it is a path" in result.output
    assert f"qa ingest {args[1]} --ray" in result.output and not (tmp_path / "i").exists()


def test_the_readme_shows_what_qa_ask_prints(built):
    """README's quick-start output is what `qa ask` prints on the demo articles, whole."""
    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    sample = readme.split("## Quick start", 1)[1].split("```\n", 3)[2].split("```", 1)[0]
    result = run("ask", "who holds Tal Rifaat?", "-k", "3", "--index-dir", str(built))
    assert result.exit_code == 0, result.output
    assert sample.strip() and result.output == sample, (sample, result.output)
