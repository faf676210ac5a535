"""Load on `qa serve`: concurrent clients asking `/search` over HTTP on 127.0.0.1.

    python bench/load.py --index DIR [--clients 8 32] [--seconds 30] [--concurrency 1 4]
                         [--api gradio rest] [--json]

Starts `qa serve` on a free loopback port over ``--index`` (its own process, as a user
runs it), waits for it to answer, then ``--clients`` threads each ask the realtimeqa-dev
questions in turn through Gradio's HTTP API (``POST /gradio_api/call/search``, then the
result's event stream; with ``--api rest``, one ``POST /api/search``), for ``--seconds``.
Reports requests a second, p50 / p95 / p99 latency of a whole request, errors, the server's
CPU share and its resident memory (now and at its peak); then stops the server. Several
``--clients`` values (and ``--api`` values) load one server in turn.
With several ``--concurrency`` values, one server per value (``QA_CONCURRENCY``), one after
the other in the same run. Every request goes to 127.0.0.1 and each has a 60 s timeout.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ROOT.parent / "shared" / "data" / "realtimeqa-dev" / "questions.jsonl"
TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(index: Path, port: int, env: dict) -> subprocess.Popen:
    qa = Path(sys.executable).parent / "qa"
    process = subprocess.Popen([str(qa), "serve", "--index-dir", str(index), "--port", str(port)],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"qa serve exited with {process.returncode}: {process.stderr.read().decode()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.5)
    stop(process)
    raise SystemExit("qa serve did not answer within 180 s")


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def ask(client: httpx.Client, base: str, question: str) -> None:
    """One /search request as Gradio's HTTP API serves it; raises on any failure."""
    posted = client.post(f"{base}/gradio_api/call/search", json={"data": [question, 5, "", "", [], "relevance"]})
    posted.raise_for_status()
    event_id = posted.json()["event_id"]
    with client.stream("GET", f"{base}/gradio_api/call/search/{event_id}") as stream:
        stream.raise_for_status()
        event = None
        for line in stream.iter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            if event in ("complete", "error") and line.startswith("data:"):
                if event == "error":
                    raise RuntimeError(f"search failed: {line[:200]}")
                json.loads(line[5:])  # the answer must be whole JSON
                return
    raise RuntimeError("the event stream ended without a result")


def ask_rest(client: httpx.Client, base: str, question: str) -> None:
    """One ``POST /api/search`` (one request, JSON back); raises on any failure."""
    reply = client.post(f"{base}/api/search", json={"question": question, "k": 5})
    reply.raise_for_status()
    reply.json()["passages"]  # the answer must be whole JSON


APIS = {"gradio": ask, "rest": ask_rest}


def run_load(base: str, questions: list[str], clients: int, seconds: float, api: str = "gradio") -> dict:
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client_loop(offset: int) -> None:
        with httpx.Client(timeout=TIMEOUT) as client:
            i = offset
            while time.monotonic() < stop_at:
                started = time.perf_counter()
                try:
                    APIS[api](client, base, questions[i % len(questions)])
                    with lock:
                        latencies.append((time.perf_counter() - started) * 1000)
                except Exception as exc:  # every kind of failure is counted, never hidden
                    with lock:
                        errors.append(f"{type(exc).__name__}: {exc}"[:200])
                i += clients

    threads = [threading.Thread(target=client_loop, args=(c,)) for c in range(clients)]
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - began
    ordered = sorted(latencies)
    return {"api": api, "clients": clients, "seconds": round(elapsed, 1), "requests": len(latencies),
            "req_per_s": round(len(latencies) / elapsed, 1),
            "p50_ms": round(statistics.median(ordered), 1) if ordered else None,
            "p95_ms": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 1) if ordered else None,
            "p99_ms": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 1) if ordered else None,
            "errors": len(errors), "first_errors": errors[:3]}


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--clients", type=int, nargs="+", default=[8])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[None],
                        help="QA_CONCURRENCY of the server (default: its own default)")
    parser.add_argument("--api", nargs="+", choices=sorted(APIS), default=["gradio"],
                        help="gradio: /gradio_api/call/search and its event stream; rest: POST /api/search")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    questions = [json.loads(line)["question"] for line in QUESTIONS.open(encoding="utf-8")]
    results = []
    for concurrency in args.concurrency:
        env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"}
        if concurrency is not None:
            env["QA_CONCURRENCY"] = str(concurrency)
        results += [{"concurrency": concurrency or "default"} | r for r in load(args.index, env, questions, args)]
    if args.json:
        print(json.dumps(results, indent=2))
        return
    for r in results:
        print(f"{r['api']}: concurrency {r['concurrency']}, {r['clients']} clients, {r['seconds']} s: "
              f"{r['requests']} requests, "
              f"{r['req_per_s']} req/s, p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms, p99 {r['p99_ms']} ms, "
              f"{r['errors']} errors, server CPU {r['server_cpu_share']} cores, RSS {r['rss_mb']} MB "
              f"(peak {r['peak_rss_mb']} MB)")
        for e in r["first_errors"]:
            print("  error:", e)


def memory_mb(pid: int) -> tuple[int, int]:
    """(resident, peak resident) MB of a process."""
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(status["VmRSS"].split()[0]) // 1024, int(status["VmHWM"].split()[0]) // 1024


def load(index: Path, env: dict, questions: list[str], args) -> list[dict]:
    port = free_port()
    server = start_server(index, port, env)
    base = f"http://127.0.0.1:{port}"
    results = []
    try:
        with httpx.Client(timeout=TIMEOUT) as client:
            ask(client, base, questions[0])  # warm-up
        for api in args.api:
            for clients in args.clients:
                cpu_before = cpu_seconds(server.pid)
                result = run_load(base, questions, clients, args.seconds, api)
                result["server_cpu_share"] = round((cpu_seconds(server.pid) - cpu_before) / result["seconds"], 2)
                result["rss_mb"], result["peak_rss_mb"] = memory_mb(server.pid)
                results.append(result)
    finally:
        stop(server)
    return results


if __name__ == "__main__":
    main()
