"""A shard set under a fault: one replica killed while a client asks, on a 2-node Ray cluster.

    python bench/shard_faults.py [--shards 4] [--seconds 20] [--timeout 1]

Shards the demo articles, starts two Ray nodes on 127.0.0.1 (tests/ray_cluster.py), serves the
set with ``qa serve --ray`` (``QA_SHARD_TIMEOUT=--timeout``), has one client ask
``POST /api/search`` in a loop, SIGKILLs shard-01's replica process after 3 s, and reports: every
request's status, the partial answers (how many, when, what they said), when answers were whole
again, the slowest question, and the tracebacks in the server's log. Everything on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.ray_cluster import LOOPBACK_ENV, loopback_cluster  # noqa: E402
from tests.serving import free_port  # noqa: E402

QA = str(Path(sys.executable).with_name("qa"))
REPLICA = "ServeReplica:article-qa-.*-shard-01"


def ask(base: str) -> tuple[int, dict]:
    request = urllib.request.Request(base + "/api/search", headers={"Content-Type": "application/json"},
                                     data=json.dumps({"question": "who holds Tal Rifaat?", "k": 3}).encode())
    try:
        with urllib.request.urlopen(request, timeout=60) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as exc:
        return exc.code, {"error": exc.read()[:200].decode(errors="replace")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--timeout", type=float, default=1.0)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="qa-shard-faults-"))
    env = {**os.environ, **LOOPBACK_ENV, "HF_HUB_OFFLINE": "1", "QA_SHARD_TIMEOUT": str(args.timeout)}
    try:
        subprocess.run([QA, "ingest", "-q", "--shards", str(args.shards), "--index-dir", str(work / "set"),
                        str(ROOT / "demo" / "articles")], env=env, check=True)
        with loopback_cluster(work, free_port()) as address:
            port = free_port()
            started = time.monotonic()
            with open(work / "serve.log", "w") as log:
                server = subprocess.Popen([QA, "serve", "--ray", address, "--index-dir", str(work / "set"), "--port",
                                           str(port)], env=env, stdout=subprocess.DEVNULL, stderr=log)
            base = f"http://127.0.0.1:{port}"
            while True:
                try:
                    urllib.request.urlopen(base, timeout=2)
                    break
                except OSError:
                    if server.poll() is not None or time.monotonic() - started > 180:
                        tail = (work / "serve.log").read_text()[-2000:]
                        raise SystemExit(f"qa serve --ray did not start: {tail}") from None
                    time.sleep(0.5)
            print(f"qa serve --ray {address}: answering after {time.monotonic() - started:.1f} s")
            answers: list[tuple[float, int, float, dict]] = []
            stop = threading.Event()

            def client() -> None:
                while not stop.is_set():
                    at = time.monotonic()
                    status, body = ask(base)
                    answers.append((at, status, (time.monotonic() - at) * 1000, body))

            asking = threading.Thread(target=client)
            asking.start()
            time.sleep(3)
            victim = int(subprocess.run(["pgrep", "-f", REPLICA], capture_output=True, text=True).stdout.split()[0])
            killed = time.monotonic()
            os.kill(victim, signal.SIGKILL)
            time.sleep(args.seconds)
            stop.set()
            asking.join()
            server.terminate()
            server.wait(timeout=30)
        report(answers, killed, (work / "serve.log").read_text())
    finally:
        shutil.rmtree(work, ignore_errors=True)


def report(answers: list, killed: float, log: str) -> None:
    """(started, status, ms, body) per question; "after" the kill: those that ended after it."""
    after = [a for a in answers if a[0] + a[2] / 1000 >= killed]
    before = [a for a in answers if a not in after]
    partial = [a for a in after if a[3].get("partial")]
    print(f"{len(answers)} questions, statuses {sorted({a[1] for a in answers})}; {len(before)} ended before the "
          f"kill, all whole: {all(not a[3].get('partial') for a in before)}")
    if partial:
        first = partial[0]
        print(f"partial: {len(partial)}, from {first[0] - killed:+.2f} s to {partial[-1][0] - killed:+.2f} s after the "
              f"kill; e.g. {first[3]['partial']!r}, answer {first[3].get('answer')!r}, {first[2]:.0f} ms")
    last = partial[-1][0] if partial else killed
    whole = [a for a in after if a[0] > last and not a[3].get("partial")]
    if whole:
        times = sorted(a[2] for a in whole)
        print(f"whole again from {whole[0][0] - killed:+.2f} s: {len(whole)} questions, answer "
              f"{whole[-1][3].get('answer')!r}, median {times[len(times) // 2]:.0f} ms")
    print(f"slowest question after the kill: {max(a[2] for a in after):.0f} ms")
    print(f"tracebacks in the server's log: {log.count('Traceback')}")


if __name__ == "__main__":
    main()
